/**
 * Validation of builder operands: every builder names itself and the bad value.
 * @module
 */

import { EncodeError } from './errors.js';
import { isRegister, type Register } from './register.js';

/** Checks a register operand of builder `who`. */
export function reg(who: string, r: Register): Register {
  if (!isRegister(r)) throw new EncodeError(`${who}: ${String(r)} is not a register (r0–r10)`);
  return r;
}

/** Checks a 32-bit immediate (s32, or u32 written as unsigned) and returns it as s32. */
export function imm32(who: string, v: number): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw new EncodeError(`${who}: immediate ${String(v)} does not fit in 32 bits`);
  return v | 0;
}

/** Checks a signed 16-bit offset. */
export function off16(who: string, v: number): number {
  if (!Number.isInteger(v) || v < -0x8000 || v > 0x7fff) throw new EncodeError(`${who}: offset ${String(v)} does not fit in s16`);
  return v;
}

/** Checks a label name. */
export function label(who: string, name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new EncodeError(`${who}: label must be a non-empty string, got ${String(name)}`);
  return name;
}
