// Struct codecs, property-tested over random struct types (fast-check): decode(encode(v)) = v,
// encode(decode(bytes)) = bytes for bytes encode produced, the generated codec and the closure
// plan agree on every input (random bytes included), and views are honoured at any offset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  array, bits, INT_TYPES, struct, union, type CompositeType,
} from '../../src/types/index.js';
import { compileCodec } from '../../src/types/codegen.js';
import { compilePlan } from '../../src/types/plan.js';
import type { AnyType } from '../../src/types/codegen.js';
import { typeAndValue } from '../support/struct-arbitrary.js';

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
