/**
 * Tristate numbers: the kernel's `struct tnum` (kernel/bpf/tnum.c). A tnum is a 64-bit value
 * whose bits are each known 0, known 1 or unknown: `mask` marks the unknown bits and `value`
 * holds the known ones (a bit is never set in both). All values are unsigned 64-bit `bigint`s.
 * @module
 */

/** A tristate number: `value` the known bits, `mask` the unknown ones. */
export interface Tnum {
  /** Known bits (zero where `mask` has a one). */
  readonly value: bigint;
  /** Unknown bits. */
  readonly mask: bigint;
}

/** 2^64 - 1. */
export const U64_MAX = (1n << 64n) - 1n;
/** 2^32 - 1. */
export const U32_MAX = 0xffffffffn;

const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);

/** Builds a tnum (both parts truncated to 64 bits). */
export function tnum(value: bigint, mask: bigint): Tnum {
  return { value: u64(value), mask: u64(mask) };
}

/** A fully known value (`tnum_const`). */
export function tnumConst(value: bigint): Tnum {
  return { value: u64(value), mask: 0n };
}

/** Nothing known (`tnum_unknown`). */
export const TNUM_UNKNOWN: Tnum = { value: 0n, mask: U64_MAX };

function fls64(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** The smallest tnum holding every value of [min, max] (`tnum_range`). */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = u64(min) ^ u64(max);
  const bits = fls64(chi);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return tnum(u64(min) & ~delta, delta);
}

/** `a << shift` (`tnum_lshift`). */
export function tnumLshift(a: Tnum, shift: number): Tnum {
  return tnum(a.value << BigInt(shift), a.mask << BigInt(shift));
}

/** Logical `a >> shift` (`tnum_rshift`). */
export function tnumRshift(a: Tnum, shift: number): Tnum {
  return tnum(a.value >> BigInt(shift), a.mask >> BigInt(shift));
}

/** Arithmetic `a >> shift` on 32 or 64 bits (`tnum_arshift`). */
export function tnumArshift(a: Tnum, shift: number, bits: 32 | 64): Tnum {
  const s = BigInt(shift);
  if (bits === 32) return tnum(BigInt.asUintN(32, BigInt.asIntN(32, a.value) >> s), BigInt.asUintN(32, BigInt.asIntN(32, a.mask) >> s));
  return tnum(BigInt.asIntN(64, a.value) >> s, BigInt.asIntN(64, a.mask) >> s);
}

/** `a + b` (`tnum_add`). */
export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = u64(a.mask + b.mask);
  const sv = u64(a.value + b.value);
  const sigma = u64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return tnum(sv & ~mu, mu);
}

/** `a - b` (`tnum_sub`). */
export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return tnum(dv & ~mu, mu);
}

/** `-a` (`tnum_neg`). */
export function tnumNeg(a: Tnum): Tnum {
  return tnumSub(tnumConst(0n), a);
}

/** `a & b` (`tnum_and`). */
export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return tnum(v, alpha & beta & ~v);
}

/** `a | b` (`tnum_or`). */
export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return tnum(v, mu & ~v);
}

/** `a ^ b` (`tnum_xor`). */
export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return tnum(v & ~mu, mu);
}

/** The tnum holding every value of `a` and of `b` (`tnum_union`). */
export function tnumUnion(a: Tnum, b: Tnum): Tnum {
  const v = a.value & b.value;
  const mu = (a.value ^ b.value) | a.mask | b.mask;
  return tnum(v & ~mu, mu);
}

/** `a * b` (`tnum_mul`, Linux 6.18's shift-and-add form). */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  let acc = tnumConst(0n);
  while (a.value !== 0n || a.mask !== 0n) {
    if ((a.value & 1n) !== 0n) acc = tnumAdd(acc, b);
    else if ((a.mask & 1n) !== 0n) acc = tnumUnion(acc, tnumAdd(acc, b));
    a = tnumRshift(a, 1);
    b = tnumLshift(b, 1);
  }
  return acc;
}

/** Whether some value is in both `a` and `b` (`tnum_overlap`). */
export function tnumOverlap(a: Tnum, b: Tnum): boolean {
  const mu = u64(~a.mask & ~b.mask);
  return (a.value & mu) === (b.value & mu);
}

/** The values in both `a` and `b` (`tnum_intersect`). */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return tnum(v & ~mu, mu);
}

/** The low `size` bytes of `a` (`tnum_cast`). */
export function tnumCast(a: Tnum, size: number): Tnum {
  const m = (1n << BigInt(size * 8)) - 1n;
  return tnum(a.value & m, a.mask & m);
}

/** Whether every value of `a` is a multiple of `size` (`tnum_is_aligned`). */
export function tnumIsAligned(a: Tnum, size: number): boolean {
  if (size === 0) return true;
  return ((a.value | a.mask) & BigInt(size - 1)) === 0n;
}

/** Whether every value of `b` is a value of `a` (`tnum_in`). */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if ((b.mask & ~a.mask) !== 0n) return false;
  return a.value === (b.value & u64(~a.mask));
}

/** Whether `a` is fully known (`tnum_is_const`). */
export function tnumIsConst(a: Tnum): boolean {
  return a.mask === 0n;
}

/** Whether nothing is known about `a` (`tnum_is_unknown`). */
export function tnumIsUnknown(a: Tnum): boolean {
  return a.mask === U64_MAX;
}

/** Whether `a` and `b` are the same tnum. */
export function tnumEquals(a: Tnum, b: Tnum): boolean {
  return a.value === b.value && a.mask === b.mask;
}

/** The low 32 bits (`tnum_subreg`). */
export function tnumSubreg(a: Tnum): Tnum {
  return tnumCast(a, 4);
}

/** `a` with its low 32 bits known zero (`tnum_clear_subreg`). */
export function tnumClearSubreg(a: Tnum): Tnum {
  return tnumLshift(tnumRshift(a, 32), 32);
}

/** The high half of `reg` with the low half of `subreg` (`tnum_with_subreg`). */
export function tnumWithSubreg(reg: Tnum, subreg: Tnum): Tnum {
  return tnumOr(tnumClearSubreg(reg), tnumSubreg(subreg));
}

/** Whether the low 32 bits of `a` are known (`tnum_subreg_is_const`). */
export function tnumSubregIsConst(a: Tnum): boolean {
  return (a.mask & U32_MAX) === 0n;
}

/**
 * A tnum as the kernel's `tnum_strn` (kernel/bpf/log.c) prints it: a known value in decimal
 * up to 65535 and in hex above, otherwise `(0x…; 0x…)` (the kernel's `%#llx` prints 0 as `0x0`).
 */
export function tnumToString(a: Tnum): string {
  if (a.mask === 0n) return a.value <= 0xffffn ? a.value.toString() : `0x${a.value.toString(16)}`;
  return `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`;
}

function swab(x: bigint, bytes: number): bigint {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** The low `bytes` (2, 4 or 8) bytes of `a` in reverse order (`tnum_bswap16/32/64`). */
export function tnumBswap(a: Tnum, bytes: 2 | 4 | 8): Tnum {
  return { value: swab(a.value, bytes), mask: swab(a.mask, bytes) };
}
