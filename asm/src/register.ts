/**
 * eBPF registers R0–R10. A {@link Register} is a branded number so a plain number cannot be
 * passed where a register is meant (and vice versa), e.g. `Mov.imm(R0, 1)` but not `Mov.imm(0, 1)`.
 * @module
 */

declare const registerBrand: unique symbol;

/** A register number 0–10, branded. */
export type Register = number & { readonly [registerBrand]: true };

/** Return value of helpers, programs and subprograms. */
export const R0 = 0 as Register;
/** First argument; the context pointer on entry. Clobbered by calls. */
export const R1 = 1 as Register;
/** Second argument. Clobbered by calls. */
export const R2 = 2 as Register;
/** Third argument. Clobbered by calls. */
export const R3 = 3 as Register;
/** Fourth argument. Clobbered by calls. */
export const R4 = 4 as Register;
/** Fifth argument. Clobbered by calls. */
export const R5 = 5 as Register;
/** Callee-saved. */
export const R6 = 6 as Register;
/** Callee-saved. */
export const R7 = 7 as Register;
/** Callee-saved. */
export const R8 = 8 as Register;
/** Callee-saved. */
export const R9 = 9 as Register;
/** Read-only frame pointer: the top of the 512-byte stack. */
export const R10 = 10 as Register;
/** Alias of {@link R10}. */
export const RFP = R10;

/** All registers, indexable by number. */
export const registers: readonly Register[] = [R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10];

/** Whether `n` is a register number 0–10. */
export function isRegister(n: unknown): n is Register {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 10;
}

/** Brands `n` as a register, or throws a RangeError naming `what`. */
export function asRegister(n: number, what = 'register'): Register {
  if (!isRegister(n)) throw new RangeError(`${what}: ${String(n)} is not a register (r0–r10)`);
  return n;
}
