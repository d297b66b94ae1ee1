// TypedMap's fast paths (the scalar codecs u32/i32/u64/i64 moved through typed arrays over the
// map's buffers) against its generic path (the same codecs copied into new objects, so TypedMap
// does not recognise them and calls their write/read), both on live kernel maps: random
// sequences of get/has/set/delete with random keys, values and flags, in range and out of it,
// must give the same results, the same errors (class and message) and the same map contents.
// Plus: a closed map's element attrs name fd -1, so a stale call cannot reach an object that
// reuses the fd number; and the element buffers' layout (one page for the hot part).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { ArrayMap, BpfMap, HashMap, i32, i64, u32, u64, type Codec, type TypedMap, type UpdateFlag } from '../../src/maps/index.js';
import { KernelObjectError } from '../../src/errors.js';
import { Errno, MapElemAccess, currentBackend } from '../../syscalls/index.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('maps: typed fast paths (kernel)');

/** The same codec as a new object: TypedMap takes its generic path for it. */
const generic = <T>(c: Codec<T>): Codec<T> => ({ size: c.size, write: c.write, read: c.read });

type Op<K, V> = { op: 'get' | 'has' | 'delete'; key: K } | { op: 'set'; key: K; value: V; flag: UpdateFlag };

/** What an operation gave: its result, or its error's class and message. */
function outcome(run: () => unknown): unknown {
  try {
    const r = run();
    return { ok: typeof r === 'object' && r !== null && 'map' in r ? 'this' : r };
  } catch (err) {
    return { error: (err as Error).constructor.name, message: (err as Error).message };
  }
}

function apply<K, V>(m: TypedMap<K, V>, o: Op<K, V>): unknown {
  switch (o.op) {
    case 'get':
      return outcome(() => m.get(o.key));
    case 'has':
      return outcome(() => m.has(o.key));
    case 'delete':
      return outcome(() => m.delete(o.key));
    case 'set':
      return outcome(() => m.set(o.key, o.value, o.flag));
  }
}

/** Sorted `[key, value]` pairs, printable (bigints as strings). */
function contents<K, V>(m: TypedMap<K, V>): string[] {
  return [...m.entries()].map(([k, v]) => `${String(k)}=${String(v)}`).sort();
}

const flags: fc.Arbitrary<UpdateFlag> = fc.constantFrom<UpdateFlag>('any', 'noexist', 'exist', 0, 1, 2, 7, -1, 1.5, 'bogus' as UpdateFlag);
// Keys mostly from a small set (so that sets, gets and deletes meet), sometimes out of range or of the wrong type.
const u32s = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 9 }) }, fc.constantFrom(0xffffffff, 0x80000000, -1, 2 ** 32, 1.5, NaN, -0), fc.constant('3' as unknown as number), fc.constant(3n as unknown as number));
const i32s = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -5, max: 5 }) }, fc.constantFrom(0x7fffffff, -0x80000000, 0x80000000, -0x80000001, 2.5), fc.constant(null as unknown as number));
const u64s = fc.oneof({ weight: 6, arbitrary: fc.bigInt({ min: 0n, max: 9n }) }, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.constantFrom(-1n, 1n << 64n), fc.constant(3 as unknown as bigint));
const i64s = fc.oneof({ weight: 6, arbitrary: fc.bigInt({ min: -5n, max: 5n }) }, fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), fc.constantFrom(1n << 63n, -(1n << 63n) - 1n), fc.constant('1' as unknown as bigint));

function ops<K, V>(keys: fc.Arbitrary<K>, values: fc.Arbitrary<V>): fc.Arbitrary<Op<K, V>[]> {
  const op: fc.Arbitrary<Op<K, V>> = fc.oneof(
    fc.record({ op: fc.constantFrom('get' as const, 'has' as const, 'delete' as const), key: keys }),
    fc.record({ op: fc.constant('set' as const), key: keys, value: values, flag: flags }),
  );
  return fc.array(op, { maxLength: 30 });
}

/** Runs random operation sequences on `fast` and `slow` (emptied first) and compares everything. */
function agree<K, V>(fast: TypedMap<K, V>, slow: TypedMap<K, V>, keys: fc.Arbitrary<K>, values: fc.Arbitrary<V>): void {
  fc.assert(
    fc.property(ops(keys, values), (seq) => {
      fast.clear();
      slow.clear();
      for (const o of seq) assert.equal(apply(fast, o), apply(slow, o), `${o.op} ${String(o.key)}`);
      assert.equal(contents(fast), contents(slow));
    }),
    { numRuns: 60 },
  );
}

kernelTest(test, 'hash u32 → u64: fast and generic paths agree (results, typed errors, EEXIST/ENOENT on flags, contents)', () => {
  using fast = HashMap.create({ key: u32, value: u64, maxEntries: 8 });
  using slow = HashMap.create({ key: generic(u32), value: generic(u64), maxEntries: 8 });
  agree(fast, slow, u32s, u64s);
  // The errors the sequences meet are the kernel's, named: EEXIST on noexist, ENOENT on exist.
  fast.set(1, 1n);
  assert.throws(() => fast.set(1, 2n, 'noexist'), (e: unknown) => e instanceof KernelObjectError && /the key exists/.test(e.message));
  assert.throws(() => fast.set(2, 2n, 'exist'), (e: unknown) => e instanceof KernelObjectError && /no such key/.test(e.message));
  assert.throws(() => fast.set(1, 2n, 'bogus' as UpdateFlag), (e: unknown) => e instanceof RangeError && /unknown update flag 'bogus'/.test(e.message));
  assert.is(fast.get(1), 1n);
});

kernelTest(test, 'hash i64 → i32 and u64 → u32: fast and generic paths agree', () => {
  using fast = HashMap.create({ key: i64, value: i32, maxEntries: 8 });
  using slow = HashMap.create({ key: generic(i64), value: generic(i32), maxEntries: 8 });
  agree(fast, slow, i64s, i32s);
  using fast2 = HashMap.create({ key: u64, value: u32, maxEntries: 8 });
  using slow2 = HashMap.create({ key: generic(u64), value: generic(u32), maxEntries: 8 });
  agree(fast2, slow2, u64s, u32s);
});

kernelTest(test, 'array u32 → i64 (E2BIG out of range, EEXIST on noexist, no delete): fast and generic paths agree', () => {
  using fast = ArrayMap.create({ value: i64, maxEntries: 6 });
  using slow = new ArrayMapOf(BpfMap.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 6 }), generic(u32), generic(i64));
  agree(fast, slow, u32s, i64s);
});

kernelTest(test, 'closed maps: the typed paths throw the closed error; stale attrs cannot reach a map that reuses the fd', () => {
  const m = HashMap.create({ key: u32, value: u64, maxEntries: 4 });
  const access = m.map.access;
  const fd = m.fd;
  m.set(1, 5n);
  m.close();
  for (const run of [() => m.get(1), () => m.has(1), () => m.set(1, 1n), () => m.delete(1)]) {
    assert.throws(run, (e: unknown) => e instanceof KernelObjectError && /the map is closed/.test(e.message));
  }
  // The next map most likely gets the same fd number; the old access must not see its element.
  using next = HashMap.create({ key: u32, value: u64, maxEntries: 4 });
  next.set(1, 9n);
  access.key.set([1, 0, 0, 0]);
  assert.is(access.lookup(), -Errno.EBADF, `stale lookup (old fd ${fd}, new fd ${next.fd})`);
  assert.is(access.update(0), -Errno.EBADF);
  assert.is(access.delete(), -Errno.EBADF);
  assert.is(next.get(1), 9n);
});

test('element buffers: lookup/update attrs, key and value share one page when they fit, 8-byte aligned, and the attrs point at them', () => {
  const be = currentBackend();
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 512 }), fc.integer({ min: 1, max: 8192 }), (keySize, valueSize) => {
      const acc = new MapElemAccess(0, keySize, valueSize);
      const hot = be.address(acc.hot);
      assert.is(acc.key.byteLength, keySize);
      assert.is(acc.value.byteLength, valueSize);
      assert.is(acc.hot.byteOffset + acc.keyAt, acc.key.byteOffset);
      assert.is(acc.hot.byteOffset + acc.valueAt, acc.value.byteOffset);
      assert.is(Number(hot % 8n) + (acc.keyAt % 8) + (acc.valueAt % 8), 0, 'aligned');
      if (acc.hot.byteLength <= 4096) assert.is(hot / 4096n, (hot + BigInt(acc.hot.byteLength) - 1n) / 4096n, `one page: ${acc.hot.byteLength} bytes at ${hot.toString(16)}`);
      const attr = new DataView(acc.hot.buffer, acc.hot.byteOffset, 64);
      for (const at of [0, 32]) {
        assert.is(attr.getBigUint64(at + 8, true), keySize === 0 ? 0n : be.address(acc.key), 'key pointer');
        assert.is(attr.getBigUint64(at + 16, true), be.address(acc.value), 'value pointer');
      }
    }),
    { numRuns: 200 },
  );
});

/** An ArrayMap over any map and codecs (the constructor is public through TypedMap). */
class ArrayMapOf<V> extends ArrayMap<V> {}

test.run();
