/**
 * ALU operations on scalar ranges: the kernel's `adjust_scalar_min_max_vals` and the
 * `scalar[32]_min_max_*` helpers it calls (kernel/bpf/verifier.c). The destination register is
 * updated in place from its own range and the source's.
 * @module
 */

import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, type RegState } from './register-state.js';
import { SMALL_CONSTANTS, boundsSync, coerceToSize, mark32Known, mark32Unbounded, mark64Unbounded, markUnbounded, markUnknown, setKnown, setKnownSmall, updateBounds, zext32To64 } from './scalar-bounds.js';
import { U32_MAX, U64_MAX, tnumAdd, tnumBswap, tnumAnd, tnumArshift, tnumConst, tnumIsConst, tnumLshift, tnumMul, tnumNeg, tnumOr, tnumRshift, tnumSub, tnumSubreg, tnumSubregIsConst, tnumXor } from './tnum.js';

/** ALU operations whose ranges are tracked. */
export type ScalarAluOp = 'add' | 'sub' | 'mul' | 'and' | 'or' | 'xor' | 'lsh' | 'rsh' | 'arsh' | 'neg' | 'other';

const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** [result, overflowed] of a signed or unsigned fixed-width operation. */
function ovf(exact: bigint, bits: number, signed: boolean): [bigint, boolean] {
  const wrapped = signed ? BigInt.asIntN(bits, exact) : BigInt.asUintN(bits, exact);
  return [wrapped, wrapped !== exact];
}

function add32(d: RegState, s: RegState): void {
  const [a, oa] = ovf(d.s32min + s.s32min, 32, true);
  const [b, ob] = ovf(d.s32max + s.s32max, 32, true);
  if (oa || ob) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = a;
    d.s32max = b;
  }
  const [c, oc] = ovf(d.u32min + s.u32min, 32, false);
  const [e, oe] = ovf(d.u32max + s.u32max, 32, false);
  d.u32min = c;
  d.u32max = e;
  if (!oc && oe) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  }
}

function add64(d: RegState, s: RegState): void {
  const [a, oa] = ovf(d.smin + s.smin, 64, true);
  const [b, ob] = ovf(d.smax + s.smax, 64, true);
  if (oa || ob) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = a;
    d.smax = b;
  }
  const [c, oc] = ovf(d.umin + s.umin, 64, false);
  const [e, oe] = ovf(d.umax + s.umax, 64, false);
  d.umin = c;
  d.umax = e;
  if (!oc && oe) {
    d.umin = 0n;
    d.umax = U64_MAX;
  }
}

function sub32(d: RegState, s: RegState): void {
  const [a, oa] = ovf(d.s32min - s.s32max, 32, true);
  const [b, ob] = ovf(d.s32max - s.s32min, 32, true);
  if (oa || ob) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = a;
    d.s32max = b;
  }
  const [c, oc] = ovf(d.u32min - s.u32max, 32, false);
  const [e, oe] = ovf(d.u32max - s.u32min, 32, false);
  d.u32min = c;
  d.u32max = e;
  if (oc && !oe) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  }
}

function sub64(d: RegState, s: RegState): void {
  const [a, oa] = ovf(d.smin - s.smax, 64, true);
  const [b, ob] = ovf(d.smax - s.smin, 64, true);
  if (oa || ob) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = a;
    d.smax = b;
  }
  const [c, oc] = ovf(d.umin - s.umax, 64, false);
  const [e, oe] = ovf(d.umax - s.umin, 64, false);
  d.umin = c;
  d.umax = e;
  if (oc && !oe) {
    d.umin = 0n;
    d.umax = U64_MAX;
  }
}

function mul(d: RegState, s: RegState, bits: 32 | 64): void {
  const [umaxK, uminK, sminK, smaxK] = bits === 32 ? (['u32max', 'u32min', 's32min', 's32max'] as const) : (['umax', 'umin', 'smin', 'smax'] as const);
  const [a, oa] = ovf(d[umaxK] * s[umaxK], bits, false);
  const [b, ob] = ovf(d[uminK] * s[uminK], bits, false);
  if (oa || ob) {
    d[uminK] = 0n;
    d[umaxK] = bits === 32 ? U32_MAX : U64_MAX;
  } else {
    d[umaxK] = a;
    d[uminK] = b;
  }
  const prods = [d[sminK] * s[sminK], d[sminK] * s[smaxK], d[smaxK] * s[sminK], d[smaxK] * s[smaxK]];
  if (prods.some((p) => ovf(p, bits, true)[1])) {
    d[sminK] = bits === 32 ? S32_MIN : S64_MIN;
    d[smaxK] = bits === 32 ? S32_MAX : S64_MAX;
  } else {
    d[sminK] = prods.reduce(min);
    d[smaxK] = prods.reduce(max);
  }
}

function and32(d: RegState, s: RegState): void {
  const t = tnumSubreg(d.varOff);
  if (tnumSubregIsConst(s.varOff) && tnumSubregIsConst(d.varOff)) {
    mark32Known(d, t.value);
    return;
  }
  d.u32min = t.value;
  d.u32max = min(d.u32max, s.u32max);
  signed32FromUnsigned(d);
}

function and64(d: RegState, s: RegState): void {
  if (tnumIsConst(s.varOff) && tnumIsConst(d.varOff)) {
    setKnown(d, d.varOff.value);
    return;
  }
  d.umin = d.varOff.value;
  d.umax = min(d.umax, s.umax);
  signed64FromUnsigned(d);
  updateBounds(d);
}

function or32(d: RegState, s: RegState): void {
  const t = tnumSubreg(d.varOff);
  if (tnumSubregIsConst(s.varOff) && tnumSubregIsConst(d.varOff)) {
    mark32Known(d, t.value);
    return;
  }
  d.u32min = max(d.u32min, s.u32min);
  d.u32max = t.value | t.mask;
  signed32FromUnsigned(d);
}

function or64(d: RegState, s: RegState): void {
  if (tnumIsConst(s.varOff) && tnumIsConst(d.varOff)) {
    setKnown(d, d.varOff.value);
    return;
  }
  d.umin = max(d.umin, s.umin);
  d.umax = d.varOff.value | d.varOff.mask;
  signed64FromUnsigned(d);
  updateBounds(d);
}

function xor32(d: RegState, s: RegState): void {
  const t = tnumSubreg(d.varOff);
  if (tnumSubregIsConst(s.varOff) && tnumSubregIsConst(d.varOff)) {
    mark32Known(d, t.value);
    return;
  }
  d.u32min = t.value;
  d.u32max = t.value | t.mask;
  signed32FromUnsigned(d);
}

function xor64(d: RegState, s: RegState): void {
  if (tnumIsConst(s.varOff) && tnumIsConst(d.varOff)) {
    setKnown(d, d.varOff.value);
    return;
  }
  d.umin = d.varOff.value;
  d.umax = d.varOff.value | d.varOff.mask;
  signed64FromUnsigned(d);
  updateBounds(d);
}

function signed32FromUnsigned(d: RegState): void {
  if (s32(d.u32min) <= s32(d.u32max)) {
    d.s32min = s32(d.u32min);
    d.s32max = s32(d.u32max);
  } else {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  }
}

function signed64FromUnsigned(d: RegState): void {
  if (s64(d.umin) <= s64(d.umax)) {
    d.smin = s64(d.umin);
    d.smax = s64(d.umax);
  } else {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  }
}

function lsh32Bounds(d: RegState, umin: bigint, umax: bigint): void {
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  if (umax > 31n || d.u32max > 1n << (31n - umax)) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  } else {
    d.u32min = u32(d.u32min << umin);
    d.u32max = u32(d.u32max << umax);
  }
}

function lsh32(d: RegState, s: RegState): void {
  const sub = tnumSubreg(d.varOff);
  lsh32Bounds(d, s.u32min, s.u32max);
  d.varOff = tnumSubreg(tnumLshift(sub, Number(s.u32min)));
  mark64Unbounded(d);
  updateBounds(d);
}

function lsh64(d: RegState, s: RegState): void {
  const umin = s.umin;
  const umax = s.umax;
  d.smax = umin === 32n && umax === 32n && d.s32max >= 0n ? d.s32max << 32n : S64_MAX;
  d.smin = umin === 32n && umax === 32n && d.s32min >= 0n ? d.s32min << 32n : S64_MIN;
  if (d.umax > 1n << (63n - umax)) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = u64(d.umin << umin);
    d.umax = u64(d.umax << umax);
  }
  lsh32Bounds(d, umin, umax);
  d.varOff = tnumLshift(d.varOff, Number(umin));
  updateBounds(d);
}

function rsh32(d: RegState, s: RegState): void {
  const sub = tnumSubreg(d.varOff);
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  d.varOff = tnumRshift(sub, Number(s.u32min));
  d.u32min >>= s.u32max;
  d.u32max >>= s.u32min;
  mark64Unbounded(d);
  updateBounds(d);
}

function rsh64(d: RegState, s: RegState): void {
  d.smin = S64_MIN;
  d.smax = S64_MAX;
  d.varOff = tnumRshift(d.varOff, Number(s.umin));
  d.umin >>= s.umax;
  d.umax >>= s.umin;
  mark32Unbounded(d);
  updateBounds(d);
}

function arsh32(d: RegState, s: RegState): void {
  const sh = s.u32min;
  d.s32min = s32(d.s32min >> sh);
  d.s32max = s32(d.s32max >> sh);
  d.varOff = tnumArshift(tnumSubreg(d.varOff), Number(sh), 32);
  d.u32min = 0n;
  d.u32max = U32_MAX;
  mark64Unbounded(d);
  updateBounds(d);
}

function arsh64(d: RegState, s: RegState): void {
  const sh = s.umin;
  d.smin >>= sh;
  d.smax >>= sh;
  d.varOff = tnumArshift(d.varOff, Number(sh), 64);
  d.umin = 0n;
  d.umax = U64_MAX;
  mark32Unbounded(d);
  updateBounds(d);
}

/** `scalar32_min_max_add` + `scalar_min_max_add` + `tnum_add`, without re-syncing the bounds. */
export function addBounds(d: RegState, src: RegState): void {
  add32(d, src);
  add64(d, src);
  d.varOff = tnumAdd(d.varOff, src.varOff);
}

/** Whether the kernel computes a range for `op` with this source (`is_safe_to_compute_dst_reg_range`). */
export function safeToCompute(op: ScalarAluOp, src: RegState, width: 32 | 64): boolean {
  switch (op) {
    case 'add':
    case 'sub':
    case 'neg':
    case 'and':
    case 'xor':
    case 'or':
    case 'mul':
      return true;
    case 'lsh':
    case 'rsh':
    case 'arsh': {
      const isConst =
        width === 32
          ? tnumSubregIsConst(src.varOff) && src.s32min === src.s32max && src.u32min === src.u32max
          : tnumIsConst(src.varOff) && src.smin === src.smax && src.umin === src.umax;
      return isConst && src.umax < BigInt(width);
    }
    default:
      return false;
  }
}

/**
 * `dst op= src` on scalar ranges (`adjust_scalar_min_max_vals`); `src` is not modified.
 * For `neg`, `src` is ignored.
 */
export function scalarAlu(d: RegState, src: RegState, op: ScalarAluOp, width: 32 | 64): void {
  if (!safeToCompute(op, src, width)) {
    markUnknown(d);
    return;
  }
  if (tnumIsConst(d.varOff) && tnumIsConst(src.varOff) && op !== 'other') {
    // Both operands known: the kernel's range arithmetic ends at the exact result.
    const a = d.varOff.value;
    const b = src.varOff.value;
    if (op === 'add' && a < 0x40000000n && b < 0x40000000n) {
      // Small non-negative sums (loop counters) need no bigint arithmetic.
      const sum = Number(a) + Number(b);
      if (sum < SMALL_CONSTANTS) setKnownSmall(d, sum);
      else setKnown(d, BigInt(sum));
      return;
    }
    setKnown(d, constResult(a, b, op, width));
    return;
  }
  const alu32 = width === 32;
  switch (op) {
    case 'add':
      add32(d, src);
      add64(d, src);
      d.varOff = tnumAdd(d.varOff, src.varOff);
      break;
    case 'sub':
      sub32(d, src);
      sub64(d, src);
      d.varOff = tnumSub(d.varOff, src.varOff);
      break;
    case 'neg': {
      const old = { ...d };
      setKnown(d, 0n);
      sub32(d, old);
      sub64(d, old);
      d.varOff = tnumNeg(old.varOff);
      break;
    }
    case 'mul':
      d.varOff = tnumMul(d.varOff, src.varOff);
      mul(d, src, 32);
      mul(d, src, 64);
      break;
    case 'and':
      d.varOff = tnumAnd(d.varOff, src.varOff);
      and32(d, src);
      and64(d, src);
      break;
    case 'or':
      d.varOff = tnumOr(d.varOff, src.varOff);
      or32(d, src);
      or64(d, src);
      break;
    case 'xor':
      d.varOff = tnumXor(d.varOff, src.varOff);
      xor32(d, src);
      xor64(d, src);
      break;
    case 'lsh':
      if (alu32) lsh32(d, src);
      else lsh64(d, src);
      break;
    case 'rsh':
      if (alu32) rsh32(d, src);
      else rsh64(d, src);
      break;
    case 'arsh':
      if (alu32) arsh32(d, src);
      else arsh64(d, src);
      break;
    default:
      break;
  }
  if (alu32) zext32To64(d);
  boundsSync(d);
}

function constResult(a: bigint, b: bigint, op: ScalarAluOp, width: 32 | 64): bigint {
  const bits = BigInt(width);
  const x = BigInt.asUintN(width, a);
  const y = BigInt.asUintN(width, b);
  let r: bigint;
  switch (op) {
    case 'add':
      r = x + y;
      break;
    case 'sub':
      r = x - y;
      break;
    case 'mul':
      r = x * y;
      break;
    case 'and':
      r = x & y;
      break;
    case 'or':
      r = x | y;
      break;
    case 'xor':
      r = x ^ y;
      break;
    case 'lsh':
      r = x << (y % bits);
      break;
    case 'rsh':
      r = x >> (y % bits);
      break;
    case 'arsh':
      r = BigInt.asIntN(width, x) >> (y % bits);
      break;
    case 'neg':
      r = -x;
      break;
    default:
      r = 0n;
  }
  return BigInt.asUintN(width, r);
}

/** A scalar register holding the constant `v` (the kernel's fake source register for `K` operands). */
export function constReg(v: bigint): RegState {
  const u = u64(v);
  return {
    type: 'scalar',
    maybeNull: false,
    off: 0,
    frameno: 0,
    id: 0,
    range: 0,
    map: -1,
    memSize: 0,
    refObjId: 0,
    btf: null,
    typeFlags: 0,
    varOff: tnumConst(u),
    smin: s64(u),
    smax: s64(u),
    umin: u,
    umax: u,
    s32min: s32(u),
    s32max: s32(u),
    u32min: u32(u),
    u32max: u32(u),
    precise: false,
  };
}

/**
 * `BPF_END` on a scalar (`scalar_byte_swap`, little-endian host): `bswap` (ALU64) and `be`
 * swap the low `bits` and forget the range (re-derived from the tnum); 16- and 32-bit forms then
 * truncate; `le` only truncates. A changed value loses its scalar id.
 */
export function scalarByteSwap(d: RegState, alu64: boolean, toLe: boolean, bits: number): void {
  const needSwap = alu64 || !toLe;
  if (needSwap || bits === 16 || bits === 32) d.id = 0;
  if (needSwap) {
    d.varOff = tnumBswap(d.varOff, (bits / 8) as 2 | 4 | 8);
    markUnbounded(d);
  }
  if (bits === 16 || bits === 32) coerceToSize(d, bits / 8);
  boundsSync(d);
}
