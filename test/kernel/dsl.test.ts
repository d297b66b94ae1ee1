/**
 * eDSL programs in the live kernel: each compiled program is loaded with its maps (the kernel's
 * verifier must accept it), run with BPF_PROG_TEST_RUN, and compared with the interpreter on the
 * same input: return value and map contents. Plus a differential batch: random expressions over
 * every integer type, computed by the kernel, the interpreter and constant folding. Skips with
 * the reason when not root.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { MapElemAccess } from '../../syscalls/map-elem.js';
import { progTestRun } from '../../syscalls/prog-test-run.js';
import {
  Expr, compile, loadCompiled, program, simulate, s8, s16, s32, s64, u8, u16, u32, u64,
  type BinaryOp, type CompareOp, type CompiledProgram, type IntType, type Program, type ScalarType,
} from '../../src/dsl/index.js';
import * as fold from '../../src/dsl/fold.js';
import { char, struct } from '../../src/types/index.js';
import { kernelTest } from '../support/kernel.js';
import { numRuns } from '../support/num-runs.js';
import { helperErrnoSignExtendMissing, isaV4Missing, programLacks, storeImmToCtxMissing } from '../support/kernel-lacks.js';

const test = suite('dsl (kernel)');

function frame(proto: number, len = 64, ethType = 0x0800): Uint8Array {
  const f = new Uint8Array(len);
  f[12] = ethType >> 8;
  f[13] = ethType & 0xff;
  if (len > 14) f[14] = 0x45;
  if (len > 23) f[23] = proto;
  return f;
}

/** Loads `compiled`, runs it on each input in the kernel and in the interpreter, compares. */
function sameInKernel(compiled: CompiledProgram, inputs: readonly Uint8Array[], env = {}): bigint[] {
  using loaded = loadCompiled(compiled);
  const sim = simulate(compiled, { env });
  const rets: bigint[] = [];
  inputs.forEach((data, i) => {
    const k = progTestRun({ progFd: loaded.progFd, dataIn: data });
    const s = sim.run({ data });
    assert.is(BigInt(k.retval), s.retval, `${compiled.name}: retval of input ${i}`);
    rets.push(s.retval);
  });
  for (const m of compiled.maps) {
    if (m.type !== 'hash' && m.type !== 'array') continue;
    const sm = sim.maps[m.name];
    const access = new MapElemAccess(loaded.mapFds[m.name], m.keySize, m.valueSize);
    const kernel = new Map<string, string>();
    let first = true;
    for (;;) {
      if (access.next(first) !== 0) break;
      first = false;
      access.key.set(access.nextKey);
      assert.is(access.lookup(), 0);
      kernel.set(Buffer.from(access.key).toString('hex'), Buffer.from(access.value).toString('hex'));
    }
    const simulated = new Map(sm.entries().map(([k, v]) => [Buffer.from(k).toString('hex'), Buffer.from(v).toString('hex')]));
    assert.equal([...kernel].sort(), [...simulated].sort(), `${compiled.name}: map ${m.name}`);
  }
  return rets;
}

const programs: [string, () => Program, Uint8Array[]][] = [
  ['xdp count per protocol (hash, lookup, atomic add, update)', () => program('count_proto', 'xdp', ($, ctx) => {
    const counts = $.hash('counts', u32, u64, { maxEntries: 256 });
    $.ifPacket(ctx, 14, 20, (ip) => {
      const proto = ip.u8(9).cast(u32);
      $.ifSome(counts.lookup(proto), (v) => v.atomicAdd(1n), () => { counts.update(proto, 1n); });
    });
    return 2;
  }), [frame(6), frame(17), frame(6), frame(1, 30), frame(6)]],
  ['socket_filter __sk_buff fields and early return', () => program('sf_fields', 'socket_filter', ($, ctx) => {
    $.if(ctx.len.lt(60), () => $.return(0));
    $.if(ctx.protocol.cast(u16).byteSwap().eq(0x0800), () => $.return(ctx.len.add(ctx.ifindex.and(0)).add(ctx.pkt_type.mul(1000))));
    return 1;
  }), [frame(6, 100), frame(6, 40), frame(0, 90, 0x0806)]],
  ['sched_cls packet bounds check and big-endian reads', () => program('tc_eth', 'sched_cls', ($, ctx) => {
    const r = $.let(u32, 0);
    $.ifPacket(ctx, 0, 34, (eth) => r.set(eth.u16be(12).cast(u32).add(ctx.len.shl(16))), () => r.set(0xdead));
    return r;
  }), [frame(6), frame(6, 60, 0x86dd), frame(0, 20, 0x0806)]],
  ['control flow: unrolled loop, and/or/not', () => program('cf', 'xdp', ($, ctx) => {
    const sum = $.let(u32, 0);
    $.ifPacket(ctx, 0, 8, (p) => {
      const a = p.u8(0);
      const b = p.u8(1);
      $.for(0, 8, (i) => sum.set(sum.add(p.u8(2).cast(u32).shr(i).and(1))));
      $.if(a.gt(10).and(b.lt(5)), () => sum.set(sum.add(100)));
      $.if(a.eq(1).or(b.eq(1)), () => sum.set(sum.add(1000)), () => sum.set(sum.add(10000)));
      $.if(a.eq(7).not(), () => sum.set(sum.add(100000)));
    });
    return sum;
  }), [[0, 0, 0], [11, 4, 255], [11, 5, 3], [1, 9, 0x80], [7, 1, 0x55]].map(([a, b, c]) => { const f = frame(6); f.set([a, b, c]); return f; })],
  ['maps: update/delete results, array, Ref get/set', () => program('maps', 'socket_filter', ($) => {
    const arr = $.array('arr', u64, { maxEntries: 4 });
    const h = $.hash('h', u32, u32, { maxEntries: 4 });
    const r1 = h.update(1, 10);
    const r2 = h.update(1, 11, 1);
    const r3 = h.delete(2);
    $.ifSome(arr.lookup(3), (v) => v.set(v.get().add(5n)));
    $.ifSome(arr.lookup(9), (v) => v.set(1n), () => {
      arr.update(0, r1.cast(u64).add(r2.neg().cast(u64).mul(100n)).add(r3.neg().cast(u64).mul(10000n)));
    });
    return 0;
  }), [frame(6), frame(6)]],
  ['spilling: seven live variables across a helper call', () => program('spill', 'socket_filter', ($, ctx) => {
    const vs = [1, 2, 3, 4, 5, 6, 7].map((k) => $.let(u64, ctx.len.cast(u64).mul(BigInt(k))));
    const t = $.ktimeGetNs();
    let sum = vs[0].add(t.and(0n));
    for (const v of vs.slice(1)) sum = sum.add(v);
    return sum;
  }), [frame(6, 100), frame(6, 200)]],
  ['helpers: pid/uid/cpu/prandom/printk, perf and ring buffer output', () => program('helpers', 'xdp', ($) => {
    const events = $.perfEventArray('events', { maxEntries: 1024 });
    const rb = $.ringbuf('rb', { size: 4096 });
    const pid = $.getCurrentPidTgid();
    const uid = $.getCurrentUidGid();
    const cpu = $.getSmpProcessorId();
    const rnd = $.getPrandomU32();
    $.printk('tsbpf dsl test %d %d\n', cpu, rnd);
    events.output(pid);
    rb.output(uid.cast(u32));
    return cpu.and(0).add(2);
  }), [frame(6)]],
  ['signed comparisons and arithmetic', () => program('signed', 'sched_cls', ($, ctx) => {
    const out = $.let(s32, 0);
    $.ifPacket(ctx, 0, 8, (p) => {
      const a = p.u32(0).cast(s32);
      const b = p.u16(4).cast(s16);
      $.if(a.lt(0), () => out.set(out.add(1)));
      $.if(b.cast(s32).lt(a), () => out.set(out.add(10)));
      out.set(out.add(a.div(7).mod(100)).add(b.shr(3).cast(s32)));
    });
    return out;
  }), [[0xfffffff0, 0x8001], [100, 5], [0x80000000, 0xffff]].map(([a, b]) => { const f = frame(6); const dv = new DataView(f.buffer); dv.setUint32(0, a, true); dv.setUint16(4, b, true); return f; })],
];

const Event = struct('event', { pid: u32, ts: u64, comm: char(16), proto: u8 });
const Stats = struct('stats', { packets: u64, bytes: u64 });
const IpHdr = struct('iphdr', { ver_ihl: u8, tos: u8, tot_len: u16, id: u16, frag_off: u16, ttl: u8, protocol: u8, check: u16, saddr: u32, daddr: u32 });
const withTotLen = (proto: number, len: number) => { const f = frame(proto); f[16] = len >> 8; f[17] = len & 0xff; return f; };
const withLen = (proto: number, len: number) => { const f = frame(proto); f[16] = len >> 8; f[17] = len & 0xff; return f; };

programs.push(
  ['structs: map values by field, zeroed stack structs to perf and ring buffers, get_current_comm', () => program('events', 'xdp', ($, ctx) => {
    const events = $.perfEventArray('events', { maxEntries: 1024 });
    const rb = $.ringbuf('rb', { size: 4096 });
    const stats = $.hash('stats', u32, Stats, { maxEntries: 16 });
    $.ifPacket(ctx, 14, 20, (ip) => {
      const proto = ip.u8(9);
      const len = ip.u16be(2).cast(u64);
      $.ifSome(stats.lookup(proto.cast(u32)), (s) => {
        s.field('packets').atomicAdd(1n);
        s.field('bytes').atomicAdd(len);
      }, () => {
        stats.update(proto.cast(u32), $.struct(Stats, { packets: 1n, bytes: len }));
      });
      const ev = $.struct(Event, { pid: $.getCurrentPidTgid().shr(32n).cast(u32), ts: $.ktimeGetNs(), proto });
      $.getCurrentComm(ev.field('comm'));
      events.output(ev);
      rb.output(ev);
    });
    return 2;
  }), [withLen(6, 60), withLen(6, 1500), withLen(17, 100)]],
  ['golden: signed compare on w registers, short-circuit or', () => program('sf', 'socket_filter', ($, ctx) => {
    const m = ctx.mark.cast(s32);
    $.if(m.lt(-5).or(ctx.len.gt(1500)), () => $.return(0));
    return ctx.len.sub(14);
  }), [frame(6), frame(6, 1600)]],
  ['golden: u8/s16 normalisation, 64-bit constants', () => program('ar', 'xdp', ($, ctx) => {
    const q = ctx.rx_queue_index;
    const a = $.let(u64, q.cast(u64).mul(0x100000001n));
    const b = q.cast(s32).sub(1).cast(u64);
    const c = q.cast(u8).add(200).cast(u32).add(q.cast(s16).mul(3).cast(u32));
    return a.xor(b).cast(u32).cast(s32).add(c.cast(s32)).lt(0).cast(u32);
  }), [frame(6)]],
  ['kernel bounded loop with a helper call in the body', () => program('loop', 'socket_filter', ($, ctx) => {
    const len = $.let(u32, ctx.len);
    const sum = $.let(u64, 0n);
    $.for(0, 100, (i) => {
      const r = $.getPrandomU32();
      sum.set(sum.add(i.mul(i).add(r.and(0)).cast(u64)));
      $.if(i.eq(50), () => sum.set(sum.add(len.cast(u64))));
    });
    return sum.add(len.cast(u64)).cast(u32);
  }), [frame(6, 100), frame(6, 300)]],
  ['socket_filter: bpf_skb_load_bytes into a stack struct', () => program('sf_ip', 'socket_filter', ($) => {
    const ip = $.struct(IpHdr);
    $.if($.skbLoadBytes(0, ip).ne(0), () => $.return(0));
    return ip.field('protocol').get().cast(u32).add(ip.field('tot_len').get().byteSwap().cast(u32).shl(8));
  }), [withTotLen(17, 0x123), withTotLen(6, 40), frame(0, 20, 0x0806)]],
  ['sched_cls: context writes (mark, cb), a scalar helper by name', () => program('tc_mark', 'sched_cls', ($, ctx) => {
    $.writeCtx('mark', ctx.len.add(7));
    $.writeCtx('cb0', 3);
    return ctx.mark.add(ctx.cb0.mul(1000)).add($.helper('get_numa_node_id').cast(u32).and(0));
  }), [frame(6), frame(6, 100)]],
  ['register pressure: spilled packet and map value pointers stay valid for the verifier', () => program('pressure', 'xdp', ($, ctx) => {
    const m = $.array('m', u64, { maxEntries: 2 });
    const out = $.array('out', u64, { maxEntries: 1 });
    $.ifPacket(ctx, 0, 16, (p) => {
      const vs = [0, 1, 2, 3, 4, 5].map((k) => $.let(u64, p.u8(k).cast(u64)));
      $.ifSome(m.lookup(1), (v) => {
        const t = $.ktimeGetNs().and(0n);
        v.atomicAdd(vs[0].add(vs[5]).add(t));
        const w = $.let(u64, p.u8(15).cast(u64)); // the packet pointer, live across the call
        let sum: Expr<typeof u64> = w;
        for (const x of vs) sum = sum.add(x);
        v.set(v.get().add(sum));
        out.update(0, sum);
      });
    });
    return 2;
  }), [Uint8Array.from({ length: 64 }, (_, i) => i + 1), Uint8Array.from({ length: 64 }, (_, i) => 200 - i)]],
  ['ring buffer reserve, fill in place, submit', () => program('reserve', 'xdp', ($, ctx) => {
    const rb = $.ringbuf('rb', { size: 4096 });
    $.ifPacket(ctx, 14, 20, (ip) => {
      $.ifSome(rb.reserve(Event), (ev) => {
        ev.field('proto').set(ip.u8(9));
        ev.field('pid').set(7);
        ev.field('ts').set(0n);
        $.getCurrentComm(ev.field('comm'));
      });
    });
    return 2;
  }), [frame(17), frame(6)]],
  ['golden: per-CPU array read-modify-write', () => program('arr', 'xdp', ($) => {
    const hits = $.percpuArray('hits', u64, { maxEntries: 1 });
    $.ifSome(hits.lookup(0), (v) => v.set(v.get().add(1n)));
    return 2;
  }), [frame(6)]],
);

/** What a program needs of the kernel beyond its instructions and helpers (see programLacks). */
const alsoNeeds: Record<string, () => string | null> = {
  'maps: update/delete results, array, Ref get/set': helperErrnoSignExtendMissing,
  'sched_cls: context writes (mark, cb), a scalar helper by name': storeImmToCtxMissing,
};

for (const [name, build, inputs] of programs) {
  kernelTest(
    test,
    `kernel accepts and agrees with the interpreter: ${name}`,
    () => {
      sameInKernel(compile(build()), inputs);
    },
    () => {
      const compiled = compile(build());
      return programLacks(compiled.progType, compiled.insns) ?? alsoNeeds[name]?.() ?? null;
    },
  );
}

// ---- differential: kernel, interpreter and constant folding ----

const INT_TYPES: readonly IntType[] = [u8, u16, u32, u64, s8, s16, s32, s64];
type Case = { t: IntType; kind: 'bin' | 'cmp' | 'neg' | 'bnot' | 'cast'; op: string; to: IntType; a: bigint; b: bigint; rightConst: boolean };

function computed(c: Case, x: Expr<IntType>, y: Expr<IntType>): Expr<ScalarType> {
  switch (c.kind) {
    case 'bin': return (x[c.op as BinaryOp] as (o: unknown) => Expr<IntType>)(y);
    case 'cmp': return (x[c.op as CompareOp] as (o: unknown) => Expr<ScalarType>)(y);
    case 'neg': return x.neg();
    case 'bnot': return x.bnot();
    case 'cast': return x.cast(c.to);
  }
}

const value = fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.constantFrom(0n, 1n, 7n, 31n, 32n, 63n, 0x80n, 0xffn, 0x8000n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 63n, (1n << 64n) - 1n));
const cases: fc.Arbitrary<Case> = fc.record({
  t: fc.constantFrom(...INT_TYPES),
  kind: fc.constantFrom('bin', 'bin', 'bin', 'cmp', 'cmp', 'neg', 'bnot', 'cast') as fc.Arbitrary<Case['kind']>,
  op: fc.constantFrom('add', 'sub', 'mul', 'div', 'mod', 'and', 'or', 'xor', 'shl', 'shr'),
  cmp: fc.constantFrom('eq', 'ne', 'lt', 'le', 'gt', 'ge'),
  to: fc.constantFrom(...INT_TYPES),
  a: value,
  b: value,
  rightConst: fc.boolean(),
}).map((r) => ({ t: r.t, kind: r.kind, op: r.kind === 'cmp' ? r.cmp : r.op, to: r.to, a: r.a, b: r.b, rightConst: r.rightConst }));

kernelTest(test, 'property: kernel, interpreter and constant folding compute the same expressions', () => {
  fc.assert(fc.property(cases, (c) => {
    const prog = program('diff', 'xdp', ($, ctx) => {
      const out = $.array('out', u64, { maxEntries: 1 });
      $.ifPacket(ctx, 0, 16, (p) => {
        const a = p.u64(0).cast(c.t);
        const b = c.rightConst ? new Expr(fold.constant(c.t, c.b), c.t) : p.u64(8).cast(c.t);
        const r = computed(c, a, b);
        out.update(0, r.cast(u64));
      });
      return 0;
    });
    const folded = computed(c, new Expr(fold.constant(c.t, c.a), c.t), new Expr(fold.constant(c.t, c.b), c.t));
    const want = BigInt.asUintN(64, (folded.node as { value: bigint }).value);
    const data = new Uint8Array(64);
    const dv = new DataView(data.buffer);
    dv.setBigUint64(0, c.a, true);
    dv.setBigUint64(8, c.b, true);
    const compiled = compile(prog);
    sameInKernel(compiled, [data]);
    const sim = simulate(compiled);
    sim.run({ data });
    const got = sim.maps.out.get(new Uint8Array(4))!;
    const v = new DataView(got.buffer, got.byteOffset).getBigUint64(0, true);
    if (v !== want) throw new Error(`${c.t.name} ${c.kind} ${c.op} a=${c.a} b=${c.b}: got ${v}, want ${want}`);
  }), { numRuns: numRuns(300) });
}, isaV4Missing); // signed division and sign extension of the random expressions compile to v4

test.run();
