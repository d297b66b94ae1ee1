/**
 * The message for a slot that holds no executable instruction.
 * @module
 */

import { describe } from 'ebpf-bytecode-utils';
import type { DecodedProgram } from './decoded-program.js';

/** Why slot `pc` of `P` cannot be executed (an unknown encoding, or the middle of a `ld_imm64`). */
export function describeInvalid(P: DecodedProgram, pc: number): string {
  if (pc < 0 || pc >= P.slots) return `jump or fall-through to slot ${pc}, outside the program (${P.slots} slots)`;
  const code = P.code[pc];
  if (code === 0 && pc > 0 && P.code[pc - 1] === 0x18) return 'jump into the middle of a ld_imm64';
  const op = describe({ code, dst: P.dst[pc], src: P.src[pc], off: P.off[pc], imm: P.imm[pc] });
  return op.kind === 'invalid' ? op.reason : `${op.kind} instruction (opcode 0x${code.toString(16).padStart(2, '0')}) is not simulated`;
}
