/**
 * System call names for syscount: number → name on x86_64 and arm64 (the only architectures
 * tsbpf's syscall numbers cover), from the generated table.
 * @module
 */

import { SYSCALL_NAMES_ARM64, SYSCALL_NAMES_X86_64 } from './syscall-names.generated.js';

/** Architectures with a syscall table (Node's `process.arch` names). */
export type SyscallArch = 'x64' | 'arm64';

/** The table of `arch`, or undefined for an architecture without one. */
export function syscallTable(arch: string = process.arch): Readonly<Record<number, string>> | undefined {
  if (arch === 'x64') return SYSCALL_NAMES_X86_64;
  if (arch === 'arm64') return SYSCALL_NAMES_ARM64;
  return undefined;
}

/** The name of syscall `nr` on `arch` (default: this machine's), or `[nr]` when unknown (BCC's form). */
export function syscallName(nr: number, arch: string = process.arch): string {
  return syscallTable(arch)?.[nr] ?? `[${nr}]`;
}
