/**
 * Clean-up that must not stop half-way: every step runs even when an earlier one throws, and the
 * first error is rethrown at the end (the rest are secondary to it).
 * @module
 */

/** Runs each of `steps` in order; throws the first error any of them threw, after all have run. */
export function runEveryStep(steps: Iterable<() => void>): void {
  let first: unknown;
  let failed = false;
  for (const step of steps) {
    try {
      step();
    } catch (err) {
      if (!failed) first = err;
      failed = true;
    }
  }
  if (failed) throw first;
}
