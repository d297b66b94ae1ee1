/**
 * Everything one verification run shares across paths (the kernel's `struct
 * bpf_verifier_env`): the program, its maps and type, the log, id and statistics counters,
 * explored states and the stack of branches still to explore.
 * @module
 */

import type { RejectError } from './verifier-error.js';
import type { Slot } from './program-slots.js';
import type { FuncInfo } from './func-info.js';
import type { Checkpoint, VerifierState } from './verifier-state.js';
import type { RegState } from './register-state.js';
import type { SccVisit } from './scc.js';
import type { VerifierLog } from './verifier-log.js';
import type { KernelBtf } from './kernel-btf.js';
import type { History, LinkedSets } from './insn-history.js';

/** A map as the verifier needs it. */
export interface MapInfo {
  /** Lower-case map type name (`hash`, `array`, …). */
  readonly type: string;
  /** Map type number. */
  readonly typeNumber: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Maximum entries. */
  readonly maxEntries: number;
  /** Map flags. */
  readonly flags: number;
}

/** A branch waiting to be explored (`struct bpf_verifier_stack_elem`). */
export interface PendingBranch {
  /** Its state. */
  readonly state: VerifierState;
  /** Where it resumes. */
  readonly insn: number;
  /** The jump it came from. */
  readonly prevInsn: number;
  /** Log position when it was pushed. */
  readonly logPos: number;
}

/** Shared state of one verification run. */
export interface VerifierEnv {
  /** The program, slot by slot. */
  readonly slots: readonly Slot[];
  /** Program type name (`socket_filter`, …). */
  readonly progType: string;
  /** Expected attach type number, or null. */
  readonly attachType: number | null;
  /** Whether the license is GPL-compatible. */
  readonly gpl: boolean;
  /** Maps, by index. */
  readonly maps: readonly MapInfo[];
  /** The kernel's `nr_cpu_ids`, when known (bounds `bpf_get_smp_processor_id()`). */
  readonly possibleCpus: number | null;
  /** BTF func_info records (one per subprogram), or null when the program has none. */
  readonly funcInfo: readonly FuncInfo[] | null;
  /** The kernel's BTF, resolved on first use (BTF-id pointers, kfunc calls). */
  readonly kernelBtf: KernelBtf;
  /** `attach_btf_id` of tracing programs, or null. */
  readonly attachBtfId: number | null;
  /** Prune points from the CFG walk (1 at a prune point, by slot). */
  readonly prunePoints: Uint8Array;
  /** Per slot, the constant register of its immediate operand once built (see {@link immediateReg}). */
  readonly immRegs: (RegState | undefined)[];
  /** Registers live before each slot (bit i = Ri). */
  readonly liveBefore: Uint16Array;
  /** Stack slots that may be read after each slot (bit spi). */
  readonly liveStack: readonly bigint[];
  /** The log. */
  readonly log: VerifierLog;
  /** Jump points (`jmp_point`: jump targets, instructions after calls), 1 by slot. */
  readonly jmpPoints: Uint8Array;
  /** Position of the history entry recorded for the instruction being checked (`cur_hist_ent`), or -1. */
  curHistPos: number;
  /** The history that entry is in. */
  curHistOwner: History | null;
  /** Linked-scalar sets the histories refer to. */
  readonly linkedSets: LinkedSets;
  /** The instruction processed before the current one on this path (`prev_insn_idx`). */
  prevInsnIdx: number;
  /** The current path's state. */
  cur: VerifierState;
  /** The slot being checked. */
  insnIdx: number;
  /** Last id handed out (`id_gen`). */
  idGen: number;
  /** Instructions processed (`insn_processed`). */
  processed: number;
  /** Jumps processed (`jmps_processed`). */
  jmpsProcessed: number;
  /** Counters at the last checkpoint. */
  prevJmpsProcessed: number;
  /** See {@link prevJmpsProcessed}. */
  prevInsnProcessed: number;
  /** Explored states per hash bucket (`(insn ^ callsite) % prog_len`), newest first. */
  readonly explored: (Checkpoint[] | undefined)[];
  /** Statistics of the closing log line. */
  totalStates: number;
  /** See {@link totalStates}. */
  peakStates: number;
  /** See {@link totalStates}. */
  maxStatesPerInsn: number;
  /** Checkpoints currently stored. */
  liveStates: number;
  /** SCC id of each slot (0: not in a loop), from `computeSccs`. */
  readonly sccOf: Int32Array;
  /** SCC visits by call chain key. */
  readonly sccVisits: Map<string, SccVisit>;
  /** Backedge states held by open SCC visits (`num_backedges`; counted in `peak_states`). */
  numBackedges: number;
  /** Branches to explore, last in first out. */
  readonly pending: PendingBranch[];
  /** Deepest stack use seen, in bytes. */
  stackDepth: number;
  /** Registers touched since the state was last printed (bit i = Ri). */
  scratchedRegs: number;
  /** Stack slots touched since the state was last printed (bit spi). */
  scratchedStack: bigint;
  /** Log position just after the last instruction line (`prev_log_pos`). */
  prevLogPos: number;
  /** Length of the last instruction line including its newline (`prev_insn_print_pos`). */
  prevInsnPrintPos: number;
  /**
   * An error the kernel reports only after a successful walk, when `convert_ctx_accesses`
   * rewrites the program (e.g. a socket field read whose conversion fails): the first such
   * instruction's. Thrown by `verify` once the walk accepted.
   */
  conversionError?: RejectError;
}

/** Marks register `regno` as touched (`mark_reg_scratched`). */
export function scratchReg(env: VerifierEnv, regno: number): void {
  env.scratchedRegs |= 1 << regno;
}

/** Marks stack slot `spi` as touched (`mark_stack_slot_scratched`). */
export function scratchSlot(env: VerifierEnv, spi: number): void {
  env.scratchedStack |= 1n << BigInt(spi);
}

/** Marks the whole state as touched (`mark_verifier_state_scratched`). */
export function scratchAll(env: VerifierEnv): void {
  env.scratchedRegs = 0x7ff;
  env.scratchedStack = (1n << 64n) - 1n;
}

/**
 * The scalar constant register of slot `idx`'s immediate (the kernel's fake source register of
 * `BPF_K` operands), built once per slot by `make` and shared: callers must not modify it.
 */
export function immediateReg(env: VerifierEnv, idx: number, make: (imm: bigint) => RegState): RegState {
  let r = env.immRegs[idx];
  if (r === undefined) {
    r = make(BigInt(env.slots[idx].imm));
    env.immRegs[idx] = r;
  }
  return r;
}
