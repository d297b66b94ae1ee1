/**
 * Creating one map of a compiled program in the kernel (`BPF_MAP_CREATE`), including the
 * template inner map a map-in-map needs for `inner_map_fd` (created first, closed once the outer
 * map exists: the kernel keeps the inner shape), and the contents of a read-only data map
 * (`.rodata`), written and frozen before any program uses it.
 * @module
 */

import { mapType } from 'ebpf-bytecode-utils';
import { closeFd } from '../../syscalls/close-fd.js';
import { mapCreate } from '../../syscalls/map-create.js';
import { MapElemAccess, mapFreeze } from '../../syscalls/map-elem.js';
import { SyscallError } from '../../syscalls/errors.js';
import type { DslMapSpec } from './maps.js';

/** Creates the map `spec` describes and returns its fd. */
export function createDslMap(spec: DslMapSpec): number {
  const inner = spec.innerMap;
  const innerFd = inner === undefined ? undefined : mapCreate({ mapType: mapType(inner.type), keySize: inner.keySize, valueSize: inner.valueSize, maxEntries: inner.maxEntries, mapFlags: inner.flags });
  let fd: number;
  try {
    fd = mapCreate({ mapType: mapType(spec.type), keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: spec.maxEntries, mapFlags: spec.flags, mapName: spec.name, ...(innerFd === undefined ? {} : { innerMapFd: innerFd }) });
  } finally {
    if (innerFd !== undefined) closeFd(innerFd);
  }
  if (spec.rodata !== undefined) {
    try {
      writeAndFreeze(fd, spec.rodata);
    } catch (err) {
      closeFd(fd);
      throw err;
    }
  }
  return fd;
}

/** Writes `bytes` as element 0 of array map `fd`, then freezes the map (no more writes from user space). */
function writeAndFreeze(fd: number, bytes: Uint8Array): void {
  const access = new MapElemAccess(fd, 4, bytes.length);
  access.key.fill(0);
  access.value.set(bytes);
  const r = access.update();
  if (r !== 0) throw new SyscallError('bpf(BPF_MAP_UPDATE_ELEM)', -r);
  mapFreeze(fd);
}
