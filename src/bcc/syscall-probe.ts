/**
 * BCC's `syscall__NAME` with the best mechanism the running kernel offers and the same meaning
 * everywhere: the function runs at the entry of system call NAME, `ctx.parm(n)` is the n-th
 * argument as the user passed it.
 *
 * | mechanism | program | `ctx.parm(n)` |
 * |---|---|---|
 * | `kprobe` | kprobe on `__x64_sys_NAME` (`get_syscall_fnname`) | `PT_REGS_PARMn_SYSCALL`: read from the inner `pt_regs` |
 * | `fentry` | fentry on the same function | the same registers, through its `const struct pt_regs *` argument |
 * | `tracepoint` | `syscalls:sys_enter_NAME` | the record's n-th argument field (8 bytes each) |
 *
 * `auto` picks the first the kernel allows: kprobes need `CONFIG_KPROBE_EVENTS`; fentry needs
 * ftrace function hooks (checked by loading a tiny fentry program once); tracepoints need
 * `CONFIG_FTRACE_SYSCALLS`.
 * @module
 */

import { existsSync } from 'node:fs';
import { u64, type Bool, type IntType, type U64 } from '../dsl/c-types.js';
import { Expr } from '../dsl/expr.js';
import type { ParmIndex } from '../dsl/kprobe-context.js';
import { hostArch, ptRegsLayout } from '../dsl/pt-regs.js';
import { program, type Builder, type Program } from '../dsl/program.js';
import { tracepointProgram } from '../dsl/tracepoint-program.js';
import { tracingProgram } from '../dsl/tracing-program.js';
import { compile } from '../dsl/compile.js';
import { loadProgramSet } from '../dsl/load-programs.js';
import { kprobePmu } from '../attach/kprobe.js';
import { syscallFunctionName } from '../attach/syscall-name.js';
import { tracefsRoot } from '../tracefs/tracefs-root.js';
import { tracepointFormat } from '../tracefs/tracepoint-id.js';
import { BccError } from './bcc-error.js';

/** What a probe function may return: the program's return value (0 when nothing). */
export type ProbeReturn = Expr<IntType> | Expr<Bool> | number | bigint | void;

/** How a syscall probe is implemented. */
export type SyscallMechanism = 'kprobe' | 'fentry' | 'tracepoint';

/** The context of a `syscall__` function: the system call's arguments, whatever the mechanism. */
export interface SyscallContext {
  /** The mechanism in use. */
  readonly mechanism: SyscallMechanism;
  /** The system call (`openat`). */
  readonly syscall: string;
  /** Argument `n` (1…6) as the user passed it, as a `u64` (BCC's function parameters). */
  parm(n: ParmIndex): Expr<U64>;
}

/** The builder a `syscall__` function gets (its program type depends on the mechanism). */
export type SyscallBuilder = Builder<'kprobe' | 'tracing' | 'tracepoint'>;

function checkParm(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 6) throw new BccError(`syscall probe: argument ${String(n)} is out of range 1..6`);
}

let kprobesCache: boolean | undefined;
/** Whether the kernel can create kprobes (a kprobe PMU, or tracefs `kprobe_events`). */
export function kprobesAvailable(): boolean {
  if (kprobesCache !== undefined) return kprobesCache;
  let ok = kprobePmu() !== undefined;
  if (!ok) {
    try { ok = existsSync(`${tracefsRoot()}/kprobe_events`); } catch { ok = false; }
  }
  kprobesCache = ok;
  return ok;
}

let fentryCache: boolean | undefined;
/**
 * Whether fentry programs load on this kernel: a one-instruction fentry program on the
 * `openat` syscall function is loaded (and closed) once; refusals (EPERM where ftrace hooks are
 * blocked, a kernel without BTF) mean no.
 */
export function fentryAvailable(): boolean {
  if (fentryCache !== undefined) return fentryCache;
  try {
    const p = tracingProgram('fentry', syscallFunctionName('openat'), () => 0, { name: 'tsbpf_fentry_q' });
    loadProgramSet([compile(p)]).close();
    fentryCache = true;
  } catch {
    fentryCache = false;
  }
  return fentryCache;
}

/** The mechanism `auto` chooses on the running kernel. */
export function bestSyscallMechanism(): SyscallMechanism {
  if (kprobesAvailable()) return 'kprobe';
  if (fentryAvailable()) return 'fentry';
  return 'tracepoint';
}

/** A built syscall probe: the program and how to attach it. */
export interface SyscallProbe {
  /** The program. */
  readonly program: Program;
  /** The mechanism. */
  readonly mechanism: SyscallMechanism;
  /** The kernel function (kprobe, fentry) or tracepoint (`syscalls:sys_enter_openat`) it attaches to. */
  readonly target: string;
}

/**
 * Builds the entry probe of system call `syscall` named `name` with `mechanism`, running `body`
 * with a {@link SyscallContext}.
 */
export function buildSyscallProbe(
  name: string,
  syscall: string,
  mechanism: SyscallMechanism,
  body: ($: SyscallBuilder, ctx: SyscallContext) => ProbeReturn,
): SyscallProbe {
  if (!/^[a-z_][a-z0-9_]*$/.test(syscall)) throw new BccError(`syscall probe '${name}': '${syscall}' is not a system call name`);
  if (mechanism === 'tracepoint') {
    const tp = `sys_enter_${syscall}`;
    const format = tracepointFormat('syscalls', tp);
    const args = format.fields.filter((f) => !f.common && f.name !== '__syscall_nr');
    const prog = tracepointProgram('syscalls', tp, ($, ctx) => body($ as SyscallBuilder, {
      mechanism, syscall,
      parm(n) {
        checkParm(n);
        const f = args[n - 1];
        if (f === undefined) throw new BccError(`syscall ${syscall} has ${args.length} arguments, not ${n}`);
        return new Expr<U64>({ kind: 'load', type: u64, base: ctx.pointer, off: f.offset }, u64);
      },
    }), { name, format });
    return { program: prog, mechanism, target: `syscalls:${tp}` };
  }
  const fn = syscallFunctionName(syscall);
  if (mechanism === 'kprobe') {
    const prog = program(name, 'kprobe', ($, ctx) => body($ as SyscallBuilder, {
      mechanism, syscall,
      parm(n) { checkParm(n); return ctx.syscallParm(n); },
    }));
    return { program: prog, mechanism, target: fn };
  }
  const layout = ptRegsLayout(hostArch());
  const prog = tracingProgram('fentry', fn, ($, ctx) => body($ as SyscallBuilder, {
    mechanism, syscall,
    parm(n) { checkParm(n); return $.readKernel(u64, ctx.arg(0).cast(u64).add(BigInt(layout.syscallParm[n - 1]))); },
  }), { name });
  return { program: prog, mechanism, target: fn };
}
