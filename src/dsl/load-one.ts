/**
 * `BPF_PROG_LOAD` of one compiled program whose map references are bound to `mapFds`: with its
 * BTF, func_info and line_info when it carries them (the BTF is loaded for the call and closed
 * after; the program keeps its own reference), so the kernel's log shows the TypeScript lines.
 * A rejection throws a {@link VerifierError} whose message ends with the TS position of the
 * failing instruction.
 * @module
 */

import { encode, programType, resolve } from 'ebpf-bytecode-utils';
import { btfLoad } from '../../syscalls/btf-load.js';
import { closeFd } from '../../syscalls/close-fd.js';
import { SyscallError } from '../../syscalls/errors.js';
import { progLoad } from '../../syscalls/prog-load.js';
import { VerifierError } from '../programs/verifier-error.js';
import { attachLoadOptions } from './attach-load-options.js';
import type { CompiledProgram } from './compile.js';
import { sourceLineAt, sourceLineText } from './program-btf.js';

/** Log options of {@link loadOneCompiled}. */
export interface LoadOneOptions {
  /** Verifier log level (absent: 0, with a level-1 retry on failure). */
  readonly logLevel?: number;
}

/** BTF fd of the program's BTF, or undefined when it has none or the kernel refuses BTF (the load then goes without line info). */
function loadProgramBtf(compiled: CompiledProgram): number | undefined {
  if (compiled.btf === undefined) return undefined;
  try {
    return btfLoad({ btf: compiled.btf.bytes, logLevel: 0 }).fd;
  } catch (err) {
    if (err instanceof SyscallError) return undefined;
    throw err;
  }
}

/** Loads `compiled` with its maps bound to `mapFds`; returns the program fd and the log. */
export function loadOneCompiled(compiled: CompiledProgram, mapFds: Readonly<Record<string, number>>, options: LoadOneOptions = {}): { fd: number; log: string } {
  const insns = encode(resolve(compiled.insns, { maps: mapFds }).instructions);
  const btfFd = loadProgramBtf(compiled);
  const ext = btfFd === undefined || compiled.btf === undefined ? {} : { progBtfFd: btfFd, funcInfo: compiled.btf.funcInfo, lineInfo: compiled.btf.lineInfo };
  try {
    const loaded = progLoad({ progType: programType(compiled.progType), insns, license: compiled.license, progName: compiled.name.slice(0, 15), ...attachLoadOptions(compiled), ...ext, ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }) });
    return { fd: loaded.fd, log: loaded.log };
  } catch (err) {
    if (err instanceof SyscallError && err.code === 'EACCES') {
      throw new VerifierError(`${compiled.progType} program "${compiled.name}"`, err, (insn) => {
        const at = sourceLineAt(compiled.lineInfo, insn);
        return at === undefined ? undefined : sourceLineText(at);
      });
    }
    throw err;
  } finally {
    if (btfFd !== undefined) closeFd(btfFd);
  }
}
