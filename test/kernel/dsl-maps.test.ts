/**
 * The eDSL's further map kinds in the live kernel: `$.log2l` under BPF_PROG_TEST_RUN against
 * BCC's definition; tail calls through a prog array (the kernel runs the slot's program, or
 * falls through when the slot is empty); a queue filled by the program and drained from user
 * space in FIFO order; an LPM trie's lookups against the interpreter's; and a perf_event
 * cpu-clock program on this process recording user stacks with getStackId into a stack trace
 * map. Skips when not root.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { attachPerfEvent } from '../../src/attach/index.js';
import { compile, loadCompiled, loadProgramSet, program, simulate, StackIdFlag, u32, u64 } from '../../src/dsl/index.js';
import { struct } from '../../src/types/index.js';
import { closeFd } from '../../syscalls/close-fd.js';
import { mapCreate } from '../../syscalls/map-create.js';
import { MapElemAccess } from '../../syscalls/map-elem.js';
import { progTestRun } from '../../syscalls/prog-test-run.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('dsl maps (kernel)');
const args = (...vs: bigint[]) => { const b = new Uint8Array(8 * vs.length); vs.forEach((v, i) => new DataView(b.buffer).setBigUint64(i * 8, v, true)); return b; };

function bccLog2l(v: bigint): bigint {
  const log2 = (x: bigint) => {
    let r = BigInt(x > 0xffffn) << 4n; x >>= r;
    let s = BigInt(x > 0xffn) << 3n; x >>= s; r |= s;
    s = BigInt(x > 0xfn) << 2n; x >>= s; r |= s;
    s = BigInt(x > 0x3n) << 1n; x >>= s; r |= s;
    return r | (x >> 1n);
  };
  return v >> 32n !== 0n ? log2(v >> 32n) + 33n : log2(v) + 1n;
}

kernelTest(test, 'log2l in the kernel equals BCC\'s bpf_log2l', () => {
  const loaded = loadCompiled(compile(program('log2', 'raw_tracepoint', ($, ctx) => $.log2l(ctx.arg(0)))));
  try {
    for (const v of [0n, 1n, 5n, 1000n, 0xffffffffn, 0x123456789n, (1n << 64n) - 1n, 1n << 40n]) {
      assert.is(BigInt(progTestRun({ progFd: loaded.progFd, ctxIn: args(v) }).retval), bccLog2l(v), `log2l(${v})`);
    }
  } finally {
    loaded.close();
  }
});

kernelTest(test, 'tail call through a prog array: the slot\'s program runs; an empty slot falls through', () => {
  const main = compile(program('main', 'raw_tracepoint', ($) => {
    $.tailCall($.progArray('progs', { maxEntries: 4 }), 2);
    return 1;
  }));
  const target = compile(program('target', 'raw_tracepoint', () => 7));
  using set = loadProgramSet([main, target]);
  const slot = new MapElemAccess(set.mapFds.progs, 4, 4);
  new DataView(slot.key.buffer, slot.key.byteOffset).setUint32(0, 2, true);
  new DataView(slot.value.buffer, slot.value.byteOffset).setUint32(0, set.progFds.target, true);
  assert.is(progTestRun({ progFd: set.progFds.main, ctxIn: args(0n) }).retval, 1, 'empty slot');
  assert.is(slot.update(), 0);
  assert.is(progTestRun({ progFd: set.progFds.main, ctxIn: args(0n) }).retval, 7, 'slot 2 holds target');
});

kernelTest(test, 'queue: values the program pushes come out of the map in FIFO order', () => {
  const loaded = loadCompiled(compile(program('qpush', 'raw_tracepoint', ($, ctx) => {
    const q = $.queue('q', u64, { maxEntries: 8 });
    q.push(ctx.arg(0));
    return q.push(ctx.arg(0).add(1n)).cast(u32);
  })));
  try {
    for (const v of [100n, 200n]) assert.is(progTestRun({ progFd: loaded.progFd, ctxIn: args(v) }).retval, 0);
    const q = new MapElemAccess(loaded.mapFds.q, 0, 8);
    const got: bigint[] = [];
    while (q.lookupAndDelete() === 0) got.push(new DataView(q.value.buffer, q.value.byteOffset).getBigUint64(0, true));
    assert.equal(got, [100n, 101n, 200n, 201n]);
  } finally {
    loaded.close();
  }
});

kernelTest(test, 'lpm trie: the kernel\'s longest-prefix lookups equal the interpreter\'s', () => {
  const Key = struct('lpm_key', { prefixlen: u32, addr: u32 });
  const ip = (a: number, b: number, c: number, d: number) => (a | (b << 8) | (c << 16) | (d << 24)) >>> 0;
  const compiled = compile(program('lpm', 'raw_tracepoint', ($, ctx) => {
    const t = $.lpmTrie('routes', Key, u32, { maxEntries: 16 });
    t.update($.struct(Key, { prefixlen: 8, addr: ip(10, 0, 0, 0) }), 1);
    t.update($.struct(Key, { prefixlen: 24, addr: ip(10, 1, 2, 0) }), 3);
    const r = $.let(u32, 0);
    $.ifSome(t.lookup($.struct(Key, { prefixlen: 32, addr: ctx.arg(0).cast(u32) })), (v) => r.set(v.get()));
    return r;
  }));
  const loaded = loadCompiled(compiled);
  const sim = simulate(compiled);
  try {
    for (const a of [ip(10, 1, 2, 3), ip(10, 1, 3, 3), ip(192, 168, 0, 1)]) {
      const k = progTestRun({ progFd: loaded.progFd, ctxIn: args(BigInt(a)) }).retval;
      assert.is(BigInt(k), sim.run({ ctx: args(BigInt(a)) }).retval);
    }
    assert.is(progTestRun({ progFd: loaded.progFd, ctxIn: args(BigInt(ip(10, 1, 2, 3))) }).retval, 3);
  } finally {
    loaded.close();
  }
});

kernelTest(test, 'perf_event cpu-clock on this process: getStackId(ctx, USER_STACK) fills the stack trace map', () => {
  const compiled = compile(program('prof', 'perf_event', ($, ctx) => {
    const stacks = $.stackTrace('stacks', { maxEntries: 256 });
    const counts = $.hash('counts', u32, u64, { maxEntries: 256 });
    $.if($.getCurrentPidTgid().shr(32n).ne(BigInt(process.pid)), () => $.return(0));
    const id = $.let(u32, stacks.getStackId(ctx, StackIdFlag.USER_STACK).cast(u32));
    $.if(id.lt(0x80000000), () => {
      $.ifSome(counts.lookup(id), (n) => n.atomicAdd(1n), () => { counts.update(id, 1n); });
    });
    return 0;
  }));
  const loaded = loadCompiled(compiled);
  const link = attachPerfEvent(loaded.progFd, { frequency: 997, pid: process.pid });
  try {
    const start = process.cpuUsage();
    let x = 0;
    while ((process.cpuUsage(start).user + process.cpuUsage(start).system) < 150_000) x += Math.sqrt(x + 1);
    assert.ok(x > 0);
  } finally {
    link.close();
  }
  try {
    const counts = new MapElemAccess(loaded.mapFds.counts, 4, 8);
    const ids: number[] = [];
    for (let first = true; counts.next(first) === 0; first = false) {
      counts.key.set(counts.nextKey);
      ids.push(new DataView(counts.key.buffer, counts.key.byteOffset).getUint32(0, true));
    }
    assert.ok(ids.length > 0, 'some samples recorded a user stack');
    const stacks = new MapElemAccess(loaded.mapFds.stacks, 4, 127 * 8);
    new DataView(stacks.key.buffer, stacks.key.byteOffset).setUint32(0, ids[0], true);
    assert.is(stacks.lookup(), 0);
    assert.ok(new DataView(stacks.value.buffer, stacks.value.byteOffset).getBigUint64(0, true) !== 0n, 'the stack has a first frame');
  } finally {
    loaded.close();
  }
});

kernelTest(test, 'hash_of_maps and array_of_maps: the program updates the inner map user space put in the slot', () => {
  for (const kind of ['hash', 'array'] as const) {
    const inner = { type: 'hash' as const, key: u32, value: u64, maxEntries: 8 };
    const compiled = compile(program(`mim_${kind}`, 'raw_tracepoint', ($, ctx) => {
      const outer = kind === 'hash' ? $.hashOfMaps('outer', u32, inner, { maxEntries: 4 }) : $.arrayOfMaps('outer', inner, { maxEntries: 4 });
      const found = $.let(u32, 0);
      $.ifSomeMap(outer.lookup(ctx.arg(0).cast(u32)), (m) => { m.update(7, ctx.arg(1)); found.set(1); });
      return found;
    }));
    assert.equal(compiled.maps[0].innerMap, { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8, flags: 0 });
    const loaded = loadCompiled(compiled);
    const innerFd = mapCreate({ mapType: 1, keySize: 4, valueSize: 8, maxEntries: 8 });
    try {
      const slot = new MapElemAccess(loaded.mapFds.outer, 4, 4);
      new DataView(slot.key.buffer, slot.key.byteOffset).setUint32(0, 2, true);
      new DataView(slot.value.buffer, slot.value.byteOffset).setUint32(0, innerFd, true);
      assert.is(slot.update(), 0);
      assert.is(progTestRun({ progFd: loaded.progFd, ctxIn: args(3n, 1n) }).retval, 0, `${kind}: empty slot 3`);
      assert.is(progTestRun({ progFd: loaded.progFd, ctxIn: args(2n, 4242n) }).retval, 1, `${kind}: slot 2`);
      const m = new MapElemAccess(innerFd, 4, 8);
      new DataView(m.key.buffer, m.key.byteOffset).setUint32(0, 7, true);
      assert.is(m.lookup(), 0);
      assert.is(new DataView(m.value.buffer, m.value.byteOffset).getBigUint64(0, true), 4242n);
    } finally {
      closeFd(innerFd);
      loaded.close();
    }
  }
});

test.run();
