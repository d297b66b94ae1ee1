/**
 * The eDSL's further map kinds and `$.log2l` offline: log2l against BCC's C definition (a
 * fast-check property, run in the interpreter), queue (FIFO) and stack (LIFO) push/pop/peek,
 * LPM trie longest-prefix lookups, stack trace and prog array map specs, and the perf event
 * array's default size (the possible CPUs).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { resolve } from 'ebpf-bytecode-utils';
import { compile, program, simulate, StackIdFlag, u32, u64 } from '../../src/dsl/index.js';
import { struct } from '../../src/types/index.js';
import { parseCpuList } from '../../src/system/possible-cpus.js';
import { verify } from '../../verifier-sim/index.js';

/** BCC's bpf_log2 / bpf_log2l (src/cc/export/helpers.h), transcribed with its branch. */
function bccLog2(v: bigint): bigint {
  let r = BigInt(v > 0xffffn) << 4n; v >>= r;
  let shift = BigInt(v > 0xffn) << 3n; v >>= shift; r |= shift;
  shift = BigInt(v > 0xfn) << 2n; v >>= shift; r |= shift;
  shift = BigInt(v > 0x3n) << 1n; v >>= shift; r |= shift;
  return r | (v >> 1n);
}
function bccLog2l(v: bigint): bigint {
  const hi = v >> 32n;
  return hi !== 0n ? bccLog2(hi) + 33n : bccLog2(v & 0xffffffffn) + 1n;
}

const args = (v: bigint) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, v, true); return b; };

test('log2l matches BCC\'s bpf_log2l on every u64 (interpreter, fast-check); it has no branches', () => {
  const out = compile(program('log2', 'raw_tracepoint', ($, ctx) => $.log2l(ctx.arg(0))));
  assert.ok(out.insns.every((i) => (i.code & 0x07) !== 0x05 || i.code === 0x95), 'no jumps but exit');
  assert.is(verify(resolve(out.insns, { maps: {} }).instructions, { progType: 'raw_tracepoint' }).verdict, 'accept');
  const sim = simulate(out);
  const check = (v: bigint) => assert.is(sim.run({ ctx: args(v) }).r0, bccLog2l(v), `log2l(${v})`);
  for (const v of [0n, 1n, 2n, 3n, 4n, 0xffffn, 0x10000n, 0xffffffffn, 0x100000000n, (1n << 64n) - 1n, 1n << 63n]) check(v);
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.nat(63), (v, shift) => { check(v); check(v >> BigInt(shift)); }));
});

test('queue is FIFO, stack is LIFO; peek leaves the value; pop on empty is -ENOENT', () => {
  const Slot = struct('slot', { v: u64 });
  for (const kind of ['queue', 'stack'] as const) {
    const out = compile(program('qs', 'raw_tracepoint', ($) => {
      const q = kind === 'queue' ? $.queue('q', u64, { maxEntries: 4 }) : $.stack('q', u64, { maxEntries: 4 });
      const got = $.array('got', u64, { maxEntries: 4 });
      for (const v of [11n, 22n, 33n]) q.push(v);
      const s = $.struct(Slot);
      q.peek(s.field('v'));
      got.update(0, s.field('v').get());
      q.pop(s.field('v'));
      got.update(1, s.field('v').get());
      q.pop(s.field('v'));
      q.pop(s.field('v'));
      got.update(2, s.field('v').get());
      got.update(3, q.pop(s.field('v')).cast(u64));
      return 0;
    }));
    const sim = simulate(out);
    sim.run({ ctx: args(0n) });
    const vals = sim.maps.got.entries().map(([, v]) => new DataView(v.buffer, v.byteOffset).getBigUint64(0, true));
    assert.equal(vals, kind === 'queue' ? [11n, 11n, 33n, BigInt.asUintN(64, -2n)] : [33n, 33n, 11n, BigInt.asUintN(64, -2n)], kind);
    assert.equal([out.maps[0].type, out.maps[0].keySize, out.maps[0].valueSize], [kind, 0, 8]);
  }
});

test('lpmTrie: longest prefix wins; the key must start with a u32 prefix length; BPF_F_NO_PREALLOC is set', () => {
  const Key = struct('lpm_key', { prefixlen: u32, addr: u32 });
  const ip = (a: number, b: number, c: number, d: number) => (a | (b << 8) | (c << 16) | (d << 24)) >>> 0; // network order bytes
  const out = compile(program('lpm', 'raw_tracepoint', ($, ctx) => {
    const t = $.lpmTrie('routes', Key, u32, { maxEntries: 16 });
    t.update($.struct(Key, { prefixlen: 8, addr: ip(10, 0, 0, 0) }), 1);
    t.update($.struct(Key, { prefixlen: 16, addr: ip(10, 1, 0, 0) }), 2);
    const r = $.let(u32, 0);
    $.ifSome(t.lookup($.struct(Key, { prefixlen: 32, addr: ctx.arg(0).cast(u32) })), (v) => r.set(v.get()));
    return r;
  }));
  assert.equal([out.maps[0].type, out.maps[0].flags & 1], ['lpm_trie', 1]);
  const sim = simulate(out);
  assert.equal([ip(10, 1, 2, 3), ip(10, 2, 0, 1), ip(11, 0, 0, 1)].map((a) => sim.run({ ctx: args(BigInt(a)) }).r0), [2n, 1n, 0n]);
  assert.throws(() => program('bad', 'raw_tracepoint', ($) => { $.lpmTrie('t', struct('k', { a: u64 }), u32, { maxEntries: 1 }); }), /u32 prefix length/);
});

test('stackTrace, progArray and perfEventArray specs; getStackId flags are checked', () => {
  const out = compile(program('prof', 'perf_event', ($, ctx) => {
    const stacks = $.stackTrace('stacks', { maxEntries: 64 });
    const progs = $.progArray('progs', { maxEntries: 2 });
    $.perfEventArray('events');
    const counts = $.hash('counts', u64, u64, { maxEntries: 64 });
    const id = stacks.getStackId(ctx, StackIdFlag.USER_STACK | StackIdFlag.REUSE_STACKID);
    $.if(id.ge(0n), () => { counts.update(id.cast(u64), 1n); });
    $.tailCall(progs, 0);
    return 0;
  }, { arch: 'x86_64' }));
  const byName = Object.fromEntries(out.maps.map((m) => [m.name, m]));
  assert.equal([byName.stacks.type, byName.stacks.keySize, byName.stacks.valueSize], ['stack_trace', 4, 127 * 8]);
  assert.equal([byName.progs.type, byName.progs.keySize, byName.progs.valueSize], ['prog_array', 4, 4]);
  const possible = parseCpuList(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));
  assert.is(byName.events.maxEntries, possible[possible.length - 1] + 1);
  assert.throws(() => program('p', 'perf_event', ($, ctx) => { $.stackTrace('s', { maxEntries: 1 }).getStackId(ctx, 1 << 12); }, { arch: 'x86_64' }), /flags/);
  assert.throws(() => program('p', 'perf_event', ($) => { $.stackTrace('s', { maxEntries: 1, depth: 200 }); }, { arch: 'x86_64' }), /depth 200/);
});

test('map-in-map: the outer spec carries the inner shape; inner updates go through the checked map pointer', () => {
  const out = compile(program('mim', 'raw_tracepoint', ($, ctx) => {
    const outer = $.arrayOfMaps('outer', { type: 'array', key: u32, value: u64, maxEntries: 4 }, { maxEntries: 2 });
    $.ifSomeMap(outer.lookup(0), (m) => { m.update(ctx.arg(0).cast(u32), 1n); });
    return 0;
  }));
  assert.equal(out.maps, [{ name: 'outer', type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, flags: 0, innerMap: { type: 'array', keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 } }]);
  // Exactly one map reference (the outer map); the update's map argument is the lookup's result.
  assert.is(out.insns.filter((i) => i.ref?.kind === 'map').length, 1);
  assert.throws(() => program('bad', 'raw_tracepoint', ($) => { $.hashOfMaps('o', u32, { type: 'ringbuf' as 'hash', key: u32, value: u32, maxEntries: 1 }, { maxEntries: 1 }); }), /inner maps of type 'ringbuf'/);
  assert.throws(() => program('bad', 'raw_tracepoint', ($) => { $.arrayOfMaps('o', { type: 'array', key: u64, value: u32, maxEntries: 1 }, { maxEntries: 1 }); }), /u32 keys/);
});

test.run();
