/**
 * The BCC-style facade: {@link BPF} with tables declared once and shared by name
 * (`BPF_HASH`, `BPF_ARRAY`, `BPF_HISTOGRAM`, `BPF_PERF_OUTPUT`, …), functions auto-attached by
 * BCC's name prefixes, `open_perf_buffer` / `perf_buffer_poll`, `open_ring_buffer` /
 * `ring_buffer_poll`, `print_log2_hist` / `print_linear_hist` in BCC's layout, `ksym`, `sym`,
 * `trace_print`, `get_syscall_fnname`.
 * @module
 */

export * from './bcc-error.js';
export * from './histogram.js';
export * from './table-decl.js';
export * from './program-tables.js';
export * from './table.js';
export * from './output-tables.js';
export * from './syscall-probe.js';
export * from './probes.js';
export * from './trace-pipe.js';
export * from './bpf.js';
export * from './usdt.js';
