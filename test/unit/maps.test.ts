// src/maps and the element/batch syscalls against a fake backend: preallocated attr contents,
// sizes checked before any call, errno → KernelObjectError messages, close-once, the leak hook,
// codecs. No kernel needed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BpfCmd, Errno, MapElemAccess, installBackend, mapBatch, mapFreeze, getNextId } from '../../syscalls/index.js';
import { KernelObjectError } from '../../src/errors.js';
import {
  BpfMap, HashMap, MapSizeError, Queue, bytes, i32, i64, parseCpuList, perCpu, perCpuStride, setLeakHook, u32, u64, viewOf, type LeakReport,
} from '../../src/maps/index.js';
import { FakeBackend, type FakeBpfHandler } from '../support/fake-backend.js';

const rd32 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
const rd64 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);

const cleanups: (() => void)[] = [];
function withFake(handler?: FakeBpfHandler): FakeBackend {
  const fake = new FakeBackend(handler);
  cleanups.push(installBackend(fake));
  return fake;
}
function afterEach(): void {
  while (cleanups.length) cleanups.pop()!();
}

const Elem = suite('maps: preallocated element attrs');
Elem.after.each(afterEach);

Elem('MapElemAccess writes fd and pointers once; calls reuse the same attr bytes', () => {
  const fake = withFake(() => 0);
  const acc = new MapElemAccess(9, 4, 8);
  acc.key.set([1, 2, 3, 4]);
  assert.is(acc.lookup(), 0);
  assert.is(acc.lookup(), 0);
  assert.is(acc.update(2), 0);
  assert.is(acc.delete(), 0);
  assert.is(acc.next(true), 0);
  assert.is(acc.next(), 0);
  assert.is(acc.lookupAndDelete(), 0);
  assert.equal(fake.calls.map((c) => c.cmd), [1, 1, 2, 3, 4, 4, 21]);
  const [lookup, , update, del, first, next, lad] = fake.calls;
  for (const c of fake.calls) {
    assert.is(c.size, 32);
    assert.is(rd32(c.attr, 0), 9);
  }
  assert.is(fake.buffer(rd64(lookup.attr, 8)), acc.key);
  assert.is(fake.buffer(rd64(lookup.attr, 16)), acc.value);
  assert.is(rd64(lookup.attr, 24), 0n);
  assert.is(rd64(update.attr, 24), 2n, 'update flags');
  assert.is(rd64(del.attr, 16), 0n, 'delete has no value');
  assert.is(rd64(first.attr, 8), 0n, 'first key: NULL key');
  assert.is(fake.buffer(rd64(first.attr, 16)), acc.nextKey);
  assert.is(fake.buffer(rd64(next.attr, 8)), acc.key);
  assert.is(fake.buffer(rd64(next.attr, 16)), acc.nextKey);
  assert.is(fake.buffer(rd64(lad.attr, 16)), acc.value);
});

Elem('keyless maps pass a NULL key', () => {
  const fake = withFake(() => 0);
  const acc = new MapElemAccess(3, 0, 4);
  acc.update(0);
  assert.is(rd64(fake.calls[0].attr, 8), 0n);
});

Elem('mapBatch and mapFreeze attrs', () => {
  const fake = withFake((cmd, attr) => {
    if (cmd === BpfCmd.MAP_LOOKUP_BATCH) new DataView(attr.buffer, attr.byteOffset).setUint32(32, 3, true);
    return cmd === BpfCmd.MAP_LOOKUP_BATCH ? -Errno.ENOENT : 0;
  });
  const keys = new Uint8Array(16);
  const values = new Uint8Array(32);
  const out = new Uint8Array(8);
  const r = mapBatch(BpfCmd.MAP_LOOKUP_BATCH, { mapFd: 5, outBatch: out, keys, values, count: 4, elemFlags: 4 });
  assert.equal(r, { ret: -Errno.ENOENT, count: 3 });
  const a = fake.calls[0].attr;
  assert.is(rd64(a, 0), 0n, 'in_batch NULL');
  assert.is(fake.buffer(rd64(a, 8)), out);
  assert.is(fake.buffer(rd64(a, 16)), keys);
  assert.is(fake.buffer(rd64(a, 24)), values);
  assert.is(rd32(a, 32), 4);
  assert.is(rd32(a, 36), 5);
  assert.is(rd64(a, 40), 4n);
  mapFreeze(6);
  assert.is(fake.calls[1].cmd, BpfCmd.MAP_FREEZE);
  assert.is(rd32(fake.calls[1].attr, 0), 6);
});

Elem('getNextId returns undefined at the end', () => {
  withFake((cmd, attr) => {
    const start = rd32(attr, 0);
    if (start >= 20) return -Errno.ENOENT;
    new DataView(attr.buffer, attr.byteOffset).setUint32(4, start + 10, true);
    return 0;
  });
  assert.is(getNextId('map', 0), 10);
  assert.is(getNextId('map', 20), undefined);
});

const Map_ = suite('maps: BpfMap over the fake backend');
Map_.after.each(afterEach);

Map_('create encodes the spec; the map closes its fd exactly once', () => {
  const fake = withFake(() => 42);
  const m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16, flags: 1, name: 'counts' });
  const a = fake.calls[0].attr;
  assert.is(fake.calls[0].cmd, BpfCmd.MAP_CREATE);
  assert.equal([rd32(a, 0), rd32(a, 4), rd32(a, 8), rd32(a, 12), rd32(a, 16)], [1, 4, 8, 16, 1]);
  assert.is(new TextDecoder().decode(a.subarray(28, 34)), 'counts');
  assert.is(m.fd, 42);
  m.close();
  m.close();
  m[Symbol.dispose]();
  assert.equal(fake.closed, [42]);
  assert.ok(m.closed);
  assert.throws(() => m.get(new Uint8Array(4)), (e: unknown) => e instanceof KernelObjectError && e.message === 'lookup map "counts": the map is closed');
});

Map_('map-in-map: the inner template is created first and closed after', () => {
  let next = 10;
  const fake = withFake(() => next++);
  const m = BpfMap.create({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, innerMap: { type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 } });
  assert.is(rd32(fake.calls[1].attr, 20), 10, 'inner_map_fd');
  assert.equal(fake.closed, [10]);
  assert.is(m.fd, 11);
  m.close();
  assert.throws(() => BpfMap.create({ type: 'hash_of_maps', keySize: 4, valueSize: 4, maxEntries: 2 }), /create hash_of_maps map: a map-in-map needs innerMap/);
});

Map_('wrong key or value sizes are MapSizeErrors before any system call', () => {
  const fake = withFake(() => 3);
  const m = BpfMap.create({ type: 'hash', keySize: 8, valueSize: 8, maxEntries: 1, name: 'events' });
  const before = fake.calls.length;
  assert.throws(() => m.set(new Uint8Array(4), new Uint8Array(8)), (e: unknown) => e instanceof MapSizeError && e.message === 'update map "events": key is 4 bytes, expected 8' && e.expected === 8 && e.actual === 4);
  assert.throws(() => m.set(new Uint8Array(8), new Uint8Array(9)), /update map "events": value is 9 bytes, expected 8/);
  assert.throws(() => m.get(new Uint8Array(1)), (e: unknown) => e instanceof MapSizeError);
  assert.throws(() => m.updateBatch(new Uint8Array(12), new Uint8Array(16)), /batch update map "events": keys is 12 bytes, expected 8 \(a multiple of 8\)/);
  assert.is(fake.calls.length, before);
  m.close();
});

Map_('errno → messages with the operation and the map first', () => {
  let answer = 3;
  withFake((cmd) => (cmd === BpfCmd.MAP_CREATE ? answer : answer));
  answer = -Errno.EPERM;
  assert.throws(() => BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1, name: 'events' }), (e: unknown) =>
    e instanceof KernelObjectError && e.message === 'create map "events": permission denied (needs CAP_BPF or root)' && e.code === 'EPERM' && e.op === 'create');
  answer = 3;
  const m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1 });
  answer = -Errno.EEXIST;
  assert.throws(() => m.set(new Uint8Array(4), new Uint8Array(4), 'noexist'), /^update hash map: the key exists \(flag noexist\)$/);
  answer = -Errno.E2BIG;
  assert.throws(() => m.set(new Uint8Array(4), new Uint8Array(4)), /update hash map: the map is full/);
  answer = -Errno.ENOENT;
  assert.is(m.get(new Uint8Array(4)), undefined);
  assert.is(m.delete(new Uint8Array(4)), false);
  assert.equal([...m.keys()], []);
  answer = -Errno.EFAULT;
  assert.throws(() => m.get(new Uint8Array(4)), /lookup hash map: bad address/);
  answer = 0;
  m.close();
});

Map_('bad names are refused before any call', () => {
  const fake = withFake(() => 3);
  assert.throws(() => BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1, name: 'has-dash' }), /create map "has-dash": name "has-dash" may hold only letters, digits, '_' and '.'/);
  assert.throws(() => BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1, name: 'a_name_that_is_too_long' }), /is longer than 15 bytes/);
  assert.is(fake.calls.length, 0);
});

Map_('set flags by name', () => {
  const fake = withFake(() => 3);
  const m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1 });
  m.set(new Uint8Array(4), new Uint8Array(4), 'exist');
  m.set(new Uint8Array(4), new Uint8Array(4), 'noexist');
  m.set(new Uint8Array(4), new Uint8Array(4));
  assert.equal(fake.calls.slice(1).map((c) => rd64(c.attr, 24)), [2n, 1n, 0n]);
  m.close();
});

Map_('typed maps encode straight into the preallocated buffers', () => {
  const store = new Map<number, bigint>();
  const fake = withFake((cmd, attr, f) => {
    if (cmd === BpfCmd.MAP_CREATE) return 4;
    // Typed maps load their key/value BTF first (u32, u64 have BTF); the map keeps it, tsbpf closes its fd.
    if (cmd === BpfCmd.BTF_LOAD) return 5;
    const key = f.buffer(rd64(attr, 8))!;
    const value = f.buffer(rd64(attr, 16))!;
    const k = rd32(key, 0);
    if (cmd === BpfCmd.MAP_UPDATE_ELEM) store.set(k, rd64(value, 0));
    else if (cmd === BpfCmd.MAP_LOOKUP_ELEM) {
      if (!store.has(k)) return -Errno.ENOENT;
      new DataView(value.buffer).setBigUint64(0, store.get(k)!, true);
    }
    return 0;
  });
  const h = HashMap.create({ key: u32, value: u64, maxEntries: 8 });
  h.set(7, 99n);
  assert.is(h.get(7), 99n);
  assert.is(h.get(8), undefined);
  assert.ok(h.has(7));
  assert.throws(() => h.set(-1, 0n), /u32: -1 is not an integer/);
  assert.equal(fake.closed, [5]);
  h.close();
  assert.equal(fake.closed, [5, 4]);
});

Map_('a map collected without close() is reported and its fd closed', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const fake = withFake(() => 77);
  const reports: LeakReport[] = [];
  const previous = setLeakHook((r) => reports.push(r));
  try {
    (() => {
      BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1, name: 'leaky' });
    })();
    for (let i = 0; i < 20 && reports.length === 0; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(reports.filter((r) => r.object === 'map "leaky"').map((r) => [r.kind, r.object, r.fd]), [['map', 'map "leaky"', 77]]);
    assert.ok(fake.closed.includes(77));
  } finally {
    setLeakHook(previous);
  }
});

Map_('a closed map is never reported', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  withFake(() => 78);
  const reports: LeakReport[] = [];
  const previous = setLeakHook((r) => reports.push(r));
  try {
    (() => {
      BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1 }).close();
    })();
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(reports.filter((r) => r.fd === 78), []);
  } finally {
    setLeakHook(previous);
  }
});

Map_('Queue.push/pop/peek use a NULL key', () => {
  const fake = withFake((cmd) => (cmd === BpfCmd.MAP_CREATE ? 5 : cmd === BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM ? -Errno.ENOENT : 0));
  const q = Queue.create({ value: u32, maxEntries: 4 });
  q.push(1, true);
  assert.is(q.pop(), undefined);
  assert.is(q.peek(), 1, 'the fake leaves the pushed value in the buffer');
  const [, push, pop, peek] = fake.calls;
  assert.equal([push.cmd, pop.cmd, peek.cmd], [2, 21, 1]);
  assert.is(rd64(push.attr, 8), 0n);
  assert.is(rd64(push.attr, 24), 2n, 'overwrite = BPF_EXIST');
  q.close();
});

const Codec = suite('maps: codecs and per-CPU layout');

Codec('decode(encode(x)) = x', () => {
  const buf = new Uint8Array(16);
  const view = viewOf(buf);
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (x) => (u32.write(view, 0, x), u32.read(view, 0) === x)));
  fc.assert(fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (x) => (i32.write(view, 0, x), i32.read(view, 0) === x)));
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (x) => (u64.write(view, 0, x), u64.read(view, 0) === x)));
  fc.assert(fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (x) => (i64.write(view, 0, x), i64.read(view, 0) === x)));
  const b = bytes(3);
  b.write(view, 5, Uint8Array.of(1, 2, 3));
  assert.equal([...b.read(view, 5)], [1, 2, 3]);
  assert.throws(() => u64.write(view, 0, 1n << 64n), (e: unknown) => e instanceof RangeError);
  assert.throws(() => b.write(view, 0, new Uint8Array(2)), /bytes\(3\): got 2 bytes/);
});

Codec('per-CPU values: 8-byte slots, one per possible CPU', () => {
  assert.equal([perCpuStride(1), perCpuStride(8), perCpuStride(12)], [8, 8, 16]);
  const c = perCpu(u32, 3);
  assert.is(c.size, 24);
  const buf = new Uint8Array(24);
  c.write(viewOf(buf), 0, [1, 2, 3]);
  assert.equal([rd32(buf, 0), rd32(buf, 8), rd32(buf, 16)], [1, 2, 3]);
  assert.equal(c.read(viewOf(buf), 0), [1, 2, 3]);
  assert.throws(() => c.write(viewOf(buf), 0, [1]), /expected an array of 3 values/);
});

Codec('parseCpuList', () => {
  assert.equal(parseCpuList('0-1\n'), [0, 1]);
  assert.equal(parseCpuList('0'), [0]);
  assert.equal(parseCpuList('0,2-5,7'), [0, 2, 3, 4, 5, 7]);
  assert.throws(() => parseCpuList('x'), /is not N or N-M/);
  assert.throws(() => parseCpuList(''), /names no CPU/);
});

Elem.run();
Map_.run();
Codec.run();
