/**
 * A program predecoded for the interpreter: one entry per 8-byte slot (jump offsets count
 * slots), fields in typed arrays. The second slot of a `ld_imm64` gets opcode 0, which no
 * instruction uses, so jumping into the middle of one is caught.
 * @module
 */

import { countSlots, type Instruction } from 'ebpf-bytecode-utils';

/** A program in the interpreter's layout. */
export interface DecodedProgram {
  /** The instructions it was made from. */
  readonly insns: readonly Instruction[];
  /** Number of slots. */
  readonly slots: number;
  /** Opcode per slot. */
  readonly code: Uint8Array;
  /** dst_reg per slot. */
  readonly dst: Uint8Array;
  /** src_reg per slot. */
  readonly src: Uint8Array;
  /** off per slot. */
  readonly off: Int32Array;
  /** imm per slot (low half for `ld_imm64`). */
  readonly imm: Int32Array;
  /** High half of a `ld_imm64`'s immediate (0 elsewhere). */
  readonly immHi: Int32Array;
}

const cache = new WeakMap<readonly Instruction[], DecodedProgram>();

/** Predecodes `insns` (cached per array). */
export function decodeProgram(insns: readonly Instruction[]): DecodedProgram {
  const hit = cache.get(insns);
  if (hit !== undefined) return hit;
  const n = countSlots(insns);
  const p: DecodedProgram = {
    insns,
    slots: n,
    code: new Uint8Array(n),
    dst: new Uint8Array(n),
    src: new Uint8Array(n),
    off: new Int32Array(n),
    imm: new Int32Array(n),
    immHi: new Int32Array(n),
  };
  let slot = 0;
  for (const insn of insns) {
    p.code[slot] = insn.code;
    p.dst[slot] = insn.dst;
    p.src[slot] = insn.src;
    p.off[slot] = insn.off;
    if (typeof insn.imm === 'bigint') {
      const u = BigInt.asUintN(64, insn.imm);
      p.imm[slot] = Number(u & 0xffffffffn) | 0;
      p.immHi[slot] = Number(u >> 32n) | 0;
      slot += 2;
    } else {
      p.imm[slot] = insn.imm | 0;
      slot += 1;
    }
  }
  cache.set(insns, p);
  return p;
}
