/**
 * The encoder's structural deduplication: a model holding separately built but identical types
 * (recursive structs included) encodes to the same bytes as the model that shares them, equal
 * types get one id, and types that differ anywhere stay apart (fast-check over random graphs).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { decodeBtf, encodeBtf, IntEncoding, shallowSignature, typeChildren, type Int, type Member, type Pointer, type Struct, type Type } from '../../asm/src/btf/index.js';

const int = (name = 'int'): Int => ({ kind: 'int', name, size: 4, encoding: IntEncoding.SIGNED, bitOffset: 0, bits: 32 });

/** `struct node { int v; struct node *next; }`, built from scratch each call. */
function node(name = 'node', field = 'next'): Struct {
  const s = { kind: 'struct', name, size: 16, members: [] as Member[] } as Struct;
  const p: Pointer = { kind: 'ptr', target: s };
  (s.members as Member[]).push({ name: 'v', type: int(), bitOffset: 0, bitfieldSize: 0 }, { name: field, type: p, bitOffset: 64, bitfieldSize: 0 });
  return s;
}

const pair = (a: Type, b: Type): Struct => ({
  kind: 'struct', name: 'pair', size: 32,
  members: [{ name: 'a', type: a, bitOffset: 0, bitfieldSize: 0 }, { name: 'b', type: b, bitOffset: 128, bitfieldSize: 0 }],
});

test('dedup: two copies of a recursive struct encode like one shared struct', () => {
  const shared = node();
  const once = encodeBtf([pair(shared, shared)]);
  const a = node();
  const b = node();
  const twice = encodeBtf([pair(a, b)]);
  assert.equal(twice.bytes, once.bytes);
  assert.is(twice.typeId(a), twice.typeId(b));
  assert.is(twice.typeId((a.members[1].type as Pointer)), twice.typeId((b.members[1].type as Pointer)));
  assert.is(twice.types.length, once.types.length);
  // Without dedup both copies are there: the int, pointer and struct twice more.
  const raw = encodeBtf([pair(node(), node())], { dedup: false });
  assert.is(raw.types.length, once.types.length + 3);
  assert.is(decodeBtf(raw.bytes).typeCount, once.types.length + 3);
});

test('dedup: mutually recursive pairs collapse; a difference anywhere keeps types apart', () => {
  const cycle = (bName: string): Struct => {
    const a = { kind: 'struct', name: 'a', size: 8, members: [] as Member[] } as Struct;
    const b = { kind: 'struct', name: bName, size: 8, members: [{ name: 'back', type: { kind: 'ptr', target: a } as Pointer, bitOffset: 0, bitfieldSize: 0 }] } as Struct;
    (a.members as Member[]).push({ name: 'fwd', type: { kind: 'ptr', target: b } as Pointer, bitOffset: 0, bitfieldSize: 0 });
    return a;
  };
  const same = encodeBtf([pair(cycle('b'), cycle('b'))]);
  const x = cycle('b');
  assert.equal(same.bytes, encodeBtf([pair(x, x)]).bytes);
  // Two structs 'a' that differ only in what their pointee is called: all of the cycle stays twice.
  const p = cycle('b');
  const q = cycle('c');
  const apart = encodeBtf([pair(p, q)]);
  assert.is.not(apart.typeId(p), apart.typeId(q));
  assert.is(apart.types.length, 1 + 1 + 2 * 4);
  // Member names, offsets, int encodings: each difference counts.
  const e = encodeBtf([pair(node('n', 'next'), node('n', 'nxt'))]);
  assert.is(e.types.length, 1 + 1 + 1 + 2 * 2);
  const u = encodeBtf([pair(int('int'), { ...int('int'), encoding: 0 })]);
  assert.is(u.types.length, 1 + 1 + 2);
});

/** A random graph: nodes are ints, pointers (to any node: cycles allowed) or structs of members. */
interface Spec {
  readonly nodes: readonly ({ k: 'int'; name: string } | { k: 'ptr'; to: number } | { k: 'struct'; name: string; members: readonly { name: string; to: number }[] })[];
}
const specArb: fc.Arbitrary<Spec> = fc.integer({ min: 1, max: 12 }).chain((n) =>
  fc.record({
    nodes: fc.array(
      fc.oneof(
        fc.record({ k: fc.constant('int' as const), name: fc.constantFrom('int', 'char') }),
        fc.record({ k: fc.constant('ptr' as const), to: fc.nat(n - 1) }),
        fc.record({ k: fc.constant('struct' as const), name: fc.constantFrom('s', 't'), members: fc.array(fc.record({ name: fc.constantFrom('x', 'y'), to: fc.nat(n - 1) }), { maxLength: 3 }) }),
      ),
      { minLength: n, maxLength: n },
    ),
  }),
);

/** Builds the graph of `spec` as fresh objects; returns node 0. */
function build(spec: Spec): Type {
  const objs: Type[] = spec.nodes.map((d) => (d.k === 'int' ? int(d.name) : d.k === 'ptr' ? ({ kind: 'ptr' } as Pointer) : ({ kind: 'struct', name: d.name, size: 8, members: [] } as unknown as Struct)));
  spec.nodes.forEach((d, i) => {
    const o = objs[i] as { target?: Type; members?: Member[] };
    if (d.k === 'ptr') o.target = objs[d.to];
    else if (d.k === 'struct') for (const [j, m] of d.members.entries()) o.members!.push({ name: m.name, type: objs[m.to], bitOffset: 32 * j, bitfieldSize: 0 });
  });
  return objs[0];
}

test('dedup (fast-check): two independent builds of a graph encode like one build used twice', () => {
  fc.assert(
    fc.property(specArb, (spec) => {
      const one = build(spec);
      const shared = encodeBtf([pair(one, one)]);
      const a = build(spec);
      const b = build(spec);
      const root = pair(a, b);
      const copies = encodeBtf([root]);
      assert.equal(copies.bytes, shared.bytes);
      assert.is(copies.typeId(a), copies.typeId(b));
      // Dedup never merges types that differ: every original type, unfolded a few levels, is
      // what the decoder finds at its id.
      const decoded = decodeBtf(copies.bytes);
      assert.is(decoded.typeCount, copies.types.length);
      const same = (o: Type, d: Type, depth: number): boolean =>
        shallowSignature(o) === shallowSignature(d) && (depth === 0 || typeChildren(o).every((c, i) => same(c, typeChildren(d)[i]!, depth - 1)));
      for (const o of encodeBtf([root], { dedup: false }).types.slice(1)) assert.ok(same(o, decoded.typeById(copies.typeId(o)), 5));
    }),
    { numRuns: 300 },
  );
});

test.run();
