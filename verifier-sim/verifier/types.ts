/**
 * Inputs and output of the offline verifier: the same shape as the `tsbpf verify --json`
 * result (DESIGN.md, "Verify / kload result").
 * @module
 */

import type { KernelBtfSource } from './kernel-btf.js';
import type { FuncInfo } from './func-info.js';

/** A map the program refers to: `ld_imm64` with `src` 1 or 5 names `maps[imm]`. */
export interface MapSpec {
  /** Map type: the kernel's lower-case name without prefix (`hash`, `array`) or its number. */
  readonly type: string | number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Maximum number of entries. */
  readonly maxEntries: number;
  /** `map_flags` (BPF_F_RDONLY_PROG = 0x80, BPF_F_WRONLY_PROG = 0x100 restrict program access). */
  readonly flags?: number;
}

/** Options of {@link verify}. */
export interface VerifyOptions {
  /** Program type: lower-case name without prefix (`socket_filter`, `xdp`, `sched_cls`) or number. */
  readonly progType: string | number;
  /** Expected attach type (name or number); matters for cgroup and xdp devmap programs. */
  readonly expectedAttachType?: string | number | null;
  /** License string; GPL-only helpers need a GPL-compatible one. Defaults to `GPL`. */
  readonly license?: string;
  /**
   * `attach_btf_id`: for `tracing` programs with expected attach type `trace_raw_tp` (tp_btf),
   * the id of the `btf_trace_<tracepoint>` typedef in the kernel BTF ({@link btf}).
   */
  readonly attachBtfId?: number;
  /** Maps referred to by `ld_imm64` map references, by index. */
  readonly maps?: readonly MapSpec[];
  /**
   * The target kernel's number of possible CPUs (`nr_cpu_ids`, from
   * `/sys/devices/system/cpu/possible`): the verifier bounds `bpf_get_smp_processor_id()` by
   * it, which can decide branches. Unknown (no bound) when omitted.
   */
  readonly possibleCpus?: number;
  /**
   * The target kernel's BTF (`/sys/kernel/btf/vmlinux`): decoded, raw bytes, or a function
   * returning either, called only when the program needs BTF (a `PTR_TO_BTF_ID` helper result,
   * a kfunc call). Without it such programs are rejected as by a kernel without
   * `CONFIG_DEBUG_INFO_BTF`.
   */
  readonly btf?: KernelBtfSource;
  /**
   * BTF func_info of the program as it is loaded (`func_info` of `BPF_PROG_LOAD`): one record per
   * subprogram with its first instruction, `FUNC` type id and linkage. Needed by programs with
   * callbacks (`ld_imm64` of a subprogram address for `bpf_loop`, `bpf_for_each_map_elem`); checked
   * against the subprogram layout as the kernel checks it.
   */
  readonly funcInfo?: readonly FuncInfo[];
  /** 0: no log; 1: the kernel's level-1 log; 2: every path with states. Defaults to 0. */
  readonly logLevel?: 0 | 1 | 2;
}

/** What the verifier decided and said. */
export interface VerifyResult {
  /** Whether the kernel would load the program. */
  readonly verdict: 'accept' | 'reject';
  /** The verifier's first error line (the kernel's wording), or null when accepted. */
  readonly error: string | null;
  /** The instruction (slot index) the error refers to, or null. */
  readonly insn: number | null;
  /** Instructions processed, counted like the kernel's `insn_processed`. */
  readonly processed: number;
  /** The verifier log at the requested level (always ends with the `processed …` line when logLevel > 0). */
  readonly log: string;
}
