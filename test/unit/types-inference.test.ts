// Type tests for struct types: Infer/InferInput give the expected JS types (checked with a
// type-level equality helper), and misuse does not compile (each `@ts-expect-error` line must be
// an error, or `tsc --noEmit` fails on the unused directive). The runtime part only checks that
// the declarations used here exist.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  array, bits, bool, char, pad, ptr, s16, s64, s8, struct, u16, u32, u64, u8, union,
  type Infer, type InferInput, type StructType,
} from '../../src/types/index.js';
import type { Codec } from '../../src/maps/codec.js';

/** `true` when `A` and `B` are the same type (not merely assignable). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
/** Compiles only when given `true`. */
function expectTrue<T extends true>(): T | undefined {
  return undefined;
}

const Event = struct('event', { pid: u32, uid: u32, ts: u64, comm: char(16), fname: char(256) });
const Inner = struct('inner', { x: s16, y: s16 });
const Everything = struct('everything', {
  a: u8, b: s8, c: u16, d: s64, e: bool,
  f: bits(u32, 3), g: bits(u64, 40), h: bits(bool, 1), i: bits(s64, 32),
  j: array(u32, 4), k: array(u64, 2), l: array(Inner, 2), m: array(char(4), 2), n: array(bool, 3),
  o: ptr(Inner), p: ptr(), q: pad(4), r: Inner,
  s: union('val', { as_u64: u64, as_bytes: array(u8, 8) }),
});

test('Infer: numbers up to 32 bits, bigint for 64, strings, booleans, typed arrays, nested objects', () => {
  expectTrue<Equal<Infer<typeof Event>, { pid: number; uid: number; ts: bigint; comm: string; fname: string }>>();
  expectTrue<Equal<Infer<typeof Everything>, {
    a: number; b: number; c: number; d: bigint; e: boolean;
    f: number; g: bigint; h: boolean; i: number;
    j: Uint32Array<ArrayBuffer>; k: BigUint64Array<ArrayBuffer>; l: { x: number; y: number }[]; m: string[]; n: boolean[];
    o: bigint; p: bigint; r: { x: number; y: number };
    s: { as_u64: bigint; as_bytes: Uint8Array<ArrayBuffer> };
  }>>();
  expectTrue<Equal<Infer<typeof u64>, bigint>>();
  expectTrue<Equal<Infer<typeof s16>, number>>();
  expectTrue<Equal<Infer<ReturnType<typeof char>>, string>>();
  const ev = Event.decode(new Uint8Array(Event.size));
  expectTrue<Equal<typeof ev, Infer<typeof Event>>>();
  assert.is(ev.ts, 0n);
});

test('InferInput: readonly fields, array-likes for integer arrays, unions take some members', () => {
  expectTrue<Equal<InferInput<typeof Event>, { readonly pid: number; readonly uid: number; readonly ts: bigint; readonly comm: string; readonly fname: string }>>();
  expectTrue<Equal<InferInput<typeof Everything>['j'], ArrayLike<number>>>();
  expectTrue<Equal<InferInput<typeof Everything>['k'], ArrayLike<bigint>>>();
  expectTrue<Equal<InferInput<typeof Everything>['l'], readonly { readonly x: number; readonly y: number }[]>>();
  expectTrue<Equal<InferInput<typeof Everything>['s'], { readonly as_u64?: bigint; readonly as_bytes?: ArrayLike<number> }>>();
  // A decoded value can be encoded again.
  const v: InferInput<typeof Everything> = Everything.decode(new Uint8Array(Everything.size));
  assert.is(Everything.encode(v).length, Everything.size);
});

test('the declaration is kept in the type: names, fields, literal lengths', () => {
  expectTrue<Equal<typeof Event.name, 'event'>>();
  expectTrue<Equal<Parameters<typeof Event.offsetOf>[0], 'pid' | 'uid' | 'ts' | 'comm' | 'fname'>>();
  expectTrue<Equal<(typeof Event.spec)['comm']['length'], 16>>();
  const asStruct: StructType = Event as unknown as StructType;
  assert.is(asStruct.name, 'event');
});

test('struct types are map codecs (src/maps Codec<T>) as they are', () => {
  const key: Codec<number> = u32;
  const value: Codec<Infer<typeof Event>> = Event;
  assert.is(key.size + value.size, 4 + 288);
});

test('misuse does not compile', () => {
  const never = (): void => {
    // @ts-expect-error: wrong field type
    Event.encode({ pid: 'x', uid: 0, ts: 0n, comm: '', fname: '' });
    // @ts-expect-error: number where a u64 (bigint) is expected
    Event.encode({ pid: 1, uid: 0, ts: 0, comm: '', fname: '' });
    // @ts-expect-error: missing field
    Event.encode({ pid: 1, uid: 0, comm: '', fname: '' });
    // @ts-expect-error: unknown field
    Event.encode({ pid: 1, uid: 0, ts: 0n, comm: '', fname: '', extra: 1 });
    // @ts-expect-error: unknown field in offsetOf
    Event.offsetOf('nope');
    // @ts-expect-error: unknown field in field()
    Event.field('nope');
    // @ts-expect-error: a bigint is not a number
    const n: number = Event.decode(new Uint8Array(0)).ts;
    // @ts-expect-error: padding has no value
    Everything.decode(new Uint8Array(0)).q;
    // @ts-expect-error: bitfields need an integer or bool type
    bits(char(4), 3);
    // @ts-expect-error: a bitfield is not a type of its own
    array(bits(u8, 1), 2);
    // @ts-expect-error: not a field declaration
    struct('bad', { a: 3 });
    // @ts-expect-error: a union member of the wrong type
    Everything.encode({ ...Everything.decode(new Uint8Array(0)), s: { as_u64: 1 } });
    // @ts-expect-error: boolean bitfield takes booleans
    struct('b', { f: bits(bool, 1) }).encode({ f: 1 });
    void n;
  };
  assert.type(never, 'function');
});

test.run();
