// TypedMap with struct and union keys and values on live kernel maps: the bound-codec fast path
// (src/types/bound-codec.ts, typed-array views over the map's own key/value buffers) against the
// generic path (the same type's write/read through a copied codec object, which TypedMap does not
// recognise), for random struct and union layouts (fast-check): random sequences of
// get/getInto/has/set/delete with values that fit and values that do not must give the same
// results, the same errors (class and message) and the same map contents, and the bytes the
// kernel holds must be those of the type's encode.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { BpfMap, HashMap, TypedMap, u32, u64, type Codec, type UpdateFlag } from '../../src/maps/index.js';
import { char, struct, u32 as u32Type, u64 as u64Type, type SomeType } from '../../src/types/index.js';
import { kernelTest } from '../support/kernel.js';
import { numRuns } from '../support/num-runs.js';
import { buildType, declArbitrary, valueArb } from '../support/struct-arbitrary.js';

const test = suite('maps: struct fast paths (kernel)');

/** The same codec as a new object: TypedMap takes its generic path for it. */
const generic = <T>(c: Codec<T>): Codec<T> => ({ size: c.size, write: c.write, read: c.read });

type Op<K, V> =
  | { op: 'get' | 'has' | 'delete' | 'getInto'; key: K }
  | { op: 'set'; key: K; value: V; flag: UpdateFlag };

/** What a call gave: its result, or its error's class and message. */
function outcome(run: () => unknown): unknown {
  try {
    const r = run();
    return { ok: r instanceof TypedMap ? 'this' : r };
  } catch (err) {
    return { error: (err as Error).constructor.name, message: (err as Error).message };
  }
}

/** The op on the fast map; getInto fills a reused object, holding nested objects from an earlier get. */
function applyFast<K, V>(m: TypedMap<K, V>, o: Op<K, V>, target: { value: unknown }): unknown {
  switch (o.op) {
    case 'get': return outcome(() => m.get(o.key));
    case 'getInto': return outcome(() => (m.getInto(o.key, target.value as V) ? target.value : undefined));
    case 'has': return outcome(() => m.has(o.key));
    case 'delete': return outcome(() => m.delete(o.key));
    case 'set': return outcome(() => m.set(o.key, o.value, o.flag));
  }
}

/** The op on the generic map (getInto as a get: the generic codec has no getInto). */
function applySlow<K, V>(m: TypedMap<K, V>, o: Op<K, V>): unknown {
  return applyFast(m, o.op === 'getInto' ? { op: 'get', key: o.key } : o, { value: undefined });
}

/** Raw `[key, value]` pairs as hex, sorted: what the kernel holds. */
function rawContents(m: BpfMap): string[] {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  return [...m.entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();
}

const flags = fc.constantFrom<UpdateFlag>('any', 'any', 'noexist', 'exist');
const junk = fc.constantFrom<unknown>(undefined, null, -1, 1.5, 2 ** 40, 'x', 'a long string that fits no small char array', 1n, -1n, 1n << 64n, true, {}, []);

/** Values of `type`: mostly valid, sometimes with one field (or the whole value) replaced by junk. */
function values(type: SomeType): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 5, arbitrary: valueArb(type) },
    { weight: 1, arbitrary: fc.tuple(valueArb(type), junk, fc.nat()).map(([v, bad, pick]) => {
      const names = Object.keys(v as object);
      return names.length === 0 ? bad : { ...(v as object), [names[pick % names.length]!]: bad };
    }) },
  );
}

function ops<K, V>(keys: fc.Arbitrary<K>, vals: fc.Arbitrary<V>): fc.Arbitrary<Op<K, V>[]> {
  return fc.array(fc.oneof(
    fc.record({ op: fc.constantFrom('get' as const, 'getInto' as const, 'has' as const, 'delete' as const), key: keys }),
    fc.record({ op: fc.constant('set' as const), key: keys, value: vals, flag: flags }),
  ), { maxLength: 25 });
}

/** Runs `seq` on both maps (empty) and compares every outcome, the contents, and the kernel's bytes. */
function agree<K, V>(fast: TypedMap<K, V>, slow: TypedMap<K, V>, seq: Op<K, V>[], valueType: SomeType | undefined): void {
  const target = { value: {} as unknown };
  for (const o of seq) {
    const before = o.op === 'getInto' ? fast.get(o.key as K) : undefined;
    if (before !== undefined && typeof before === 'object') target.value = valueType!.decode(new Uint8Array(valueType!.size));
    assert.equal(applyFast(fast, o, target), applySlow(slow, o), `${o.op}`);
    if (o.op === 'set' && valueType !== undefined && (fast.has(o.key))) {
      // The kernel holds the type's encoding of the value last set (when that set succeeded).
      const stored = fast.map.get(fast.map.access.key.slice());
      const expected = outcome(() => valueType.encode(o.value));
      if ('ok' in (expected as object) && o.flag !== 'noexist') assert.is(Buffer.from(stored!).toString('hex'), Buffer.from((expected as { ok: Uint8Array }).ok).toString('hex'));
    }
  }
  assert.equal(rawContents(fast.map), rawContents(slow.map));
}

const layouts = declArbitrary(true).map(buildType).filter((t) => t.size > 0 && t.size <= 256);

kernelTest(test, 'hash u32 → random struct/union: bound and generic paths agree (results, errors, contents, kernel bytes)', () => {
  fc.assert(fc.property(layouts.chain((type) => ops(fc.integer({ min: 0, max: 3 }), values(type)).map((seq) => ({ type, seq }))), ({ type, seq }) => {
    const create = () => BpfMap.create({ type: 'hash', keySize: 4, valueSize: type.size, maxEntries: 8 });
    const fast = new TypedMap<number, unknown>(create(), u32, type);
    const slow = new TypedMap<number, unknown>(create(), u32, generic(type));
    try {
      agree(fast, slow, seq as Op<number, unknown>[], type);
    } finally {
      fast.close();
      slow.close();
    }
  }), { numRuns: numRuns(60) });
});

kernelTest(test, 'hash random struct/union key → u64: bound and generic paths agree', () => {
  const arb = layouts.chain((type) => fc.array(valueArb(type), { minLength: 1, maxLength: 3 }).chain((pool) =>
    ops(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: values(type) }), fc.bigInt({ min: 0n, max: 99n }))
      .map((seq) => ({ type, seq }))));
  fc.assert(fc.property(arb, ({ type, seq }) => {
    const create = () => BpfMap.create({ type: 'hash', keySize: type.size, valueSize: 8, maxEntries: 8 });
    const fast = new TypedMap<unknown, bigint>(create(), type, u64);
    const slow = new TypedMap<unknown, bigint>(create(), generic(type), u64);
    try {
      agree(fast, slow, seq.filter((o) => o.op !== 'getInto') as Op<unknown, bigint>[], undefined);
    } finally {
      fast.close();
      slow.close();
    }
  }), { numRuns: numRuns(60) });
});

kernelTest(test, 'getInto: fills the caller\'s object (nested ones in place), false for a missing key, TypeErrors for misuse', () => {
  const inner = struct('gi_inner', { ts: u64Type, comm: char(8) });
  const ev = struct('gi_event', { pid: u32Type, at: inner });
  using m = HashMap.create({ key: u32, value: ev, maxEntries: 4 });
  m.set(1, { pid: 42, at: { ts: 7n, comm: 'node' } });
  const target = { pid: 0, at: { ts: 0n, comm: '' } };
  const nested = target.at;
  assert.is(m.getInto(1, target), true);
  assert.equal(target, { pid: 42, at: { ts: 7n, comm: 'node' } });
  assert.is(target.at, nested);
  assert.is(m.getInto(2, target), false);
  assert.equal(target, { pid: 42, at: { ts: 7n, comm: 'node' } }, 'untouched on a missing key');
  assert.throws(() => m.getInto(1, null as never), (e: unknown) => e instanceof TypeError && /target must be an object, got null/.test((e as Error).message));
  using scalar = HashMap.create({ key: u32, value: u64, maxEntries: 4 });
  assert.throws(() => scalar.getInto(1, {} as never), (e: unknown) => e instanceof TypeError && /no struct or union value type/.test((e as Error).message));
});

test.run();
