/**
 * Layout of the `BPF_MAP_*_ELEM` / `BPF_MAP_FREEZE` member of `union bpf_attr`
 * (`include/uapi/linux/bpf.h`).
 * @module
 */

import { defineLayout, ptr, u32, u64 } from './layout.js';

/**
 * `BPF_MAP_LOOKUP_ELEM`, `BPF_MAP_UPDATE_ELEM`, `BPF_MAP_DELETE_ELEM`, `BPF_MAP_GET_NEXT_KEY`,
 * `BPF_MAP_LOOKUP_AND_DELETE_ELEM` and `BPF_MAP_FREEZE` attr fields (the anonymous struct of
 * `union bpf_attr`, Linux 6.18). `value` and `next_key` share offset 16: `BPF_MAP_GET_NEXT_KEY`
 * reads `next_key`, every other command `value`.
 *
 * Kernel quirks: `key` is 0 (NULL) for queue, stack and bloom filter maps, and for
 * `BPF_MAP_GET_NEXT_KEY` when asking for the first key. `flags` is `BPF_ANY`/`BPF_NOEXIST`/
 * `BPF_EXIST` (+ `BPF_F_LOCK`) for updates, `BPF_F_LOCK` for lookups, 0 otherwise.
 */
export const mapElemAttr = defineLayout('BPF_MAP_*_ELEM', 'union bpf_attr', '', {
  map_fd: u32(0),
  key: ptr(8),
  value: ptr(16),
  /** `BPF_MAP_GET_NEXT_KEY` output buffer; the same place as `value`. */
  next_key: ptr(16),
  flags: u64(24),
});
/** A field name of {@link mapElemAttr}. */
export type MapElemField = keyof typeof mapElemAttr.fields;
