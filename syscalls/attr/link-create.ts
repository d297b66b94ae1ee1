/**
 * Layout of the `BPF_LINK_CREATE` member (`link_create`) of `union bpf_attr`.
 * @module
 */

import { defineLayout, ptr, u32, u64 } from './layout.js';

/**
 * `BPF_LINK_CREATE` attr fields (Linux 6.18). The attach-type specific union at offset 16 is
 * listed under each member's name: `target_btf_id` (freplace, tracing), `bpf_cookie`
 * (`perf_event.bpf_cookie`, for `BPF_PERF_EVENT`), `tracing_cookie` (`tracing.cookie`), `kprobe_multi_*` (`kprobe_multi.*`).
 */
export const linkCreateAttr = defineLayout('BPF_LINK_CREATE', 'union bpf_attr', 'link_create', {
  /** The program (or, for struct_ops, the map: `map_fd`). */
  prog_fd: u32(0),
  /** What to attach to: a perf event fd, cgroup fd, netns fd, … (`target_ifindex` for XDP/tcx). */
  target_fd: u32(4),
  /** `enum bpf_attach_type`. */
  attach_type: u32(8),
  flags: u32(12),
  /** BTF id of the target (freplace, tracing on a BPF program). Requires Linux 5.10. */
  target_btf_id: u32(16),
  /** `perf_event.bpf_cookie`, read by `bpf_get_attach_cookie`. Requires Linux 5.15. */
  bpf_cookie: u64(16),
  /** `tracing.cookie`. Requires Linux 6.0. */
  tracing_cookie: u64(24),
  /** `tcx.relative_fd` (also `netkit`, `cgroup`): with `BPF_F_BEFORE`/`BPF_F_AFTER`. Requires Linux 6.6. */
  relative_fd: u32(16),
  /** `tcx.expected_revision` (also `netkit`, `cgroup`): 0 for no check. Requires Linux 6.6. */
  expected_revision: u64(24),
  /** `kprobe_multi.flags`: `BPF_F_KPROBE_MULTI_RETURN` (1) for return probes. Requires Linux 5.18. */
  kprobe_multi_flags: u32(16),
  /** `kprobe_multi.cnt`: entries in syms / addrs / cookies. Requires Linux 5.18. */
  kprobe_multi_cnt: u32(20),
  /** `kprobe_multi.syms`: array of `cnt` pointers to NUL-terminated function names. Requires Linux 5.18. */
  kprobe_multi_syms: ptr(24),
  /** `kprobe_multi.addrs`: array of `cnt` u64 kernel addresses (exclusive with syms). Requires Linux 5.18. */
  kprobe_multi_addrs: ptr(32),
  /** `kprobe_multi.cookies`: array of `cnt` u64 `bpf_get_attach_cookie` values, or 0. Requires Linux 5.18. */
  kprobe_multi_cookies: ptr(40),
});
/** A field name of {@link linkCreateAttr}. */
export type LinkCreateField = keyof typeof linkCreateAttr.fields;
