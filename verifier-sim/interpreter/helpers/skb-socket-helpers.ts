/**
 * skb helpers that answer from `skb->sk`, which in a simulated run (as under
 * `BPF_PROG_TEST_RUN`) is the test run's dummy socket: allocated by the current task, so in its
 * cgroup, and initialised without a `struct socket`, so owned by uid 0 (net/core/filter.c,
 * net/bpf/test_run.c, Linux 6.18): `bpf_skb_cgroup_id`, `bpf_skb_ancestor_cgroup_id`,
 * `bpf_get_socket_uid`.
 * @module
 */

import { InterpreterError } from '../errors.js';
import { setR0, setR0Big } from './args.js';
import type { HelperContext, HelperFn } from './helper-context.js';

function requireSkb(h: HelperContext, helper: string): void {
  if (h.packet?.kind !== 'skb') throw new InterpreterError('helper_args', h.insn, `${helper}: the program has no skb packet`, { helper });
}

/** `u64 bpf_skb_cgroup_id(skb)`: the id of the socket's cgroup, the current task's (`env.cgroupIds`). */
export const skbCgroupId: HelperFn = (h) => {
  requireSkb(h, 'bpf_skb_cgroup_id');
  setR0Big(h, h.env.cgroupIds[h.env.cgroupIds.length - 1] ?? 0n);
};

/** `u64 bpf_skb_ancestor_cgroup_id(skb, int level)`: the id of the socket cgroup's ancestor at `level`, 0 past its level. */
export const skbAncestorCgroupId: HelperFn = (h) => {
  requireSkb(h, 'bpf_skb_ancestor_cgroup_id');
  const level = h.lo[2];
  setR0Big(h, level < 0 || level >= h.env.cgroupIds.length ? 0n : h.env.cgroupIds[level]);
};

/** `u32 bpf_get_socket_uid(skb)`: the socket's uid, 0 for the dummy socket. */
export const getSocketUid: HelperFn = (h) => {
  requireSkb(h, 'bpf_get_socket_uid');
  setR0(h, 0);
};
