/**
 * Layout of the `BPF_PROG_QUERY` member of `union bpf_attr` (`struct { … } query`).
 * @module
 */

import { defineLayout, ptr, u32, u64 } from './layout.js';

/**
 * `BPF_PROG_QUERY` attr fields (Linux 6.18). `target_fd` and `target_ifindex` share offset 0;
 * `prog_cnt` and `count` share offset 24. The kernel writes `attach_flags`, `prog_cnt`,
 * `revision` and the arrays behind the pointers.
 */
export const progQueryAttr = defineLayout('BPF_PROG_QUERY', 'union bpf_attr', 'query', {
  /** The cgroup fd (cgroup hooks) or … */
  target_fd: u32(0),
  /** … the ifindex (tcx, netkit). Requires Linux 6.6. */
  target_ifindex: u32(0),
  /** `enum bpf_attach_type`. */
  attach_type: u32(4),
  /** `BPF_F_QUERY_EFFECTIVE` (1): programs inherited from ancestor cgroups too. */
  query_flags: u32(8),
  /** Out: the hook's attach flags (cgroup: `BPF_F_ALLOW_MULTI`, …). */
  attach_flags: u32(12),
  /** In: where to write up to `prog_cnt` program ids (u32 each); may be NULL to ask for the count. */
  prog_ids: ptr(16),
  /** In: capacity of the arrays; out: how many are attached. */
  prog_cnt: u32(24),
  /** Alias of `prog_cnt`. Requires Linux 6.6. */
  count: u32(24),
  /** In: where to write per-program attach flags (u32 each; cgroup hooks, without EFFECTIVE). Requires Linux 6.0. */
  prog_attach_flags: ptr(32),
  /** In: where to write the id of the link of each program (0 for link-less attachments). Requires Linux 6.6. */
  link_ids: ptr(40),
  /** In: where to write per-link attach flags. Requires Linux 6.6. */
  link_attach_flags: ptr(48),
  /** Out: the hook's revision (tcx, netkit), bumped on every change. Requires Linux 6.6. */
  revision: u64(56),
});
/** A field name of {@link progQueryAttr}. */
export type ProgQueryField = keyof typeof progQueryAttr.fields;

/** `BPF_F_QUERY_EFFECTIVE`: include programs that apply through ancestor cgroups. */
export const BPF_F_QUERY_EFFECTIVE = 1;
