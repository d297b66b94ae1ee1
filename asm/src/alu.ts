/**
 * ALU and ALU64 builders. Each operation has four forms whose encodings differ:
 * `imm` (ALU64, immediate), `reg` (ALU64, register), `imm32` and `reg32` (ALU, w registers).
 *
 * | builder | kernel text |
 * |---|---|
 * | `Add.imm(R1, 22)` | `r1 += 22` |
 * | `Add.reg(R1, R2)` | `r1 += r2` |
 * | `Add.imm32(R1, 22)` | `w1 += 22` |
 * | `Mov.reg32(R0, R1)` | `w0 = w1` |
 * @module
 */

import { makeInstruction, type Instruction } from './instruction.js';
import { imm32, reg } from './operand.js';
import { AluOp, ADDR_SPACE_CAST, Class, Endian, Source } from './opcode.js';
import type { Register } from './register.js';

/** The four encodings of one ALU operation. */
export interface AluBuilder {
  /** `dst op= imm` on 64 bits. */
  imm(dst: Register, value: number): Instruction;
  /** `dst op= src` on 64 bits. */
  reg(dst: Register, src: Register): Instruction;
  /** `wdst op= imm` on 32 bits (the upper half of dst is zeroed). */
  imm32(dst: Register, value: number): Instruction;
  /** `wdst op= wsrc` on 32 bits (the upper half of dst is zeroed). */
  reg32(dst: Register, src: Register): Instruction;
}

function aluBuilder(name: string, op: number, off = 0): AluBuilder {
  return {
    imm: (dst, value) => makeInstruction(Class.ALU64 | op | Source.K, reg(`${name}.imm`, dst), 0, off, imm32(`${name}.imm`, value)),
    reg: (dst, src) => makeInstruction(Class.ALU64 | op | Source.X, reg(`${name}.reg`, dst), reg(`${name}.reg`, src), off, 0),
    imm32: (dst, value) => makeInstruction(Class.ALU | op | Source.K, reg(`${name}.imm32`, dst), 0, off, imm32(`${name}.imm32`, value)),
    reg32: (dst, src) => makeInstruction(Class.ALU | op | Source.X, reg(`${name}.reg32`, dst), reg(`${name}.reg32`, src), off, 0),
  };
}

/** Addition: `r1 += 22`. */
export const Add = aluBuilder('Add', AluOp.ADD);
/** Subtraction: `r1 -= 22`. */
export const Sub = aluBuilder('Sub', AluOp.SUB);
/** Multiplication: `r1 *= 22`. */
export const Mul = aluBuilder('Mul', AluOp.MUL);
/** Unsigned division: `r1 /= 22` (division by zero yields 0). */
export const Div = aluBuilder('Div', AluOp.DIV);
/** Signed division: `r1 s/= 22`. Requires Linux 6.6. */
export const SDiv = aluBuilder('SDiv', AluOp.DIV, 1);
/** Bitwise or: `r1 |= 22`. */
export const Or = aluBuilder('Or', AluOp.OR);
/** Bitwise and: `r1 &= 22`. */
export const And = aluBuilder('And', AluOp.AND);
/** Left shift: `r1 <<= 22`. */
export const LSh = aluBuilder('LSh', AluOp.LSH);
/** Logical right shift: `r1 >>= 22`. */
export const RSh = aluBuilder('RSh', AluOp.RSH);
/** Unsigned modulo: `r1 %= 22` (modulo zero leaves dst unchanged). */
export const Mod = aluBuilder('Mod', AluOp.MOD);
/** Signed modulo: `r1 s%= 22`. Requires Linux 6.6. */
export const SMod = aluBuilder('SMod', AluOp.MOD, 1);
/** Bitwise exclusive or: `r1 ^= 22`. */
export const Xor = aluBuilder('Xor', AluOp.XOR);
/** Move: `r1 = 22`, `r1 = r2`, `w1 = 22`, `w1 = w2`. */
export const Mov = aluBuilder('Mov', AluOp.MOV);
/** Arithmetic right shift: `r1 s>>= 22`. */
export const ArSh = aluBuilder('ArSh', AluOp.ARSH);

/** Negation: `r1 = -r1` (64-bit) and `w1 = -w1` (32-bit). */
export const Neg = {
  /** `r1 = -r1`. */
  reg: (dst: Register): Instruction => makeInstruction(Class.ALU64 | AluOp.NEG | Source.K, reg('Neg.reg', dst), 0, 0, 0),
  /** `w1 = -w1`. */
  reg32: (dst: Register): Instruction => makeInstruction(Class.ALU | AluOp.NEG | Source.K, reg('Neg.reg32', dst), 0, 0, 0),
};

/** Sign-extending moves. Requires Linux 6.6. */
export const MovSX = {
  /** `r1 = (s8)r2`, `(s16)`, `(s32)`: sign-extends the low `bits` of src into 64 bits. */
  reg(dst: Register, src: Register, bits: 8 | 16 | 32): Instruction {
    if (bits !== 8 && bits !== 16 && bits !== 32) throw new RangeError(`MovSX.reg: bits ${String(bits)} is not 8, 16 or 32`);
    return makeInstruction(Class.ALU64 | AluOp.MOV | Source.X, reg('MovSX.reg', dst), reg('MovSX.reg', src), bits, 0);
  },
  /** `w1 = (s8)w2`, `(s16)`: sign-extends the low `bits` of src into 32 bits. */
  reg32(dst: Register, src: Register, bits: 8 | 16): Instruction {
    if (bits !== 8 && bits !== 16) throw new RangeError(`MovSX.reg32: bits ${String(bits)} is not 8 or 16`);
    return makeInstruction(Class.ALU | AluOp.MOV | Source.X, reg('MovSX.reg32', dst), reg('MovSX.reg32', src), bits, 0);
  },
};

function checkWidth(who: string, bits: number): 16 | 32 | 64 {
  if (bits !== 16 && bits !== 32 && bits !== 64) throw new RangeError(`${who}: width ${String(bits)} is not 16, 32 or 64`);
  return bits;
}

/** Converts the low `bits` of dst to little endian, zeroing the rest: `r1 = le16 r1`. */
export function ToLE(dst: Register, bits: 16 | 32 | 64): Instruction {
  return makeInstruction(Class.ALU | AluOp.END | Endian.TO_LE, reg('ToLE', dst), 0, 0, checkWidth('ToLE', bits));
}

/** Converts the low `bits` of dst to big endian, zeroing the rest: `r1 = be32 r1`. */
export function ToBE(dst: Register, bits: 16 | 32 | 64): Instruction {
  return makeInstruction(Class.ALU | AluOp.END | Endian.TO_BE, reg('ToBE', dst), 0, 0, checkWidth('ToBE', bits));
}

/** Unconditional byte swap of the low `bits`: `r1 = bswap64 r1`. Requires Linux 6.6. */
export function BSwap(dst: Register, bits: 16 | 32 | 64): Instruction {
  return makeInstruction(Class.ALU64 | AluOp.END | Source.K, reg('BSwap', dst), 0, 0, checkWidth('BSwap', bits));
}

/**
 * Arena address-space cast: `r1 = addr_space_cast(r2, dstAs, srcAs)`, converting the pointer in
 * src from address space `srcAs` to `dstAs` (imm = dstAs << 16 | srcAs, the argument order of
 * libbpf's `bpf_addr_space_cast` and of the kernel's text). `AddrSpaceCast(R1, R2, 0, 1)` casts an
 * arena pointer (1) to a kernel pointer (0). Requires Linux 6.9.
 */
export function AddrSpaceCast(dst: Register, src: Register, dstAs: number, srcAs: number): Instruction {
  if (!Number.isInteger(dstAs) || dstAs < 0 || dstAs > 0xffff || !Number.isInteger(srcAs) || srcAs < 0 || srcAs > 0xffff) {
    throw new RangeError(`AddrSpaceCast: address spaces ${String(dstAs)}, ${String(srcAs)} must be 0–65535`);
  }
  return makeInstruction(Class.ALU64 | AluOp.MOV | Source.X, reg('AddrSpaceCast', dst), reg('AddrSpaceCast', src), ADDR_SPACE_CAST, ((dstAs << 16) | srcAs) | 0);
}
