// Struct codecs, property-tested over random struct types (fast-check): decode(encode(v)) = v,
// encode(decode(bytes)) = bytes for bytes encode produced, the generated codec and the closure
// plan agree on every input (random bytes included), and views are honoured at any offset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  array, bits, bool, char, cDeclarations, INT_TYPES, pad, ptr, struct, union,
  type CompositeType, type FieldSpec, type IntName, type IntType, type SomeType,
} from '../../src/types/index.js';
import { compileCodec } from '../../src/types/codegen.js';
import { compilePlan } from '../../src/types/plan.js';
import type { AnyType } from '../../src/types/codegen.js';

// ---- random types ----

type Decl =
  | { k: 'int'; name: IntName } | { k: 'bool' } | { k: 'char'; n: number } | { k: 'ptr' }
  | { k: 'array'; el: Decl; n: number }
  | { k: 'struct' | 'union'; packed: boolean; fields: FieldDecl[] };
type FieldDecl = { k: 'type'; t: Decl } | { k: 'bits'; base: IntName | 'bool'; w: number } | { k: 'pad'; n: number };

const intNames = Object.keys(INT_TYPES) as IntName[];

/** Random declarations; `unions` false leaves unions out (their decode reads every member). */
function declArbitrary(unions: boolean): fc.Arbitrary<Decl> {
  const bitsArb = fc.constantFrom<IntName | 'bool'>(...intNames, 'bool').chain((base) =>
    fc.integer({ min: 1, max: base === 'bool' ? 1 : INT_TYPES[base].bits }).map((w): FieldDecl => ({ k: 'bits', base, w })));
  return fc.letrec<{ decl: Decl; field: FieldDecl; top: Decl }>((tie) => ({
    decl: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 6, arbitrary: fc.constantFrom(...intNames).map((name): Decl => ({ k: 'int', name })) },
      { weight: 1, arbitrary: fc.constant<Decl>({ k: 'bool' }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 12 }).map((n): Decl => ({ k: 'char', n })) },
      { weight: 1, arbitrary: fc.constant<Decl>({ k: 'ptr' }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('array' as const), el: tie('decl'), n: fc.integer({ min: 0, max: 4 }) }) },
      { weight: 2, arbitrary: tie('top') },
    ),
    field: fc.oneof(
      { weight: 5, arbitrary: tie('decl').map((t): FieldDecl => ({ k: 'type', t })) },
      { weight: 3, arbitrary: bitsArb },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }).map((n): FieldDecl => ({ k: 'pad', n })) },
    ),
    top: fc.record({
      k: unions ? fc.constantFrom('struct' as const, 'struct' as const, 'union' as const) : fc.constant('struct' as const),
      packed: fc.boolean(),
      fields: fc.array(tie('field'), { minLength: 1, maxLength: 6 }),
    }),
  })).top;
}

let typeCounter = 0;
function build(d: Decl): SomeType {
  switch (d.k) {
    case 'int': return INT_TYPES[d.name];
    case 'bool': return bool;
    case 'char': return char(d.n);
    case 'ptr': return ptr();
    case 'array': return array(build(d.el), d.n);
    case 'struct': case 'union': {
      const fields: Record<string, FieldSpec> = {};
      d.fields.forEach((f, i) => {
        fields[`f${i}`] = f.k === 'type' ? build(f.t) : f.k === 'pad' ? pad(f.n) : bits(f.base === 'bool' ? bool : INT_TYPES[f.base], f.w);
      });
      return (d.k === 'struct' ? struct : union)(`t${typeCounter++}`, fields, { packed: d.packed });
    }
  }
}

const utf8 = new TextEncoder();
const typedArrayOf: Record<IntName, (a: readonly (number | bigint)[]) => unknown> = {
  u8: (a) => Uint8Array.from(a as number[]), s8: (a) => Int8Array.from(a as number[]),
  u16: (a) => Uint16Array.from(a as number[]), s16: (a) => Int16Array.from(a as number[]),
  u32: (a) => Uint32Array.from(a as number[]), s32: (a) => Int32Array.from(a as number[]),
  u64: (a) => BigUint64Array.from(a as bigint[]), s64: (a) => BigInt64Array.from(a as bigint[]),
};

function intArb(t: IntType): fc.Arbitrary<number | bigint> {
  return t.bits === 64 ? fc.bigInt({ min: t.min as bigint, max: t.max as bigint }) : fc.integer({ min: t.min as number, max: t.max as number });
}

/** Values of `t` as decode yields them (typed arrays for integer arrays). */
function valueArb(type: SomeType): fc.Arbitrary<unknown> {
  const t = type as AnyType;
  switch (t.kind) {
    case 'int': return intArb(t);
    case 'bool': return fc.boolean();
    case 'ptr': return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    case 'chars': {
      const n = t.length;
      return fc.string({ unit: fc.oneof(fc.constantFrom('a', 'Z', '/', ' ', '.'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: n })
        .filter((s) => !s.includes('\0') && utf8.encode(s).length <= n);
    }
    case 'array': {
      const e = t.element as AnyType;
      const items = fc.array(valueArb(e), { minLength: t.length, maxLength: t.length });
      return e.kind === 'int' ? items.map((a) => typedArrayOf[e.name](a as (number | bigint)[])) : items;
    }
    case 'struct': case 'union': {
      const rec: Record<string, fc.Arbitrary<unknown>> = {};
      for (const f of t.fields) {
        if (f.kind === 'pad') continue;
        if (f.kind === 'value') rec[f.name] = valueArb(f.type);
        else if (f.type.kind === 'bool') rec[f.name] = fc.boolean();
        else {
          const signed = (f.type as IntType).signed;
          const w = BigInt(f.bitSize);
          const min = signed ? -(1n << (w - 1n)) : 0n;
          const max = signed ? (1n << (w - 1n)) - 1n : (1n << w) - 1n;
          rec[f.name] = f.bitSize > 32 ? fc.bigInt({ min, max }) : fc.integer({ min: Number(min), max: Number(max) });
        }
      }
      if (t.kind === 'union') {
        const names = Object.keys(rec);
        if (names.length === 0) return fc.constant({});
        return fc.constantFrom(...names).chain((name) => rec[name].map((v) => ({ [name]: v })));
      }
      return fc.record(rec, { noNullPrototype: true });
    }
  }
}

/** A random struct type with a random value of it. */
function typeAndValue(unions: boolean): fc.Arbitrary<{ type: SomeType; value: unknown }> {
  return declArbitrary(unions).map(build).chain((type) => valueArb(type).map((value) => ({
    type,
    value,
    [fc.toStringMethod]: () => `${cDeclarations(type)}value: ${fc.stringify(value)}`,
  })));
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

test('decode(encode(v)) = v for random struct types and values', () => {
  fc.assert(fc.property(typeAndValue(false), ({ type, value }) => {
    const bytes = type.encode(value);
    assert.is(bytes.length, type.size);
    assert.equal(type.decode(bytes), value);
  }), { numRuns: 400 });
});

test('encode(decode(b)) = b for b = encode(v), unions included', () => {
  // Unions: decode reads every member, and a bool/char member does not keep arbitrary bytes, so
  // the union members here are encoded first (the first given member wins the shared bytes).
  fc.assert(fc.property(typeAndValue(false), ({ type, value }) => {
    const b = type.encode(value);
    assert.is(hex(type.encode(type.decode(b))), hex(b));
  }), { numRuns: 300 });
});

test('the generated codec and the closure plan agree: random bytes in, values and bytes out', () => {
  fc.assert(fc.property(typeAndValue(true).chain(({ type, value }) =>
    fc.uint8Array({ minLength: type.size, maxLength: type.size }).map((raw) => ({ type, value, raw }))),
  ({ type, value, raw }) => {
    const gen = compileCodec<unknown, unknown>(type);
    const plan = compilePlan(type as AnyType);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    assert.equal(gen.read(dv, raw, 0), plan.read(dv, raw, 0));
    const a = new Uint8Array(type.size);
    const b = new Uint8Array(type.size);
    gen.write(new DataView(a.buffer), a, 0, value, '');
    plan.write(new DataView(b.buffer), b, 0, value, '');
    assert.is(hex(a), hex(b));
    assert.is(hex(type.encode(value)), hex(a));
  }), { numRuns: 300 });
});

test('views: byteOffset and byteLength are honoured, at any offset', () => {
  fc.assert(fc.property(typeAndValue(false), fc.nat(16), fc.nat(16), fc.nat(16), ({ type, value }, before, at, after) => {
    const backing = new Uint8Array(before + at + type.size + after).fill(0xa5);
    const view = backing.subarray(before, before + at + type.size);
    const written = type.encode(value, view, at);
    assert.is(written.byteOffset, before + at);
    assert.is(backing[before + at + type.size] ?? 0xa5, 0xa5);
    assert.equal(type.decode(view, at), value);
    assert.equal(type.decode(new DataView(backing.buffer, before, at + type.size), at), value);
    assert.equal(type.read(new DataView(backing.buffer, before + at, type.size), 0), value);
    if (type.size > 0) assert.throws(() => type.decode(view, at + 1), (e: Error) => e instanceof RangeError);
  }), { numRuns: 200 });
});

test('a union round trips through the member it was encoded with when that member covers it', () => {
  const U = union('u', { a: INT_TYPES.u64, b: array(INT_TYPES.u8, 8), c: bits(INT_TYPES.u32, 5) });
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (a) => {
    const bytes = U.encode({ a });
    const d = U.decode(bytes);
    assert.is(d.a, a);
    assert.is(d.c, Number(a & 31n));
    assert.is(hex(d.b), hex(bytes));
    assert.is(hex(U.encode(d)), hex(bytes));
  }));
});

test('composite type guard for unused import', () => {
  const t: CompositeType = struct('g', { x: INT_TYPES.u8 });
  assert.is(t.size, 1);
});

test.run();
