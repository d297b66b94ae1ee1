/**
 * Layout of the `BPF_RAW_TRACEPOINT_OPEN` member (`raw_tracepoint`) of `union bpf_attr`.
 * @module
 */

import { defineLayout, ptr, u32, u64 } from './layout.js';

/**
 * `BPF_RAW_TRACEPOINT_OPEN` attr fields (Linux 6.18). `name` is null for BTF-typed programs
 * (tp_btf, fentry, …) whose target was fixed at load time by `attach_btf_id`.
 */
export const rawTracepointOpenAttr = defineLayout('BPF_RAW_TRACEPOINT_OPEN', 'union bpf_attr', 'raw_tracepoint', {
  /** NUL-terminated tracepoint name (`sched_switch`), or 0. */
  name: ptr(0),
  prog_fd: u32(8),
  /** Read by `bpf_get_attach_cookie`. Requires Linux 6.10. */
  cookie: u64(16),
});
/** A field name of {@link rawTracepointOpenAttr}. */
export type RawTracepointOpenField = keyof typeof rawTracepointOpenAttr.fields;
