/**
 * Register layouts of the kprobe/uprobe context (`struct pt_regs`, what BCC's and libbpf's
 * `PT_REGS_*` macros read) for x86_64 and arm64, as byte offsets. The kernel hands a kprobe
 * program `struct pt_regs *` on x86_64 (`arch/x86/include/asm/ptrace.h`) and
 * `struct user_pt_regs *` on arm64 (`arch/arm64/include/uapi/asm/ptrace.h`, the
 * `bpf_user_pt_regs_t` of that arch).
 *
 * ```ts
 * ptRegsLayout('x86_64').parm[0];   // 112: PT_REGS_PARM1 is di
 * ptRegsLayout('arm64').rc;         // 0:   PT_REGS_RC is regs[0]
 * ```
 * @module
 */

import { DslError } from './errors.js';

/** Architectures whose register layout the eDSL knows (Node's `process.arch` spelling of arm64, the kernel's of x86_64). */
export type PtRegsArch = 'x86_64' | 'arm64';

/** Where each `PT_REGS_*` register lives in the context, in bytes. */
export interface PtRegsLayout {
  /** The architecture. */
  readonly arch: PtRegsArch;
  /** `sizeof` the context struct (the verifier refuses reads past it). */
  readonly size: number;
  /** `PT_REGS_PARM1`…`PT_REGS_PARM6`: the first six integer arguments at function entry. */
  readonly parm: readonly [number, number, number, number, number, number];
  /** `PT_REGS_RC`: the return value at function return. */
  readonly rc: number;
  /** `PT_REGS_IP`: the instruction pointer. */
  readonly ip: number;
  /** `PT_REGS_SP`: the stack pointer. */
  readonly sp: number;
  /** `PT_REGS_FP`: the frame pointer. */
  readonly fp: number;
  /**
   * `PT_REGS_RET`: on x86_64 the stack pointer (the return address is at `*sp` at function
   * entry); on arm64 the link register x30, which holds the return address itself.
   */
  readonly ret: number;
  /** Whether `ret` holds the return address itself (arm64) rather than its stack address (x86_64). */
  readonly retIsValue: boolean;
  /**
   * `PT_REGS_PARM1_SYSCALL`…`PARM6_SYSCALL`: where a syscall's arguments are in the *inner*
   * `struct pt_regs` a syscall wrapper (`__x64_sys_openat`, `__arm64_sys_openat`) receives as
   * its first argument: x86_64 passes argument 4 in r10 (not cx), arm64 keeps argument 1 in
   * `orig_x0` (x0 is overwritten by the return value).
   */
  readonly syscallParm: readonly [number, number, number, number, number, number];
}

/** x86_64 `struct pt_regs` (168 bytes): r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di orig_ax ip cs flags sp ss. */
const X86_64: PtRegsLayout = Object.freeze({
  arch: 'x86_64',
  size: 168,
  parm: Object.freeze([112, 104, 96, 88, 72, 64] as const),
  rc: 80,
  ip: 128,
  sp: 152,
  fp: 32,
  ret: 152,
  retIsValue: false,
  syscallParm: Object.freeze([112, 104, 96, 56, 72, 64] as const),
});

/** arm64 `struct user_pt_regs` (272 bytes): regs[31], sp, pc, pstate; the kernel's `pt_regs` adds `orig_x0` at 272. */
const ARM64: PtRegsLayout = Object.freeze({
  arch: 'arm64',
  size: 272,
  parm: Object.freeze([0, 8, 16, 24, 32, 40] as const),
  rc: 0,
  ip: 256,
  sp: 248,
  fp: 29 * 8,
  ret: 30 * 8,
  retIsValue: true,
  syscallParm: Object.freeze([272, 8, 16, 24, 32, 40] as const),
});

/** The register layout of `arch`. */
export function ptRegsLayout(arch: PtRegsArch): PtRegsLayout {
  if (arch === 'x86_64') return X86_64;
  if (arch === 'arm64') return ARM64;
  throw new DslError(`pt_regs: architecture '${String(arch)}' is not supported (x86_64 or arm64)`);
}

/** The architecture this process runs on (`process.arch` `x64` → `x86_64`), or a {@link DslError} for others. */
export function hostArch(): PtRegsArch {
  const a = (globalThis as { process?: { arch?: string } }).process?.arch;
  if (a === 'x64') return 'x86_64';
  if (a === 'arm64') return 'arm64';
  throw new DslError(`pt_regs: host architecture '${String(a)}' is not supported; pass options.arch ('x86_64' or 'arm64')`);
}
