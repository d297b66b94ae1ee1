/**
 * The context of `kprobe` programs (kprobes, kretprobes, uprobes and uretprobes all use this
 * program type): R1 points at the probed task's registers. `ctx.parm(1)`…`ctx.parm(6)`,
 * `ctx.rc`, `ctx.ip`, `ctx.sp`, `ctx.fp` are BCC's and libbpf's `PT_REGS_PARM1`…`PARM6`,
 * `PT_REGS_RC`, `PT_REGS_IP`, `PT_REGS_SP`, `PT_REGS_FP` for the target architecture
 * (`options.arch`, by default the host's). `ctx.syscallParm(n)` is `PT_REGS_PARMn_SYSCALL`: a
 * probe on a syscall wrapper (`__x64_sys_openat`) sees one argument, a pointer to the user's
 * registers, and the real arguments are read from there with `bpf_probe_read_kernel`.
 *
 * ```ts
 * const prog = program('ret', 'kprobe', ($, ctx) => {
 *   const fd = $.let(s64, ctx.rc.cast(s64));                 // PT_REGS_RC(ctx)
 *   const path = ctx.syscallParm(2);                         // PT_REGS_PARM2_SYSCALL(ctx)
 *   const ret = ctx.readRetIp();                             // BPF_KPROBE_READ_RET_IP
 * });
 * ```
 * @module
 */

import { u64, type IntType, type U64 } from './c-types.js';
import { DslError } from './errors.js';
import { Expr, type Operand } from './expr.js';
import type { VarNode } from './nodes.js';
import { ptRegsLayout, type PtRegsArch, type PtRegsLayout } from './pt-regs.js';

/** An argument register number of `PT_REGS_PARMn`: 1…6. */
export type ParmIndex = 1 | 2 | 3 | 4 | 5 | 6;

/** What a register context needs from the builder: kernel memory reads (internal). */
export interface KernelReader {
  /** `bpf_probe_read_kernel` of one integer of `type` at `address` (0 when the read faults). */
  readKernel<T extends IntType>(type: T, address: Operand<U64>): Expr<T>;
}

/** `PT_REGS_*` readers over a register block at `base` bytes into the context. */
export interface PtRegs {
  /** The target architecture. */
  readonly arch: PtRegsArch;
  /** `PT_REGS_PARMn(ctx)`: integer argument `n` (1…6) at function entry. */
  parm(n: ParmIndex): Expr<U64>;
  /** `PT_REGS_RC(ctx)`: the return value (meaningful in kretprobes and uretprobes). */
  readonly rc: Expr<U64>;
  /** `PT_REGS_IP(ctx)`: the instruction pointer. */
  readonly ip: Expr<U64>;
  /** `PT_REGS_SP(ctx)`: the stack pointer. */
  readonly sp: Expr<U64>;
  /** `PT_REGS_FP(ctx)`: the frame pointer (rbp, x29). */
  readonly fp: Expr<U64>;
}

/** The context of a `kprobe` program (see the module notes). */
export interface KprobeContext extends PtRegs {
  /** The program type. */
  readonly progType: 'kprobe';
  /** The variable holding the context pointer (internal). */
  readonly pointer: VarNode;
  /** The register layout used. */
  readonly layout: PtRegsLayout;
  /**
   * `PT_REGS_PARMn_SYSCALL(ctx)`: argument `n` of the syscall whose wrapper is probed
   * (`__x64_sys_*`, `__arm64_sys_*`, kernels ≥ 4.17): reads the inner `struct pt_regs` that
   * `PT_REGS_PARM1` points to with `bpf_probe_read_kernel` (x86_64's argument 4 is r10, arm64's
   * argument 1 is `orig_x0`). 0 when the read faults.
   */
  syscallParm(n: ParmIndex): Expr<U64>;
  /**
   * `BPF_KPROBE_READ_RET_IP(ip, ctx)`: the return address at function entry. x86_64: the word
   * at the stack pointer (`bpf_probe_read_kernel` of `*(u64 *)PT_REGS_SP`); arm64: the link
   * register x30.
   */
  readRetIp(): Expr<U64>;
  /**
   * `BPF_KRETPROBE_READ_RET_IP(ip, ctx)`: in a kretprobe, the caller's return address as BCC reads
   * it: the word at `PT_REGS_FP(ctx) + 8` (`bpf_probe_read_kernel`).
   */
  readKretRetIp(): Expr<U64>;
}

function checkParm(n: number, who: string): void {
  if (!Number.isInteger(n) || n < 1 || n > 6) throw new DslError(`${who}: argument ${String(n)} is out of range 1..6`);
}

/** `PT_REGS_*` readers over the registers `base` bytes into the context `pointer` (also perf_event's `regs`). */
export function makePtRegs(layout: PtRegsLayout, pointer: VarNode, base = 0): PtRegs {
  const load = (off: number) => new Expr<U64>({ kind: 'load', type: u64, base: pointer, off: base + off }, u64);
  return {
    arch: layout.arch,
    parm: (n) => { checkParm(n, 'PT_REGS_PARM'); return load(layout.parm[n - 1]); },
    get rc() { return load(layout.rc); },
    get ip() { return load(layout.ip); },
    get sp() { return load(layout.sp); },
    get fp() { return load(layout.fp); },
  };
}

/** Options of {@link makeKprobeContext}. */
export interface KprobeContextOptions {
  /**
   * Whether syscalls go through wrappers taking `struct pt_regs *` (x86_64 since Linux 4.17,
   * arm64 since 4.19; the default). Without, `syscallParm` reads the context directly.
   */
  readonly syscallWrapper?: boolean;
}

/** Builds the context of a kprobe program for `arch` over `pointer`; `reader` emits kernel reads. */
export function makeKprobeContext(arch: PtRegsArch, pointer: VarNode, reader: KernelReader, options: KprobeContextOptions = {}): KprobeContext {
  const layout = ptRegsLayout(arch);
  const regs = makePtRegs(layout, pointer);
  const wrapper = options.syscallWrapper ?? true;
  const ctx: KprobeContext = {
    progType: 'kprobe',
    pointer,
    layout,
    arch,
    parm: regs.parm,
    get rc() { return regs.rc; },
    get ip() { return regs.ip; },
    get sp() { return regs.sp; },
    get fp() { return regs.fp; },
    syscallParm(n) {
      checkParm(n, 'PT_REGS_PARM_SYSCALL');
      const off = layout.syscallParm[n - 1];
      if (!wrapper) {
        const direct = off < layout.size ? off : layout.parm[n - 1];
        return new Expr<U64>({ kind: 'load', type: u64, base: pointer, off: direct }, u64);
      }
      return reader.readKernel(u64, regs.parm(1).add(BigInt(off)));
    },
    readRetIp() {
      if (layout.retIsValue) return new Expr<U64>({ kind: 'load', type: u64, base: pointer, off: layout.ret }, u64);
      return reader.readKernel(u64, regs.sp);
    },
    readKretRetIp() {
      return reader.readKernel(u64, regs.fp.add(8n));
    },
  };
  return Object.freeze(ctx);
}
