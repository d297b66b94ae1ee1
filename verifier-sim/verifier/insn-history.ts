/**
 * The jump history of a state (`struct bpf_jmp_history_entry`, `push_jmp_history` in
 * kernel/bpf/verifier.c): the non-sequential steps a path took since its last checkpoint
 * (jumps into jump points, returns from calls), plus per-instruction facts backtracking needs
 * (a stack slot spilled or filled, a jump comparing stack pointers, scalars linked by id).
 * Precision backtracking (`precision.ts`) walks it backwards.
 * @module
 */

import type { VerifierEnv } from './verifier-env.js';
import type { VerifierState } from './verifier-state.js';

/** `INSN_F_STACK_ACCESS`: the instruction spilled to or filled from a stack slot (spi and frame in the low bits). */
export const INSN_F_STACK_ACCESS = 1 << 9;
/** `INSN_F_DST_REG_STACK`: a conditional jump whose dst register is a stack pointer. */
export const INSN_F_DST_REG_STACK = 1 << 10;
/** `INSN_F_SRC_REG_STACK`: a conditional jump whose src register is a stack pointer. */
export const INSN_F_SRC_REG_STACK = 1 << 11;

/** `insn_stack_access_flags`: the flags of an access to slot `spi` of frame `frameno`. */
export function stackAccessFlags(frameno: number, spi: number): number {
  return INSN_F_STACK_ACCESS | (spi << 3) | frameno;
}

/** One linked scalar recorded at a conditional jump (`struct linked_reg`). */
export interface LinkedReg {
  /** Frame number. */
  readonly frameno: number;
  /** Register number or stack slot (spi). */
  readonly index: number;
  /** A register (true) or a spilled stack slot (false). */
  readonly isReg: boolean;
}

/**
 * A state's history as a flat array of numbers, {@link HIST_STRIDE} per entry (no object per
 * entry: checkpoints keep thousands of histories alive): the instruction, the instruction
 * processed before it on this path, the `INSN_F_*` flags, and the index of its linked scalars
 * in the run's {@link LinkedSets} (-1 for none).
 */
export type History = number[];

/** Numbers per history entry. */
export const HIST_STRIDE = 4;

/** Linked-scalar sets recorded at conditional jumps during one run, indexed from histories. */
export type LinkedSets = (readonly LinkedReg[])[];

/**
 * `push_jmp_history`: records the current instruction in `st`'s history, or merges into the
 * entry already recorded for it (atomics access the stack twice; jumps add linked registers).
 */
export function pushHistory(env: VerifierEnv, st: VerifierState, flags: number, linked: readonly LinkedReg[] | null): void {
  let link = -1;
  if (linked !== null) {
    link = env.linkedSets.length;
    env.linkedSets.push(linked);
  }
  const h = st.history;
  const pos = env.curHistPos;
  if (pos >= 0 && env.curHistOwner === h) {
    h[pos + 2] |= flags;
    h[pos + 3] = link;
    return;
  }
  env.curHistPos = h.length;
  env.curHistOwner = h;
  h.push(env.insnIdx, env.prevInsnIdx, flags, link);
}

