/**
 * The kernel function behind a system call, for syscall entry kprobes: since Linux 4.17 the
 * entry points carry the architecture's prefix (`__x64_sys_openat`, `__arm64_sys_openat`), older
 * kernels name them `sys_openat`. The name is picked by looking in `/proc/kallsyms`, as BCC's
 * `get_syscall_fnname` does.
 * @module
 */

import { kernelSymbolExists, KALLSYMS_PATH } from './kernel-symbols.js';

/** The syscall-wrapper prefix of each Node architecture (`process.arch`). */
export const SYSCALL_PREFIXES: Readonly<Record<string, string>> = {
  x64: '__x64_sys_',
  arm64: '__arm64_sys_',
  riscv64: '__riscv_sys_',
  s390x: '__s390x_sys_',
  ia32: '__ia32_sys_',
};

/** No kernel function implements the system call (unknown name, or not built into this kernel). */
export class SyscallNameError extends Error {
  override name = 'SyscallNameError';
  /** The system call asked for (`openat`). */
  readonly syscall: string;

  constructor(syscall: string, tried: readonly string[]) {
    super(`syscall ${syscall}: no kernel function ${tried.join(' or ')} in ${KALLSYMS_PATH} (unknown system call, or not built into this kernel)`);
    this.syscall = syscall;
  }
}

/** Options of {@link syscallFunctionName}. */
export interface SyscallFunctionNameOptions {
  /** The architecture (`process.arch` by default). */
  readonly arch?: string;
  /** The symbol list to search (`/proc/kallsyms` by default). */
  readonly kallsymsPath?: string;
}

/**
 * The kernel function to kprobe for system call `name` (`'openat'` → `'__x64_sys_openat'` on
 * x86_64, `'__arm64_sys_openat'` on arm64; `'sys_openat'` on kernels before 4.17). A `sys_` prefix
 * on `name` is ignored. Throws a {@link SyscallNameError} when the kernel has neither function,
 * a RangeError for a name that is not an identifier.
 */
export function syscallFunctionName(name: string, options: SyscallFunctionNameOptions = {}): string {
  const bare = name.replace(/^sys_/, '');
  if (!/^[a-z_][a-z0-9_]*$/.test(bare)) throw new RangeError(`syscallFunctionName: invalid system call name ${JSON.stringify(name)}`);
  const prefix = SYSCALL_PREFIXES[options.arch ?? process.arch];
  const candidates = [...(prefix === undefined ? [] : [`${prefix}${bare}`]), `sys_${bare}`];
  const path = options.kallsymsPath ?? KALLSYMS_PATH;
  const found = candidates.find((c) => kernelSymbolExists(c, path));
  if (found === undefined) throw new SyscallNameError(bare, candidates);
  return found;
}
