/**
 * How much a test does and how long it waits, on the host and inside the test VM
 * (`TSBPF_IN_VM=1`, set by test/vm/run-in-vm.sh), where code runs 10–40× slower under software
 * emulation and the whole VM batch must fit its 15-minute budget: property and fuzz tests run
 * a tenth of their cases ({@link numRuns}); waits for another process are longer ({@link slowMs}).
 * @module
 */

/** True inside the QEMU test VM (`TSBPF_IN_VM=1`). */
export const inTestVm = process.env.TSBPF_IN_VM === '1';

/** `n` on the host; `max(10, ceil(n / 10))` inside the test VM (never more than `n`). */
export function numRuns(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`numRuns: n must be a positive integer (got ${n})`);
  return inTestVm ? Math.min(n, Math.max(10, Math.ceil(n / 10))) : n;
}

/**
 * `ms` on the host; 6× inside the test VM, for waits on other processes (a spawned CLI starts
 * Node and tsx in 10–40 s there instead of ~1 s). Never for waits that a test asserts are short.
 */
export function slowMs(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`slowMs: ms must be a non-negative number (got ${ms})`);
  return inTestVm ? ms * 6 : ms;
}
