/**
 * The scalar types: the integers `u8` … `s64` (the kernel's `__u8` … `__s64`) and `bool`
 * (`_Bool`). Integers of at most 32 bits are JS numbers, 64-bit ones bigints; bool is a boolean
 * (decoded as "byte is not zero").
 * @module
 */

import { IntEncoding, type Int as BtfInt, type Typedef as BtfTypedef } from 'ebpf-bytecode-utils';
import type { CType } from './c-type.js';
import { codecMethods } from './codec-entry.js';
import { compileCodec } from './codegen.js';

/** Names of the integer types. */
export type IntName = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64';

/** The JS value of an integer type: `bigint` for 64-bit, `number` otherwise. */
export type IntValue<N extends IntName> = N extends 'u64' | 's64' ? bigint : number;

/** An integer type. */
export interface IntType<N extends IntName = IntName> extends CType<IntValue<N>> {
  /** Discriminant. */
  readonly kind: 'int';
  /** Our name: `u32`. */
  readonly name: N;
  /** Whether two's-complement signed. */
  readonly signed: boolean;
  /** Width in bits (8, 16, 32, 64). */
  readonly bits: 8 | 16 | 32 | 64;
  /** Smallest value. */
  readonly min: IntValue<N>;
  /** Largest value. */
  readonly max: IntValue<N>;
  /** The C base type the kernel typedef names (`unsigned int` for `__u32`); the BTF int's name. */
  readonly baseName: string;
}

/** `_Bool`. */
export interface BoolType extends CType<boolean> {
  /** Discriminant. */
  readonly kind: 'bool';
}

/** Integer or bool: what a bitfield can be declared with. */
export type ScalarType = IntType | BoolType;

function intType<N extends IntName>(name: N, bits: 8 | 16 | 32 | 64, signed: boolean, baseName: string): IntType<N> {
  const size = bits / 8;
  const wide = bits === 64;
  const min = signed ? (wide ? -(1n << 63n) : -(2 ** (bits - 1))) : (wide ? 0n : 0);
  const max = signed ? (wide ? (1n << 63n) - 1n : 2 ** (bits - 1) - 1) : (wide ? (1n << 64n) - 1n : 2 ** bits - 1);
  const cName = `__${name}`;
  let node: BtfTypedef | undefined;
  const t: IntType<N> = {
    kind: 'int',
    name,
    signed,
    bits,
    min: min as IntValue<N>,
    max: max as IntValue<N>,
    baseName,
    cName,
    size,
    align: size,
    fitsRegister: true,
    cDecl: (n: string) => `${cName} ${n}`,
    btf: () => (node ??= { kind: 'typedef', name: cName, target: btfInt(baseName, size, signed ? IntEncoding.SIGNED : 0) }),
    ...codecMethods(cName, size, () => compileCodec(t)),
  };
  return Object.freeze(t);
}

const ints = new Map<string, BtfInt>();

/**
 * The shared BTF int node named `name` (one object per name, so a type graph refers to one
 * `unsigned int`).
 */
export function btfInt(name: string, size: number, encoding: number): BtfInt {
  let n = ints.get(name);
  if (n === undefined) {
    n = { kind: 'int', name, size, encoding, bitOffset: 0, bits: size * 8 };
    ints.set(name, n);
  }
  return n;
}

/** `__u8` (`unsigned char`): a number in [0, 255]. */
export const u8: IntType<'u8'> = intType('u8', 8, false, 'unsigned char');
/** `__u16` (`unsigned short`): a number in [0, 65535]. */
export const u16: IntType<'u16'> = intType('u16', 16, false, 'unsigned short');
/** `__u32` (`unsigned int`): a number in [0, 2^32). */
export const u32: IntType<'u32'> = intType('u32', 32, false, 'unsigned int');
/** `__u64` (`unsigned long long`): a bigint in [0, 2^64). 8-byte aligned, also on BPF. */
export const u64: IntType<'u64'> = intType('u64', 64, false, 'unsigned long long');
/** `__s8` (`signed char`): a number in [-128, 127]. */
export const s8: IntType<'s8'> = intType('s8', 8, true, 'signed char');
/** `__s16` (`short`): a number in [-32768, 32767]. */
export const s16: IntType<'s16'> = intType('s16', 16, true, 'short');
/** `__s32` (`int`): a number in [-2^31, 2^31). */
export const s32: IntType<'s32'> = intType('s32', 32, true, 'int');
/** `__s64` (`long long`): a bigint in [-2^63, 2^63). */
export const s64: IntType<'s64'> = intType('s64', 64, true, 'long long');

let boolNode: BtfInt | undefined;

/** `_Bool`: one byte; decodes to `byte !== 0`, encodes `true` as 1. */
export const bool: BoolType = Object.freeze({
  kind: 'bool' as const,
  cName: '_Bool',
  size: 1,
  align: 1,
  fitsRegister: true,
  cDecl: (n: string) => `_Bool ${n}`,
  btf: () => (boolNode ??= btfInt('_Bool', 1, IntEncoding.BOOL)),
  ...codecMethods<boolean, boolean>('_Bool', 1, () => compileCodec(bool)),
});

/** Every integer type by name. */
export const INT_TYPES: { readonly [N in IntName]: IntType<N> } = Object.freeze({ u8, u16, u32, u64, s8, s16, s32, s64 });
