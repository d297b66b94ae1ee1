/**
 * The first Linux release with each program type, map type and attach kind, and the kernel
 * options they need besides (from the kernel's history: the commit that added each enum value or
 * mechanism, as libbpf, bpftool and cilium/ebpf record them).
 * @module
 */

import type { MapTypeName, ProgramTypeName } from 'ebpf-bytecode-utils';
import type { AttachKind } from './attach-kind.js';

/** What a feature needs: a minimum Linux version and, where one is needed, a kernel option. */
export interface KernelRequirement {
  /** The first Linux version with the feature: `'4.17'`. */
  readonly version: string;
  /** A configuration option (or other condition) it needs besides: `'CONFIG_KPROBE_EVENTS'`. */
  readonly config?: string;
}

const v = (version: string, config?: string): KernelRequirement => (config === undefined ? { version } : { version, config });

/**
 * Minimum kernel of each program type (`enum bpf_prog_type`), e.g. `xdp`: Requires Linux 4.8.
 * `unspec` is not a program type and has no entry.
 */
export const programTypeMinimumKernel: Readonly<Partial<Record<ProgramTypeName, KernelRequirement>>> = {
  socket_filter: v('3.19'),
  kprobe: v('4.1'),
  sched_cls: v('4.1', 'CONFIG_NET_CLS_BPF'),
  sched_act: v('4.1', 'CONFIG_NET_ACT_BPF'),
  tracepoint: v('4.7'),
  xdp: v('4.8'),
  perf_event: v('4.9'),
  cgroup_skb: v('4.10', 'CONFIG_CGROUP_BPF'),
  cgroup_sock: v('4.10', 'CONFIG_CGROUP_BPF'),
  lwt_in: v('4.10', 'CONFIG_LWTUNNEL_BPF'),
  lwt_out: v('4.10', 'CONFIG_LWTUNNEL_BPF'),
  lwt_xmit: v('4.10', 'CONFIG_LWTUNNEL_BPF'),
  sock_ops: v('4.13', 'CONFIG_CGROUP_BPF'),
  sk_skb: v('4.14', 'CONFIG_BPF_STREAM_PARSER'),
  cgroup_device: v('4.15', 'CONFIG_CGROUP_BPF'),
  sk_msg: v('4.17', 'CONFIG_BPF_STREAM_PARSER'),
  raw_tracepoint: v('4.17'),
  cgroup_sock_addr: v('4.17', 'CONFIG_CGROUP_BPF'),
  lwt_seg6local: v('4.18', 'CONFIG_IPV6_SEG6_BPF'),
  lirc_mode2: v('4.18', 'CONFIG_BPF_LIRC_MODE2'),
  sk_reuseport: v('4.19'),
  flow_dissector: v('4.20'),
  cgroup_sysctl: v('5.2', 'CONFIG_CGROUP_BPF'),
  raw_tracepoint_writable: v('5.2'),
  cgroup_sockopt: v('5.3', 'CONFIG_CGROUP_BPF'),
  tracing: v('5.5', 'CONFIG_DEBUG_INFO_BTF'),
  struct_ops: v('5.6', 'CONFIG_DEBUG_INFO_BTF'),
  ext: v('5.6', 'CONFIG_DEBUG_INFO_BTF and BPF trampolines'),
  lsm: v('5.7', 'CONFIG_BPF_LSM'),
  sk_lookup: v('5.9'),
  syscall: v('5.14'),
  netfilter: v('6.4', 'CONFIG_NETFILTER_BPF_LINK'),
};

/**
 * Minimum kernel of each map type (`enum bpf_map_type`), e.g. `ringbuf`: Requires Linux 5.8.
 * The deprecated aliases share their type's entry.
 */
export const mapTypeMinimumKernel: Readonly<Partial<Record<MapTypeName, KernelRequirement>>> = {
  hash: v('3.19'),
  array: v('3.19'),
  prog_array: v('4.2'),
  perf_event_array: v('4.3'),
  percpu_hash: v('4.6'),
  percpu_array: v('4.6'),
  stack_trace: v('4.6', 'CONFIG_PERF_EVENTS'),
  cgroup_array: v('4.8'),
  lru_hash: v('4.10'),
  lru_percpu_hash: v('4.10'),
  lpm_trie: v('4.11'),
  array_of_maps: v('4.12'),
  hash_of_maps: v('4.12'),
  devmap: v('4.14'),
  sockmap: v('4.14', 'CONFIG_BPF_STREAM_PARSER'),
  cpumap: v('4.15'),
  xskmap: v('4.18', 'CONFIG_XDP_SOCKETS'),
  sockhash: v('4.18', 'CONFIG_BPF_STREAM_PARSER'),
  cgroup_storage_deprecated: v('4.19', 'CONFIG_CGROUP_BPF'),
  cgroup_storage: v('4.19', 'CONFIG_CGROUP_BPF'),
  reuseport_sockarray: v('4.19'),
  percpu_cgroup_storage_deprecated: v('4.20', 'CONFIG_CGROUP_BPF'),
  percpu_cgroup_storage: v('4.20', 'CONFIG_CGROUP_BPF'),
  queue: v('4.20'),
  stack: v('4.20'),
  sk_storage: v('5.2'),
  devmap_hash: v('5.4'),
  struct_ops: v('5.6', 'CONFIG_DEBUG_INFO_BTF'),
  ringbuf: v('5.8'),
  inode_storage: v('5.10', 'CONFIG_BPF_LSM'),
  task_storage: v('5.11'),
  bloom_filter: v('5.16'),
  user_ringbuf: v('6.1'),
  cgrp_storage: v('6.2', 'CONFIG_CGROUPS'),
  arena: v('6.9', 'CONFIG_MMU'),
};

/**
 * Minimum kernel of each {@link AttachKind}: `tracepoint` Requires Linux 4.7; `raw_tp` 4.17;
 * `tp_btf` 5.5; `kprobe` and `uprobe` (PMU) 4.17; `kprobe_multi` 5.18; `fentry`/`fexit` 5.5;
 * `lsm` 5.7; `xdp_link` 5.9; `tcx` 6.6; `cgroup_link` 5.7; `perf_event` 4.9.
 */
export const attachKindMinimumKernel: Readonly<Record<AttachKind, KernelRequirement>> = {
  tracepoint: v('4.7', 'CONFIG_EVENT_TRACING'),
  raw_tp: v('4.17'),
  tp_btf: v('5.5', 'CONFIG_DEBUG_INFO_BTF'),
  kprobe: v('4.17', 'CONFIG_KPROBE_EVENTS'),
  uprobe: v('4.17', 'CONFIG_UPROBE_EVENTS'),
  kprobe_multi: v('5.18', 'CONFIG_FPROBE'),
  fentry: v('5.5', 'CONFIG_DEBUG_INFO_BTF and CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS'),
  fexit: v('5.5', 'CONFIG_DEBUG_INFO_BTF and CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS'),
  lsm: v('5.7', 'CONFIG_BPF_LSM and bpf in the lsm= list'),
  xdp_link: v('5.9'),
  tcx: v('6.6'),
  cgroup_link: v('5.7', 'CONFIG_CGROUP_BPF'),
  perf_event: v('4.9', 'CONFIG_PERF_EVENTS'),
};
