/**
 * Layout of `struct perf_event_attr` (`include/uapi/linux/perf_event.h`), the argument of
 * `perf_event_open(2)`.
 * @module
 */

import { bit, defineLayout, ptr, s32, u32, u64 } from './layout.js';

/**
 * `struct perf_event_attr` fields with the kernel's names and offsets (Linux 6.18,
 * `PERF_ATTR_SIZE_VER8` = 136 bytes). Unions are listed under each member's name at the same
 * offset (`sample_period`/`sample_freq`, `wakeup_events`/`wakeup_watermark`,
 * `config1`/`bp_addr`/`kprobe_func`/`uprobe_path`, `config2`/`bp_len`/`probe_offset`).
 *
 * The one-bit flags live in the `u64` at offset 40; only those in its low 32 bits are listed.
 * Kernel quirk: `size` must be set (0 is taken as `PERF_ATTR_SIZE_VER0`, 64 bytes), and bytes
 * beyond what the kernel knows must be zero (E2BIG otherwise).
 */
export const perfEventAttr = defineLayout(
  'perf_event_open',
  'struct perf_event_attr',
  undefined,
  {
    /** `PERF_TYPE_HARDWARE`, `SOFTWARE`, `TRACEPOINT`, …, or a dynamic PMU type. */
    type: u32(0),
    /** `sizeof(struct perf_event_attr)` as the caller knows it. */
    size: u32(4),
    /** Event within the type (tracepoint id, `PERF_COUNT_SW_*`, …). */
    config: u64(8),
    /** Sample every N events (without the `freq` flag). */
    sample_period: u64(16),
    /** Samples per second (with the `freq` flag). */
    sample_freq: u64(16),
    /** `PERF_SAMPLE_*` bits: what a sample record carries. */
    sample_type: u64(24),
    read_format: u64(32),
    /** Start disabled (enable with `PERF_EVENT_IOC_ENABLE`). */
    disabled: bit(40, 0),
    inherit: bit(40, 1),
    pinned: bit(40, 2),
    exclusive: bit(40, 3),
    exclude_user: bit(40, 4),
    exclude_kernel: bit(40, 5),
    exclude_hv: bit(40, 6),
    exclude_idle: bit(40, 7),
    /** `sample_freq` instead of `sample_period`. */
    freq: bit(40, 10),
    enable_on_exec: bit(40, 12),
    /** Wake up on `wakeup_watermark` bytes instead of `wakeup_events` events. */
    watermark: bit(40, 14),
    /** Wake up after this many events (without `watermark`). */
    wakeup_events: u32(48),
    /** Wake up after this many bytes (with `watermark`). */
    wakeup_watermark: u32(48),
    bp_type: u32(52),
    config1: u64(56),
    bp_addr: u64(56),
    /** kprobe PMU: pointer to the function name. */
    kprobe_func: ptr(56),
    /** uprobe PMU: pointer to the binary's path. */
    uprobe_path: ptr(56),
    config2: u64(64),
    bp_len: u64(64),
    /** kprobe/uprobe PMU: offset within the function or binary. */
    probe_offset: u64(64),
    branch_sample_type: u64(72),
    sample_regs_user: u64(80),
    sample_stack_user: u32(88),
    clockid: s32(92),
    sample_regs_intr: u64(96),
    aux_watermark: u32(104),
    aux_sample_size: u32(112),
    sig_data: u64(120),
    /** Requires Linux 6.3. */
    config3: u64(128),
  },
  136,
);
/** A field name of {@link perfEventAttr}. */
export type PerfEventAttrField = keyof typeof perfEventAttr.fields;
