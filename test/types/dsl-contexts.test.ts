/**
 * Type tests of the eDSL's tracing contexts: misuse that must not compile (each
 * `@ts-expect-error` line really is an error, or tsc fails on the unused directive) and the
 * types well-formed code gets. The misuse lives in a function that is never called.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  program, tracingProgram, s32, u32, u64, type Expr, type KprobeContext, type S32, type U32, type U64,
} from '../../src/dsl/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T): void {}

function misuse(): void {
  program('tp', 'tracepoint', (_$, ctx) => {
    // @ts-expect-error PT_REGS readers exist only on kprobe (and perf_event regs) contexts
    ctx.parm(1);
    // @ts-expect-error no rc on a tracepoint context
    void ctx.rc;
  });
  program('k', 'kprobe', ($, ctx) => {
    // @ts-expect-error PT_REGS_PARM7 does not exist: 1..6
    ctx.parm(7);
    // @ts-expect-error syscall arguments are 1..6 as well
    ctx.syscallParm(0);
    // @ts-expect-error kprobe contexts have no packet
    $.ifPacket(ctx, 0, 14, () => {});
    // @ts-expect-error a kprobe context has no raw tracepoint args
    ctx.arg(0);
  });
  program('r', 'raw_tracepoint', (_$, ctx) => {
    // @ts-expect-error at most 12 raw tracepoint arguments (0..11)
    ctx.arg(12);
    // @ts-expect-error no registers on a raw tracepoint context
    void ctx.ip;
  });
  program('p', 'perf_event', (_$, ctx) => {
    // @ts-expect-error sample_period is camel-cased, and regs are under ctx.regs
    void ctx.sample_period;
    // @ts-expect-error perf_event regs: PT_REGS_PARM1..6 only
    ctx.regs.parm(8);
  });
  tracingProgram('fexit', 'do_unlinkat', (_$, ctx) => {
    // @ts-expect-error a typed fexit with two arguments has no argument 2
    ctx.arg(2);
    // @ts-expect-error argument 0 is an s32: it does not add to a u64
    ctx.arg(0).add(ctx.arg(1));
    // @ts-expect-error the return value is an s32
    const r: Expr<U64> = ctx.ret;
    void r;
  }, { args: [s32, u64], ret: s32 });
  program('m', 'raw_tracepoint', ($) => {
    const q = $.queue('q', u32, { maxEntries: 4 });
    // @ts-expect-error a u32 queue takes u32 values, not bigints beyond its range type
    q.push('1');
    // @ts-expect-error tailCall needs a prog array, not a queue
    $.tailCall(q, 0);
  });
}

test('tracing contexts give typed expressions', () => {
  assert.type(misuse, 'function');
  program('k', 'kprobe', ($, ctx) => {
    expectType<Equal<typeof ctx, KprobeContext>>(true);
    expectType<Equal<ReturnType<typeof ctx.parm>, Expr<U64>>>(true);
    expectType<Equal<ReturnType<typeof $.log2l>, Expr<U32>>>(true);
    return 0;
  }, { arch: 'x86_64' });
  // Type-level only: the signature check needs the kernel's BTF, so the typed program is not built here.
  type FexitCtx = Parameters<Parameters<typeof tracingProgram<'fexit', readonly [S32, U64], S32>>[2]>[1];
  const first = (ctx: FexitCtx) => ctx.arg(0);
  const second = (ctx: FexitCtx) => ctx.arg(1);
  expectType<Equal<ReturnType<typeof first>, Expr<S32>>>(true);
  expectType<Equal<ReturnType<typeof second>, Expr<U64>>>(true);
  expectType<Equal<FexitCtx['ret'], Expr<S32>>>(true);
});

test.run();
