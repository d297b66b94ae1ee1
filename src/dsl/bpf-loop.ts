/**
 * Facts about the `bpf_loop` helper that `$.loop` compiles to:
 * `long bpf_loop(u32 nr_loops, long (*callback_fn)(u64 index, void *ctx), void *callback_ctx, u64 flags)`.
 * The callback is a subprogram whose address is loaded with `ld_imm64` (`BPF_PSEUDO_FUNC`); it
 * returns 0 to go on and 1 to stop (the verifier refuses any other value). The verifier checks
 * the callback's body once, whatever the count, and may inline the loop (Linux 5.19). Requires
 * Linux 5.17.
 * @module
 */

/** Most iterations `bpf_loop` runs (`BPF_MAX_LOOPS`, 8 Mi); a larger count fails with -E2BIG. */
export const BPF_MAX_LOOPS = 1 << 23;

/** The callback's return values: go on with the next iteration, or stop. */
export const LoopCallbackResult = {
  /** Continue. */
  CONTINUE: 0,
  /** Break. */
  BREAK: 1,
} as const;

/** The name (BTF `FUNC` and dumps) of the `n`th function of a program when it is a `$.loop` callback. */
export function loopCallbackName(n: number): string {
  return `loop_cb${n}`;
}
