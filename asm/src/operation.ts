/**
 * A discriminated union view of an instruction, for consumers that switch on what an
 * instruction does (the verifier simulator, the interpreter, the eDSL's peephole passes)
 * instead of decoding opcode bits again and again.
 *
 * `describe()` classifies by opcode and the fields that select a variant (e.g. `off` 1 makes
 * `div` signed). It does not check reserved fields: that is the verifier's job, with its own
 * messages. Encodings that name no operation give `{ kind: 'invalid' }` with the reason.
 * @module
 */

import type { Instruction } from './instruction.js';
import { AluOp, AtomicOp, CallKind, Class, JmpOp, LD_IMM64, MAY_GOTO, Mode, Size, Source } from './opcode.js';

/** ALU operations after variant selection. */
export type AluOperation = 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'or' | 'and' | 'lsh' | 'rsh' | 'neg' | 'mod' | 'smod' | 'xor' | 'mov' | 'movsx' | 'arsh';
/** Conditional jump operations. */
export type JumpCondition = 'jeq' | 'jgt' | 'jge' | 'jset' | 'jne' | 'jsgt' | 'jsge' | 'jlt' | 'jle' | 'jslt' | 'jsle';
/** Atomic operations. */
export type AtomicOperation = 'add' | 'or' | 'and' | 'xor' | 'xchg' | 'cmpxchg' | 'load_acquire' | 'store_release';
/** Access width in bytes. */
export type AccessSize = 1 | 2 | 4 | 8;

/** What an instruction does. Register fields are the raw 0–15 values. */
export type Operation =
  /** `dst op= src|imm` on 32 (`w`) or 64 bits. `bits` is the sign-extension width of movsx. */
  | { kind: 'alu'; op: AluOperation; width: 32 | 64; source: 'imm' | 'reg'; dst: number; src: number; imm: number; bits?: 8 | 16 | 32 }
  /** Byte order: `le`/`be` convert, `swap` always swaps. */
  | { kind: 'endian'; order: 'le' | 'be' | 'swap'; bits: number; dst: number }
  /** Arena address-space cast from address space `from` (imm & 0xffff) to `to` (imm >> 16). */
  | { kind: 'addr_space_cast'; dst: number; src: number; from: number; to: number }
  /** `if dst cond src|imm goto +off`. */
  | { kind: 'jump'; cond: JumpCondition; width: 32 | 64; source: 'imm' | 'reg'; dst: number; src: number; imm: number; off: number }
  /** Unconditional jump; `off` from `off` (ja) or `imm` (gotol). */
  | { kind: 'goto'; long: boolean; off: number }
  /** `may_goto +off`. */
  | { kind: 'may_goto'; off: number }
  /** Helper (`imm` = id), subprogram (`imm` = relative offset) or kfunc (`imm` = BTF id, `off` = module BTF index). */
  | { kind: 'call'; target: 'helper' | 'subprog' | 'kfunc'; imm: number; off: number }
  /** Return. */
  | { kind: 'exit' }
  /** `dst = imm64`; `pseudo` is the `src` field (see {@link Pseudo}). */
  | { kind: 'ld_imm64'; dst: number; pseudo: number; imm: bigint }
  /** Legacy packet load `r0 = *(size *)skb[imm]` or `skb[src + imm]`. */
  | { kind: 'ld_packet'; indirect: boolean; size: AccessSize; src: number; imm: number }
  /** `dst = *(size *)(src + off)`, zero- or sign-extended. */
  | { kind: 'load'; size: AccessSize; signed: boolean; dst: number; src: number; off: number }
  /** `*(size *)(dst + off) = src`. */
  | { kind: 'store'; size: AccessSize; dst: number; src: number; off: number }
  /** `*(size *)(dst + off) = imm`. */
  | { kind: 'store_imm'; size: AccessSize; dst: number; off: number; imm: number }
  /** Atomic operation on `*(size *)(dst + off)` (load_acquire reads `src + off` into `dst`). */
  | { kind: 'atomic'; op: AtomicOperation; fetch: boolean; size: AccessSize; dst: number; src: number; off: number }
  /** No operation has this encoding. */
  | { kind: 'invalid'; reason: string };

const ALU_NAMES: readonly (AluOperation | undefined)[] = ['add', 'sub', 'mul', 'div', 'or', 'and', 'lsh', 'rsh', 'neg', 'mod', 'xor', 'mov', 'arsh', undefined, undefined, undefined];
const JUMP_NAMES: readonly (JumpCondition | undefined)[] = [undefined, 'jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', undefined, undefined, 'jlt', 'jle', 'jslt', 'jsle', undefined, undefined];
const SIZES: readonly AccessSize[] = [4, 2, 1, 8];

function hex(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')}`;
}

function imm32(insn: Instruction): number {
  return typeof insn.imm === 'bigint' ? Number(BigInt.asIntN(32, insn.imm)) : insn.imm;
}

function describeAlu(insn: Instruction, width: 32 | 64): Operation {
  const op = insn.code & 0xf0;
  const source = (insn.code & Source.X) !== 0 ? 'reg' : 'imm';
  const imm = imm32(insn);
  if (op === AluOp.END) {
    if (width === 64) return { kind: 'endian', order: 'swap', bits: imm, dst: insn.dst };
    return { kind: 'endian', order: source === 'reg' ? 'be' : 'le', bits: imm, dst: insn.dst };
  }
  let name = ALU_NAMES[op >> 4];
  if (name === undefined) return { kind: 'invalid', reason: `unknown ALU opcode ${hex(insn.code)}` };
  if ((name === 'div' || name === 'mod') && insn.off === 1) name = name === 'div' ? 'sdiv' : 'smod';
  if (name === 'mov' && source === 'reg') {
    if (width === 64 && insn.off === 1) return { kind: 'addr_space_cast', dst: insn.dst, src: insn.src, from: imm & 0xffff, to: (imm >>> 16) & 0xffff };
    const off = insn.off;
    if (off === 8 || off === 16 || (off === 32 && width === 64)) return { kind: 'alu', op: 'movsx', width, source, dst: insn.dst, src: insn.src, imm, bits: off };
  }
  return { kind: 'alu', op: name, width, source, dst: insn.dst, src: insn.src, imm };
}

function describeJump(insn: Instruction, width: 32 | 64): Operation {
  const code = insn.code;
  const op = code & 0xf0;
  const imm = imm32(insn);
  if (op === JmpOp.CALL) {
    const target = insn.src === CallKind.HELPER ? 'helper' : insn.src === CallKind.SUBPROG ? 'subprog' : insn.src === CallKind.KFUNC ? 'kfunc' : undefined;
    if (target === undefined || width === 32) return { kind: 'invalid', reason: `unknown call opcode ${hex(code)} src ${insn.src}` };
    return { kind: 'call', target, imm, off: insn.off };
  }
  if (code === (Class.JMP | JmpOp.EXIT)) return { kind: 'exit' };
  if (code === (Class.JMP | JmpOp.JA)) return { kind: 'goto', long: false, off: insn.off };
  if (code === (Class.JMP32 | JmpOp.JA)) return { kind: 'goto', long: true, off: imm };
  if (code === (Class.JMP | JmpOp.JCOND) && insn.src === MAY_GOTO) return { kind: 'may_goto', off: insn.off };
  const cond = JUMP_NAMES[op >> 4];
  if (cond === undefined) return { kind: 'invalid', reason: `unknown jump opcode ${hex(code)}` };
  return { kind: 'jump', cond, width, source: (code & Source.X) !== 0 ? 'reg' : 'imm', dst: insn.dst, src: insn.src, imm, off: insn.off };
}

function describeAtomic(insn: Instruction, size: AccessSize): Operation {
  const imm = imm32(insn);
  const base = { size, dst: insn.dst, src: insn.src, off: insn.off };
  if (imm === AtomicOp.LOAD_ACQ) return { kind: 'atomic', op: 'load_acquire', fetch: false, ...base };
  if (imm === AtomicOp.STORE_REL) return { kind: 'atomic', op: 'store_release', fetch: false, ...base };
  if (size !== 4 && size !== 8) return { kind: 'invalid', reason: `atomic operation 0x${imm.toString(16)} on ${size} bytes` };
  switch (imm) {
    case AtomicOp.XCHG:
      return { kind: 'atomic', op: 'xchg', fetch: true, ...base };
    case AtomicOp.CMPXCHG:
      return { kind: 'atomic', op: 'cmpxchg', fetch: true, ...base };
  }
  const fetch = (imm & AtomicOp.FETCH) !== 0;
  switch (imm & ~AtomicOp.FETCH) {
    case AtomicOp.ADD:
      return { kind: 'atomic', op: 'add', fetch, ...base };
    case AtomicOp.OR:
      return { kind: 'atomic', op: 'or', fetch, ...base };
    case AtomicOp.AND:
      return { kind: 'atomic', op: 'and', fetch, ...base };
    case AtomicOp.XOR:
      return { kind: 'atomic', op: 'xor', fetch, ...base };
  }
  return { kind: 'invalid', reason: `unknown atomic operation 0x${(imm >>> 0).toString(16)}` };
}

/** Classifies an instruction. Never throws. */
export function describe(insn: Instruction): Operation {
  const code = insn.code;
  const cls = code & 0x07;
  const size = SIZES[(code & 0x18) >> 3];
  const mode = code & 0xe0;
  switch (cls) {
    case Class.ALU:
      return describeAlu(insn, 32);
    case Class.ALU64:
      return describeAlu(insn, 64);
    case Class.JMP:
      return describeJump(insn, 64);
    case Class.JMP32:
      return describeJump(insn, 32);
    case Class.LD:
      if (code === LD_IMM64) {
        if (typeof insn.imm !== 'bigint') return { kind: 'invalid', reason: 'ld_imm64 without its second half' };
        return { kind: 'ld_imm64', dst: insn.dst, pseudo: insn.src, imm: insn.imm };
      }
      if ((mode === Mode.ABS || mode === Mode.IND) && (code & 0x18) !== Size.DW) {
        return { kind: 'ld_packet', indirect: mode === Mode.IND, size, src: insn.src, imm: imm32(insn) };
      }
      return { kind: 'invalid', reason: `unknown LD opcode ${hex(code)}` };
    case Class.LDX:
      if (mode === Mode.MEM) return { kind: 'load', size, signed: false, dst: insn.dst, src: insn.src, off: insn.off };
      if (mode === Mode.MEMSX && size !== 8) return { kind: 'load', size, signed: true, dst: insn.dst, src: insn.src, off: insn.off };
      return { kind: 'invalid', reason: `unknown LDX opcode ${hex(code)}` };
    case Class.ST:
      if (mode === Mode.MEM) return { kind: 'store_imm', size, dst: insn.dst, off: insn.off, imm: imm32(insn) };
      return { kind: 'invalid', reason: `unknown ST opcode ${hex(code)}` };
    default:
      if (mode === Mode.MEM) return { kind: 'store', size, dst: insn.dst, src: insn.src, off: insn.off };
      if (mode === Mode.ATOMIC) return describeAtomic(insn, size);
      return { kind: 'invalid', reason: `unknown STX opcode ${hex(code)}` };
  }
}
