/**
 * The context of `raw_tracepoint` programs (BCC's `RAW_TRACEPOINT_PROBE`): R1 points at
 * `struct bpf_raw_tracepoint_args { __u64 args[0]; }`, the tracepoint's arguments as the
 * kernel's `TP_PROTO` passes them, each widened to a u64. `ctx.arg(i)` reads `args[i]`; pointer
 * arguments are kernel addresses (read what they point to with `$.readKernel`/`$.kernel`).
 *
 * ```ts
 * const prog = program('enter', 'raw_tracepoint', ($, ctx) => {
 *   const id = ctx.arg(1);   // sys_enter(struct pt_regs *regs, long id): args[1]
 * });
 * ```
 * @module
 */

import { u64, type U64 } from './c-types.js';
import { DslError } from './errors.js';
import { Expr } from './expr.js';
import type { VarNode } from './nodes.js';

/** Most arguments a tracepoint passes (`MAX_BPF_FUNC_ARGS`, the verifier's context bound). */
export const MAX_RAW_TP_ARGS = 12;

/** An index into a raw tracepoint's arguments: 0…11. */
export type RawTracepointArgIndex = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11;

/** The context of a `raw_tracepoint` program. */
export interface RawTracepointContext {
  /** The program type. */
  readonly progType: 'raw_tracepoint';
  /** The variable holding the context pointer (internal). */
  readonly pointer: VarNode;
  /** `ctx->args[i]`: argument `i` of the tracepoint, as a u64. */
  arg(i: RawTracepointArgIndex): Expr<U64>;
}

/** Builds a raw tracepoint context over `pointer`. */
export function makeRawTracepointContext(pointer: VarNode): RawTracepointContext {
  return Object.freeze({
    progType: 'raw_tracepoint' as const,
    pointer,
    arg(i: RawTracepointArgIndex): Expr<U64> {
      if (!Number.isInteger(i) || i < 0 || i >= MAX_RAW_TP_ARGS) throw new DslError(`raw_tracepoint: argument index ${String(i)} is out of range 0..${MAX_RAW_TP_ARGS - 1}`);
      return new Expr<U64>({ kind: 'load', type: u64, base: pointer, off: i * 8 }, u64);
    },
  });
}
