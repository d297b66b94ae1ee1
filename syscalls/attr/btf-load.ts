/**
 * Layout of the `BPF_BTF_LOAD` member of `union bpf_attr`.
 * @module
 */

import { defineLayout, ptr, s32, u32 } from './layout.js';

/** `BPF_BTF_LOAD` attr fields, with the kernel's names and offsets (Linux 6.18). */
export const btfLoadAttr = defineLayout('BPF_BTF_LOAD', 'union bpf_attr', '', {
  btf: ptr(0),
  btf_log_buf: ptr(8),
  btf_size: u32(16),
  btf_log_size: u32(20),
  btf_log_level: u32(24),
  /** Output: the size the whole log needs, NUL included. Requires Linux 6.4. */
  btf_log_true_size: u32(28),
  /** `BPF_F_TOKEN_FD`. Requires Linux 6.9. */
  btf_flags: u32(32),
  /** Requires Linux 6.9. */
  btf_token_fd: s32(36),
});
/** A field name of {@link btfLoadAttr}. */
export type BtfLoadField = keyof typeof btfLoadAttr.fields;
