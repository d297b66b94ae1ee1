// src/maps against the live kernel: every map type tsbpf creates, with create, set/get/delete,
// iteration and batches where the type has them. Skips (with the reason) when not root.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Exit, Mov, R0, encode } from 'ebpf-bytecode-utils';
import {
  ArrayMap, ArrayOfMaps, BloomFilter, BpfMap, HashMap, HashOfMaps, LpmTrie, LruHash, LruPerCpuHash, MapSizeError, PerCpuArray, PerCpuHash,
  PerfEventArray, ProgArray, Queue, RingBuf, Stack, StackTrace, bytes, possibleCpuCount, u32, u64, viewOf,
} from '../../src/maps/index.js';
import { KernelObjectError } from '../../src/errors.js';
import { Program } from '../../src/programs/index.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('maps (kernel)');

const key32 = (n: number) => {
  const k = new Uint8Array(4);
  viewOf(k).setUint32(0, n, true);
  return k;
};
const val64 = (n: bigint) => {
  const v = new Uint8Array(8);
  viewOf(v).setBigUint64(0, n, true);
  return v;
};
const num64 = (v: Uint8Array | undefined) => (v === undefined ? undefined : viewOf(v).getBigUint64(0, true));

kernelTest(test, 'BpfMap hash: set/get/has/delete, flags, iteration, info', () => {
  using m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 64, name: 'tsbpf_t_hash' });
  for (let i = 0; i < 10; i++) m.set(key32(i), val64(BigInt(i) * 3n));
  assert.is(num64(m.get(key32(4))), 12n);
  assert.is(m.get(key32(40)), undefined);
  assert.ok(m.has(key32(9)));
  const out = new Uint8Array(8);
  assert.ok(m.getInto(key32(2), out));
  assert.is(num64(out), 6n);
  assert.throws(() => m.set(key32(1), val64(0n), 'noexist'), (e: unknown) => e instanceof KernelObjectError && e.code === 'EEXIST' && e.message === 'update map "tsbpf_t_hash": the key exists (flag noexist)');
  assert.throws(() => m.set(key32(99), val64(0n), 'exist'), (e: unknown) => e instanceof KernelObjectError && e.code === 'ENOENT');
  m.set(key32(1), val64(100n), 'exist');
  assert.is(num64(m.get(key32(1))), 100n);
  assert.ok(m.delete(key32(1)));
  assert.not.ok(m.delete(key32(1)));
  const keys = [...m.keys()].map((k) => viewOf(k).getUint32(0, true)).sort((a, b) => a - b);
  assert.equal(keys, [0, 2, 3, 4, 5, 6, 7, 8, 9]);
  const entries = new Map([...m.entries()].map(([k, v]) => [viewOf(k).getUint32(0, true), num64(v)]));
  assert.is(entries.get(7), 21n);
  assert.is([...m.values()].length, 9);
  const info = m.info();
  assert.equal([info.type, info.keySize, info.valueSize, info.maxEntries, info.name], [1, 4, 8, 64, 'tsbpf_t_hash']);
  assert.is(num64(m.lookupAndDelete(key32(9))), 27n, 'hash lookup-and-delete (Linux 5.14)');
  assert.not.ok(m.has(key32(9)));
  m.clear();
  assert.equal([...m.keys()], []);
});

kernelTest(test, 'BpfMap batches: update, lookup (several calls), lookup-and-delete, delete', () => {
  using m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1000 });
  const n = 600;
  const keys = new Uint8Array(n * 4);
  const values = new Uint8Array(n * 8);
  for (let i = 0; i < n; i++) {
    viewOf(keys).setUint32(i * 4, i, true);
    viewOf(values).setBigUint64(i * 8, BigInt(i) << 8n, true);
  }
  assert.is(m.updateBatch(keys, values), n);
  const all = m.lookupBatch({ batchSize: 64 });
  assert.is(all.count, n);
  const seen = new Map<number, bigint>();
  for (let i = 0; i < all.count; i++) seen.set(viewOf(all.keys).getUint32(i * 4, true), viewOf(all.values).getBigUint64(i * 8, true));
  assert.is(seen.size, n);
  assert.is(seen.get(599), 599n << 8n);
  assert.is(m.lookupBatch({ batchSize: 1 }).count, n, 'a batch smaller than a bucket grows (ENOSPC) and goes on');
  assert.is(m.deleteBatch([key32(0), key32(1), key32(2)]), 3);
  assert.not.ok(m.has(key32(1)));
  let drained = 0;
  for (const b of m.batches({ delete: true, batchSize: 100 })) drained += b.count;
  assert.is(drained, n - 3);
  assert.equal([...m.keys()], []);
});

kernelTest(test, 'BpfMap: freeze makes the map read-only for user space', () => {
  using m = BpfMap.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 });
  m.set(key32(0), key32(5));
  m.freeze();
  assert.throws(() => m.set(key32(0), key32(6)), (e: unknown) => e instanceof KernelObjectError && e.code === 'EPERM');
  assert.equal([...m.get(key32(0))!], [5, 0, 0, 0]);
});

kernelTest(test, 'BpfMap: fromId, fromFd, and pin/fromPin in a private bpffs', () => {
  using m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 2, name: 'tsbpf_t_byid' });
  m.set(key32(1), key32(2));
  using again = BpfMap.fromId(m.info().id);
  assert.equal([again.keySize, again.valueSize, again.name], [4, 4, 'tsbpf_t_byid']);
  assert.equal([...again.get(key32(1))!], [2, 0, 0, 0]);
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-bpffs-'));
  try {
    execFileSync('mount', ['-t', 'bpf', 'bpf', dir], { stdio: 'ignore' });
  } catch {
    rmdirSync(dir);
    console.log('skip: pin part: cannot mount a bpffs here');
    return;
  }
  try {
    m.pin(path.join(dir, 'm'));
    using pinned = BpfMap.fromPin(path.join(dir, 'm'));
    assert.equal([...pinned.get(key32(1))!], [2, 0, 0, 0]);
  } finally {
    execFileSync('umount', [dir]);
    rmdirSync(dir);
  }
});

kernelTest(test, 'wrong sizes are MapSizeErrors; closed maps refuse operations', () => {
  const m = BpfMap.create({ type: 'hash', keySize: 8, valueSize: 8, maxEntries: 1, name: 'tsbpf_t_sizes' });
  assert.throws(() => m.set(new Uint8Array(4), new Uint8Array(8)), (e: unknown) => e instanceof MapSizeError && e.message === 'update map "tsbpf_t_sizes": key is 4 bytes, expected 8');
  m.close();
  m.close();
  assert.throws(() => m.get(new Uint8Array(8)), /the map is closed/);
});

kernelTest(test, 'HashMap and LruHash (LRU evicts when full)', () => {
  using h = HashMap.create({ key: u32, value: u64, maxEntries: 16 });
  h.set(1, 10n).set(2, 20n);
  assert.is(h.get(2), 20n);
  assert.equal([...h.entries()].sort(), [[1, 10n], [2, 20n]]);
  assert.ok(h.delete(1));
  assert.equal([...h.keys()], [2]);
  using lru = LruHash.create({ key: u32, value: u32, maxEntries: 8 });
  for (let i = 0; i < 200; i++) lru.set(i, i);
  assert.ok([...lru.keys()].length <= 200);
  assert.is(lru.get(199), 199, 'the newest element survives');
});

kernelTest(test, 'ArrayMap: zero-initialised, u32 indexes, no delete', () => {
  using a = ArrayMap.create({ value: u64, maxEntries: 4, name: 'tsbpf_t_arr' });
  assert.is(a.get(3), 0n);
  assert.is(a.get(4), undefined);
  a.set(3, 7n);
  assert.equal([...a.values()], [0n, 0n, 0n, 7n]);
  assert.throws(() => a.delete(3), /delete map "tsbpf_t_arr": array elements cannot be deleted/);
  assert.throws(() => a.set(4, 1n), (e: unknown) => e instanceof KernelObjectError && e.code === 'E2BIG');
  a.clear();
  assert.is(a.get(3), 0n);
});

kernelTest(test, 'PerCpuHash, LruPerCpuHash, PerCpuArray: one value per possible CPU, 8-byte slots', () => {
  const cpus = possibleCpuCount();
  using h = PerCpuHash.create({ key: u32, value: u32, maxEntries: 4 });
  assert.is(h.map.valueBufferSize, 8 * cpus);
  h.set(1, Array.from({ length: cpus }, (_, i) => i + 10));
  assert.equal(h.get(1), Array.from({ length: cpus }, (_, i) => i + 10));
  h.setAll(2, 5);
  assert.equal(h.get(2), new Array(cpus).fill(5));
  assert.throws(() => h.set(3, [1]), /expected an array of/);
  using l = LruPerCpuHash.create({ key: u32, value: u64, maxEntries: 4 });
  l.set(1, new Array(cpus).fill(3n));
  assert.equal(l.get(1), new Array(cpus).fill(3n));
  using a = PerCpuArray.create({ value: u64, maxEntries: 2 });
  a.setAll(1, 9n);
  assert.equal(a.get(1), new Array(cpus).fill(9n));
  const b = a.map.lookupBatch();
  assert.is(b.count, 2);
  assert.is(b.values.byteLength, 2 * 8 * cpus);
});

kernelTest(test, 'LpmTrie: longest prefix match', () => {
  using t = LpmTrie.create({ dataSize: 4, value: u32, maxEntries: 16 });
  t.set(8, Uint8Array.of(10, 0, 0, 0), 1);
  t.set(24, Uint8Array.of(10, 1, 2, 0), 2);
  assert.is(t.lookup(Uint8Array.of(10, 1, 2, 3)), 2);
  assert.is(t.lookup(Uint8Array.of(10, 9, 9, 9)), 1);
  assert.is(t.lookup(Uint8Array.of(11, 0, 0, 0)), undefined);
  assert.equal([...t.entries()].map((e) => e.prefixLen).sort(), [24, 8]);
  assert.ok(t.delete(24, Uint8Array.of(10, 1, 2, 0)));
  assert.is(t.lookup(Uint8Array.of(10, 1, 2, 3)), 1);
});

kernelTest(test, 'Queue (FIFO) and Stack (LIFO): push, pop, peek, full', () => {
  using q = Queue.create({ value: u32, maxEntries: 2 });
  q.push(1).push(2);
  assert.throws(() => q.push(3), (e: unknown) => e instanceof KernelObjectError && e.code === 'E2BIG');
  q.push(3, true);
  assert.is(q.peek(), 2);
  assert.equal([q.pop(), q.pop(), q.pop()], [2, 3, undefined]);
  using s = Stack.create({ value: u64, maxEntries: 4 });
  s.push(1n).push(2n);
  assert.equal([s.peek(), s.pop(), s.pop(), s.pop()], [2n, 2n, 1n, undefined]);
});

kernelTest(test, 'BloomFilter: added values are found', () => {
  using b = BloomFilter.create({ value: u32, maxEntries: 100, hashes: 3 });
  for (let i = 0; i < 50; i++) b.add(i * 7);
  for (let i = 0; i < 50; i++) assert.ok(b.has(i * 7));
  let falsePositives = 0;
  for (let i = 0; i < 50; i++) if (b.has(100000 + i)) falsePositives++;
  assert.ok(falsePositives < 25);
  assert.is(b.map.info().mapExtra, 3n);
});

kernelTest(test, 'ProgArray, ArrayOfMaps, HashOfMaps: fds in, ids out', () => {
  using prog = Program.load({ type: 'socket_filter', insns: encode([Mov.imm(R0, 1), Exit()]) });
  using pa = ProgArray.create({ maxEntries: 4 });
  pa.set(2, prog);
  assert.is(pa.get(2), prog.info().id);
  assert.equal([...pa.keys()], [2]);
  assert.ok(pa.delete(2));
  const inner = { type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 } as const;
  using innerMap = BpfMap.create(inner);
  using aom = ArrayOfMaps.create({ maxEntries: 2, innerMap: inner });
  aom.set(1, innerMap);
  assert.is(aom.get(1), innerMap.info().id);
  using hom = HashOfMaps.create({ key: bytes(8), maxEntries: 2, innerMap: inner });
  hom.set(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), innerMap);
  assert.is(hom.get(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)), innerMap.info().id);
  using wrongShape = BpfMap.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 });
  assert.throws(() => aom.set(0, wrongShape), (e: unknown) => e instanceof KernelObjectError && e.code === 'EINVAL');
});

kernelTest(test, 'StackTrace, PerfEventArray, RingBuf: creatable', () => {
  using st = StackTrace.create({ maxEntries: 16, depth: 32 });
  assert.is(st.map.valueSize, 256);
  assert.is(st.get(0), undefined);
  using pe = PerfEventArray.create();
  assert.is(pe.map.maxEntries, possibleCpuCount());
  using rb = RingBuf.create({ size: 4096 * 4 });
  assert.is(rb.map.info().maxEntries, 16384);
  assert.throws(() => RingBuf.create({ size: 5000 }), /not a power of 2/);
});

test.run();
