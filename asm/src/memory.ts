/**
 * Load, store and atomic builders. Sizes are {@link Size} values (`Size.W` = 4 bytes).
 *
 * | builder | kernel text |
 * |---|---|
 * | `LoadMem(R0, R1, 8, Size.W)` | `r0 = *(u32 *)(r1 +8)` |
 * | `LoadMemSX(R0, R1, 8, Size.B)` | `r0 = *(s8 *)(r1 +8)` |
 * | `StoreMem(R10, -8, R1, Size.DW)` | `*(u64 *)(r10 -8) = r1` |
 * | `StoreImm(R10, -8, 0, Size.W)` | `*(u32 *)(r10 -8) = 0` |
 * | `Atomic.add(R1, 0, R2, Size.DW)` | `lock *(u64 *)(r1 +0) += r2` |
 * @module
 */

import { makeInstruction, type Instruction } from './instruction.js';
import { imm32, off16, reg } from './operand.js';
import { AtomicOp, Class, Mode, Size } from './opcode.js';
import type { Register } from './register.js';

function size(who: string, s: Size, allowed: readonly Size[] = [Size.B, Size.H, Size.W, Size.DW]): Size {
  if (!allowed.includes(s)) throw new RangeError(`${who}: size ${String(s)} is not one of Size.${allowed.map((a) => Object.keys(Size).find((k) => Size[k as keyof typeof Size] === a)).join(', Size.')}`);
  return s;
}

/** `dst = *(size *)(src + off)`, zero-extended. */
export function LoadMem(dst: Register, src: Register, off: number, sz: Size): Instruction {
  return makeInstruction(Class.LDX | Mode.MEM | size('LoadMem', sz), reg('LoadMem', dst), reg('LoadMem', src), off16('LoadMem', off), 0);
}

/** `dst = *(s8|s16|s32 *)(src + off)`, sign-extended. Requires Linux 6.6. */
export function LoadMemSX(dst: Register, src: Register, off: number, sz: Size): Instruction {
  return makeInstruction(Class.LDX | Mode.MEMSX | size('LoadMemSX', sz, [Size.B, Size.H, Size.W]), reg('LoadMemSX', dst), reg('LoadMemSX', src), off16('LoadMemSX', off), 0);
}

/** `*(size *)(dst + off) = src`. */
export function StoreMem(dst: Register, off: number, src: Register, sz: Size): Instruction {
  return makeInstruction(Class.STX | Mode.MEM | size('StoreMem', sz), reg('StoreMem', dst), reg('StoreMem', src), off16('StoreMem', off), 0);
}

/** `*(size *)(dst + off) = value`. */
export function StoreImm(dst: Register, off: number, value: number, sz: Size): Instruction {
  return makeInstruction(Class.ST | Mode.MEM | size('StoreImm', sz), reg('StoreImm', dst), 0, off16('StoreImm', off), imm32('StoreImm', value));
}

function atomic(who: string, op: number, dst: Register, off: number, src: Register, sz: Size, sizes: readonly Size[] = [Size.W, Size.DW]): Instruction {
  return makeInstruction(Class.STX | Mode.ATOMIC | size(who, sz, sizes), reg(who, dst), reg(who, src), off16(who, off), op);
}

/** Atomic read-modify-write operations on `*(size *)(dst + off)` (W or DW). Requires Linux 5.12 (add: 4.x as XADD). */
export const Atomic = {
  /** `lock *(u64 *)(r1 +0) += r2`. */
  add: (dst: Register, off: number, src: Register, sz: Size) => atomic('Atomic.add', AtomicOp.ADD, dst, off, src, sz),
  /** `lock *(u64 *)(r1 +0) |= r2`. */
  or: (dst: Register, off: number, src: Register, sz: Size) => atomic('Atomic.or', AtomicOp.OR, dst, off, src, sz),
  /** `lock *(u64 *)(r1 +0) &= r2`. */
  and: (dst: Register, off: number, src: Register, sz: Size) => atomic('Atomic.and', AtomicOp.AND, dst, off, src, sz),
  /** `lock *(u64 *)(r1 +0) ^= r2`. */
  xor: (dst: Register, off: number, src: Register, sz: Size) => atomic('Atomic.xor', AtomicOp.XOR, dst, off, src, sz),
  /** `r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)`: src receives the old value. */
  fetchAdd: (dst: Register, off: number, src: Register, sz: Size) => atomic('Atomic.fetchAdd', AtomicOp.ADD | AtomicOp.FETCH, dst, off, src, sz),
  /** `r2 = atomic64_fetch_or((u64 *)(r1 +0), r2)`. */
  fetchOr: (dst: Register, off: number, src: Register, sz: Size) => atomic('Atomic.fetchOr', AtomicOp.OR | AtomicOp.FETCH, dst, off, src, sz),
  /** `r2 = atomic64_fetch_and((u64 *)(r1 +0), r2)`. */
  fetchAnd: (dst: Register, off: number, src: Register, sz: Size) => atomic('Atomic.fetchAnd', AtomicOp.AND | AtomicOp.FETCH, dst, off, src, sz),
  /** `r2 = atomic64_fetch_xor((u64 *)(r1 +0), r2)`. */
  fetchXor: (dst: Register, off: number, src: Register, sz: Size) => atomic('Atomic.fetchXor', AtomicOp.XOR | AtomicOp.FETCH, dst, off, src, sz),
  /** `r2 = atomic64_xchg((u64 *)(r1 +0), r2)`. */
  xchg: (dst: Register, off: number, src: Register, sz: Size) => atomic('Atomic.xchg', AtomicOp.XCHG, dst, off, src, sz),
  /** `r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)`: compares with R0, old value into R0. */
  cmpxchg: (dst: Register, off: number, src: Register, sz: Size) => atomic('Atomic.cmpxchg', AtomicOp.CMPXCHG, dst, off, src, sz),
  /**
   * `r0 = load_acquire((u64 *)(r1 +0))`: note the operands are (dst, src, off) as for LoadMem.
   * Any size B–DW. Requires Linux 6.15.
   */
  loadAcquire: (dst: Register, src: Register, off: number, sz: Size) =>
    makeInstruction(Class.STX | Mode.ATOMIC | size('Atomic.loadAcquire', sz), reg('Atomic.loadAcquire', dst), reg('Atomic.loadAcquire', src), off16('Atomic.loadAcquire', off), AtomicOp.LOAD_ACQ),
  /** `store_release((u64 *)(r1 +0), r2)`. Any size B–DW. Requires Linux 6.15. */
  storeRelease: (dst: Register, off: number, src: Register, sz: Size) =>
    atomic('Atomic.storeRelease', AtomicOp.STORE_REL, dst, off, src, sz, [Size.B, Size.H, Size.W, Size.DW]),
};
