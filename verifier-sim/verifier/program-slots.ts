/**
 * The program as the kernel sees it: an array of 8-byte slots (`struct bpf_insn`), where a
 * `ld_imm64` occupies two slots and instruction numbers in messages are slot indexes.
 * @module
 */

import type { Instruction } from 'ebpf-bytecode-utils';

/** One 8-byte slot: the kernel's `struct bpf_insn` with an s32 immediate. */
export interface Slot {
  /** Opcode byte. */
  readonly code: number;
  /** Destination register field. */
  readonly dst: number;
  /** Source register field. */
  readonly src: number;
  /** Signed 16-bit offset. */
  readonly off: number;
  /** Signed 32-bit immediate. */
  readonly imm: number;
}

/** Splits instructions into slots (a wide `ld_imm64` becomes two). */
export function toSlots(program: readonly Instruction[]): Slot[] {
  const out: Slot[] = [];
  for (const insn of program) {
    if (typeof insn.imm === 'bigint') {
      const u = BigInt.asUintN(64, insn.imm);
      out.push({ code: insn.code, dst: insn.dst, src: insn.src, off: insn.off, imm: Number(BigInt.asIntN(32, u & 0xffffffffn)) });
      out.push({ code: 0, dst: 0, src: 0, off: 0, imm: Number(BigInt.asIntN(32, u >> 32n)) });
    } else {
      out.push({ code: insn.code, dst: insn.dst, src: insn.src, off: insn.off, imm: insn.imm | 0 });
    }
  }
  return out;
}

/** Whether `s` is a `ld_imm64` first half (`bpf_is_ldimm64`). */
export function isLdImm64(s: Slot): boolean {
  return s.code === 0x18;
}
