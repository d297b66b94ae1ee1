/**
 * Conditional jumps on abstract values: whether a branch is always/never taken
 * (`is_branch_taken`, `is_scalar_branch_taken`) and the narrowing of both registers' ranges in
 * each successor (`reg_set_min_max`, `regs_refine_cond_op`), as in kernel/bpf/verifier.c.
 * @module
 */

import type { JumpCondition } from 'ebpf-bytecode-utils';
import { isPacketPointerAny, isPointer, type RegState } from './register-state.js';
import { boundsSync, constValue, isConst, markUnbounded } from './scalar-bounds.js';
import { tnumAnd, tnumConst, tnumIntersect, tnumIsConst, tnumOr, tnumOverlap, tnumSubreg, tnumWithSubreg, U32_MAX, U64_MAX } from './tnum.js';
import { btfNotNull } from './btf-pointee.js';

/** Jump conditions plus the internal "no bit of the mask set" reverse of `jset`. */
export type Condition = JumpCondition | 'jset_rev';

const FLIP: Record<Condition, Condition> = {
  jeq: 'jeq',
  jne: 'jne',
  jset: 'jset',
  jset_rev: 'jset_rev',
  jge: 'jle',
  jgt: 'jlt',
  jle: 'jge',
  jlt: 'jgt',
  jsge: 'jsle',
  jsgt: 'jslt',
  jsle: 'jsge',
  jslt: 'jsgt',
};

const REVERSE: Record<Condition, Condition> = {
  jeq: 'jne',
  jne: 'jeq',
  jset: 'jset_rev',
  jset_rev: 'jset',
  jge: 'jlt',
  jgt: 'jle',
  jle: 'jgt',
  jlt: 'jge',
  jsge: 'jslt',
  jsgt: 'jsle',
  jsle: 'jsgt',
  jslt: 'jsge',
};

/** The condition with its operands swapped (`flip_opcode`). */
export function flipCondition(c: Condition): Condition {
  return FLIP[c];
}

/** The negated condition (`rev_opcode`). */
export function reverseCondition(c: Condition): Condition {
  return REVERSE[c];
}

/** Packet range markers of the kernel: a pointer known at or beyond `pkt_end`. */
export const AT_PKT_END = -1;
/** See {@link AT_PKT_END}. */
export const BEYOND_PKT_END = -2;

/** Whether the 32-bit ranges of `r1` and `r2` cannot meet. */
function disjoint32(r1: RegState, r2: RegState): boolean {
  return r1.u32min > r2.u32max || r1.u32max < r2.u32min || r1.s32min > r2.s32max || r1.s32max < r2.s32min;
}

function scalarTaken(r1: RegState, r2: RegState, c: Condition, is32: boolean): number {
  const t1 = is32 ? tnumSubreg(r1.varOff) : r1.varOff;
  const t2 = is32 ? tnumSubreg(r2.varOff) : r2.varOff;
  const umin1 = is32 ? r1.u32min : r1.umin;
  const umax1 = is32 ? r1.u32max : r1.umax;
  const smin1 = is32 ? r1.s32min : r1.smin;
  const smax1 = is32 ? r1.s32max : r1.smax;
  const umin2 = is32 ? r2.u32min : r2.umin;
  const umax2 = is32 ? r2.u32max : r2.umax;
  const smin2 = is32 ? r2.s32min : r2.smin;
  const smax2 = is32 ? r2.s32max : r2.smax;
  switch (c) {
    case 'jeq':
      if (tnumIsConst(t1) && tnumIsConst(t2)) return t1.value === t2.value ? 1 : 0;
      if (!tnumOverlap(t1, t2)) return 0;
      if (umin1 > umax2 || umax1 < umin2) return 0;
      if (smin1 > smax2 || smax1 < smin2) return 0;
      if (!is32 && disjoint32(r1, r2)) return 0;
      return -1;
    case 'jne':
      if (tnumIsConst(t1) && tnumIsConst(t2)) return t1.value !== t2.value ? 1 : 0;
      if (!tnumOverlap(t1, t2)) return 1;
      if (umin1 > umax2 || umax1 < umin2) return 1;
      if (smin1 > smax2 || smax1 < smin2) return 1;
      if (!is32 && disjoint32(r1, r2)) return 1;
      return -1;
    case 'jset': {
      let a = t1;
      let b = r2;
      let bt = t2;
      if (!isConst(r2, is32)) {
        a = t2;
        b = r1;
        bt = t1;
      }
      if (!isConst(b, is32)) return -1;
      if ((~a.mask & a.value & bt.value) !== 0n) return 1;
      if (((a.mask | a.value) & bt.value) === 0n) return 0;
      return -1;
    }
    case 'jgt':
      return umin1 > umax2 ? 1 : umax1 <= umin2 ? 0 : -1;
    case 'jsgt':
      return smin1 > smax2 ? 1 : smax1 <= smin2 ? 0 : -1;
    case 'jlt':
      return umax1 < umin2 ? 1 : umin1 >= umax2 ? 0 : -1;
    case 'jslt':
      return smax1 < smin2 ? 1 : smin1 >= smax2 ? 0 : -1;
    case 'jge':
      return umin1 >= umax2 ? 1 : umax1 < umin2 ? 0 : -1;
    case 'jsge':
      return smin1 >= smax2 ? 1 : smax1 < smin2 ? 0 : -1;
    case 'jle':
      return umax1 <= umin2 ? 1 : umin1 > umax2 ? 0 : -1;
    case 'jsle':
      return smax1 <= smin2 ? 1 : smin1 > smax2 ? 0 : -1;
    default:
      return -1;
  }
}

function pktTaken(dst: RegState, src: RegState, c: Condition): number {
  let pkt: RegState;
  if (src.type === 'pkt_end') pkt = dst;
  else if (dst.type === 'pkt_end') {
    pkt = src;
    c = flipCondition(c);
  } else return -1;
  if (pkt.range >= 0) return -1;
  switch (c) {
    case 'jle':
    case 'jgt':
      if (pkt.range === BEYOND_PKT_END) return c === 'jgt' ? 1 : 0;
      break;
    case 'jlt':
    case 'jge':
      if (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END) return c === 'jge' ? 1 : 0;
      break;
  }
  return -1;
}

/**
 * `reg_not_null`: the pointer types a comparison with 0 decides. Context, stack and packet
 * pointers are not among them (the kernel explores both branches of `if r1 != 0x0` on a ctx).
 */
function notNull(r: RegState): boolean {
  if (r.type === 'btf_id' || r.typeFlags !== 0) return btfNotNull(r);
  return !r.maybeNull && (r.type === 'map_ptr' || r.type === 'map_value' || r.type === 'mem' || r.type === 'ringbuf_mem' || r.type === 'sock' || r.type === 'sock_common' || r.type === 'tcp_sock');
}

/** 1 when the jump is always taken, 0 when never, -1 when unknown (`is_branch_taken`). */
export function branchTaken(r1: RegState, r2: RegState, c: Condition, is32: boolean): number {
  if (isPacketPointerAny(r1) && isPacketPointerAny(r2) && !is32) return pktTaken(r1, r2, c);
  if (isPointer(r1) || isPointer(r2)) {
    if (!isConst(r2, is32)) {
      c = flipCondition(c);
      [r1, r2] = [r2, r1];
    }
    if (!isConst(r2, is32)) return -1;
    if (!notNull(r1)) return -1;
    if (constValue(r2, is32) !== 0n) return -1;
    return c === 'jeq' ? 0 : c === 'jne' ? 1 : -1;
  }
  return scalarTaken(r1, r2, c, is32);
}

const mx = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const mn = (a: bigint, b: bigint): bigint => (a < b ? a : b);

function isPowerOf2(v: bigint): boolean {
  return v !== 0n && (v & (v - 1n)) === 0n;
}

/** Narrows `r1` and `r2` assuming `r1 c r2` holds (`regs_refine_cond_op`). */
export function refineCondition(r1: RegState, r2: RegState, c: Condition, is32: boolean): void {
  if (c === 'jge' || c === 'jgt' || c === 'jsge' || c === 'jsgt') {
    c = flipCondition(c);
    [r1, r2] = [r2, r1];
  }
  switch (c) {
    case 'jeq':
      if (is32) {
        r1.u32min = mx(r1.u32min, r2.u32min);
        r1.u32max = mn(r1.u32max, r2.u32max);
        r1.s32min = mx(r1.s32min, r2.s32min);
        r1.s32max = mn(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min;
        r2.u32max = r1.u32max;
        r2.s32min = r1.s32min;
        r2.s32max = r1.s32max;
        const t = tnumIntersect(tnumSubreg(r1.varOff), tnumSubreg(r2.varOff));
        r1.varOff = tnumWithSubreg(r1.varOff, t);
        r2.varOff = tnumWithSubreg(r2.varOff, t);
      } else {
        r1.umin = mx(r1.umin, r2.umin);
        r1.umax = mn(r1.umax, r2.umax);
        r1.smin = mx(r1.smin, r2.smin);
        r1.smax = mn(r1.smax, r2.smax);
        r2.umin = r1.umin;
        r2.umax = r1.umax;
        r2.smin = r1.smin;
        r2.smax = r1.smax;
        r1.varOff = tnumIntersect(r1.varOff, r2.varOff);
        r2.varOff = r1.varOff;
      }
      break;
    case 'jne': {
      if (!isConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!isConst(r2, is32)) break;
      const val = constValue(r2, is32);
      if (is32) {
        const v = BigInt.asUintN(32, val);
        const sv = BigInt.asIntN(32, val);
        if (r1.u32min === v) r1.u32min++;
        if (r1.u32max === v) r1.u32max = BigInt.asUintN(32, r1.u32max - 1n);
        if (r1.s32min === sv) r1.s32min++;
        if (r1.s32max === sv) r1.s32max--;
      } else {
        const sv = BigInt.asIntN(64, val);
        if (r1.umin === val) r1.umin++;
        if (r1.umax === val) r1.umax = BigInt.asUintN(64, r1.umax - 1n);
        if (r1.smin === sv) r1.smin++;
        if (r1.smax === sv) r1.smax--;
      }
      break;
    }
    case 'jset': {
      if (!isConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!isConst(r2, is32)) break;
      const val = constValue(r2, is32);
      if (!isPowerOf2(val)) break;
      if (is32) r1.varOff = tnumWithSubreg(r1.varOff, tnumOr(tnumSubreg(r1.varOff), tnumConst(val)));
      else r1.varOff = tnumOr(r1.varOff, tnumConst(val));
      break;
    }
    case 'jset_rev': {
      if (!isConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!isConst(r2, is32)) break;
      const val = constValue(r2, is32);
      markUnbounded(r1);
      if (is32) r1.varOff = tnumWithSubreg(r1.varOff, tnumAnd(tnumSubreg(r1.varOff), tnumConst(~val & U32_MAX)));
      else r1.varOff = tnumAnd(r1.varOff, tnumConst(~val & U64_MAX));
      break;
    }
    case 'jle':
      if (is32) {
        r1.u32max = mn(r1.u32max, r2.u32max);
        r2.u32min = mx(r1.u32min, r2.u32min);
      } else {
        r1.umax = mn(r1.umax, r2.umax);
        r2.umin = mx(r1.umin, r2.umin);
      }
      break;
    case 'jlt':
      if (is32) {
        r1.u32max = mn(r1.u32max, BigInt.asUintN(32, r2.u32max - 1n));
        r2.u32min = mx(BigInt.asUintN(32, r1.u32min + 1n), r2.u32min);
      } else {
        r1.umax = mn(r1.umax, BigInt.asUintN(64, r2.umax - 1n));
        r2.umin = mx(BigInt.asUintN(64, r1.umin + 1n), r2.umin);
      }
      break;
    case 'jsle':
      if (is32) {
        r1.s32max = mn(r1.s32max, r2.s32max);
        r2.s32min = mx(r1.s32min, r2.s32min);
      } else {
        r1.smax = mn(r1.smax, r2.smax);
        r2.smin = mx(r1.smin, r2.smin);
      }
      break;
    case 'jslt':
      if (is32) {
        r1.s32max = mn(r1.s32max, BigInt.asIntN(32, r2.s32max - 1n));
        r2.s32min = mx(BigInt.asIntN(32, r1.s32min + 1n), r2.s32min);
      } else {
        r1.smax = mn(r1.smax, BigInt.asIntN(64, r2.smax - 1n));
        r2.smin = mx(BigInt.asIntN(64, r1.smin + 1n), r2.smin);
      }
      break;
    default:
      break;
  }
}

/**
 * Narrows the registers of both successors of `if r1 c r2` (`reg_set_min_max`): `taken1/2`
 * are the jump target's copies, `fall1/2` the fall-through's. Only scalars are narrowed.
 */
export function setMinMax(taken1: RegState, taken2: RegState, fall1: RegState, fall2: RegState, c: Condition, is32: boolean): void {
  if (fall1.type !== 'scalar' || fall2.type !== 'scalar') return;
  refineCondition(fall1, fall2, reverseCondition(c), is32);
  boundsSync(fall1);
  boundsSync(fall2);
  refineCondition(taken1, taken2, c, is32);
  boundsSync(taken1);
  boundsSync(taken2);
}
