/**
 * eDSL programs compiled and run in verifier-sim's interpreter: map counts, return values for
 * given packets and contexts, control flow, helpers, register pressure; and a differential
 * property test of code generation against constant folding (the same expression computed by
 * instructions and at build time must agree, for every integer type and operator).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Size, isLabel } from 'ebpf-bytecode-utils';
import {
  DslError, Expr, compile, dump, lit, program, simulate, s8, s16, s32, s64, u8, u16, u32, u64,
  type BinaryOp, type CompareOp, type IntType, type ScalarType,
} from '../../src/dsl/index.js';
import * as fold from '../../src/dsl/fold.js';
import type { PerfEventArrayMap, RingbufMap } from '../../verifier-sim/index.js';

const XDP_PASS = 2;
const XDP_DROP = 1;

/** An Ethernet + IPv4 frame with protocol `proto`, `len` bytes long. */
function frame(proto: number, len = 64): Uint8Array {
  const f = new Uint8Array(len);
  f[12] = 0x08;
  f[13] = 0x00;
  if (len > 14) f[14] = 0x45;
  if (len > 23) f[23] = proto;
  return f;
}

function le64(v: Uint8Array | undefined): bigint {
  assert.ok(v, 'value present');
  return new DataView(v.buffer, v.byteOffset, v.byteLength).getBigUint64(0, true);
}

function key32(n: number): Uint8Array {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, n, true);
  return k;
}

export const countProtocols = () =>
  program('count_proto', 'xdp', ($, ctx) => {
    const counts = $.hash('counts', u32, u64, { maxEntries: 256 });
    $.ifPacket(ctx, 14, 20, (ip) => {
      const proto = ip.u8(9).cast(u32);
      $.ifSome(counts.lookup(proto), (v) => v.atomicAdd(1n), () => {
        counts.update(proto, 1n);
      });
    });
    return XDP_PASS;
  });

test('xdp: counts packets per IP protocol in a hash map; short packets are not counted', () => {
  const out = compile(countProtocols());
  assert.equal(out.maps, [{ name: 'counts', type: 'hash', keySize: 4, valueSize: 8, maxEntries: 256, flags: 0 }]);
  const sim = simulate(out);
  for (const p of [6, 17, 6, 1, 6]) assert.is(sim.run({ data: frame(p) }).retval, BigInt(XDP_PASS));
  assert.is(sim.run({ data: frame(6, 20) }).retval, BigInt(XDP_PASS)); // too short for the IP header
  assert.is(le64(sim.maps.counts.get(key32(6))), 3n);
  assert.is(le64(sim.maps.counts.get(key32(17))), 1n);
  assert.is(le64(sim.maps.counts.get(key32(1))), 1n);
  assert.is(sim.maps.counts.entries().length, 3);
});

test('the atomic add is BCC\'s __sync_fetch_and_add: lock *(u64 *)(r +0) += r', () => {
  const text = dump(compile(countProtocols()));
  assert.match(text, /lock \*\(u64 \*\)\(r\d \+0\) \+= r\d/);
  assert.match(text, /r1 = map\[counts\]/);
  assert.match(text, /call bpf_map_lookup_elem#1/);
});

test('compiled map references are symbolic until load', () => {
  const out = compile(countProtocols());
  const refs = out.insns.filter((i) => i.ref?.kind === 'map');
  assert.is(refs.length, 2);
  assert.ok(refs.every((i) => i.ref?.kind === 'map' && i.ref.name === 'counts'));
  assert.ok(out.insns.every((i) => !isLabel(i) && (i.ref === undefined || i.ref.kind === 'map')), 'jumps are resolved');
});

test('socket_filter: __sk_buff fields by name (len, protocol) and early return', () => {
  const prog = program('sf', 'socket_filter', ($, ctx) => {
    $.if(ctx.len.lt(60), () => $.return(0));
    // skb->protocol is __be16: 0x0800 arrives as 0x0008 on a little-endian host.
    $.if(ctx.protocol.cast(u16).byteSwap().eq(0x0800), () => $.return(ctx.len));
    return 1;
  });
  const sim = simulate(compile(prog));
  // A socket filter's skb starts at the network header: len excludes the 14-byte Ethernet header.
  assert.is(sim.run({ data: frame(6, 100) }).retval, 86n);
  assert.is(sim.run({ data: frame(6, 40) }).retval, 0n);
  const arp = frame(0, 80);
  arp[12] = 0x08;
  arp[13] = 0x06;
  assert.is(sim.run({ data: arp }).retval, 1n);
});

test('sched_cls: packet access behind a bounds check, big-endian reads', () => {
  const prog = program('tc', 'sched_cls', ($, ctx) => {
    const r = $.let(u32, 0);
    $.ifPacket(ctx, 0, 14, (eth) => {
      r.set(eth.u16be(12).cast(u32));
    }, () => r.set(0xdead));
    return r;
  });
  const sim = simulate(compile(prog));
  assert.is(sim.run({ data: frame(6) }).retval, 0x0800n);
  const ipv6 = frame(6);
  ipv6[12] = 0x86;
  ipv6[13] = 0xdd;
  assert.is(sim.run({ data: ipv6 }).retval, 0x86ddn);
});

test('xdp: ifPacket else branch and xdp_md fields', () => {
  const prog = program('x', 'xdp', ($, ctx) => {
    $.ifPacket(ctx, 0, 60, () => $.return(XDP_PASS), () => $.return(XDP_DROP));
    return ctx.rx_queue_index;
  });
  const sim = simulate(compile(prog));
  assert.is(sim.run({ data: frame(6, 60) }).retval, BigInt(XDP_PASS));
  assert.is(sim.run({ data: frame(6, 59) }).retval, BigInt(XDP_DROP));
});

test('if/else, short-circuit and/or, not, unrolled loops', () => {
  const prog = program('cf', 'xdp', ($, ctx) => {
    const sum = $.let(u32, 0);
    $.ifPacket(ctx, 0, 8, (p) => {
      const a = p.u8(0);
      const b = p.u8(1);
      $.for(0, 8, (i) => {
        sum.set(sum.add(p.u8(2).cast(u32).shr(i).and(1)));
      });
      $.if(a.gt(10).and(b.lt(5)), () => sum.set(sum.add(100)));
      $.if(a.eq(1).or(b.eq(1)), () => sum.set(sum.add(1000)), () => sum.set(sum.add(10000)));
      $.if(a.eq(7).not(), () => sum.set(sum.add(100000)));
    });
    return sum;
  });
  const sim = simulate(compile(prog));
  const run = (a: number, b: number, c: number) => Number(sim.run({ data: Uint8Array.from([a, b, c, 0, 0, 0, 0, 0, ...new Uint8Array(56)]) }).retval);
  const expect = (a: number, b: number, c: number) => {
    let s = 0;
    for (let i = 0; i < 8; i++) s += (c >> i) & 1;
    if (a > 10 && b < 5) s += 100;
    s += a === 1 || b === 1 ? 1000 : 10000;
    if (a !== 7) s += 100000;
    return s;
  };
  for (const [a, b, c] of [[0, 0, 0], [11, 4, 255], [11, 5, 3], [1, 9, 0x80], [7, 1, 0x55], [200, 0, 1]]) assert.is(run(a, b, c), expect(a, b, c), `${a},${b},${c}`);
});

test('constant folding: constant expressions and conditions emit no code', () => {
  const prog = program('k', 'socket_filter', ($) => {
    const x = lit(u32, 6).mul(7).add(0);
    $.if(x.eq(42), () => $.return(x), () => $.return(0));
  });
  const out = compile(prog);
  assert.is(dump(out), '0: (b4) w0 = 42\n1: (95) exit');
});

test('helpers: ktime, pid/tgid, uid/gid, cpu, prandom, trace_printk with a string on the stack', () => {
  const prog = program('h', 'socket_filter', ($) => {
    const t = $.ktimeGetNs();
    const pid = $.getCurrentPidTgid().shr(32).cast(u32);
    const uid = $.getCurrentUidGid().cast(u32);
    const cpu = $.getSmpProcessorId();
    const rnd = $.getPrandomU32();
    $.printk('pid %d uid %d\n', pid, uid);
    return t.cast(u32).add(pid).add(uid).add(cpu).add(rnd.and(0));
  });
  const sim = simulate(compile(prog), { env: { ktimeNs: 1000n, pidTgid: (77n << 32n) | 78n, uidGid: (5n << 32n) | 1001n, cpu: 3 } });
  const r = sim.run({ data: frame(6) });
  assert.is(r.retval, 1000n + 77n + 1001n + 3n);
  assert.equal(r.trace, ['pid 77 uid 1001\n']);
});

test('map update and delete return values; array map; Ref get/set', () => {
  const prog = program('m', 'socket_filter', ($) => {
    const arr = $.array('arr', u64, { maxEntries: 4 });
    const h = $.hash('h', u32, u32, { maxEntries: 4 });
    const r1 = h.update(1, 10);
    const r2 = h.update(1, 11, 1); // BPF_NOEXIST on an existing key: -EEXIST
    const r3 = h.delete(2); // -ENOENT
    $.ifSome(arr.lookup(3), (v) => v.set(v.get().add(5n)));
    $.ifSome(arr.lookup(9), (v) => v.set(1n), () => {
      arr.update(0, r1.cast(u64).add(r2.neg().cast(u64).mul(100n)).add(r3.neg().cast(u64).mul(10000n)));
    });
    return 0;
  });
  const sim = simulate(compile(prog));
  sim.run({ data: frame(6) });
  sim.run({ data: frame(6) });
  assert.is(le64(sim.maps.arr.get(key32(3))), 10n);
  assert.is(le64(sim.maps.arr.get(key32(0))), 17n * 100n + 2n * 10000n);
});

test('perf_event_output and ringbuf_output send the value from the stack', () => {
  const prog = program('o', 'xdp', ($) => {
    const events = $.perfEventArray('events', { maxEntries: 4 });
    const rb = $.ringbuf('rb', { size: 4096 });
    const v = $.let(u64, 0x1122334455667788n);
    events.output(v);
    rb.output(v.cast(u32));
    return XDP_PASS;
  });
  const out = compile(prog);
  assert.match(dump(out), /w3 = -1/); // BPF_F_CURRENT_CPU, zero-extended
  const sim = simulate(out, { env: { cpu: 1 } });
  assert.is(sim.run({ data: frame(6) }).retval, BigInt(XDP_PASS));
  const perf = (sim.maps.events as PerfEventArrayMap).records();
  assert.is(perf.length, 1);
  assert.is(perf[0].cpu, 1);
  assert.is(le64(perf[0].data), 0x1122334455667788n);
  const ring = (sim.maps.rb as RingbufMap).records();
  assert.equal(ring.map((r) => [...r]), [[0x88, 0x77, 0x66, 0x55]]);
});

test('register pressure: more than four live variables spill to the stack', () => {
  const prog = program('spill', 'socket_filter', ($, ctx) => {
    const vs = [1, 2, 3, 4, 5, 6, 7].map((k) => $.let(u64, ctx.len.cast(u64).mul(BigInt(k))));
    const t = $.ktimeGetNs(); // a call in the middle: R1–R5 are clobbered
    let sum = vs[0].add(t.and(0n));
    for (const v of vs.slice(1)) sum = sum.add(v);
    return sum;
  });
  const out = compile(prog);
  const text = dump(out);
  assert.match(text, /\*\(u64 \*\)\(r10 -8\) = r\d/);
  const sim = simulate(out);
  assert.is(sim.run({ data: frame(6, 100) }).retval, 86n * 28n);
});

test('no needless moves: a helper result used once goes straight into its variable', () => {
  const prog = program('mv', 'socket_filter', ($) => {
    const t = $.let(u64, $.ktimeGetNs());
    return t.shr(10n);
  });
  assert.is(dump(compile(prog)), ['0: (85) call bpf_ktime_get_ns#5', '1: (bf) r6 = r0', '2: (bf) r0 = r6', '3: (77) r0 >>= 10', '4: (95) exit'].join('\n'));
});

test('misuse found at build time: literals out of range, reads outside the window, leaked variables, unavailable helpers', () => {
  assert.throws(() => program('a', 'xdp', ($) => { $.let(u8, 256); }), (e: unknown) => e instanceof DslError && /does not fit u8/.test(e.message));
  assert.throws(() => program('b', 'xdp', ($, ctx) => { $.ifPacket(ctx, 0, 4, (p) => { p.u32(1); }); }), /outside the checked window/);
  assert.throws(() => {
    let leaked: Expr<typeof u32> | undefined;
    const p = program('c', 'xdp', ($, ctx) => {
      $.if(ctx.rx_queue_index.eq(0), () => { leaked = $.let(u32, 1); });
      return leaked!;
    });
    compile(p);
  }, /used outside the block that defines it/);
  assert.throws(() => program('d', 'xdp', ($) => { $.hash('counts', u32, u32, { maxEntries: 1 }); $.hash('counts', u32, u32, { maxEntries: 1 }); }), /declared twice/);
  assert.throws(() => program('e', 'xdp', ($) => { $.for(0, 1000, () => {}, { unroll: true }); }), /unrolling limit/);
});

export const loopProgram = () =>
  program('loop', 'socket_filter', ($, ctx) => {
    const len = $.let(u32, ctx.len); // live across the loop: must survive every iteration
    const sum = $.let(u64, 0n);
    $.for(0, 100, (i) => {
      const r = $.getPrandomU32(); // a call in the body: R1–R5 clobbered each iteration
      sum.set(sum.add(i.mul(i).add(r.and(0)).cast(u64)));
      $.if(i.eq(50), () => sum.set(sum.add(len.cast(u64))));
    });
    return sum.add(len.cast(u64)).cast(u32);
  });

test('kernel bounded loops: a counter in a register, a back edge, variables live across iterations', () => {
  const out = compile(loopProgram());
  const text = dump(out);
  assert.match(text, /goto pc-\d+/, 'a back edge');
  const sim = simulate(out);
  const sq = 328350; // sum of i*i for i < 100
  assert.is(sim.run({ data: frame(6, 100) }).retval, BigInt(sq + 86 + 86));
});

// ---- differential: instructions against constant folding ----

const INT_TYPES: readonly IntType[] = [u8, u16, u32, u64, s8, s16, s32, s64];
const BIN_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'mod', 'and', 'or', 'xor', 'shl', 'shr'];
const CMP_OPS: readonly CompareOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];

type Case = { t: IntType; kind: 'bin' | 'cmp' | 'neg' | 'bnot' | 'cast'; op: string; to: IntType; a: bigint; b: bigint; rightConst: boolean };

function computed(c: Case, a: Expr<ScalarType>, b: Expr<ScalarType>): Expr<ScalarType> {
  const x = a as Expr<IntType>;
  const y = b as Expr<IntType>;
  switch (c.kind) {
    case 'bin': return (x[c.op as BinaryOp] as (o: unknown) => Expr<IntType>)(y);
    case 'cmp': return (x[c.op as CompareOp] as (o: unknown) => Expr<ScalarType>)(y);
    case 'neg': return x.neg();
    case 'bnot': return x.bnot();
    case 'cast': return x.cast(c.to);
  }
}

/** The program: a and b come from the packet (unknown at build time), the result goes to a map. */
function diffProgram(c: Case) {
  return program('diff', 'xdp', ($, ctx) => {
    const out = $.array('out', u64, { maxEntries: 1 });
    $.ifPacket(ctx, 0, 16, (p) => {
      const a = p.u64(0).cast(c.t);
      const b = c.rightConst ? new Expr(fold.constant(c.t, c.b), c.t) : p.u64(8).cast(c.t);
      const r = computed(c, a, b);
      out.update(0, r.type.kind === 'bool' ? r.cast(u64) : (r as Expr<IntType>).cast(u64));
    });
    return 0;
  });
}

function expected(c: Case): bigint {
  const a = fold.constant(c.t, c.a);
  const b = fold.constant(c.t, c.b);
  const r = computed(c, new Expr(a, c.t), new Expr(b, c.t));
  assert.is(r.node.kind, 'const', 'folds to a constant');
  const v = (r.node as { value: bigint }).value;
  return BigInt.asUintN(64, v);
}

const interesting = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.constantFrom(0n, 1n, 2n, 7n, 8n, 31n, 32n, 33n, 63n, 64n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n),
);

export const arbitraryCase: fc.Arbitrary<Case> = fc.record({
  t: fc.constantFrom(...INT_TYPES),
  kind: fc.constantFrom('bin', 'bin', 'bin', 'cmp', 'cmp', 'neg', 'bnot', 'cast') as fc.Arbitrary<Case['kind']>,
  op: fc.constantFrom<string>(...BIN_OPS),
  cmp: fc.constantFrom<string>(...CMP_OPS),
  to: fc.constantFrom(...INT_TYPES),
  a: interesting,
  b: interesting,
  rightConst: fc.boolean(),
}).map((r) => ({ t: r.t, kind: r.kind, op: r.kind === 'cmp' ? r.cmp : r.op, to: r.to, a: r.a, b: r.b, rightConst: r.rightConst }));

/** Runs a case in the interpreter: the value stored in the map. */
export function runCase(c: Case): bigint {
  const sim = simulate(compile(diffProgram(c)));
  const data = new Uint8Array(64);
  const dv = new DataView(data.buffer);
  dv.setBigUint64(0, c.a, true);
  dv.setBigUint64(8, c.b, true);
  sim.run({ data });
  return le64(sim.maps.out.get(key32(0)));
}

export { diffProgram, expected, type Case };

test('property: instructions compute what constant folding computes (every type, operator, cast)', () => {
  fc.assert(fc.property(arbitraryCase, (c) => {
    const want = expected(c);
    const got = runCase(c);
    if (got !== want) throw new Error(`${c.t.name} ${c.kind} ${c.op}${c.kind === 'cast' ? ` to ${c.to.name}` : ''} a=${c.a} b=${c.b} rightConst=${c.rightConst}: got ${got}, want ${want}`);
  }), { numRuns: 600 });
});

void Size;
test.run();
