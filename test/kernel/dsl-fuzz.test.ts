/**
 * Random eDSL programs (locals of every integer type, assignments, nested if/else, early
 * returns, helper calls that clobber R1–R5, more live variables than registers) with their
 * expected result computed while they are built, by constant folding on the known input. Every
 * program runs in the interpreter; as root, each is also loaded into the kernel (its verifier
 * must accept it) and run with BPF_PROG_TEST_RUN.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { progTestRun } from '../../syscalls/prog-test-run.js';
import {
  Expr, compile, loadCompiled, program, simulate, bool, s8, s16, s32, s64, u8, u16, u32, u64,
  type BinaryOp, type Bool, type Builder, type CompareOp, type IntType, type PacketView, type Program, type Var,
} from '../../src/dsl/index.js';
import * as fold from '../../src/dsl/fold.js';
import { kernelReason, kernelTest } from '../support/kernel.js';
import { numRuns } from '../support/num-runs.js';
import { isaV4Missing } from '../support/kernel-lacks.js';

const test = suite('dsl fuzz');
const TYPES: readonly IntType[] = [u8, u16, u32, u64, s8, s16, s32, s64];
const BIN: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'mod', 'and', 'or', 'xor', 'shl', 'shr'];
const CMP: readonly CompareOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];

/** A variable with its value on the path the input takes (undefined off that path). */
interface Slot { readonly v: Var<IntType>; readonly t: IntType; val: bigint }

/** A pair: the expression built, and its value on the input (by constant folding). */
type Pair<T extends IntType | Bool> = [Expr<T>, bigint];

class Gen {
  returned: bigint | undefined;
  constructor(readonly r: () => number, readonly $: Builder<'xdp'>, readonly p: PacketView, readonly data: Uint8Array) {}

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)];
  }

  konst(t: IntType, v: bigint): Pair<IntType> {
    const node = fold.constant(t, v);
    return [new Expr(node, t), (node as { value: bigint }).value];
  }

  apply(op: string, t: IntType, a: Pair<IntType>, b?: Pair<IntType>): Pair<IntType | Bool> {
    const ca = new Expr(fold.constant(t, a[1]), t) as Expr<IntType>;
    const cb = b === undefined ? undefined : (new Expr(fold.constant(t, b[1]), t) as Expr<IntType>);
    const call = (x: Expr<IntType>, y: Expr<IntType> | undefined) => (x as unknown as Record<string, (o?: unknown) => Expr<IntType>>)[op](y);
    const folded = call(ca, cb);
    return [call(a[0], b?.[0]) as Expr<IntType>, (folded.node as { value: bigint }).value];
  }

  castTo(to: IntType, a: Pair<IntType>): Pair<IntType> {
    return [a[0].cast(to), (fold.constant(to, a[1]) as { value: bigint }).value];
  }

  expr(t: IntType, slots: readonly Slot[], depth: number): Pair<IntType> {
    const same = slots.filter((s) => s.t === t);
    const k = this.r();
    if (depth <= 0 || k < 0.3) {
      const leaf = this.r();
      if (leaf < 0.4 && same.length > 0) { const s = this.pick(same); return [s.v, s.val]; }
      if (leaf < 0.6 && slots.length > 0) { const s = this.pick(slots); return this.castTo(t, [s.v, s.val]); }
      if (leaf < 0.8) {
        const at = Math.floor(this.r() * 16);
        const e = this.p.u8(at);
        return this.castTo(t, [e, BigInt(this.data[at])]);
      }
      return this.konst(t, BigInt(Math.floor(this.r() * 2 ** 32)) * (this.r() < 0.5 ? 1n : BigInt(Math.floor(this.r() * 2 ** 32))));
    }
    if (k < 0.85) return this.apply(this.pick(BIN), t, this.expr(t, slots, depth - 1), this.expr(t, slots, depth - 1)) as Pair<IntType>;
    if (k < 0.93) return this.apply(this.pick(['neg', 'bnot'] as const), t, this.expr(t, slots, depth - 1)) as Pair<IntType>;
    const u = this.pick(TYPES);
    return this.castTo(t, this.expr(u, slots, depth - 1));
  }

  cond(slots: readonly Slot[]): Pair<Bool> {
    const t = this.pick(TYPES);
    const c = this.apply(this.pick(CMP), t, this.expr(t, slots, 2), this.expr(t, slots, 1)) as Pair<Bool>;
    if (this.r() < 0.2) {
      const d = this.cond(slots);
      const both = this.r() < 0.5;
      const e = both ? c[0].and(d[0]) : c[0].or(d[0]);
      return [e, both ? BigInt(c[1] !== 0n && d[1] !== 0n) : BigInt(c[1] !== 0n || d[1] !== 0n)];
    }
    return c;
  }

  /** Statements of a block; `live`: whether the input's path runs it. */
  block(slots: Slot[], depth: number, live: boolean): void {
    const n = 1 + Math.floor(this.r() * 5);
    for (let i = 0; i < n; i++) {
      const k = this.r();
      if (k < 0.35 || slots.length === 0) {
        const t = this.pick(TYPES);
        const [e, v] = this.expr(t, slots, 3);
        slots.push({ v: this.$.let(t, e as never) as unknown as Var<IntType>, t, val: v });
      } else if (k < 0.6) {
        const s = this.pick(slots);
        const [e, v] = this.expr(s.t, slots, 3);
        (s.v as unknown as Var<typeof u64>).set(e as never);
        if (live) s.val = v;
      } else if (k < 0.7) {
        const t = this.pick([u32, u64] as const);
        const h = t === u32 ? this.$.getPrandomU32() : this.$.ktimeGetNs();
        const s = slots.filter((x) => x.t === t);
        if (s.length > 0) { const x = this.pick(s); (x.v as unknown as Var<typeof u64>).set((x.v as unknown as Expr<typeof u64>).add((h as Expr<typeof u64>).and(0) as never)); }
      } else if (k < 0.92 && depth > 0) {
        const [c, cv] = this.cond(slots);
        const taken = cv !== 0n;
        const branch = (on: boolean) => () => {
          const inner = slots.map((s) => (on ? s : { ...s }));
          this.block(inner, depth - 1, live && on);
        };
        this.$.if(c, branch(taken), this.r() < 0.6 ? branch(!taken) : undefined);
        // Slots are shared objects on the taken path; a missing else is an empty (taken) path.
      } else if (depth < 2 && this.r() < 0.5) {
        const [e, v] = this.expr(u32, slots, 2);
        this.$.return(e);
        if (live && this.returned === undefined) this.returned = BigInt.asUintN(32, v);
        return;
      }
    }
  }
}

function build(seed: number, data: Uint8Array): { prog: Program; expected: bigint } {
  let x = seed >>> 0 || 1;
  const r = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; };
  let expected = 0n;
  const prog = program('fuzz', 'xdp', ($, ctx) => {
    $.ifPacket(ctx, 0, 16, (p) => {
      const g = new Gen(r, $, p, data);
      const slots: Slot[] = [];
      g.block(slots, 3, true);
      let acc: Pair<typeof u64> = [new Expr(fold.constant(u64, 0n), u64), 0n];
      for (const s of slots) {
        const wide: Pair<typeof u64> = [s.v.cast(u64), (fold.constant(u64, s.val) as { value: bigint }).value];
        acc = g.apply('mul', u64, g.apply('xor', u64, acc, wide) as Pair<typeof u64>, g.konst(u64, 3n)) as Pair<typeof u64>;
      }
      const fin = g.apply('xor', u64, acc, g.apply('shr', u64, acc, g.konst(u64, 32n)) as Pair<typeof u64>) as Pair<typeof u64>;
      $.return(fin[0].cast(u32));
      expected = g.returned ?? BigInt.asUintN(32, fin[1]);
    }, () => $.return(0xbad));
    return 0xbad;
  });
  void bool;
  return { prog, expected };
}

function input(seed: number): Uint8Array {
  const d = new Uint8Array(64);
  for (let i = 0; i < 16; i++) d[i] = (seed * (i + 7) * 2654435761) >>> 24;
  return d;
}

test('random programs: the interpreter computes what was folded at build time', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
    const data = input(seed);
    const { prog, expected } = build(seed, data);
    const got = simulate(compile(prog)).run({ data }).retval;
    if (got !== expected) throw new Error(`seed ${seed}: got ${got}, want ${expected}`);
  }), { numRuns: numRuns(300) });
});

kernelTest(test, 'random programs: the kernel accepts them and computes the same', () => {
  assert.is(kernelReason(), null);
  fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
    const data = input(seed);
    const { prog, expected } = build(seed, data);
    using loaded = loadCompiled(compile(prog));
    const got = BigInt(progTestRun({ progFd: loaded.progFd, dataIn: data }).retval);
    if (got !== expected) throw new Error(`seed ${seed}: kernel ${got}, want ${expected}`);
  }), { numRuns: numRuns(150) });
}, isaV4Missing); // signed division and sign extension compile to v4 instructions

test.run();
