/**
 * Layout of the `BPF_OBJ_GET_INFO_BY_FD` member (`info`) of `union bpf_attr`.
 * @module
 */

import { defineLayout, ptr, u32 } from './layout.js';

/**
 * `BPF_OBJ_GET_INFO_BY_FD` attr fields (`union bpf_attr.info`). `info_len` is in/out: the size
 * of the buffer at `info` going in, the size the kernel filled coming out.
 */
export const objGetInfoByFdAttr = defineLayout('BPF_OBJ_GET_INFO_BY_FD', 'union bpf_attr', 'info', {
  bpf_fd: u32(0),
  info_len: u32(4),
  info: ptr(8),
});
/** A field name of {@link objGetInfoByFdAttr}. */
export type ObjGetInfoByFdField = keyof typeof objGetInfoByFdAttr.fields;
