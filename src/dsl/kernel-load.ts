/**
 * Loading a compiled program into the running kernel: creates its maps (`BPF_MAP_CREATE`),
 * binds the symbolic map references to their fds, and loads the program (`BPF_PROG_LOAD`). The
 * kernel's verifier rejecting it (EACCES) throws a `VerifierError` with the log and the TypeScript
 * line of the failing instruction (the program is loaded with its BTF, func_info and line_info);
 * other failures throw the syscalls layer's `SyscallError`.
 * Needs root (or CAP_BPF) and a kernel with BPF.
 *
 * ```ts
 * using loaded = loadCompiled(compile(prog));
 * progTestRun({ progFd: loaded.progFd, dataIn: frame }).retval;
 * ```
 * @module
 */

import { createDslMap } from './create-map.js';
import { closeFd } from '../../syscalls/close-fd.js';
import { loadOneCompiled } from './load-one.js';
import type { CompiledProgram } from './compile.js';

/** A program and its maps in the kernel; owns the fds. */
export interface LoadedProgram {
  /** The program fd. */
  readonly progFd: number;
  /** Map fds by name. */
  readonly mapFds: Readonly<Record<string, number>>;
  /** The verifier log, when a log level was asked for. */
  readonly log: string;
  /** Closes the program and map fds (idempotent). */
  close(): void;
  /** Same as {@link LoadedProgram.close}. */
  [Symbol.dispose](): void;
}

/** Options of {@link loadCompiled}. */
export interface KernelLoadOptions {
  /** Verifier log level (0 by default; a failing load is retried with a log). */
  readonly logLevel?: number;
}

/** Creates the maps of `compiled` and loads it; closes what it created when something fails. */
export function loadCompiled(compiled: CompiledProgram, options: KernelLoadOptions = {}): LoadedProgram {
  const mapFds: Record<string, number> = {};
  const closeAll = () => {
    for (const fd of Object.values(mapFds)) closeFd(fd);
    for (const k of Object.keys(mapFds)) delete mapFds[k];
  };
  try {
    for (const m of compiled.maps) {
      mapFds[m.name] = createDslMap(m);
    }
    const loaded = loadOneCompiled(compiled, mapFds, options);
    let open = true;
    const close = () => {
      if (!open) return;
      open = false;
      closeFd(loaded.fd);
      closeAll();
    };
    return { progFd: loaded.fd, mapFds: { ...mapFds }, log: loaded.log, close, [Symbol.dispose]: close };
  } catch (err) {
    closeAll();
    throw err;
  }
}
