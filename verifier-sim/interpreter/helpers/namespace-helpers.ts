/**
 * Helpers answered from the {@link Environment}'s pid namespace, cgroup and clock:
 * `bpf_get_ns_current_pid_tgid`, `bpf_get_current_cgroup_id`,
 * `bpf_get_current_ancestor_cgroup_id` (kernel/bpf/helpers.c, Linux 6.18) and `bpf_jiffies64`.
 * @module
 */

import { Errno } from '../errno.js';
import { argMem, argSize, argU64, setR0, setR0Big } from './args.js';
import type { HelperFn } from './helper-context.js';

/** `sizeof(struct bpf_pidns_info)`: `u32 pid, tgid`. */
const PIDNS_INFO_SIZE = 8;

/**
 * `long bpf_get_ns_current_pid_tgid(dev, ino, struct bpf_pidns_info *nsdata, size)`: the pid and
 * tgid in the namespace when `dev`/`ino` name the current task's pid namespace, else `-EINVAL`
 * with `nsdata` zeroed.
 */
export const getNsCurrentPidTgid: HelperFn = (h) => {
  const dev = argU64(h, 1);
  const ino = argU64(h, 2);
  const size = argSize(h, 4);
  const dst = argMem(h, 3, size, 'write', 'bpf_get_ns_current_pid_tgid');
  const ns = h.env.pidNamespace;
  const out = new Uint8Array(size);
  if (size !== PIDNS_INFO_SIZE || dev > 0xffffffffn || dev !== ns.dev || ino !== ns.ino) {
    h.memory.write(dst, out);
    return setR0(h, -Errno.EINVAL);
  }
  const view = new DataView(out.buffer);
  view.setUint32(0, ns.pid, true);
  view.setUint32(4, ns.tgid, true);
  h.memory.write(dst, out);
  setR0(h, 0);
};

/** `u64 bpf_jiffies64(void)`. */
export const jiffies64: HelperFn = (h) => setR0Big(h, h.env.jiffies64);

/** `u64 bpf_get_current_cgroup_id(void)`: the id of the current task's cgroup. */
export const getCurrentCgroupId: HelperFn = (h) => setR0Big(h, h.env.cgroupIds[h.env.cgroupIds.length - 1] ?? 0n);

/** `u64 bpf_get_current_ancestor_cgroup_id(int level)`: the id of the ancestor at `level` (0: the root), or 0 past the task's own level. */
export const getCurrentAncestorCgroupId: HelperFn = (h) => {
  const level = h.lo[1];
  setR0Big(h, level < 0 || level >= h.env.cgroupIds.length ? 0n : h.env.cgroupIds[level]);
};
