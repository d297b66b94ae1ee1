/**
 * Data flow over emitted eDSL code (instructions and labels, jumps still symbolic), for the
 * peephole passes that touch stack bytes: the control-flow successors of each instruction,
 * which registers are live after it, and which registers may hold an address in a stack frame
 * (`r10` plus an offset, or a pointer a subprogram or callback receives from its caller).
 *
 * ```ts
 * const flow = analyseFlow(items);
 * if (flow !== undefined) flow.liveOut[i] & (1 << 7);      // is r7 read after instruction i?
 * if (flow !== undefined) flow.framePtrIn[i] & (1 << 1);   // may r1 point into a stack frame?
 * ```
 * @module
 */

import { describe, isLabel, type Instruction, type Operation, type ProgramItem } from 'ebpf-bytecode-utils';

/** Bit of register `r` in a register set. */
export function regBit(r: number): number {
  return 1 << r;
}

/** R0–R5: what a call clobbers. */
const CALL_CLOBBERS = 0b111111;
/** R1–R5: what a call may read (arguments). */
const CALL_ARGS = 0b111110;

/** The flow facts of one function body or program. */
export interface InsnFlow {
  /** The instructions (labels removed), in order. */
  readonly insns: readonly Instruction[];
  /** Index in `items` of each instruction. */
  readonly itemIndex: readonly number[];
  /** Their operations ({@link describe}). */
  readonly ops: readonly Operation[];
  /** Whether a label precedes instruction `i` (another path may join there). */
  readonly labelled: readonly boolean[];
  /** Control-flow successors of each instruction. */
  readonly successors: readonly (readonly number[])[];
  /** Registers read on some path after instruction `i` before being written (a bit set, R0 = bit 0). */
  readonly liveOut: Uint16Array;
  /** Registers that may hold a stack-frame address just before instruction `i` (a bit set). */
  readonly framePtrIn: Uint16Array;
}

/** Registers instruction `op` reads and writes, as bit sets. */
export function regEffects(op: Operation): { readonly reads: number; readonly writes: number } {
  switch (op.kind) {
    case 'alu': {
      const src = op.source === 'reg' ? regBit(op.src) : 0;
      const dst = op.op === 'mov' || op.op === 'movsx' ? 0 : regBit(op.dst);
      return { reads: src | dst, writes: regBit(op.dst) };
    }
    case 'endian': return { reads: regBit(op.dst), writes: regBit(op.dst) };
    case 'addr_space_cast': return { reads: regBit(op.src), writes: regBit(op.dst) };
    case 'jump': return { reads: regBit(op.dst) | (op.source === 'reg' ? regBit(op.src) : 0), writes: 0 };
    case 'goto': case 'may_goto': return { reads: 0, writes: 0 };
    case 'call': return { reads: CALL_ARGS, writes: CALL_CLOBBERS };
    case 'exit': return { reads: regBit(0), writes: 0 };
    case 'ld_imm64': return { reads: 0, writes: regBit(op.dst) };
    case 'ld_packet': return { reads: regBit(6) | (op.indirect ? regBit(op.src) : 0), writes: CALL_CLOBBERS };
    case 'load': return { reads: regBit(op.src), writes: regBit(op.dst) };
    case 'store': return { reads: regBit(op.dst) | regBit(op.src), writes: 0 };
    case 'store_imm': return { reads: regBit(op.dst), writes: 0 };
    case 'atomic': {
      if (op.op === 'load_acquire') return { reads: regBit(op.src), writes: regBit(op.dst) };
      if (op.op === 'cmpxchg') return { reads: regBit(op.dst) | regBit(op.src) | regBit(0), writes: regBit(0) };
      return { reads: regBit(op.dst) | regBit(op.src), writes: op.fetch ? regBit(op.src) : 0 };
    }
    case 'invalid': return { reads: 0xffff, writes: 0xffff };
  }
}

/** How register set `fp` (possible frame pointers) changes across `op`. */
function framePtrAfter(op: Operation, fp: number): number {
  const has = (r: number) => (fp & regBit(r)) !== 0;
  switch (op.kind) {
    case 'alu': {
      const d = regBit(op.dst);
      if (op.op === 'mov' && op.width === 64) {
        return op.source === 'reg' && (op.src === 10 || has(op.src)) ? fp | d : fp & ~d;
      }
      if (op.op === 'mov' || op.op === 'movsx') return fp & ~d; // a 32-bit copy is no pointer
      // Arithmetic keeps a pointer a pointer; mixing in a pointer may make one.
      return op.source === 'reg' && (op.src === 10 || has(op.src)) ? fp | d : fp;
    }
    case 'call': case 'ld_packet': return fp & ~CALL_CLOBBERS;
    case 'ld_imm64': return fp & ~regBit(op.dst);
    case 'load': return fp & ~regBit(op.dst);
    case 'atomic': return op.op === 'load_acquire' ? fp & ~regBit(op.dst) : op.fetch ? fp & ~regBit(op.op === 'cmpxchg' ? 0 : op.src) : fp;
    case 'addr_space_cast': return fp | regBit(op.dst);
    default: return fp;
  }
}

/**
 * Analyses `items` (one program with its subprograms, jumps symbolic). Returns undefined when
 * the code is outside what the analysis understands, so a pass must leave it alone: a numeric
 * (unresolved) jump, an invalid encoding, or a stack-frame address stored to memory (it could
 * be loaded back anywhere).
 */
export function analyseFlow(items: readonly ProgramItem[]): InsnFlow | undefined {
  const insns: Instruction[] = [];
  const itemIndex: number[] = [];
  const labelled: boolean[] = [];
  const labelAt = new Map<string, number>();
  let pendingLabel = false;
  items.forEach((item, i) => {
    if (isLabel(item)) {
      labelAt.set(item.label, insns.length);
      pendingLabel = true;
      return;
    }
    insns.push(item);
    itemIndex.push(i);
    labelled.push(pendingLabel);
    pendingLabel = false;
  });
  const ops = insns.map(describe);
  const n = insns.length;
  const successors: number[][] = [];
  // Entries of subprograms and callbacks: their R1–R5 may point into the caller's frame.
  const entries = new Set<number>();
  for (let i = 0; i < n; i++) {
    const op = ops[i];
    const ref = insns[i].ref;
    const target = ref?.kind === 'jump' || ref?.kind === 'call' || ref?.kind === 'func' ? labelAt.get(ref.label) : undefined;
    if ((ref?.kind === 'call' || ref?.kind === 'func') && target !== undefined) entries.add(target);
    if (op.kind === 'invalid') return undefined;
    if (op.kind === 'exit') successors.push([]);
    else if (op.kind === 'goto' || op.kind === 'jump' || op.kind === 'may_goto') {
      if (target === undefined) return undefined;
      successors.push(op.kind === 'goto' ? [target] : [i + 1, target]);
    } else successors.push([i + 1]); // a call returns to the next instruction (its callee may be analysed apart)
  }
  for (const s of successors) for (let k = s.length - 1; k >= 0; k--) if (s[k] >= n) s.splice(k, 1);

  // Register liveness: backward, to a fixed point.
  const liveOut = new Uint16Array(n);
  const liveIn = new Uint16Array(n);
  const effects = ops.map(regEffects);
  for (let changed = true; changed;) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let out = 0;
      for (const s of successors[i]) out |= liveIn[s];
      const inn = (out & ~effects[i].writes) | effects[i].reads;
      if (out !== liveOut[i] || inn !== liveIn[i]) {
        liveOut[i] = out;
        liveIn[i] = inn;
        changed = true;
      }
    }
  }

  // Possible frame pointers: forward, union at joins, to a fixed point.
  const framePtrIn = new Uint16Array(n);
  for (const e of entries) framePtrIn[e] = CALL_ARGS;
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 0; i < n; i++) {
      const out = framePtrAfter(ops[i], framePtrIn[i]);
      for (const s of successors[i]) {
        const merged = framePtrIn[s] | out;
        if (merged !== framePtrIn[s]) {
          framePtrIn[s] = merged;
          changed = true;
        }
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const op = ops[i];
    const fp = framePtrIn[i];
    const stored = op.kind === 'store' || (op.kind === 'atomic' && op.op !== 'load_acquire') ? op.src : -1;
    if (stored >= 0 && (stored === 10 || (fp & regBit(stored)) !== 0)) return undefined;
  }
  return { insns, itemIndex, ops, labelled, successors, liveOut, framePtrIn };
}

/** The stack bytes `[off, off + size)` instruction `op` accesses through `r10`, if any. */
export function frameAccess(op: Operation): { readonly off: number; readonly size: number; readonly write: boolean; readonly read: boolean } | undefined {
  switch (op.kind) {
    case 'store': case 'store_imm': return op.dst === 10 ? { off: op.off, size: op.size, write: true, read: false } : undefined;
    case 'load': return op.src === 10 ? { off: op.off, size: op.size, write: false, read: true } : undefined;
    case 'atomic': {
      const base = op.op === 'load_acquire' ? op.src : op.dst;
      return base === 10 ? { off: op.off, size: op.size, write: op.op !== 'load_acquire', read: true } : undefined;
    }
    default: return undefined;
  }
}

/** The base register of a memory access through a pointer other than `r10`, if `op` is one. */
export function pointerBase(op: Operation): number | undefined {
  switch (op.kind) {
    case 'store': case 'store_imm': return op.dst === 10 ? undefined : op.dst;
    case 'load': return op.src === 10 ? undefined : op.src;
    case 'atomic': { const b = op.op === 'load_acquire' ? op.src : op.dst; return b === 10 ? undefined : b; }
    default: return undefined;
  }
}
