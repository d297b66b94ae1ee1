/**
 * The stack of one frame: 8-byte slots, each with a per-byte type (`STACK_INVALID`,
 * `STACK_MISC`, `STACK_ZERO`, `STACK_SPILL`) and, for spilled registers, the register's
 * state (the kernel's `struct bpf_stack_state`). Slot `spi` covers `fp-8*(spi+1)` up to
 * `fp-8*spi`; byte `i` of a slot is `slot_type[i]` as in the kernel (byte 7 is the highest
 * address).
 * @module
 */

import { copyReg, notInit, type RegState } from './register-state.js';

/** Per-byte stack slot types. */
export const StackByte = {
  INVALID: 0,
  SPILL: 1,
  MISC: 2,
  ZERO: 3,
  /** `STACK_ITER`: part of an open-coded iterator (see iterator-num.ts). */
  ITER: 4,
} as const;
/** One of {@link StackByte}. */
export type StackByte = (typeof StackByte)[keyof typeof StackByte];

/** One 8-byte stack slot. */
export interface StackSlot {
  /** Type of each byte. */
  readonly types: Uint8Array;
  /** The spilled register (meaningful when bytes are SPILL). */
  spilled: RegState;
}

/** A new slot with every byte INVALID. */
export function emptySlot(): StackSlot {
  return { types: new Uint8Array(8), spilled: notInit() };
}

/** A deep copy of `s`. */
export function copySlot(s: StackSlot): StackSlot {
  return { types: s.types.slice(), spilled: copyReg(s.spilled) };
}

/** Whether the slot's top byte holds a spilled register (`is_spilled_reg`). */
export function isSpilled(s: StackSlot): boolean {
  return s.types[7] === StackByte.SPILL;
}

/** Whether the slot holds a spilled scalar (`is_spilled_scalar_reg`). */
export function isSpilledScalar(s: StackSlot): boolean {
  return isSpilled(s) && s.spilled.type === 'scalar';
}
