/**
 * The offline verifier (verifier-sim) over a compiled program, with a rejection reported at the
 * TypeScript line that produced the failing instruction — the same line the kernel's verifier
 * log shows through line_info.
 *
 * ```ts
 * const r = verifyCompiled(compile(prog));
 * if (r.verdict === 'reject') console.log(`${r.error} at ${r.source?.file}:${r.source?.line}`);
 * ```
 * @module
 */

import { decodeFuncInfo, resolve, type Btf } from 'ebpf-bytecode-utils';
import { verify, type KernelBtfSource, type VerifyResult } from '../../verifier-sim/index.js';
import { kernelBtf } from './kernel-btf.js';
import type { CompiledProgram } from './compile.js';
import { sourceLineAt, type SourceLine } from './program-btf.js';

/** Options of {@link verifyCompiled}. */
export interface VerifyCompiledOptions {
  /** Log level of the simulated verifier (0 by default). */
  readonly logLevel?: 0 | 1 | 2;
  /**
   * The BTF the program's kfunc ids and BTF-id pointers refer to: by default the running
   * kernel's (`/sys/kernel/btf/vmlinux`, read only when the program needs it; none when it cannot
   * be read). A program built with `$.kfuncIn(btf)` is verified against that `btf`.
   */
  readonly btf?: KernelBtfSource;
}

/** The running kernel's BTF, or undefined where it cannot be read (the verifier then answers as without `CONFIG_DEBUG_INFO_BTF`). */
function runningKernelBtf(): Btf | undefined {
  try {
    return kernelBtf();
  } catch {
    return undefined;
  }
}

/** The simulated verifier's verdict, plus the source line of the failing instruction. */
export interface CompiledVerifyResult extends VerifyResult {
  /** Where the failing instruction was written (null when accepted, or when the program has no line info or the error names no instruction). */
  readonly source: SourceLine | null;
}

/** Verifies `compiled` offline (map references bound to simulated maps by index). */
export function verifyCompiled(compiled: CompiledProgram, options: VerifyCompiledOptions = {}): CompiledVerifyResult {
  const index = Object.fromEntries(compiled.maps.map((m, i) => [m.name, i]));
  const r = verify(resolve(compiled.insns, { maps: index }).instructions, {
    progType: compiled.progType,
    license: compiled.license,
    maps: compiled.maps,
    ...(compiled.attach === undefined ? {} : { expectedAttachType: compiled.attach.attachType }),
    ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
    btf: options.btf ?? runningKernelBtf,
    ...(compiled.btf === undefined ? {} : { funcInfo: decodeFuncInfo(compiled.btf.funcInfo.records) }),
  });
  const source = r.verdict === 'reject' && r.insn !== null ? sourceLineAt(compiled.lineInfo, r.insn) ?? null : null;
  return { ...r, source };
}
