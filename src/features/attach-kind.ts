/**
 * {@link AttachKind}: the ways tsbpf attaches programs, as the feature probes name them.
 * @module
 */

/**
 * Every attach kind tsbpf uses, in report order:
 * - `tracepoint`: a tracepoint perf event (`perf_event_open` + `PERF_EVENT_IOC_SET_BPF` or a
 *   `BPF_PERF_EVENT` link) running a `tracepoint` program;
 * - `raw_tp`: `BPF_RAW_TRACEPOINT_OPEN` with a `raw_tracepoint` program;
 * - `tp_btf`: a `tracing` program with `BPF_TRACE_RAW_TP` and the BTF id of `btf_trace_<name>`;
 * - `kprobe`, `uprobe`: the kprobe / uprobe PMUs of `/sys/bus/event_source/devices/` with a
 *   `kprobe` program (kretprobes and uretprobes use the same PMUs);
 * - `kprobe_multi`: a `BPF_TRACE_KPROBE_MULTI` link (fprobe);
 * - `fentry`, `fexit`: `tracing` programs on BPF trampolines;
 * - `lsm`: `lsm` programs (`BPF_LSM_MAC`);
 * - `xdp_link`: an XDP program attached through a `BPF_LINK_TYPE_XDP` link;
 * - `tcx`: a `sched_cls` program on the tcx ingress/egress hooks;
 * - `cgroup_link`: cgroup programs attached through `BPF_LINK_CREATE`;
 * - `perf_event`: a `perf_event` program on a sampling perf event.
 */
export const AttachKinds = ['tracepoint', 'raw_tp', 'tp_btf', 'kprobe', 'uprobe', 'kprobe_multi', 'fentry', 'fexit', 'lsm', 'xdp_link', 'tcx', 'cgroup_link', 'perf_event'] as const;

/** One of {@link AttachKinds}. */
export type AttachKind = (typeof AttachKinds)[number];

/** Whether `name` is an {@link AttachKind}. */
export function isAttachKind(name: string): name is AttachKind {
  return (AttachKinds as readonly string[]).includes(name);
}
