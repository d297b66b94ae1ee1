/**
 * The eBPF instruction record, as the kernel defines `struct bpf_insn`:
 *
 * ```
 * struct bpf_insn { __u8 code; __u8 dst_reg:4; __u8 src_reg:4; __s16 off; __s32 imm; };
 * ```
 *
 * `ld_imm64` is one logical instruction two slots (16 bytes) wide; its `imm` is a `bigint` holding
 * both halves (`insn[0].imm` is the low 32 bits, `insn[1].imm` the high 32 bits). Every other
 * instruction has a `number` immediate (s32) and is one 8-byte slot.
 * @module
 */

import { LD_IMM64 } from './opcode.js';

/** A symbolic reference an instruction carries until it is resolved at encode time. */
export type Reference =
  /** A jump (`off`, or `imm` for `gotol`) to the instruction after `label`. */
  | { readonly kind: 'jump'; readonly label: string }
  /** A bpf-to-bpf call (`imm`) to the subprogram at `label`. */
  | { readonly kind: 'call'; readonly label: string }
  /** A `ld_imm64` of a subprogram's address (`BPF_PSEUDO_FUNC`) at `label`. */
  | { readonly kind: 'func'; readonly label: string }
  /** A `ld_imm64` of a map (fd or fd_array index) or of an offset into its value. */
  | { readonly kind: 'map'; readonly name: string; readonly valueOffset?: number }
  /** A kfunc call by name: `imm` becomes its BTF id and `off` its module BTF fd_array index. */
  | { readonly kind: 'kfunc'; readonly name: string };

/**
 * One eBPF instruction.
 *
 * Invariant: `imm` is a `bigint` exactly when `code` is `ld_imm64` (0x18) and the instruction
 * occupies two slots. A `ld_imm64` opcode with a `number` immediate is a lone first half (as
 * found in truncated or malformed bytecode) and occupies one slot.
 */
export interface Instruction {
  /** The opcode byte. */
  readonly code: number;
  /** Destination register field, 0–15 (only 0–10 are valid registers). */
  readonly dst: number;
  /** Source register field, 0–15; a pseudo source for `ld_imm64` and `call`. */
  readonly src: number;
  /** Signed 16-bit offset. */
  readonly off: number;
  /** Signed 32-bit immediate, or the 64-bit immediate of `ld_imm64`. */
  readonly imm: number | bigint;
  /** Symbolic reference to resolve at encode time, if any. */
  readonly ref?: Reference;
}

/** A `ld_imm64` instruction: two slots, 64-bit immediate. */
export interface WideInstruction extends Instruction {
  readonly imm: bigint;
}

/** A one-slot instruction with a 32-bit immediate. */
export interface NarrowInstruction extends Instruction {
  readonly imm: number;
}

/** Whether `insn` is a two-slot `ld_imm64`. */
export function isWide(insn: Instruction): insn is WideInstruction {
  return typeof insn.imm === 'bigint';
}

/** Number of 8-byte slots `insn` occupies (2 for `ld_imm64`, else 1). */
export function slotCount(insn: Instruction): 1 | 2 {
  return typeof insn.imm === 'bigint' ? 2 : 1;
}

/** The s32 immediate of a one-slot instruction, or the low half (as s32) of a `ld_imm64`. */
export function imm32(insn: Instruction): number {
  return typeof insn.imm === 'bigint' ? Number(BigInt.asIntN(32, insn.imm)) : insn.imm;
}

/** A label marker in a program: names the instruction that follows it. */
export interface Label {
  /** The label's name. */
  readonly label: string;
}

/** Marks the next instruction with `name`, for jumps (`JEq.imm(R1, 0, name)`) and calls. */
export function Label(name: string): Label {
  if (typeof name !== 'string' || name.length === 0) throw new RangeError(`Label: name must be a non-empty string, got ${String(name)}`);
  return { label: name };
}

/** An element of a program under construction: an instruction or a label marker. */
export type ProgramItem = Instruction | Label;

/** Whether a program item is a label marker. */
export function isLabel(item: ProgramItem): item is Label {
  return (item as Label).label !== undefined && (item as Instruction).code === undefined;
}

/** Creates an instruction record; `ref` is attached only when given. */
export function makeInstruction(code: number, dst: number, src: number, off: number, imm: number | bigint, ref?: Reference): Instruction {
  return ref === undefined ? { code, dst, src, off, imm } : { code, dst, src, off, imm, ref };
}

/** Whether `code` is the `ld_imm64` opcode. */
export function isLoadImm64Code(code: number): boolean {
  return code === LD_IMM64;
}
