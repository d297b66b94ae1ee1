/**
 * The C scalar types of eDSL expressions: `u8`…`u64`, `s8`…`s64` and `bool`, the same objects
 * as the struct types of `src/types` (so one declaration serves maps, events and programs). This
 * module adds what code generation asks of them: name, signedness, width, wrap-around.
 *
 * ```ts
 * u32.size;         // 4
 * isSigned(s64);    // true
 * type V = Infer<typeof u64>; // bigint
 * ```
 * @module
 */

import { bool, s16, s32, s64, s8, u16, u32, u64, u8, type BoolType, type IntName, type IntType, type ScalarType } from '../types/index.js';

export { bool, s16, s32, s64, s8, u16, u32, u64, u8, type BoolType, type IntName, type IntType, type ScalarType };
export type { Infer } from '../types/index.js';

/** Type of {@link u8}. */
export type U8 = typeof u8;
/** Type of {@link u16}. */
export type U16 = typeof u16;
/** Type of {@link u32}. */
export type U32 = typeof u32;
/** Type of {@link u64}. */
export type U64 = typeof u64;
/** Type of {@link s8}. */
export type S8 = typeof s8;
/** Type of {@link s16}. */
export type S16 = typeof s16;
/** Type of {@link s32}. */
export type S32 = typeof s32;
/** Type of {@link s64}. */
export type S64 = typeof s64;
/** Type of {@link bool}. */
export type Bool = BoolType;

/** The C name of a scalar type: `u32`, `bool`. */
export function typeName(t: ScalarType): string {
  return t.kind === 'bool' ? 'bool' : t.name;
}

/** Whether a scalar type is signed (picks `s>`, `s/`, `s>>` over `>`, `/`, `>>`). */
export function isSigned(t: ScalarType): boolean {
  return t.kind === 'int' && t.signed;
}

/** Whether two scalar types are the same. */
export function sameType(a: ScalarType, b: ScalarType): boolean {
  return a.kind === b.kind && a.size === b.size && isSigned(a) === isSigned(b);
}

/** Wraps `v` to the range of `t` (two's complement), as the C conversion to `t` does. */
export function wrap(t: ScalarType, v: bigint): bigint {
  if (t.kind === 'bool') return v === 0n ? 0n : 1n;
  const b = t.size * 8;
  return t.signed ? BigInt.asIntN(b, v) : BigInt.asUintN(b, v);
}
