/**
 * `bpf_get_stackid` with deterministic stacks from the environment.
 * @module
 */

import { Errno } from '../errno.js';
import { StackIdFlags, StackTraceMap } from '../maps/stack-trace-map.js';
import { argMap, argU64, setR0 } from './args.js';
import type { HelperFn } from './helper-context.js';

/** `long bpf_get_stackid(ctx, map, flags)`: stores the (fake) stack and returns its id. */
export const getStackid: HelperFn = (h) => {
  const map = argMap(h, 2, 'bpf_get_stackid', StackTraceMap);
  const flags = Number(argU64(h, 3) & 0xffffffffn);
  if ((argU64(h, 3) >> 32n) !== 0n || (flags & ~(StackIdFlags.SKIP_MASK | StackIdFlags.USER_STACK | StackIdFlags.FAST_STACK_CMP | StackIdFlags.REUSE_STACKID)) !== 0) {
    setR0(h, -Errno.EINVAL);
    return;
  }
  const stack = (flags & StackIdFlags.USER_STACK) !== 0 ? h.env.userStack : h.env.kernelStack;
  const ips = stack.slice(flags & StackIdFlags.SKIP_MASK);
  if (ips.length === 0) {
    setR0(h, -Errno.EFAULT);
    return;
  }
  setR0(h, map.store(ips, flags));
};
