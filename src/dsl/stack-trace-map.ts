/**
 * `stack_trace` maps (BCC's `BPF_STACK_TRACE(name, maxEntries)`): `bpf_get_stackid(ctx, &map,
 * flags)` walks the kernel (or, with {@link StackIdFlag.USER_STACK}, the user) stack, stores the
 * return addresses under a stack id and returns the id (or a negative errno). User space reads
 * the ids' addresses from the map (`src/maps/stack-trace.ts`) and symbolizes them.
 *
 * ```ts
 * const stacks = $.stackTrace('stacks', { maxEntries: 1024 });
 * const kernelId = stacks.getStackId(ctx);                          // kernel stack
 * const userId = stacks.getStackId(ctx, StackIdFlag.USER_STACK);    // user stack
 * ```
 * @module
 */

import { s64, type S64 } from './c-types.js';
import type { Emitter } from './emitter.js';
import { DslError } from './errors.js';
import { Expr, operandNode } from './expr.js';
import type { DslMapSpec } from './maps.js';
import type { VarNode } from './nodes.js';

/** `PERF_MAX_STACK_DEPTH`: frames per stack the kernel stores by default (`kernel.perf_event_max_stack`). */
export const PERF_MAX_STACK_DEPTH = 127;

/** Flags of `bpf_get_stackid` (`include/uapi/linux/bpf.h`). */
export const StackIdFlag = {
  /** `BPF_F_SKIP_FIELD_MASK`: the low 8 bits are how many frames to skip. */
  SKIP_FIELD_MASK: 0xff,
  /** `BPF_F_USER_STACK`: the user stack instead of the kernel's. */
  USER_STACK: 1 << 8,
  /** `BPF_F_FAST_STACK_CMP`: compare stacks by hash only. */
  FAST_STACK_CMP: 1 << 9,
  /** `BPF_F_REUSE_STACKID`: a hash collision replaces the old stack instead of failing with -EEXIST. */
  REUSE_STACKID: 1 << 10,
} as const;

/** A `stack_trace` map. */
export class StackTraceHandle {
  readonly #out: Emitter;
  /** The map's spec. */
  readonly spec: DslMapSpec;

  /** Declares the map (internal: made by `$.stackTrace`). */
  constructor(out: Emitter, spec: DslMapSpec) {
    this.#out = out;
    this.spec = spec;
  }

  /**
   * `bpf_get_stackid(ctx, &map, flags)` (BCC's `map.get_stackid(ctx, flags)`): the stack id
   * (≥ 0) or a negative errno (-EFAULT when the stack cannot be walked, -EEXIST on a collision
   * without {@link StackIdFlag.REUSE_STACKID}). `ctx` is the program's context. Requires Linux 4.6.
   */
  getStackId(ctx: { readonly pointer: VarNode }, flags = 0): Expr<S64> {
    if (!Number.isInteger(flags) || flags < 0 || flags > 0x7ff) throw new DslError(`getStackId: flags ${flags} are not a combination of BPF_F_* stack flags`);
    const r = this.#out.call('get_stackid', [{ kind: 'ctx', ctx: ctx.pointer }, { kind: 'map', map: this.spec.name }, { kind: 'value', expr: operandNode(s64, flags, 'getStackId') }], s64);
    return new Expr(r!, s64);
  }
}
