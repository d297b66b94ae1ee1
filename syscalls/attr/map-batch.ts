/**
 * Layout of the `BPF_MAP_*_BATCH` member (`batch`) of `union bpf_attr`
 * (`include/uapi/linux/bpf.h`).
 * @module
 */

import { defineLayout, ptr, u32, u64 } from './layout.js';

/**
 * `BPF_MAP_LOOKUP_BATCH`, `BPF_MAP_LOOKUP_AND_DELETE_BATCH`, `BPF_MAP_UPDATE_BATCH` and
 * `BPF_MAP_DELETE_BATCH` attr fields (`union bpf_attr.batch`, Linux 6.18). Requires Linux 5.6.
 *
 * Kernel quirks: `count` is in/out (the capacity of `keys`/`values` going in, the number of
 * elements processed coming out, also on failure). Lookups fail with ENOENT when the map has no
 * more elements after `in_batch`; the elements of that last call are still copied. `in_batch`
 * is 0 (NULL) on the first call; `out_batch` is an opaque cursor of the map's key size for hash
 * maps (4 bytes for arrays), fed to `in_batch` of the next call.
 */
export const mapBatchAttr = defineLayout('BPF_MAP_*_BATCH', 'union bpf_attr', 'batch', {
  in_batch: ptr(0),
  out_batch: ptr(8),
  keys: ptr(16),
  values: ptr(24),
  count: u32(32),
  map_fd: u32(36),
  /** Per-element flags (`BPF_ANY`, `BPF_F_LOCK`, …). */
  elem_flags: u64(40),
  /** Must be 0. */
  flags: u64(48),
});
/** A field name of {@link mapBatchAttr}. */
export type MapBatchField = keyof typeof mapBatchAttr.fields;
