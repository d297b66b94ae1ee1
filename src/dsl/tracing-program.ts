/**
 * `tracingProgram(kind, target, ($, ctx) => …)`: BCC's `KFUNC_PROBE` (`fentry`),
 * `KRETFUNC_PROBE` (`fexit`), `LSM_PROBE` (`lsm`), plus `fmod_ret` and `tp_btf`. The context's
 * arguments are typed from the running kernel's BTF prototype of the target (or `options.btf`);
 * declaring them (`args: [s32, u64]`) makes the index and the types known to the compiler, and
 * is checked against the BTF when the program is built. The compiled program carries its attach
 * target, so `loadCompiled` sets `expected_attach_type` and `attach_btf_id`.
 *
 * ```ts
 * const prog = tracingProgram('fexit', 'do_unlinkat', ($, ctx) => {
 *   const dfd = ctx.arg(0);        // Expr<s32>
 *   const name = ctx.arg(1);       // Expr<u64>: struct filename *
 *   const ret = ctx.ret;           // Expr<s32>
 * }, { args: [s32, u64], ret: s32 });
 * ```
 * fentry/fexit/fmod_ret Require Linux 5.5, lsm 5.7, tp_btf 5.5.
 * @module
 */

import type { Btf } from 'ebpf-bytecode-utils';
import type { Bool, IntType } from './c-types.js';
import type { Expr } from './expr.js';
import { program, type Builder, type Program } from './program.js';
import { checkTracingArgs, tracingSignature, type TracingContext, type TracingKind } from './tracing-context.js';

/** The program type of tracing kind `K`: `lsm` for LSM hooks, `tracing` otherwise. */
export type TracingProgType<K extends TracingKind> = K extends 'lsm' ? 'lsm' : 'tracing';

/** Options of {@link tracingProgram}. */
export interface TracingProgramOptions<A extends readonly IntType[], R extends IntType> {
  /** The argument types, checked against the kernel's BTF (pointers are `u64`). */
  readonly args?: A;
  /** The return value's type (fexit, fmod_ret, lsm), checked against the BTF. */
  readonly ret?: R;
  /** The BTF to read the prototype from (default: the running kernel's). */
  readonly btf?: Btf;
  /** Program name (default: the target, cut to 15 bytes at load). */
  readonly name?: string;
  /** License, `GPL` by default (tracing programs must be GPL-compatible). */
  readonly license?: string;
}

/** Builds a `tracing` or `lsm` program for `kind` on `target` (see the module notes). */
export function tracingProgram<K extends TracingKind, const A extends readonly IntType[] = readonly IntType[], R extends IntType = IntType>(
  kind: K,
  target: string,
  build: ($: Builder<TracingProgType<K>>, ctx: TracingContext<A, R>) => Expr<IntType> | Expr<Bool> | number | bigint | void,
  options: TracingProgramOptions<A, R> = {},
): Program<TracingProgType<K>> {
  const signature = tracingSignature(kind, target, options.btf);
  checkTracingArgs(signature, options.args, options.ret);
  const progType = signature.progType as TracingProgType<K>;
  return program(options.name ?? target, progType, ($, ctx) => build($, ctx as unknown as TracingContext<A, R>), {
    tracing: signature,
    ...(options.license === undefined ? {} : { license: options.license }),
  });
}
