/**
 * Strongly connected components of the control-flow graph and the verifier's SCC visits
 * (`compute_scc`, `compute_scc_callchain`, `maybe_enter_scc`, `maybe_exit_scc` and
 * `add_scc_backedge` in kernel/bpf/verifier.c, Linux 6.17+). A loop's first checkpoint opens a
 * visit; pruning hits that close a loop while the visit is open (may_goto, callback calls) are
 * kept as backedge states until the visit's entry checkpoint has no paths left. The simulator
 * does not propagate precision along backedges; it counts them, because the kernel's
 * `peak_states` statistic includes them.
 * @module
 */

import { isLdImm64, type Slot } from './program-slots.js';
import type { Checkpoint, VerifierState } from './verifier-state.js';

/** One open or finished visit of an SCC along one call chain (`struct bpf_scc_visit`). */
export interface SccVisit {
  /** The checkpoint that entered the SCC, or null once every path below it finished. */
  entry: Checkpoint | null;
  /** Backedge states recorded while the visit is open. */
  backedges: number;
  /** The backedges (`struct bpf_scc_backedge`): a copy of the state at the hit, the state it equalled, and the instruction. */
  states: { readonly state: VerifierState; readonly equal: VerifierState; readonly insn: number }[];
}

/** `is_sync_callback_calling_function`: bpf_for_each_map_elem, bpf_find_vma, bpf_loop, bpf_user_ringbuf_drain. */
const SYNC_CALLBACK_HELPERS: ReadonlySet<number> = new Set([164, 180, 181, 209]);

function successors(slots: readonly Slot[], i: number, out: number[]): void {
  out.length = 0;
  const s = slots[i];
  const cls = s.code & 7;
  if (cls !== 0x05 && cls !== 0x06) {
    out.push(i + (isLdImm64(s) ? 2 : 1));
    return;
  }
  const op = s.code & 0xf0;
  if (op === 0x90) return;
  if (op === 0x80) {
    out.push(i + 1);
    // A helper that calls a callback returns to itself after each callback run (the kernel
    // revisits the call instruction), so it forms a loop of its own.
    if (s.src === 0 && SYNC_CALLBACK_HELPERS.has(s.imm)) out.push(i);
    return;
  }
  if (op === 0x00) {
    out.push(i + (cls === 0x06 ? s.imm : s.off) + 1);
    return;
  }
  out.push(i + 1, i + s.off + 1);
}

/**
 * The SCC id of every slot (0: not in a loop). Only non-trivial components count: more than
 * one instruction, or one that jumps to itself. Calls are followed as fall-through, so the
 * components are intraprocedural as in the kernel. Iterative Tarjan.
 */
export function computeSccs(slots: readonly Slot[]): Int32Array {
  const n = slots.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const scc = new Int32Array(n);
  const stack: number[] = [];
  const succ: number[][] = [];
  const tmp: number[] = [];
  for (let i = 0; i < n; i++) {
    successors(slots, i, tmp);
    succ.push(tmp.filter((j) => j >= 0 && j < n));
  }
  let next = 0;
  let nextScc = 1;
  const work: number[] = [];
  const edge: number[] = [];
  for (let root = 0; root < n; root++) {
    if (index[root] >= 0) continue;
    work.push(root);
    edge.push(0);
    index[root] = low[root] = next++;
    stack.push(root);
    onStack[root] = 1;
    while (work.length > 0) {
      const v = work[work.length - 1];
      const e = edge[edge.length - 1];
      if (e < succ[v].length) {
        edge[edge.length - 1]++;
        const w = succ[v][e];
        if (index[w] < 0) {
          index[w] = low[w] = next++;
          stack.push(w);
          onStack[w] = 1;
          work.push(w);
          edge.push(0);
        } else if (onStack[w] === 1 && index[w] < low[v]) {
          low[v] = index[w];
        }
        continue;
      }
      work.pop();
      edge.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1];
        if (low[v] < low[parent]) low[parent] = low[v];
      }
      if (low[v] !== index[v]) continue;
      const members: number[] = [];
      let w: number;
      do {
        w = stack.pop() as number;
        onStack[w] = 0;
        members.push(w);
      } while (w !== v);
      if (members.length > 1 || succ[v].includes(v)) {
        for (const m of members) scc[m] = nextScc;
        nextScc++;
      }
    }
  }
  return scc;
}

/**
 * The key of the visit a state at `insn` belongs to (`compute_scc_callchain`): the call sites
 * down to the first frame whose current instruction is in an SCC, plus that SCC; null when no
 * frame is in a loop.
 */
export function sccCallchain(sccOf: Int32Array, state: VerifierState, insn: number): string | null {
  const depth = state.callers.length;
  let key = '';
  for (let f = 0; f <= depth; f++) {
    const at = f < depth ? (f + 1 < depth ? state.callers[f + 1].callsite : state.callsite) : insn;
    const scc = sccOf[at];
    if (scc !== 0) return `${key}${scc}`;
    if (f === depth) return null;
    key += `${at},`;
  }
  return null;
}
