/**
 * Bitfields: `bits(u32, 3)` as a struct field is C's `__u32 name : 3`. Widths of at most 32
 * bits are numbers, wider ones bigints; `bits(bool, 1)` is a boolean. Laid out by the SysV
 * rules clang uses for BPF (see `layout.ts`).
 * @module
 */

import { TypeDeclarationError } from './errors.js';
import type { BoolType, IntType, ScalarType } from './scalars.js';

/** A bitfield field declaration: `type name : width`. */
export interface BitsSpec<T extends ScalarType = ScalarType, W extends number = number> {
  /** Discriminant (a field declaration, not a type). */
  readonly kind: 'bits';
  /** Declared type. */
  readonly type: T;
  /** Width in bits, 1 … the type's bits. */
  readonly width: W;
}

/** Widths whose values are numbers. */
type SmallWidth =
  | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16
  | 17 | 18 | 19 | 20 | 21 | 22 | 23 | 24 | 25 | 26 | 27 | 28 | 29 | 30 | 31 | 32;

/** The JS value of a bitfield: boolean for bool, number up to 32 bits, bigint beyond. */
export type BitsValue<T, W extends number> = T extends BoolType
  ? boolean
  : number extends W ? number | bigint : W extends SmallWidth ? number : bigint;

/**
 * `type name : width`. Throws {@link TypeDeclarationError} when `type` is not an integer or bool,
 * or `width` is not in 1 … the type's width (1 for bool). Zero-width bitfields are not supported.
 */
export function bits<T extends IntType | BoolType, W extends number>(type: T, width: W): BitsSpec<T, W> {
  if (type === null || typeof type !== 'object' || (type.kind !== 'int' && type.kind !== 'bool')) {
    throw new TypeDeclarationError(`bits(?, ${String(width)})`, '', 'a bitfield is declared with an integer type or bool');
  }
  const max = type.kind === 'bool' ? 1 : type.bits;
  if (!Number.isInteger(width) || width < 1 || width > max) {
    throw new TypeDeclarationError(`${type.cName} : ${String(width)}`, '', `bitfield width must be an integer in [1, ${max}]`);
  }
  return Object.freeze({ kind: 'bits', type, width });
}
