/**
 * Layout of the `BPF_LINK_UPDATE` member (`link_update`) of `union bpf_attr`.
 * @module
 */

import { defineLayout, u32 } from './layout.js';

/**
 * `BPF_LINK_UPDATE` attr fields (Linux 6.18). `new_prog_fd`/`new_map_fd` and
 * `old_prog_fd`/`old_map_fd` share offsets (the map forms are for struct_ops links).
 */
export const linkUpdateAttr = defineLayout('BPF_LINK_UPDATE', 'union bpf_attr', 'link_update', {
  /** The link whose program is replaced. */
  link_fd: u32(0),
  /** The new program. */
  new_prog_fd: u32(4),
  /** `BPF_F_REPLACE`: replace only if the current program is `old_prog_fd`. */
  flags: u32(8),
  /** With `BPF_F_REPLACE`: the program expected to be attached now. */
  old_prog_fd: u32(12),
});
/** A field name of {@link linkUpdateAttr}. */
export type LinkUpdateField = keyof typeof linkUpdateAttr.fields;
