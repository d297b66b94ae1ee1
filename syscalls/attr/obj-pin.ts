/**
 * Layout of the `BPF_OBJ_PIN` / `BPF_OBJ_GET` member of `union bpf_attr`
 * (`include/uapi/linux/bpf.h`).
 * @module
 */

import { defineLayout, ptr, s32, u32 } from './layout.js';

/**
 * `BPF_OBJ_PIN` and `BPF_OBJ_GET` attr fields (an anonymous struct of `union bpf_attr`,
 * Linux 6.18). `pathname` points to a NUL-terminated path inside a bpffs mount.
 */
export const objPinAttr = defineLayout('BPF_OBJ_PIN/GET', 'union bpf_attr', '', {
  pathname: ptr(0),
  /** The fd to pin (`BPF_OBJ_PIN`); 0 for `BPF_OBJ_GET`. */
  bpf_fd: u32(8),
  /** `BPF_F_RDONLY`/`BPF_F_WRONLY` for `BPF_OBJ_GET`; `BPF_F_PATH_FD` for both. */
  file_flags: u32(12),
  /** Directory fd `pathname` is relative to (with `BPF_F_PATH_FD`). Requires Linux 6.5. */
  path_fd: s32(16),
});
/** A field name of {@link objPinAttr}. */
export type ObjPinField = keyof typeof objPinAttr.fields;
