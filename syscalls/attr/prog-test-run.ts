/**
 * Layout of the `BPF_PROG_TEST_RUN` member (`test`) of `union bpf_attr`.
 * @module
 */

import { defineLayout, ptr, u32 } from './layout.js';

/**
 * `BPF_PROG_TEST_RUN` attr fields (`union bpf_attr.test`), with the kernel's names and offsets.
 * `data_size_out` and `ctx_size_out` are in/out: the capacity going in, the size produced coming
 * out (ENOSPC when the output did not fit; the part that fits is still copied).
 */
export const progTestRunAttr = defineLayout('BPF_PROG_TEST_RUN', 'union bpf_attr', 'test', {
  prog_fd: u32(0),
  /** Output: the program's return value. */
  retval: u32(4),
  data_size_in: u32(8),
  data_size_out: u32(12),
  data_in: ptr(16),
  data_out: ptr(24),
  repeat: u32(32),
  /** Output: average run time per repetition, in ns. */
  duration: u32(36),
  /** Requires Linux 5.2. */
  ctx_size_in: u32(40),
  ctx_size_out: u32(44),
  ctx_in: ptr(48),
  ctx_out: ptr(56),
  /** `BPF_F_TEST_RUN_ON_CPU`, `BPF_F_TEST_XDP_LIVE_FRAMES`, … Requires Linux 5.10. */
  flags: u32(64),
  /** With `BPF_F_TEST_RUN_ON_CPU`. Requires Linux 5.10. */
  cpu: u32(68),
  /** XDP live frames batch. Requires Linux 5.18. */
  batch_size: u32(72),
});
/** A field name of {@link progTestRunAttr}. */
export type ProgTestRunField = keyof typeof progTestRunAttr.fields;
