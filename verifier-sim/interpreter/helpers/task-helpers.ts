/**
 * Helpers that report the world outside the program, answered from the {@link Environment}:
 * time, the current task, the CPU, random numbers.
 * @module
 */

import { Errno } from '../errno.js';
import { argMem, argSize, setR0, setR0Big } from './args.js';
import type { HelperFn } from './helper-context.js';

/** `u64 bpf_ktime_get_ns(void)` (and the boot, coarse and TAI clocks). */
export const ktimeGetNs: HelperFn = (h) => setR0Big(h, h.nextKtime());

/** `u64 bpf_get_current_pid_tgid(void)`. */
export const getCurrentPidTgid: HelperFn = (h) => setR0Big(h, h.env.pidTgid);

/** `u64 bpf_get_current_uid_gid(void)`. */
export const getCurrentUidGid: HelperFn = (h) => setR0Big(h, h.env.uidGid);

/** `u32 bpf_get_prandom_u32(void)`. */
export const getPrandomU32: HelperFn = (h) => setR0(h, h.nextRandom());

/** `u32 bpf_get_smp_processor_id(void)`. */
export const getSmpProcessorId: HelperFn = (h) => setR0(h, h.cpu);

/** `long bpf_get_numa_node_id(void)`: always node 0. */
export const getNumaNodeId: HelperFn = (h) => setR0(h, 0);

/** `long bpf_get_current_comm(buf, size)`: the comm, NUL-terminated and zero-padded. */
export const getCurrentComm: HelperFn = (h) => {
  const size = argSize(h, 2);
  if (size === 0) {
    setR0(h, -Errno.EINVAL);
    return;
  }
  const dst = argMem(h, 1, size, 'write', 'bpf_get_current_comm');
  const comm = new Uint8Array(size);
  const text = new TextEncoder().encode(h.env.comm).subarray(0, Math.min(15, size - 1));
  comm.set(text);
  h.memory.write(dst, comm);
  setR0(h, 0);
};
