/**
 * The program's context inside eDSL subprograms (`$.func`) and `bpf_loop` callbacks (`$.loop`),
 * offline: a subprogram whose body uses `ctx` takes it as a hidden first parameter (its BTF
 * prototype gets one pointer more, its callers pass R1 = ctx), one that does not is unchanged;
 * a callback finds the context next to its shared state. Results in the interpreter against JS
 * (fast-check over packet sizes), the offline verifier's verdict, build errors, type tests.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { DslError, compile, program, simulate, u32, u64, verifyCompiled, type CompiledProgram } from '../../src/dsl/index.js';
import { struct } from '../../src/types/index.js';
import { numRuns } from '../support/num-runs.js';

const Acc = struct('acc', { sum: u64, n: u32 });

function sockProgram(): CompiledProgram {
  return compile(program('ctx_sub', 'sched_cls', ($, ctx) => {
    const plain = $.func('plain', [u64], u64, (_$, x) => x.add(1n));
    const withCtx = $.func('with_ctx', [u64], u64, (_$, x) => ctx.len.cast(u64).mul(x));
    const outer = $.func('outer', [], u64, () => withCtx.call(2n).add(ctx.protocol.cast(u64)));
    const acc = $.struct(Acc);
    $.loop(5, acc, (i, a) => { a.field('sum').set(a.field('sum').get().add(ctx.len.cast(u64).xor(i.cast(u64)))); });
    const n = $.loop(50, (i) => { $.if(i.eq(ctx.len.and(15)), () => $.break()); });
    return plain.call(outer.call()).add(acc.field('sum').get()).add(n.cast(u64).shl(24n)).cast(u32);
  }));
}

test('a subprogram using ctx takes it as a hidden first pointer parameter; one that does not is unchanged', () => {
  const c = sockProgram();
  const byName = new Map((c.subprograms ?? []).map((s) => [s.name, s.params]));
  assert.equal(byName.get('plain'), ['scalar']);
  assert.equal(byName.get('with_ctx'), ['pointer', 'scalar']);
  assert.equal(byName.get('outer'), ['pointer']);
  assert.is(verifyCompiled(c).error, null);
});

test('interpreter = JS for ctx read in subprograms and callbacks (sched_cls, random packet sizes)', () => {
  const c = sockProgram();
  // EtherTypes from 0x0600 up: smaller values are 802.3 lengths, which give skb->protocol other values.
  fc.assert(fc.property(fc.integer({ min: 14, max: 2000 }), fc.integer({ min: 0x0600, max: 0xffff }), (bytes, etherType) => {
    const data = new Uint8Array(bytes);
    data[12] = etherType >> 8;
    data[13] = etherType & 0xff;
    const len = BigInt(bytes);
    const protocol = BigInt(((etherType & 0xff) << 8) | (etherType >> 8));
    let sum = 0n;
    for (let i = 0n; i < 5n; i++) sum += len ^ i;
    const n = (len & 15n) + 1n;
    const want = BigInt.asUintN(32, len * 2n + protocol + 1n + sum + (n << 24n));
    assert.is(simulate(c).run({ data }).retval, want, `${bytes} bytes, ethertype ${etherType}`);
  }), { numRuns: numRuns(40) });
});

test('build errors: five parameters leave no register for the context; a pointer parameter cannot carry it to a callback', () => {
  assert.throws(() => program('p', 'socket_filter', ($, ctx) => {
    const f = $.func('five', [u64, u64, u64, u64, u64], u64, (_$, a) => a.add(ctx.len.cast(u64)));
    return f.call(1n, 2n, 3n, 4n, 5n);
  }), (e: unknown) => e instanceof DslError && /uses the context.*at most 4 parameters/.test(e.message));
  assert.throws(() => program('p', 'socket_filter', ($, ctx) => {
    const g = $.func('g', [Acc], u64, ($, a) => { $.loop(2, a, (_i, s) => { s.field('n').set(ctx.len); }); return 0; });
    return g.call($.struct(Acc));
  }), (e: unknown) => e instanceof DslError && /travels with the shared state/.test(e.message));
});

test("a callback using ctx and a variable of the enclosing subprogram: the error names that variable, not ctx", () => {
  const p = program('p', 'socket_filter', ($, ctx) => {
    const f = $.func('outer_k', [u32], u64, ($, k) => {
      const a = $.struct(Acc);
      $.loop(2, a, (_i, s) => { s.field('n').set(ctx.len.add(k)); });
      return a.field('sum').get();
    });
    return f.call(1);
  });
  assert.throws(() => compile(p), (e: unknown) => e instanceof DslError && /variable arg\d+ is used outside/.test(e.message));
});

test('two loops over the same shared state share one hidden context slot', () => {
  const build = (loops: number) => compile(program('twice', 'socket_filter', ($, ctx) => {
    const a = $.struct(Acc);
    for (let k = 0; k < loops; k++) $.loop(3, a, (_i, s) => { s.field('sum').set(s.field('sum').get().add(ctx.len.cast(u64))); });
    return a.field('sum').get().cast(u32);
  }));
  const one = build(1);
  const two = build(2);
  assert.is(two.stackBytes, one.stackBytes);
  assert.is(verifyCompiled(two).error, null);
  assert.is(simulate(two).run({ data: new Uint8Array(30) }).retval, 6n * 16n);
});

test('four parameters plus the context still fit, and the verifier accepts it', () => {
  const c = compile(program('p4', 'socket_filter', ($, ctx) => {
    const f = $.func('four', [u64, u64, u64, u64], u64, (_$, a, b, c4, d) => a.add(b).add(c4).add(d).add(ctx.len.cast(u64)));
    return f.call(1n, 2n, 3n, 4n).cast(u32);
  }));
  assert.is(verifyCompiled(c).error, null);
  assert.is(simulate(c).run({ data: new Uint8Array(64) }).retval, 10n + 50n);
});

/** Never called: each `@ts-expect-error` line must be a type error (tsc fails on an unused directive). */
export function typeTests(): void {
  program('t', 'tracepoint', ($, ctx) => {
    const f = $.func('f', [u32], u64, () => 0n);
    // @ts-expect-error the context is passed implicitly, never as an argument
    f.call(ctx, 1);
    $.loop(1, () => {
      // @ts-expect-error socket-buffer fields do not exist on a tracepoint context
      void ctx.len;
    });
  });
}

test.run();
