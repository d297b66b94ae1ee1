/**
 * A compiled program as text: the kernel's verifier-log syntax (`0: (b7) r0 = 0`), with map
 * references shown by name (`r1 = map[counts]`).
 * @module
 */

import { disassembleKernel } from 'ebpf-bytecode-utils';
import type { CompiledProgram } from './compile.js';

/** The disassembly of `compiled`, one line per instruction, map references by name. */
export function dump(compiled: Pick<CompiledProgram, 'insns'>): string {
  return disassembleKernel(compiled.insns, { immName: (insn) => (insn.ref?.kind === 'map' ? `map[${insn.ref.name}]` : undefined) }).join('\n');
}
