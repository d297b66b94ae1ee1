/**
 * Layout of the `BPF_*_GET_NEXT_ID` / `BPF_*_GET_FD_BY_ID` member of `union bpf_attr`
 * (`include/uapi/linux/bpf.h`).
 * @module
 */

import { defineLayout, s32, u32 } from './layout.js';

/**
 * `BPF_PROG_GET_NEXT_ID`, `BPF_MAP_GET_NEXT_ID`, `BPF_BTF_GET_NEXT_ID`, `BPF_LINK_GET_NEXT_ID`
 * and the matching `*_GET_FD_BY_ID` attr fields (an anonymous struct of `union bpf_attr`,
 * Linux 6.18). `start_id`, `prog_id`, `map_id`, `btf_id` and `link_id` share offset 0.
 */
export const getIdAttr = defineLayout('BPF_*_GET_*_ID', 'union bpf_attr', '', {
  /** `*_GET_NEXT_ID`: the id to start after (0 for the first). */
  start_id: u32(0),
  /** `BPF_PROG_GET_FD_BY_ID`. */
  prog_id: u32(0),
  /** `BPF_MAP_GET_FD_BY_ID`. */
  map_id: u32(0),
  /** `BPF_BTF_GET_FD_BY_ID`. */
  btf_id: u32(0),
  /** `BPF_LINK_GET_FD_BY_ID`. */
  link_id: u32(0),
  /** Output of `*_GET_NEXT_ID`. */
  next_id: u32(4),
  /** `BPF_F_RDONLY`/`BPF_F_WRONLY` for `BPF_MAP_GET_FD_BY_ID`. */
  open_flags: u32(8),
  /** BPF token fd. Requires Linux 6.18. */
  fd_by_id_token_fd: s32(12),
});
/** A field name of {@link getIdAttr}. */
export type GetIdField = keyof typeof getIdAttr.fields;
