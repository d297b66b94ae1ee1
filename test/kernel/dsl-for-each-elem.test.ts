/**
 * eDSL `$.forEachElem` (`bpf_for_each_map_elem` callbacks) in the live kernel: maps prefilled
 * from user space are walked by a socket filter run with BPF_PROG_TEST_RUN; the sums, counts and
 * in-place changes it makes are read back from user space and compared with the same computation
 * in JS, with the interpreter (`simulate`) on the same contents, and with the offline verifier's
 * verdict. Skips with the reason when not root or when the kernel lacks the helper.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Call } from 'ebpf-bytecode-utils';
import { DslError, compile, loadCompiled, program, simulate, u32, u64, verifyCompiled, type CompiledProgram, type Simulation } from '../../src/dsl/index.js';
import { struct } from '../../src/types/index.js';
import { MapElemAccess } from '../../syscalls/map-elem.js';
import { progTestRun } from '../../syscalls/prog-test-run.js';
import { kernelTest } from '../support/kernel.js';
import { programLacks } from '../support/kernel-lacks.js';
import { numRuns } from '../support/num-runs.js';

const test = suite('dsl forEachElem (kernel)');

const FOR_EACH_MAP_ELEM = 164;
const lacks = () => programLacks('socket_filter', [Call.helper(FOR_EACH_MAP_ELEM)]);

const Acc = struct('acc', { sum: u64, keys: u64, len: u64 });

/** Sums a hash and an array map (values, keys, and ctx->len once per element) into `out` slots 0–5. */
function sumProgram(): CompiledProgram {
  return compile(program('for_each_sum', 'socket_filter', ($, ctx) => {
    const h = $.hash('h', u32, u64, { maxEntries: 64 });
    const a = $.array('a', u64, { maxEntries: 16 });
    const out = $.array('out', u64, { maxEntries: 8 });
    const acc = $.struct(Acc);
    const n = $.forEachElem(h, acc, (k, v, s) => {
      s.field('sum').set(s.field('sum').get().add(v.get()));
      s.field('keys').set(s.field('keys').get().add(k.get().cast(u64)));
      s.field('len').set(s.field('len').get().add(ctx.len.cast(u64)));
    });
    out.update(0, acc.field('sum').get());
    out.update(1, acc.field('keys').get());
    out.update(2, n.cast(u64));
    out.update(3, acc.field('len').get());
    const acc2 = $.struct(Acc);
    const m = $.forEachElem(a, acc2, (_k, v, s) => { s.field('sum').set(s.field('sum').get().add(v.get())); });
    out.update(4, acc2.field('sum').get());
    out.update(5, m.cast(u64));
    return 0;
  }));
}

function u32Bytes(n: number): Uint8Array { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, true); return b; }
function u64Bytes(n: bigint): Uint8Array { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, n, true); return b; }
function readU64(b: Uint8Array): bigint { return new DataView(b.buffer, b.byteOffset).getBigUint64(0, true); }

/** Writes `entries` into kernel map `fd` (u32 keys, u64 values). */
function fill(fd: number, entries: ReadonlyMap<number, bigint>): void {
  const m = new MapElemAccess(fd, 4, 8);
  for (const [k, v] of entries) {
    m.key.set(u32Bytes(k));
    m.value.set(u64Bytes(v));
    assert.is(m.update(), 0);
  }
}

/** Reads u64 slot `index` of kernel map `fd` (u32 key). */
function read(fd: number, index: number): bigint {
  const m = new MapElemAccess(fd, 4, 8);
  m.key.set(u32Bytes(index));
  assert.is(m.lookup(), 0, `lookup of key ${index}`);
  return readU64(m.value);
}

function fillSim(sim: Simulation, name: string, entries: ReadonlyMap<number, bigint>): void {
  for (const [k, v] of entries) sim.maps[name].set(u32Bytes(k), u64Bytes(v));
}

function readSim(sim: Simulation, name: string, index: number): bigint {
  const v = sim.maps[name].get(u32Bytes(index));
  assert.ok(v !== undefined, `simulated ${name}[${index}]`);
  return readU64(v);
}

const wrap = (n: bigint) => BigInt.asUintN(64, n);

kernelTest(test, 'summing a hash and an array map prefilled from user space gives the JS sums, in the kernel and the interpreter', () => {
  const c = sumProgram();
  assert.is(verifyCompiled(c).error, null, 'the offline verifier accepts');
  const arb = fc.record({
    hash: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })), { maxLength: 64, selector: (t) => t[0] }),
    array: fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 16, maxLength: 16 }),
    bytes: fc.integer({ min: 14, max: 200 }),
  });
  fc.assert(fc.property(arb, ({ hash, array, bytes }) => {
    using loaded = loadCompiled(c);
    const h = new Map(hash);
    const a = new Map(array.map((v, i) => [i, v] as const));
    fill(loaded.mapFds.h, h);
    fill(loaded.mapFds.a, a);
    const sim = simulate(c);
    fillSim(sim, 'h', h);
    fillSim(sim, 'a', a);
    const data = new Uint8Array(bytes);
    assert.is(progTestRun({ progFd: loaded.progFd, dataIn: data }).retval, 0);
    assert.is(sim.run({ data }).retval, 0n);
    const len = BigInt(bytes - 14);
    const want = [
      wrap(hash.reduce((s, [, v]) => s + v, 0n)),
      BigInt(hash.reduce((s, [k]) => s + k, 0)),
      BigInt(hash.length),
      len * BigInt(hash.length),
      wrap(array.reduce((s, v) => s + v, 0n)),
      16n,
    ];
    want.forEach((w, i) => {
      assert.is(read(loaded.mapFds.out, i), w, `kernel out[${i}]`);
      assert.is(readSim(sim, 'out', i), w, `interpreter out[${i}]`);
    });
  }), { numRuns: numRuns(25) });
}, lacks);

kernelTest(test, '$.break() stops the walk: an array map walked in index order stops at the first value above a bound', () => {
  const c = compile(program('for_each_stop', 'socket_filter', ($) => {
    const a = $.array('a', u64, { maxEntries: 32 });
    const out = $.array('out', u64, { maxEntries: 2 });
    const acc = $.struct(Acc);
    const n = $.forEachElem(a, acc, (k, v, s) => {
      $.if(v.get().gt(1000n), () => { s.field('keys').set(k.get().cast(u64)); $.break(); });
      s.field('sum').set(s.field('sum').get().add(v.get()));
    });
    out.update(0, n.cast(u64));
    out.update(1, acc.field('sum').get().add(acc.field('keys').get().shl(32n)));
    return 0;
  }));
  assert.is(verifyCompiled(c).error, null, 'the offline verifier accepts');
  fc.assert(fc.property(fc.array(fc.bigInt({ min: 0n, max: 1100n }), { minLength: 32, maxLength: 32 }), (values) => {
    using loaded = loadCompiled(c);
    const a = new Map(values.map((v, i) => [i, v] as const));
    fill(loaded.mapFds.a, a);
    const sim = simulate(c);
    fillSim(sim, 'a', a);
    progTestRun({ progFd: loaded.progFd, dataIn: new Uint8Array(20) });
    sim.run({ data: new Uint8Array(20) });
    const stop = values.findIndex((v) => v > 1000n);
    const visited = stop < 0 ? 32n : BigInt(stop + 1);
    const sum = values.slice(0, stop < 0 ? 32 : stop).reduce((s, v) => s + v, 0n) + (stop < 0 ? 0n : BigInt(stop) << 32n);
    assert.is(read(loaded.mapFds.out, 0), visited, 'kernel: elements visited');
    assert.is(readSim(sim, 'out', 0), visited, 'interpreter: elements visited');
    assert.is(read(loaded.mapFds.out, 1), sum, 'kernel: sum before the stop');
    assert.is(readSim(sim, 'out', 1), sum, 'interpreter: sum before the stop');
  }), { numRuns: numRuns(25) });
}, lacks);

kernelTest(test, 'values changed in place by the callback (map.forEach) are what user space reads back (no shared state, ctx used)', () => {
  const c = compile(program('for_each_set', 'socket_filter', ($, ctx) => {
    const h = $.hash('h', u32, u64, { maxEntries: 32 });
    const n = h.forEach((k, v) => { v.set(v.get().mul(3n).add(k.get().cast(u64)).add(ctx.len.cast(u64))); }); // map.forEach is $.forEachElem(map, …)
    return n.cast(u32);
  }));
  assert.is(verifyCompiled(c).error, null, 'the offline verifier accepts');
  using loaded = loadCompiled(c);
  const h = new Map<number, bigint>([[1, 10n], [7, 0n], [0xffffffff, (1n << 64n) - 1n], [42, 123456789n]]);
  fill(loaded.mapFds.h, h);
  const sim = simulate(c);
  fillSim(sim, 'h', h);
  const data = new Uint8Array(64);
  assert.is(progTestRun({ progFd: loaded.progFd, dataIn: data }).retval, h.size);
  assert.is(sim.run({ data }).retval, BigInt(h.size));
  for (const [k, v] of h) {
    const want = wrap(v * 3n + BigInt(k) + 50n);
    assert.is(read(loaded.mapFds.h, k), want, `kernel h[${k}]`);
    assert.is(readSim(sim, 'h', k), want, `interpreter h[${k}]`);
  }
}, lacks);

test('misuse is a DslError: writing the key, a map type the helper cannot walk, a stray $.break()', () => {
  assert.throws(() => program('p', 'socket_filter', ($) => {
    const h = $.hash('h', u32, u64, { maxEntries: 4 });
    $.forEachElem(h, (k) => { k.set(1); });
    return 0;
  }), (e: unknown) => e instanceof DslError && /key of map 'h' is read-only/.test(e.message));
  assert.throws(() => program('p', 'socket_filter', ($) => {
    const t = $.lpmTrie('t', struct('k', { prefixlen: u32, addr: u32 }), u64, { maxEntries: 4 });
    $.forEachElem(t as never, () => {});
    return 0;
  }), (e: unknown) => e instanceof DslError && /lpm_trie map; bpf_for_each_map_elem walks/.test(e.message));
  assert.throws(() => program('p', 'socket_filter', ($) => { $.break(); return 0; }), (e: unknown) => e instanceof DslError && /\$\.forEachElem body/.test(e.message));
});

test.run();
