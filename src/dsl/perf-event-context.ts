/**
 * The context of `perf_event` programs (attached to a sampling perf event such as cpu-clock):
 * R1 points at `struct bpf_perf_event_data { bpf_user_pt_regs_t regs; __u64 sample_period;
 * __u64 addr; }` (`include/uapi/linux/bpf_perf_event.h`). `ctx.regs` are the interrupted
 * registers (`PT_REGS_IP(&ctx->regs)` is `ctx.regs.ip`), `ctx.samplePeriod` and `ctx.addr` the
 * sample's period and address.
 *
 * ```ts
 * const prog = program('prof', 'perf_event', ($, ctx) => {
 *   const ip = ctx.regs.ip;
 *   const period = ctx.samplePeriod;
 * });
 * ```
 * @module
 */

import { u64, type U64 } from './c-types.js';
import { Expr } from './expr.js';
import { makePtRegs, type PtRegs } from './kprobe-context.js';
import type { VarNode } from './nodes.js';
import { ptRegsLayout, type PtRegsArch } from './pt-regs.js';

/** The context of a `perf_event` program. */
export interface PerfEventContext {
  /** The program type. */
  readonly progType: 'perf_event';
  /** The variable holding the context pointer (internal). */
  readonly pointer: VarNode;
  /** `ctx->regs`: the registers when the sample was taken. */
  readonly regs: PtRegs;
  /** `ctx->sample_period`. */
  readonly samplePeriod: Expr<U64>;
  /** `ctx->addr`: the sample's data address (0 unless the event records one). */
  readonly addr: Expr<U64>;
}

/** Builds the perf_event context for `arch` over `pointer`. */
export function makePerfEventContext(arch: PtRegsArch, pointer: VarNode): PerfEventContext {
  const layout = ptRegsLayout(arch);
  const load = (off: number) => new Expr<U64>({ kind: 'load', type: u64, base: pointer, off }, u64);
  return Object.freeze({
    progType: 'perf_event' as const,
    pointer,
    regs: makePtRegs(layout, pointer),
    get samplePeriod() { return load(layout.size); },
    get addr() { return load(layout.size + 8); },
  });
}
