// Bound struct codecs (src/types/bound-codec.ts: a struct or union codec generated for one
// 8-byte-aligned buffer, with typed-array views at constant indices) against the type's own
// encode/decode, property-tested over random struct and union layouts (fast-check): the same
// bytes whatever garbage the buffer held before (padding and bitfield bytes zero, char arrays
// NUL-padded), the same decoded values for random bytes, readInto equal to decode and filling
// nested objects in place, and the same errors (class and message) for values that do not fit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { bindCodec, char, struct, u32, u64, type SomeType } from '../../src/types/index.js';
import { numRuns } from '../support/num-runs.js';
import { typeAndValue } from '../support/struct-arbitrary.js';

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** `size` bytes at an 8-aligned offset of a larger buffer (so that the views' offsets matter). */
function region(size: number, at = 16): Uint8Array {
  return new Uint8Array(new ArrayBuffer(at + size + 16), at, size);
}

/** What a call gave: its result or its error's class and message. */
function outcome(run: () => unknown): unknown {
  try {
    return { ok: run() };
  } catch (e) {
    return { error: (e as Error).constructor.name, message: (e as Error).message };
  }
}

const garbage = fc.integer({ min: 0, max: 255 });
/** Values that fit no field, or only some. */
const junk = fc.constantFrom<unknown>(undefined, null, -1, 1.5, 2 ** 40, -(2 ** 40), 'x', 'a long string that fits no small char array', 1n, -1n, 1n << 64n, true, {}, [], NaN);

test('bound write gives the bytes of encode, whatever the buffer held (random layouts)', () => {
  fc.assert(fc.property(typeAndValue(true), garbage, ({ type, value }, fill) => {
    const bytes = region(type.size);
    const bound = bindCodec<unknown, unknown>(type, bytes);
    assert.ok(bound !== undefined, 'a struct or union gets a bound codec');
    bytes.fill(fill);
    bound.write(value);
    assert.is(hex(bytes), hex(type.encode(value)));
  }), { numRuns: numRuns(300) });
});

test('bound read and readInto give the values of decode, for random bytes (random layouts)', () => {
  fc.assert(fc.property(typeAndValue(true).chain(({ type, value }) =>
    fc.uint8Array({ minLength: type.size, maxLength: type.size }).map((raw) => ({ type, value, raw }))), ({ type, raw }) => {
    const bytes = region(type.size);
    bytes.set(raw);
    const bound = bindCodec<Record<string, unknown>, unknown>(type, bytes)!;
    const expected = type.decode(raw);
    assert.equal(bound.read(), expected);
    // readInto: a fresh object, and one holding the objects of an earlier decode (filled in place).
    assert.equal(bound.readInto({}), expected);
    const target = type.decode(new Uint8Array(type.size)) as Record<string, unknown>;
    const nested = Object.entries(target).filter(([, v]) => v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && !Array.isArray(v));
    assert.is(bound.readInto(target), target);
    assert.equal(target, expected);
    for (const [name, obj] of nested) assert.is(target[name], obj, `nested .${name} filled in place`);
  }), { numRuns: numRuns(300) });
});

test('bound write throws what encode throws for values that do not fit (random layouts)', () => {
  fc.assert(fc.property(typeAndValue(true), junk, fc.nat(), ({ type, value }, bad, pick) => {
    const bytes = region(type.size);
    const bound = bindCodec<unknown, unknown>(type, bytes)!;
    const names = Object.keys(value as object);
    const wrong = names.length === 0 ? bad : { ...(value as object), [names[pick % names.length]!]: bad };
    assert.equal(outcome(() => bound.write(wrong)), outcome(() => void type.encode(wrong)));
  }), { numRuns: numRuns(300) });
});

test('bindCodec: undefined where no bound codec applies (scalars, misaligned or short bytes, other objects)', () => {
  const t = struct('bound_t', { a: u32, b: u64, c: char(3) });
  assert.ok(bindCodec(t, region(t.size)) !== undefined);
  assert.is(bindCodec(u32 as SomeType, region(4)), undefined);
  assert.is(bindCodec(t, region(t.size, 4)), undefined);
  assert.is(bindCodec(t, region(t.size - 1)), undefined);
  assert.is(bindCodec({ size: t.size, read: t.read, write: t.write }, region(t.size)), undefined);
});

test('bound readInto: a TypeError for a target that is not an object', () => {
  const t = struct('bound_into', { a: u32 });
  const bound = bindCodec<unknown, unknown>(t, region(t.size))!;
  assert.throws(() => bound.readInto(null), (e: unknown) => e instanceof TypeError && /must be an object \(struct bound_into\), got null/.test((e as Error).message));
  assert.throws(() => bound.readInto(3), (e: unknown) => e instanceof TypeError && /got number/.test((e as Error).message));
});

test.run();
