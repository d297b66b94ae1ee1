/**
 * Scalar range tracking on a {@link RegState}: the kernel's `__mark_reg_known`,
 * `__mark_reg_unbounded`, `reg_bounds_sync` (bounds from the tnum, deduction between the
 * signed/unsigned and 32/64-bit views, tnum from the bounds), `zext_32_to_64` and
 * `coerce_reg_to_size[_sx]` (kernel/bpf/verifier.c).
 * @module
 */

import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, type RegState } from './register-state.js';
import {
  TNUM_UNKNOWN,
  U32_MAX,
  U64_MAX,
  tnumCast,
  tnumClearSubreg,
  tnumConst,
  tnumIntersect,
  tnumIsConst,
  tnumOr,
  tnumRange,
  tnumSubreg,
  tnumWithSubreg,
  type Tnum,
} from './tnum.js';

// Width conversions return values already in range unchanged: comparing bigints allocates
// nothing, a conversion allocates a new bigint (this is the hottest arithmetic of the verifier).
/** Mask of the high 32 bits of a u64. */
const HIGH32 = U64_MAX ^ U32_MAX;
const s64 = (x: bigint): bigint => (x >= S64_MIN && x <= S64_MAX ? x : BigInt.asIntN(64, x));
const u64 = (x: bigint): bigint => (x >= 0n && x <= U64_MAX ? x : BigInt.asUintN(64, x));
const s32 = (x: bigint): bigint => (x >= S32_MIN && x <= S32_MAX ? x : BigInt.asIntN(32, x));
const u32 = (x: bigint): bigint => (x >= 0n && x <= U32_MAX ? x : BigInt.asUintN(32, x));
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** Constants below this share their bigint and tnum objects (see {@link smallConstant}). */
export const SMALL_CONSTANTS = 4096;
const smallValues: bigint[] = Array.from({ length: SMALL_CONSTANTS }, (_, i) => BigInt(i));
const smallTnums: Tnum[] = smallValues.map((v) => tnumConst(v));

/**
 * The shared bigint of a constant in [0, {@link SMALL_CONSTANTS}): bigints and tnums are never
 * mutated, so registers holding the same small constant can share them (no allocation).
 */
export function smallConstant(n: number): bigint {
  return smallValues[n];
}

/** Like {@link setKnown} for a constant `n` in [0, {@link SMALL_CONSTANTS}): every bound the same shared bigint. */
export function setKnownSmall(r: RegState, n: number): void {
  const v = smallValues[n];
  r.varOff = smallTnums[n];
  r.smin = v;
  r.smax = v;
  r.umin = v;
  r.umax = v;
  r.s32min = v;
  r.s32max = v;
  r.u32min = v;
  r.u32max = v;
}

/** Sets every bound of `r` to the constant `imm` (`___mark_reg_known`). */
export function setKnown(r: RegState, imm: bigint): void {
  if (imm >= 0n && imm <= 0x7fffffffn) {
    // Every view of a non-negative s32 constant is the constant itself: no conversions.
    if (imm < 4096n) {
      setKnownSmall(r, Number(imm));
      return;
    }
    r.varOff = { value: imm, mask: 0n };
    r.smin = imm;
    r.smax = imm;
    r.umin = imm;
    r.umax = imm;
    r.s32min = imm;
    r.s32max = imm;
    r.u32min = imm;
    r.u32max = imm;
    return;
  }
  const v = u64(imm);
  const signed = s64(v);
  const low = u32(v);
  const signed32 = s32(low);
  r.varOff = tnumConst(v);
  r.smin = signed;
  r.smax = signed;
  r.umin = v;
  r.umax = v;
  r.s32min = signed32;
  r.s32max = signed32;
  r.u32min = low;
  r.u32max = low;
}

/** Makes `r` the scalar constant `imm`, clearing id and offsets (`__mark_reg_known` + SCALAR_VALUE). */
export function markKnown(r: RegState, imm: bigint): void {
  r.type = 'scalar';
  r.maybeNull = false;
  r.off = 0;
  r.id = 0;
  r.range = 0;
  r.map = -1;
  r.memSize = 0;
  r.refObjId = 0;
  r.btf = null;
  r.typeFlags = 0;
  r.precise = false;
  setKnown(r, imm);
}

/** Sets the low-half bounds to the constant `imm` (`__mark_reg32_known`). */
export function mark32Known(r: RegState, imm: bigint): void {
  r.varOff = tnumWithSubreg(r.varOff, tnumConst(u32(imm)));
  r.s32min = s32(imm);
  r.s32max = s32(imm);
  r.u32min = u32(imm);
  r.u32max = u32(imm);
}

/** Forgets the 64-bit bounds (`__mark_reg64_unbounded`). */
export function mark64Unbounded(r: RegState): void {
  r.smin = S64_MIN;
  r.smax = S64_MAX;
  r.umin = 0n;
  r.umax = U64_MAX;
}

/** Forgets the 32-bit bounds (`__mark_reg32_unbounded`). */
export function mark32Unbounded(r: RegState): void {
  r.s32min = S32_MIN;
  r.s32max = S32_MAX;
  r.u32min = 0n;
  r.u32max = U32_MAX;
}

/** Forgets all bounds (`__mark_reg_unbounded`). */
export function markUnbounded(r: RegState): void {
  mark64Unbounded(r);
  mark32Unbounded(r);
}

/** Makes `r` an unknown scalar (`__mark_reg_unknown`). */
export function markUnknown(r: RegState): void {
  r.type = 'scalar';
  r.maybeNull = false;
  r.off = 0;
  r.id = 0;
  r.range = 0;
  r.map = -1;
  r.memSize = 0;
  r.refObjId = 0;
  r.btf = null;
  r.typeFlags = 0;
  r.precise = false;
  r.varOff = TNUM_UNKNOWN;
  markUnbounded(r);
}

function update32(r: RegState): void {
  const t = tnumSubreg(r.varOff);
  r.s32min = max(r.s32min, s32(t.value | (t.mask & 0x80000000n)));
  r.s32max = min(r.s32max, s32(t.value | (t.mask & 0x7fffffffn)));
  r.u32min = max(r.u32min, t.value);
  r.u32max = min(r.u32max, t.value | t.mask);
}

function update64(r: RegState): void {
  const t = r.varOff;
  r.smin = max(r.smin, s64(t.value | (t.mask & (1n << 63n))));
  r.smax = min(r.smax, s64(t.value | (t.mask & S64_MAX)));
  r.umin = max(r.umin, t.value);
  r.umax = min(r.umax, t.value | t.mask);
}

/** Tightens the bounds from the tnum (`__update_reg_bounds`). */
export function updateBounds(r: RegState): void {
  update32(r);
  update64(r);
}

function deduce32(r: RegState): void {
  if (r.umin >> 32n === r.umax >> 32n) {
    r.u32min = max(r.u32min, u32(r.umin));
    r.u32max = min(r.u32max, u32(r.umax));
    if (s32(r.umin) <= s32(r.umax)) {
      r.s32min = max(r.s32min, s32(r.umin));
      r.s32max = min(r.s32max, s32(r.umax));
    }
  }
  if (r.smin >> 32n === r.smax >> 32n) {
    if (u32(r.smin) <= u32(r.smax)) {
      r.u32min = max(r.u32min, u32(r.smin));
      r.u32max = min(r.u32max, u32(r.smax));
    }
    if (s32(r.smin) <= s32(r.smax)) {
      r.s32min = max(r.s32min, s32(r.smin));
      r.s32max = min(r.s32max, s32(r.smax));
    }
  }
  if (u32(u32(r.umin >> 32n) + 1n) === u32(r.umax >> 32n) && s32(r.umin) < 0n && s32(r.umax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.umin));
    r.s32max = min(r.s32max, s32(r.umax));
  }
  if (u32(u32(u64(r.smin) >> 32n) + 1n) === u32(u64(r.smax) >> 32n) && s32(r.smin) < 0n && s32(r.smax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.smin));
    r.s32max = min(r.s32max, s32(r.smax));
  }
  if (s32(r.u32min) <= s32(r.u32max)) {
    r.s32min = max(r.s32min, s32(r.u32min));
    r.s32max = min(r.s32max, s32(r.u32max));
  }
  if (u32(r.s32min) <= u32(r.s32max)) {
    r.u32min = max(u32(r.s32min), r.u32min);
    r.u32max = min(u32(r.s32max), r.u32max);
  }
}

function deduce64(r: RegState): void {
  if (s64(r.umin) <= s64(r.umax)) {
    r.smin = max(r.smin, s64(r.umin));
    r.smax = min(r.smax, s64(r.umax));
  }
  if (u64(r.smin) <= u64(r.smax)) {
    r.umin = max(u64(r.smin), r.umin);
    r.umax = min(u64(r.smax), r.umax);
  } else if (r.umax < u64(r.smin)) {
    r.smin = s64(r.umin);
    r.umax = min(r.umax, u64(r.smax));
  } else if (u64(r.smax) < r.umin) {
    r.smax = s64(r.umax);
    r.umin = max(r.umin, u64(r.smin));
  }
}

/** The high 32 bits of a u64 with the low half replaced by `low` (values below 2^32 need no arithmetic). */
function withLow32(x: bigint, low: bigint): bigint {
  return x >= 0n && x <= U32_MAX ? low : (x & HIGH32) | low;
}

function deduceMixed(r: RegState): void {
  const newUmin = withLow32(r.umin, r.u32min);
  const newUmax = withLow32(r.umax, r.u32max);
  r.umin = max(r.umin, newUmin);
  r.umax = min(r.umax, newUmax);
  const newSmin = s64(withLow32(u64(r.smin), r.u32min));
  const newSmax = s64(withLow32(u64(r.smax), r.u32max));
  r.smin = max(r.smin, newSmin);
  r.smax = min(r.smax, newSmax);
  if (r.s32min >= 0n && r.smin >= S32_MIN && r.smax <= S32_MAX) {
    r.smin = r.s32min;
    r.smax = r.s32max;
    r.umin = u64(r.s32min);
    r.umax = u64(r.s32max);
    r.varOff = tnumIntersect(r.varOff, tnumRange(u64(r.smin), u64(r.smax)));
  }
}

function deduce(r: RegState): void {
  deduce32(r);
  deduce64(r);
  deduceMixed(r);
}

function boundOffset(r: RegState): void {
  const var64 = tnumIntersect(r.varOff, tnumRange(r.umin, r.umax));
  const var32 = tnumIntersect(tnumSubreg(var64), tnumRange(r.u32min, r.u32max));
  r.varOff = tnumOr(tnumClearSubreg(var64), var32);
}

/** Makes tnum and bounds agree (`reg_bounds_sync`). */
export function boundsSync(r: RegState): void {
  updateBounds(r);
  // The kernel deduces three times; a pass that changes nothing has reached the fixpoint, and
  // further passes (a pure function of the same fields) would change nothing either.
  for (let pass = 0; pass < 3; pass++) {
    const { varOff, smin, smax, umin, umax, s32min, s32max, u32min, u32max } = r;
    deduce(r);
    if (r.varOff === varOff && r.smin === smin && r.smax === smax && r.umin === umin && r.umax === umax && r.s32min === s32min && r.s32max === s32max && r.u32min === u32min && r.u32max === u32max) break;
  }
  boundOffset(r);
  updateBounds(r);
}

/** Whether the bounds are contradictory (the kernel's `reg_bounds_sanity_check` failing). */
export function boundsInvalid(r: RegState): boolean {
  return r.umin > r.umax || r.smin > r.smax || r.u32min > r.u32max || r.s32min > r.s32max;
}

/** Whether `r` is a scalar known on 64 (or, `is32`, the low 32) bits (`is_reg_const`). */
export function isConst(r: RegState, is32: boolean): boolean {
  return r.type === 'scalar' && (is32 ? (r.varOff.mask & U32_MAX) === 0n : tnumIsConst(r.varOff));
}

/** The constant of a {@link isConst} register. */
export function constValue(r: RegState, is32: boolean): bigint {
  return is32 ? r.varOff.value & U32_MAX : r.varOff.value;
}

/** The upper half becomes zero after a 32-bit operation (`zext_32_to_64`). */
export function zext32To64(r: RegState): void {
  r.varOff = tnumSubreg(r.varOff);
  r.umin = r.u32min;
  r.umax = r.u32max;
  if (r.s32min >= 0n && r.s32max >= 0n) {
    r.smin = r.s32min;
    r.smax = r.s32max;
  } else {
    r.smin = 0n;
    r.smax = U32_MAX;
  }
}

/** Truncates to `size` bytes, zero-extending (`coerce_reg_to_size`). */
export function coerceToSize(r: RegState, size: number): void {
  r.varOff = tnumCast(r.varOff, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((r.umin & ~mask) === (r.umax & ~mask)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0n;
    r.umax = mask;
  }
  r.smin = r.umin;
  r.smax = r.umax;
  if (size < 4) mark32Unbounded(r);
  boundsSync(r);
}

function sext(x: bigint, size: number): bigint {
  return BigInt.asIntN(size * 8, x);
}

/** Truncates to `size` bytes and sign-extends (`coerce_reg_to_size_sx`). */
export function coerceToSizeSx(r: RegState, size: number): void {
  if (tnumIsConst(r.varOff)) {
    const v = sext(r.varOff.value, size);
    setKnown(r, v);
    return;
  }
  const bits = BigInt(size * 8);
  const topMax = (u64(r.smax) >> bits) << bits;
  const topMin = (u64(r.smin) >> bits) << bits;
  if (topMax === topMin) {
    const a = sext(r.smax, size);
    const b = sext(r.smin, size);
    const hi = max(a, b);
    const lo = min(a, b);
    if (hi >= 0n === lo >= 0n) {
      r.smin = lo;
      r.s32min = lo;
      r.smax = hi;
      r.s32max = hi;
      r.umin = u64(lo);
      r.u32min = u32(lo);
      r.umax = u64(hi);
      r.u32max = u32(hi);
      r.varOff = tnumRange(u64(lo), u64(hi));
      return;
    }
  }
  const lim = 1n << (bits - 1n);
  r.smin = -lim;
  r.s32min = -lim;
  r.smax = lim - 1n;
  r.s32max = lim - 1n;
  r.umin = 0n;
  r.u32min = 0n;
  r.umax = U64_MAX;
  r.u32max = U32_MAX;
  r.varOff = TNUM_UNKNOWN;
}

/** Sign-extends the low `size` bytes of the 32-bit half (`coerce_subreg_to_size_sx`, simplified). */
export function coerceSubregToSizeSx(r: RegState, size: number): void {
  if (tnumIsConst(tnumSubreg(r.varOff))) {
    const v = u32(sext(r.varOff.value, size));
    mark32Known(r, v);
    return;
  }
  const lim = 1n << BigInt(size * 8 - 1);
  r.s32min = -lim;
  r.s32max = lim - 1n;
  r.u32min = 0n;
  r.u32max = U32_MAX;
  r.varOff = tnumWithSubreg(r.varOff, { value: 0n, mask: U32_MAX });
}
