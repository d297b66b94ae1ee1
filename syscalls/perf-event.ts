/**
 * Constants of `perf_event_open(2)` (`include/uapi/linux/perf_event.h`), named like the kernel's
 * macros without their common prefix.
 * @module
 */

/** `enum perf_type_id`: `PerfType.TRACEPOINT` is `PERF_TYPE_TRACEPOINT`. */
export const PerfType = {
  HARDWARE: 0,
  SOFTWARE: 1,
  /** config = the tracepoint id from tracefs `events/<category>/<name>/id`. */
  TRACEPOINT: 2,
  HW_CACHE: 3,
  RAW: 4,
  BREAKPOINT: 5,
} as const;

/** `enum perf_sw_ids`: `PerfSwConfig.CPU_CLOCK` is `PERF_COUNT_SW_CPU_CLOCK`. */
export const PerfSwConfig = {
  CPU_CLOCK: 0,
  TASK_CLOCK: 1,
  PAGE_FAULTS: 2,
  CONTEXT_SWITCHES: 3,
  CPU_MIGRATIONS: 4,
  PAGE_FAULTS_MIN: 5,
  PAGE_FAULTS_MAJ: 6,
  ALIGNMENT_FAULTS: 7,
  EMULATION_FAULTS: 8,
  DUMMY: 9,
  /** The output ring of `bpf_perf_event_output`. Requires Linux 4.4. */
  BPF_OUTPUT: 10,
  CGROUP_SWITCHES: 11,
} as const;

/** `enum perf_event_sample_format` bits used by tsbpf. */
export const PerfSampleType = {
  IP: 1 << 0,
  TID: 1 << 1,
  TIME: 1 << 2,
  CPU: 1 << 7,
  PERIOD: 1 << 8,
  /** The record carries `u32 size` + raw bytes (what `bpf_perf_event_output` writes). */
  RAW: 1 << 10,
} as const;

/** `enum perf_event_type`: record types in the mmap ring (`struct perf_event_header.type`). */
export const PerfRecordType = {
  /** `{u64 id; u64 lost}`: records dropped because the ring was full. */
  LOST: 2,
  /** A sample; with `PERF_SAMPLE_RAW` alone: `{u32 size; u8 data[size]}`. */
  SAMPLE: 9,
} as const;

/** `perf_event_open` flags. */
export const PerfFlag = {
  FD_NO_GROUP: 1 << 0,
  FD_OUTPUT: 1 << 1,
  PID_CGROUP: 1 << 2,
  /** `O_CLOEXEC` on the new fd. Requires Linux 3.14. */
  FD_CLOEXEC: 1 << 3,
} as const;

/**
 * Offsets in the first mmap page of a perf event (`struct perf_event_mmap_page`): the kernel
 * advances `data_head`, user space advances `data_tail` after consuming records.
 */
export const PerfMmapPage = {
  /** `u64 data_head`: where the kernel writes next (monotonic byte count). */
  DATA_HEAD: 1024,
  /** `u64 data_tail`: where user space has read up to. */
  DATA_TAIL: 1032,
  /** `u64 data_offset`: start of the data area (since Linux 4.1; a page otherwise). */
  DATA_OFFSET: 1040,
  /** `u64 data_size`: size of the data area (since Linux 4.1). */
  DATA_SIZE: 1048,
} as const;
