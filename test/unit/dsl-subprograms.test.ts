/**
 * eDSL bpf-to-bpf subprograms (`$.func`), `bpf_loop` callbacks (`$.loop`) and ring buffer
 * discards, offline: the layout of the compiled code (every `call pc+N` and `ld_imm64` of a
 * function lands on a subprogram's first instruction, each function after the main program's
 * exit), the program BTF (one FUNC + FUNC_PROTO and one func_info record per subprogram,
 * decoded with asm's BTF and ext-info decoders; a line_info record at each subprogram start),
 * results in the interpreter against the same computation in JS (fast-check), the offline
 * verifier's verdict, build errors, and type tests for misuse.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { decodeBtf, decodeFuncInfo, decodeLineInfo, type Instruction } from 'ebpf-bytecode-utils';
import { BPF_MAX_LOOPS, DslError, Expr, compile, program, simulate, u32, u64, verifyCompiled, type Builder, type CompiledProgram, type Program } from '../../src/dsl/index.js';
import { struct } from '../../src/types/index.js';
import { BPF_RINGBUF_OUTPUT, BccError, compileFunctions, type ProgramTables } from '../../src/bcc/index.js';
import { RingbufMap } from '../../verifier-sim/index.js';
import { numRuns } from '../support/num-runs.js';

const Pair = struct('pair', { a: u64, b: u64 });

/** Slot index of each instruction. */
function slots(insns: readonly Instruction[]): number[] {
  const out: number[] = [];
  let s = 0;
  for (const i of insns) {
    out.push(s);
    s += typeof i.imm === 'bigint' ? 2 : 1;
  }
  return out;
}

/** Targets (slot indexes) of every bpf-to-bpf call and every ld_imm64 of a function, with their kind. */
function functionRefs(c: CompiledProgram): { kind: 'call' | 'func'; at: number; target: number }[] {
  const at = slots(c.insns);
  const out: { kind: 'call' | 'func'; at: number; target: number }[] = [];
  c.insns.forEach((insn, i) => {
    if (insn.code === 0x85 && insn.src === 1) out.push({ kind: 'call', at: at[i], target: at[i] + 1 + (insn.imm as number) });
    if (insn.code === 0x18 && insn.src === 4) out.push({ kind: 'func', at: at[i], target: at[i] + 1 + Number(BigInt.asIntN(32, insn.imm as bigint)) });
  });
  return out;
}

/** A program with a chain of subprograms (sq ← sumsq ← scaled), a struct pointer parameter and a loop callback. */
function chain(): Program {
  return program('chain', 'socket_filter', ($, ctx) => {
    const sq = $.func('sq', [u64], u64, (_$, x) => x.mul(x));
    const sumsq = $.func('sumsq', [u64, u64], u64, (_$, a, b) => sq.call(a).add(sq.call(b)));
    const scaled = $.func('scaled', [Pair, u64], u64, ($, p, k) => {
      const s = $.let(u64, sumsq.call(p.field('a').get(), p.field('b').get()));
      p.field('a').set(s); // written through the pointer into the caller's stack object
      return s.mul(k);
    });
    const pair = $.struct(Pair, { a: ctx.len.cast(u64), b: 3n });
    const r = $.let(u64, scaled.call(pair, 2n));
    const acc = $.struct(Pair);
    $.loop(ctx.len.and(15), acc, (i, st) => { st.field('a').set(st.field('a').get().add(i.cast(u64))); });
    return r.add(pair.field('a').get()).add(acc.field('a').get().shl(20n));
  });
}

/** The chain's result for a packet of `bytes` bytes (`skb->len` of a socket filter test run excludes the 14-byte Ethernet header). */
function chainInJs(bytes: number): bigint {
  const len = bytes - 14;
  const a = BigInt(len);
  const s = a * a + 9n;
  let acc = 0n;
  for (let i = 0n; i < BigInt(len & 15); i++) acc += i;
  return BigInt.asUintN(32, s * 2n + s + (acc << 20n)); // socket filters return 32 bits
}

test('every call pc+N and ld_imm64 of a function lands on a subprogram start, after the main program', () => {
  const c = compile(chain());
  const subs = c.subprograms!;
  assert.equal(subs.map((s) => s.name), ['sq', 'sumsq', 'scaled', 'loop_cb4']);
  const at = slots(c.insns);
  const mainEnd = at[c.insns.findIndex((i) => i.code === 0x95)];
  assert.ok(subs.every((s) => s.insn > mainEnd), 'subprograms follow the main program exit');
  const refs = functionRefs(c);
  assert.equal(refs.filter((r) => r.kind === 'func').map((r) => r.target), [subs[3].insn]);
  const calls = refs.filter((r) => r.kind === 'call');
  assert.equal(new Set(calls.map((r) => r.target)), new Set([subs[0].insn, subs[1].insn, subs[2].insn]));
  // sq is called twice from sumsq; sumsq from scaled; scaled from the main program.
  const owner = (slot: number) => [{ name: 'main', insn: 0 }, ...subs].filter((s) => s.insn <= slot).pop()!.name;
  assert.equal(calls.map((r) => `${owner(r.at)}->${owner(r.target)}`).sort(), ['main->scaled', 'scaled->sumsq', 'sumsq->sq', 'sumsq->sq']);
  // Each function ends with an exit right before the next one starts.
  for (const s of subs.slice(1)) assert.is(c.insns[at.indexOf(s.insn) - 1].code, 0x95, `exit before ${s.name}`);
  // The callback's helper: bpf_loop#181 with the ld_imm64 in R2.
  const ld = c.insns.find((i) => i.code === 0x18 && i.src === 4)!;
  assert.is(ld.dst, 2);
});

test('functions have their own registers: the main program and sumsq both keep values in r6 across calls', () => {
  const c = compile(chain());
  const at = slots(c.insns);
  const subs = c.subprograms!;
  const range = (name: string) => {
    const k = subs.findIndex((s) => s.name === name);
    const from = at.indexOf(subs[k].insn);
    const to = k + 1 < subs.length ? at.indexOf(subs[k + 1].insn) : c.insns.length;
    return c.insns.slice(from, to);
  };
  const sumsq = range('sumsq');
  // sq(a) is kept in a callee-saved register across the second call.
  const callIdx = sumsq.flatMap((i, k) => (i.code === 0x85 ? [k] : []));
  assert.is(callIdx.length, 2);
  const kept = sumsq[callIdx[0] + 1];
  assert.ok(kept.code === 0xbf && kept.src === 0 && kept.dst >= 6 && kept.dst <= 9, 'r0 moved to a callee-saved register');
  assert.ok(c.insns.slice(0, at.indexOf(subs[0].insn)).some((i) => i.dst === kept.dst && i.code === 0xbf), 'main uses the same register');
});

test('program BTF: one FUNC and FUNC_PROTO per subprogram, func_info at their starts, line_info at each start', () => {
  const c = compile(chain());
  const btf = decodeBtf(c.btf!.bytes);
  const fi = decodeFuncInfo(c.btf!.funcInfo.records);
  assert.equal(fi.map((f) => f.insnOff), [0, ...c.subprograms!.map((s) => s.insn)]);
  const funcs = fi.map((f) => btf.typeById(f.typeId));
  assert.equal(funcs.map((f) => (f?.kind === 'func' ? f.name : '?')), ['chain', 'sq', 'sumsq', 'scaled', 'loop_cb4']);
  const params = funcs.slice(1).map((f) => (f?.kind === 'func' ? f.proto.params.map((p) => p.type.kind) : []));
  assert.equal(params, [['int'], ['int', 'int'], ['ptr', 'int'], ['int', 'ptr']]);
  assert.ok(funcs.every((f) => f?.kind === 'func' && f.linkage === 0), 'static linkage (callbacks must be static)');
  const lines = decodeLineInfo(c.btf!.lineInfo.records).map((l) => l.insnOff);
  for (const s of c.subprograms!) assert.ok(lines.includes(s.insn), `line_info at ${s.name}'s start`);
  // Inside a subprogram, the lines are this file's.
  const inScaled = c.lineInfo!.filter((l) => l.insn >= c.subprograms![2].insn && l.insn < c.subprograms![3].insn);
  assert.ok(inScaled.some((l) => l.text.includes("p.field('a').set(s)")), JSON.stringify(inScaled.map((l) => l.text)));
});

test('without line info the BTF still carries func_info (the kernel needs it for callbacks)', () => {
  const c = compile(chain(), { lineInfo: false });
  assert.is(c.lineInfo, undefined);
  assert.is(decodeFuncInfo(c.btf!.funcInfo.records).length, 5);
  assert.is(c.btf!.lineInfo.records.length, 0);
});

test('a program without functions compiles exactly as before: one func_info record, no subprograms field', () => {
  const c = compile(program('plain', 'socket_filter', () => 1));
  assert.is(c.subprograms, undefined);
  assert.is(decodeFuncInfo(c.btf!.funcInfo.records).length, 1);
});

test('a function nothing calls is left out (no code, no func_info)', () => {
  const c = compile(program('unused', 'socket_filter', ($) => {
    $.func('never', [u64], u64, (_$, x) => x.add(1n));
    const used = $.func('used', [u64], u64, (_$, x) => x.add(2n));
    $.if(false, () => void $.func('dead', [], u64, () => 0));
    return used.call(5n);
  }));
  assert.equal(c.subprograms!.map((s) => s.name), ['used']);
  assert.is(decodeFuncInfo(c.btf!.funcInfo.records).length, 2);
  assert.is(simulate(c).run({ data: new Uint8Array(16) }).retval, 7n);
});

test('interpreter: the chain computes what the same code computes in JS (fast-check over packet lengths)', () => {
  const c = compile(chain());
  fc.assert(fc.property(fc.integer({ min: 14, max: 300 }), (len) => {
    assert.is(simulate(c).run({ data: new Uint8Array(len) }).retval, chainInJs(len));
  }), { numRuns: numRuns(60) });
});

test('offline verifier accepts the chain and the loop callback', () => {
  const r = verifyCompiled(compile(chain()));
  assert.is(r.error, null);
  assert.is(r.verdict, 'accept');
});

test('$.loop: break, continue and the iteration count, in the interpreter', () => {
  const Acc = struct('acc', { stop: u32, odd: u64 });
  const c = compile(program('brk', 'socket_filter', ($, ctx) => {
    const acc = $.struct(Acc, { stop: ctx.len });
    const n = $.loop(100, acc, (i, a) => {
      $.if(i.eq(a.field('stop').get()), () => $.break());
      $.if(i.and(1).eq(0), () => $.continue());
      a.field('odd').set(a.field('odd').get().add(1n));
    });
    // A loop without shared state.
    $.loop(3, () => {});
    return n.cast(u64).add(acc.field('odd').get().shl(16n));
  }));
  for (const len of [14, 15, 20, 60, 200]) {
    const stop = len - 14;
    const iterations = stop < 100 ? stop + 1 : 100;
    const odd = Math.floor(Math.min(stop, 100) / 2);
    assert.is(simulate(c).run({ data: new Uint8Array(len) }).retval, BigInt(iterations + (odd << 16)), `len ${len}`);
  }
});

test('ring buffer discard: unconditional discard emits only bpf_ringbuf_discard; a conditional one a flag and both calls', () => {
  const Ev = struct('ev', { x: u32 });
  const helpers = (c: CompiledProgram) => c.insns.filter((i) => i.code === 0x85 && i.src === 0).map((i) => i.imm);
  const always = compile(program('rbd', 'socket_filter', ($) => {
    const rb = $.ringbuf('rb', { size: 4096 });
    $.ifSome(rb.reserve(Ev), (ev, rec) => { ev.field('x').set(1); rec.discard(); });
    return 0;
  }));
  assert.equal(helpers(always), [131, 133]); // reserve, discard
  const sometimes = compile(program('rbc', 'socket_filter', ($, ctx) => {
    const rb = $.ringbuf('rb', { size: 4096 });
    $.ifSome(rb.reserve(Ev), (ev, rec) => { ev.field('x').set(ctx.len); $.if(ctx.len.gt(50), () => rec.discard()); });
    return 0;
  }));
  assert.equal(helpers(sometimes).sort(), [131, 132, 133]); // reserve, submit, discard
  assert.is(verifyCompiled(sometimes).verdict, 'accept');
  assert.is(verifyCompiled(always).verdict, 'accept');
  // Discard then submit at the top level: the last word stands.
  const undone = compile(program('rbu', 'socket_filter', ($) => {
    const rb = $.ringbuf('rb', { size: 4096 });
    $.ifSome(rb.reserve(Ev), (_ev, rec) => { rec.discard(); rec.submit(); });
    return 0;
  }));
  assert.equal(helpers(undone), [131, 132]);
});

test('build errors name the problem', () => {
  const err = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof DslError && re.test(e.message));
  err(() => program('p', 'socket_filter', ($) => { $.func('f', [u64, u64, u64, u64, u64, u64], u64, () => 0); }), /6 parameters, at most 5/);
  err(() => program('p', 'socket_filter', ($) => { $.func('f', [], u64, () => 0); $.func('f', [], u64, () => 0); }), /declared twice/);
  err(() => program('p', 'socket_filter', ($) => { $.func('bad name', [], u64, () => 0); }), /C identifier/);
  err(() => program('p', 'socket_filter', ($) => { $.loop(3, () => $.return(1)); }), /use \$\.break\(\)/);
  err(() => program('p', 'socket_filter', ($) => { $.break(); }), /only inside a \$\.loop body/);
  err(() => program('p', 'socket_filter', ($) => { $.loop(BPF_MAX_LOOPS + 1, () => {}); }), /exceed bpf_loop's limit/);
  err(() => program('p', 'socket_filter', ($) => {
    const m = $.array('m', Pair, { maxEntries: 1 });
    $.ifSome(m.lookup(0), (v) => { $.loop(2, v, () => {}); });
  }), /must be a stack object/);
  // A subprogram cannot see the caller's locals.
  err(() => compile(program('p', 'socket_filter', ($) => {
    const x = $.let(u64, 5n);
    const f = $.func('f', [], u64, () => x.add(1n));
    return f.call();
  })), /f: .*outside its function/);
  // Stack frames along a chain: 2 × 320 bytes > 512.
  const Big = struct('big', { a: u64, pad: struct('pad', { p0: u64, p1: u64, p2: u64, p3: u64, p4: u64, p5: u64, p6: u64, p7: u64, p8: u64, p9: u64, pa: u64, pb: u64, pc: u64, pd: u64, pe: u64, pf: u64, q0: u64, q1: u64, q2: u64, q3: u64, q4: u64, q5: u64, q6: u64, q7: u64, q8: u64, q9: u64, qa: u64, qb: u64, qc: u64, qd: u64, qe: u64, qf: u64, r0: u64, r1: u64, r2: u64, r3: u64, r4: u64, r5: u64, r6: u64 }) });
  err(() => compile(program('p', 'socket_filter', ($) => {
    const f = $.func('f', [], u64, ($) => $.struct(Big).field('a').get());
    const b = $.struct(Big);
    return b.field('a').get().add(f.call());
  })), /call chain main -> f needs \d+ bytes of stack/);
  err(() => program('p', 'socket_filter', ($) => {
    const Ev = struct('ev2', { x: u32 });
    const rb = $.ringbuf('rb', { size: 4096 });
    let saved: { discard(): void } | undefined;
    $.ifSome(rb.reserve(Ev), (_ev, rec) => { saved = rec; });
    saved!.discard();
  }), /block has ended/);
});

test('BCC facade: ringbuf_discard / ringbuf_submit on the reserved record, offline; a field is refused', () => {
  const Ev = struct('bcc_ev', { first: u32 });
  const tables = { out: BPF_RINGBUF_OUTPUT(Ev, 1) };
  const fns = compileFunctions(tables, {
    pkt: {
      xdp: ($: Builder<'xdp'>, ctx: never, t: ProgramTables<typeof tables>) => {
        $.ifPacket(ctx, 0, 1, (p) => {
          $.ifSome(t.out.ringbuf_reserve(Ev), (ev) => {
            ev.field('first').set(p.u8(0).cast(u32));
            $.if(p.u8(0).gt(5), () => t.out.ringbuf_discard(ev, 0), () => t.out.ringbuf_submit(ev, 0));
          });
        });
        return 2;
      },
    },
  });
  const c = fns.get('pkt')!.compiled;
  assert.is(verifyCompiled(c).verdict, 'accept');
  const sim = simulate(c);
  for (const first of [3, 9, 5, 6, 1]) sim.run({ data: Uint8Array.from([first, ...new Array(15).fill(0)]) });
  const ring = sim.maps.out as RingbufMap;
  assert.equal(ring.consume().map((r) => r[0]), [3, 5, 1]);
  assert.throws(() => compileFunctions(tables, {
    pkt: { xdp: ($: Builder<'xdp'>, _ctx: never, t: ProgramTables<typeof tables>) => { $.ifSome(t.out.ringbuf_reserve(Ev), (ev) => t.out.ringbuf_discard(ev.field('first'))); } },
  }), (e: unknown) => e instanceof BccError && /expects the record of a ringbuf_reserve block/.test(e.message));
});

// ---- type tests: misuse does not compile ----

test('types: call arguments, result and record are typed', () => {
  program('types', 'socket_filter', ($, ctx) => {
    const f = $.func('f', [u64, Pair], u32, (_$, x, p) => {
      const y: Expr<typeof u64> = x; // a scalar parameter is an expression of its type
      void y;
      p.field('b').set(x);
      return 1;
    });
    const pair = $.struct(Pair);
    const r = f.call(1n, pair);
    r.add(1); // Expr<u32>
    // @ts-expect-error a u32 expression where a u64 is expected
    assert.throws(() => f.call(ctx.len, pair));
    // @ts-expect-error a scalar where a struct pointer is expected
    assert.throws(() => f.call(1n, 2n));
    // @ts-expect-error too few arguments
    assert.throws(() => f.call(1n));
    // @ts-expect-error the result is a u32, not a u64
    assert.throws(() => r.add(1n).add(ctx.len.cast(u64)));
    const m = $.array('m', u64, { maxEntries: 1 });
    // @ts-expect-error a map lookup has no record to discard (never)
    $.ifSome(m.lookup(0), (_v, rec) => { assert.throws(() => rec.discard()); });
    $.loop(2, (i) => { i.add(1); });
    return 0;
  });
});

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T): void {}

/** Never called: each `@ts-expect-error` line must be a type error (tsc fails on an unused directive). */
function misuse(): void {
  program('bad', 'socket_filter', ($, ctx) => {
    const f = $.func('f', [u64], u32, (_$, x) => x.cast(u32));
    const r = f.call(1n);
    expectType<Equal<typeof r, Expr<typeof u32>>>(true);
    // @ts-expect-error the body must return the declared result type (u64 here, not bool)
    $.func('g', [u64], u64, (_$, x) => x.lt(1n));
    // @ts-expect-error a string is no argument
    f.call('1');
    $.loop(4, $.struct(Pair), (i, st) => {
      expectType<Equal<typeof i, Expr<typeof u32>>>(true);
      // @ts-expect-error the shared state is a Pair: it has no field 'c'
      st.field('c');
    });
    // @ts-expect-error the shared state must be a Ref (a stack object), not a number
    $.loop(4, 5, () => {});
    const rb = $.ringbuf('rb', { size: 4096 });
    $.ifSome(rb.reserve(Pair), (_ev, rec) => {
      // @ts-expect-error flags are a number
      rec.discard('now');
    });
    return ctx.len;
  });
}
void misuse;

test.run();
