/**
 * `bpf_loop`: calls a callback subprogram up to `nr_loops` times.
 * @module
 */

import { Errno } from '../errno.js';
import { argCallback, argSize, argU64, setR0 } from './args.js';
import type { HelperFn } from './helper-context.js';

/** Most iterations `bpf_loop` accepts (`BPF_MAX_LOOPS`, 8 Mi). */
export const MAX_LOOPS = 1 << 23;

/**
 * `long bpf_loop(nr_loops, callback_fn, callback_ctx, flags)`: calls `callback_fn(i, ctx)` for
 * i = 0, 1, … until it returns non-zero; returns the number of calls made.
 */
export const bpfLoop: HelperFn = (h) => {
  const nr = argSize(h, 1);
  const callback = argCallback(h, 2, 'bpf_loop');
  if (argU64(h, 4) !== 0n) {
    setR0(h, -Errno.EINVAL);
    return;
  }
  if (nr > MAX_LOOPS) {
    setR0(h, -Errno.E2BIG);
    return;
  }
  const ctxLo = h.lo[3];
  const ctxHi = h.hi[3];
  const ctxTag = h.tag[3];
  const args = [0, 0, 0, ctxLo, ctxHi, ctxTag];
  for (let i = 0; i < nr; i++) {
    args[0] = i;
    h.invoke(callback, args);
    if (h.lo[0] !== 0 || h.hi[0] !== 0) {
      setR0(h, i + 1);
      return;
    }
  }
  setR0(h, nr);
};
