/**
 * The registry of `tsbpf` subcommands. Adding a command is one file in this folder (exporting a
 * {@link Command}) and one line here. Commands load lazily, so `tsbpf asm` never loads what
 * `tsbpf kload` needs.
 * @module
 */

import type { Command } from '../command.js';

/** A registered command: its one-line summary (for `tsbpf --help`) and how to load it. */
export interface CommandEntry {
  /** One line for the command list. */
  readonly summary: string;
  /** Loads the command's module. */
  readonly load: () => Promise<Command>;
}

/** Every command, by the word that follows `tsbpf`. */
export const commands: Readonly<Record<string, CommandEntry>> = {
  asm: { summary: 'assemble LLVM or kernel-syntax text to raw bytes', load: async () => (await import('./asm.js')).asm },
  disasm: { summary: 'disassemble raw bytes to kernel (default) or LLVM syntax', load: async () => (await import('./disasm.js')).disasm },
  btf: { summary: "print BTF as C declarations ('btf dump [FILE]', default: the running kernel's)", load: async () => (await import('./btf.js')).btf },
  build: { summary: 'write the eDSL programs a module exports as a BPF ELF object (.o) for libbpf/bpftool', load: async () => (await import('./build.js')).build },
  verify: { summary: 'offline verifier on program specs; prints the verdict and log as the kernel would', load: async () => (await import('./verify.js')).verifyCommand },
  kload: { summary: 'load program specs into the running kernel; print the verifier verdict', load: async () => (await import('./kload.js')).kload },
  run: { summary: 'run program specs in the interpreter (offline, no root)', load: async () => (await import('./run.js')).run },
  krun: { summary: 'load program specs and run them with BPF_PROG_TEST_RUN', load: async () => (await import('./krun.js')).krun },
  probe: { summary: 'what the running kernel supports: program types, map types, helpers, attach kinds', load: async () => (await import('./probe.js')).probe },
  demo: { summary: 'the whole pipeline on one eDSL program: compile, disassemble, verify, interpret, kernel test run', load: async () => (await import('./demo.js')).demo },
  opensnoop: { summary: 'trace openat() calls: PID, COMM, FD, ERR, PATH (BCC opensnoop; --json)', load: async () => (await import('./opensnoop.js')).opensnoop },
  execsnoop: { summary: 'trace execve() calls: PCOMM, PID, PPID, RET, ARGS (BCC execsnoop; --json)', load: async () => (await import('./execsnoop.js')).execsnoop },
  syscount: { summary: 'count system calls per syscall, top N (BCC syscount; -L latency, --json)', load: async () => (await import('./syscount.js')).syscount },
};
