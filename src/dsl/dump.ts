/**
 * A compiled program as text: the kernel's verifier-log syntax (`0: (b7) r0 = 0`), with map
 * references shown by name (`r1 = map[counts]`) and, on request, the TypeScript line of each
 * run of instructions as the kernel prints line_info (`; counts.increment(k); @ probe.ts:12`).
 * @module
 */

import { basename } from 'node:path';
import { disassembleKernel } from 'ebpf-bytecode-utils';
import type { CompiledProgram } from './compile.js';

/** Options of {@link dump}. */
export interface DumpOptions {
  /** Print `; <source line> @ <file>:<line>` before the instructions of each line_info entry (default false). */
  readonly lineInfo?: boolean;
}

/** The disassembly of `compiled`, one line per instruction, map references by name. */
export function dump(compiled: Pick<CompiledProgram, 'insns'> & Partial<Pick<CompiledProgram, 'lineInfo'>>, options: DumpOptions = {}): string {
  const lines = disassembleKernel(compiled.insns, { immName: (insn) => (insn.ref?.kind === 'map' ? `map[${insn.ref.name}]` : undefined) });
  if (options.lineInfo !== true || compiled.lineInfo === undefined) return lines.join('\n');
  const at = new Map(compiled.lineInfo.map((l) => [l.insn, l]));
  const out: string[] = [];
  for (const line of lines) {
    const m = /^(\d+): /.exec(line);
    const src = m === null ? undefined : at.get(Number(m[1]));
    if (src !== undefined) out.push(`; ${src.text} @ ${basename(src.file)}:${src.line}`);
    out.push(line);
  }
  return out.join('\n');
}
