/**
 * Jump, call and exit builders. A jump target is a label name (resolved at encode time) or a
 * numeric offset in slots relative to the next instruction (encoded as written).
 *
 * | builder | kernel text |
 * |---|---|
 * | `JGT.imm(R1, 5, 'out')` | `if r1 > 0x5 goto pc+N` |
 * | `JEq.reg32(R1, R2, 2)` | `if w1 == w2 goto pc+2` |
 * | `Ja('out')` | `goto pc+N` |
 * | `Call.helper(1)` | `call bpf_map_lookup_elem#1` |
 * | `Exit()` | `exit` |
 * @module
 */

import { makeInstruction, type Instruction } from './instruction.js';
import { imm32, label, off16, reg } from './operand.js';
import { CallKind, Class, JmpOp, MAY_GOTO, Source } from './opcode.js';
import type { Register } from './register.js';

/** A jump target: a label name, or an offset in slots relative to the next instruction. */
export type Target = string | number;

function target(who: string, t: Target): { off: number; ref?: { kind: 'jump'; label: string } } {
  if (typeof t === 'number') return { off: off16(who, t) };
  return { off: 0, ref: { kind: 'jump', label: label(who, t) } };
}

/** The four encodings of one conditional jump. */
export interface JumpBuilder {
  /** `if dst op imm goto target` comparing 64 bits. */
  imm(dst: Register, value: number, to: Target): Instruction;
  /** `if dst op src goto target` comparing 64 bits. */
  reg(dst: Register, src: Register, to: Target): Instruction;
  /** `if wdst op imm goto target` comparing the low 32 bits. Requires Linux 5.1. */
  imm32(dst: Register, value: number, to: Target): Instruction;
  /** `if wdst op wsrc goto target` comparing the low 32 bits. Requires Linux 5.1. */
  reg32(dst: Register, src: Register, to: Target): Instruction;
}

function jumpBuilder(name: string, op: number): JumpBuilder {
  const make = (cls: number, src: number, form: string, dst: Register, srcReg: number, imm: number, to: Target) => {
    const t = target(`${name}.${form}`, to);
    return makeInstruction(cls | op | src, reg(`${name}.${form}`, dst), srcReg, t.off, imm, t.ref);
  };
  return {
    imm: (dst, value, to) => make(Class.JMP, Source.K, 'imm', dst, 0, imm32(`${name}.imm`, value), to),
    reg: (dst, src, to) => make(Class.JMP, Source.X, 'reg', dst, reg(`${name}.reg`, src), 0, to),
    imm32: (dst, value, to) => make(Class.JMP32, Source.K, 'imm32', dst, 0, imm32(`${name}.imm32`, value), to),
    reg32: (dst, src, to) => make(Class.JMP32, Source.X, 'reg32', dst, reg(`${name}.reg32`, src), 0, to),
  };
}

/** Jump if equal: `if r1 == 0x5 goto …`. */
export const JEq = jumpBuilder('JEq', JmpOp.JEQ);
/** Jump if unsigned greater: `if r1 > 0x5 goto …`. */
export const JGT = jumpBuilder('JGT', JmpOp.JGT);
/** Jump if unsigned greater or equal: `if r1 >= 0x5 goto …`. */
export const JGE = jumpBuilder('JGE', JmpOp.JGE);
/** Jump if any bit set: `if r1 & 0x5 goto …`. */
export const JSet = jumpBuilder('JSet', JmpOp.JSET);
/** Jump if not equal: `if r1 != 0x5 goto …`. */
export const JNE = jumpBuilder('JNE', JmpOp.JNE);
/** Jump if signed greater: `if r1 s> 0x5 goto …`. */
export const JSGT = jumpBuilder('JSGT', JmpOp.JSGT);
/** Jump if signed greater or equal: `if r1 s>= 0x5 goto …`. */
export const JSGE = jumpBuilder('JSGE', JmpOp.JSGE);
/** Jump if unsigned less: `if r1 < 0x5 goto …`. Requires Linux 4.14. */
export const JLT = jumpBuilder('JLT', JmpOp.JLT);
/** Jump if unsigned less or equal: `if r1 <= 0x5 goto …`. Requires Linux 4.14. */
export const JLE = jumpBuilder('JLE', JmpOp.JLE);
/** Jump if signed less: `if r1 s< 0x5 goto …`. Requires Linux 4.14. */
export const JSLT = jumpBuilder('JSLT', JmpOp.JSLT);
/** Jump if signed less or equal: `if r1 s<= 0x5 goto …`. Requires Linux 4.14. */
export const JSLE = jumpBuilder('JSLE', JmpOp.JSLE);

/** Unconditional jump with a 16-bit offset: `goto pc+N`. */
export function Ja(to: Target): Instruction {
  const t = target('Ja', to);
  return makeInstruction(Class.JMP | JmpOp.JA, 0, 0, t.off, 0, t.ref);
}

/** Unconditional jump with a 32-bit offset in imm: `gotol pc+N`. Requires Linux 6.6. */
export function Gotol(to: Target): Instruction {
  if (typeof to === 'number') return makeInstruction(Class.JMP32 | JmpOp.JA, 0, 0, 0, imm32('Gotol', to));
  return makeInstruction(Class.JMP32 | JmpOp.JA, 0, 0, 0, 0, { kind: 'jump', label: label('Gotol', to) });
}

/** `may_goto pc+N`: jumps once the loop budget is used up. Requires Linux 6.9. */
export function MayGoto(to: Target): Instruction {
  const t = target('MayGoto', to);
  return makeInstruction(Class.JMP | JmpOp.JCOND, 0, MAY_GOTO, t.off, 0, t.ref);
}

/** Calls: helpers by id, subprograms by label, kfuncs by BTF id or name. */
export const Call = {
  /** Calls helper `id` (see the helper table): `call bpf_map_lookup_elem#1`. */
  helper(id: number): Instruction {
    if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) throw new RangeError(`Call.helper: ${String(id)} is not a helper id`);
    return makeInstruction(Class.JMP | JmpOp.CALL, 0, CallKind.HELPER, 0, id);
  },
  /** bpf-to-bpf call of the subprogram at label `to`, or at a relative offset: `call pc+N`. */
  subprog(to: Target): Instruction {
    if (typeof to === 'number') return makeInstruction(Class.JMP | JmpOp.CALL, 0, CallKind.SUBPROG, 0, imm32('Call.subprog', to));
    return makeInstruction(Class.JMP | JmpOp.CALL, 0, CallKind.SUBPROG, 0, -1, { kind: 'call', label: label('Call.subprog', to) });
  },
  /**
   * Calls a kernel function: by BTF id (with `moduleIndex`, the fd_array slot of a module's BTF,
   * 0 for vmlinux), or by name, resolved at encode time. Requires Linux 5.13.
   */
  kfunc(idOrName: number | string, moduleIndex = 0): Instruction {
    const off = off16('Call.kfunc', moduleIndex);
    if (typeof idOrName === 'string') return makeInstruction(Class.JMP | JmpOp.CALL, 0, CallKind.KFUNC, off, 0, { kind: 'kfunc', name: label('Call.kfunc', idOrName) });
    return makeInstruction(Class.JMP | JmpOp.CALL, 0, CallKind.KFUNC, off, imm32('Call.kfunc', idOrName));
  },
};

/** Returns from the program or subprogram with R0: `exit`. */
export function Exit(): Instruction {
  return makeInstruction(Class.JMP | JmpOp.EXIT, 0, 0, 0, 0);
}

/** Alias of {@link Exit}, as cilium/ebpf names it. */
export const Return = Exit;
