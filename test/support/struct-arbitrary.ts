// Random struct and union types with random values of them, for property tests of the struct
// codecs (struct-codec, bound-codec and typed-map tests): declarations mix every field kind (integers, bool, char arrays, pointers,
// arrays, nested structs/unions, bitfields, padding; packed or not).
import fc from 'fast-check';
import {
  array, bits, bool, char, cDeclarations, INT_TYPES, pad, ptr, struct, union,
  type FieldSpec, type IntName, type IntType, type SomeType,
} from '../../src/types/index.js';
import type { AnyType } from '../../src/types/codegen.js';

export type Decl =
  | { k: 'int'; name: IntName } | { k: 'bool' } | { k: 'char'; n: number } | { k: 'ptr' }
  | { k: 'array'; el: Decl; n: number }
  | { k: 'struct' | 'union'; packed: boolean; fields: FieldDecl[] };
export type FieldDecl = { k: 'type'; t: Decl } | { k: 'bits'; base: IntName | 'bool'; w: number } | { k: 'pad'; n: number };

const intNames = Object.keys(INT_TYPES) as IntName[];

/** Random declarations; `unions` false leaves unions out (their decode reads every member). */
export function declArbitrary(unions: boolean): fc.Arbitrary<Decl> {
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
/** The type a declaration describes (struct and union tags numbered t0, t1, …). */
export function buildType(d: Decl): SomeType {
  switch (d.k) {
    case 'int': return INT_TYPES[d.name];
    case 'bool': return bool;
    case 'char': return char(d.n);
    case 'ptr': return ptr();
    case 'array': return array(buildType(d.el), d.n);
    case 'struct': case 'union': {
      const fields: Record<string, FieldSpec> = {};
      d.fields.forEach((f, i) => {
        fields[`f${i}`] = f.k === 'type' ? buildType(f.t) : f.k === 'pad' ? pad(f.n) : bits(f.base === 'bool' ? bool : INT_TYPES[f.base], f.w);
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

/** Every value of an integer type. */
export function intArb(t: IntType): fc.Arbitrary<number | bigint> {
  return t.bits === 64 ? fc.bigInt({ min: t.min as bigint, max: t.max as bigint }) : fc.integer({ min: t.min as number, max: t.max as number });
}

/** Values of `t` as decode yields them (typed arrays for integer arrays). */
export function valueArb(type: SomeType): fc.Arbitrary<unknown> {
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
export function typeAndValue(unions: boolean): fc.Arbitrary<{ type: SomeType; value: unknown }> {
  return declArbitrary(unions).map(buildType).chain((type) => valueArb(type).map((value) => ({
    type,
    value,
    [fc.toStringMethod]: () => `${cDeclarations(type)}value: ${fc.stringify(value)}`,
  })));
}
