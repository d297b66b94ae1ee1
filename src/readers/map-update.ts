/**
 * The one map operation the readers need: storing a perf event fd in a perf event array
 * (`BPF_MAP_UPDATE_ELEM` with a u32 key and a u32 value). Kept here so the readers do not depend
 * on the map classes.
 * @module
 */

import { AttrBuffer, defineLayout, ptr, u32, u64 } from '../../syscalls/attr/layout.js';
import { bpf } from '../../syscalls/bpf.js';
import { BpfCmd } from '../../syscalls/bpf-cmd.js';

/** `BPF_MAP_UPDATE_ELEM` attr: `map_fd`, `key`, `value`, `flags`. */
const updateAttr = defineLayout('BPF_MAP_UPDATE_ELEM', 'union bpf_attr', '', {
  map_fd: u32(0),
  key: ptr(8),
  value: ptr(16),
  flags: u64(24),
});

/** Stores u32 `value` at u32 `key` of map `mapFd` (`BPF_ANY`); throws a SyscallError on failure. */
export function updateU32(mapFd: number, key: number, value: number): void {
  const k = new Uint8Array(4);
  const v = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, key, true);
  new DataView(v.buffer).setUint32(0, value, true);
  const a = new AttrBuffer(updateAttr);
  a.set('map_fd', mapFd).pointer('key', k).pointer('value', v);
  bpf(BpfCmd.MAP_UPDATE_ELEM, a);
}

/** Deletes u32 `key` of map `mapFd`, ignoring a missing key. */
export function deleteU32(mapFd: number, key: number): void {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, key, true);
  const a = new AttrBuffer(updateAttr);
  a.set('map_fd', mapFd).pointer('key', k);
  try {
    bpf(BpfCmd.MAP_DELETE_ELEM, a);
  } catch {
    // Already gone (ENOENT), or the map is being torn down.
  }
}
