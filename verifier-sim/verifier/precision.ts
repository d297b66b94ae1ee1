/**
 * Precision tracking (`__mark_chain_precision`, `backtrack_insn`, `mark_all_scalars_precise`,
 * `propagate_precision` in kernel/bpf/verifier.c). Scalars start imprecise; when the verifier
 * relies on a scalar's exact range (pointer arithmetic, a branch decided by it, a helper's
 * constant size, a return value), it walks the current path backwards, instruction by
 * instruction through each state's jump history and then from checkpoint to parent
 * checkpoint, and marks every register and spilled stack slot the value came from as
 * `precise` in those checkpoints. State comparison ignores imprecise scalars of old states.
 * Level-2 logs show each step as `mark_precise: frame0: regs=r1 stack= before 5: (bf) r1 = r6`.
 * @module
 */

import { formatKernel, type Instruction } from 'ebpf-bytecode-utils';
import { formatRefs } from './references.js';
import { copyReg } from './register-state.js';
import { formatState } from './state-format.js';
import { isSyncCallbackCall } from './callbacks.js';
import { kfuncSyntax } from './kfunc-call.js';
import * as history from './insn-history.js';
import type { History, LinkedReg } from './insn-history.js';

// Local copies of insn-history's constants: an imported binding is read through a getter on
// every use when the module is transpiled to CommonJS (tsx), which the hot loops below feel.
const HIST_STRIDE = history.HIST_STRIDE;
const INSN_F_STACK_ACCESS = history.INSN_F_STACK_ACCESS;
const INSN_F_DST_REG_STACK = history.INSN_F_DST_REG_STACK;
const INSN_F_SRC_REG_STACK = history.INSN_F_SRC_REG_STACK;
import { StackByte } from './stack-state.js';
import type { VerifierEnv } from './verifier-env.js';
import type { Slot } from './program-slots.js';
import type { FrameState, VerifierState } from './verifier-state.js';

/** `MAX_CALL_FRAMES`. */
const MAX_FRAMES = 8;
/** `BPF_REGMASK_ARGS`: R1–R5. */
const ARGS = 0b111110;

/** Thrown by backtracking where the kernel returns `-ENOTSUPP` (falls back to all precise). */
const NOT_SUPPORTED = 1;
/** Where the kernel reports a verifier bug (`-EFAULT`); the simulator falls back too. */
const FAULT = 2;

/**
 * `struct backtrack_state`: registers and stack slots still to be explained, per frame. Stack
 * masks are kept as two 32-bit halves (slots 0–31 and 32–63): bigint operations allocate.
 */
interface Backtrack {
  frame: number;
  readonly regs: Int32Array;
  readonly stackLo: Int32Array;
  readonly stackHi: Int32Array;
}

const bt: Backtrack = { frame: 0, regs: new Int32Array(MAX_FRAMES), stackLo: new Int32Array(MAX_FRAMES), stackHi: new Int32Array(MAX_FRAMES) };

function btReset(): void {
  bt.frame = 0;
  for (let i = 0; i < MAX_FRAMES; i++) {
    bt.regs[i] = 0;
    bt.stackLo[i] = 0;
    bt.stackHi[i] = 0;
  }
}

function btEmpty(): boolean {
  for (let i = 0; i <= bt.frame; i++) if ((bt.regs[i] | bt.stackLo[i] | bt.stackHi[i]) !== 0) return false;
  return true;
}

function isSlotSet(fr: number, spi: number): boolean {
  return ((spi < 32 ? bt.stackLo[fr] >>> spi : bt.stackHi[fr] >>> (spi - 32)) & 1) !== 0;
}

function setSlot(fr: number, spi: number): void {
  if (spi < 32) bt.stackLo[fr] |= 1 << spi;
  else bt.stackHi[fr] |= 1 << (spi - 32);
}

function clearSlot(fr: number, spi: number): void {
  if (spi < 32) bt.stackLo[fr] &= ~(1 << spi);
  else bt.stackHi[fr] &= ~(1 << (spi - 32));
}

function stackEmpty(fr: number): boolean {
  return (bt.stackLo[fr] | bt.stackHi[fr]) === 0;
}

function setReg(r: number): void {
  bt.regs[bt.frame] |= 1 << r;
}
function clearReg(r: number): void {
  bt.regs[bt.frame] &= ~(1 << r);
}
function isRegSet(r: number): boolean {
  return (bt.regs[bt.frame] & (1 << r)) !== 0;
}

/** `fmt_reg_mask`: `r0,r2,r4`. */
function fmtRegMask(mask: number): string {
  const out: string[] = [];
  for (let i = 0; i < 32; i++) if ((mask & (1 << i)) !== 0) out.push(`r${i}`);
  return out.join(',');
}

/** `bpf_fmt_stack_mask` of frame `fr`: `-8,-24`. */
function fmtStackMask(fr: number): string {
  const out: string[] = [];
  for (let i = 0; i < 64; i++) if (isSlotSet(fr, i)) out.push(String(-(i + 1) * 8));
  return out.join(',');
}

/** `bt_sync_linked_regs`: when one linked scalar needs precision, all of them do. */
function syncLinked(linked: readonly LinkedReg[] | null): void {
  if (linked === null) return;
  let some = false;
  for (const e of linked) {
    if (e.isReg ? (bt.regs[e.frameno] & (1 << e.index)) !== 0 : isSlotSet(e.frameno, e.index)) {
      some = true;
      break;
    }
  }
  if (!some) return;
  for (const e of linked) {
    if (e.isReg) bt.regs[e.frameno] |= 1 << e.index;
    else setSlot(e.frameno, e.index);
  }
}

function isPseudoCall(env: VerifierEnv, idx: number): boolean {
  const s = env.slots[idx];
  return s !== undefined && s.code === 0x85 && s.src === 1;
}

/** `backtrack_insn`: moves the masks from after instruction `idx` to before it. Returns 0 or an error code. */
function backtrackInsn(env: VerifierEnv, idx: number, subseqIdx: number, flags: number, linked: readonly LinkedReg[] | null): number {
  const insn = env.slots[idx];
  const cls = insn.code & 7;
  const op = insn.code & 0xf0;
  const mode = insn.code & 0xe0;
  const dreg = insn.dst;
  const sreg = insn.src;
  if (insn.code === 0) return 0;
  if (env.log.level >= 2) {
    env.log.write(`mark_precise: frame${bt.frame}: regs=${fmtRegMask(bt.regs[bt.frame])} stack=${fmtStackMask(bt.frame)} before ${idx}: ${formatKernel(insn as Instruction, kfuncSyntax(env, idx), env.slots[idx + 1] as Instruction | undefined)}\n`);
  }
  syncLinked(linked);
  const isAtomicLoad = cls === 0x03 && mode === 0xc0 && insn.imm === 0x100;
  if (cls === 0x04 || cls === 0x07) {
    if (!isRegSet(dreg)) return 0;
    if (op === 0xd0 || op === 0x80) return 0;
    if (op === 0xb0) {
      clearReg(dreg);
      if ((insn.code & 0x08) !== 0 && sreg !== 10) setReg(sreg);
    } else if ((insn.code & 0x08) !== 0 && sreg !== 10) {
      setReg(sreg);
    }
  } else if (cls === 0x01 || isAtomicLoad) {
    if (!isRegSet(dreg)) return 0;
    clearReg(dreg);
    if ((flags & INSN_F_STACK_ACCESS) === 0) return 0;
    setSlot(flags & 7, (flags >> 3) & 0x3f);
  } else if (cls === 0x03 || cls === 0x02) {
    if (isRegSet(dreg)) return NOT_SUPPORTED;
    if ((flags & INSN_F_STACK_ACCESS) === 0) return 0;
    const spi = (flags >> 3) & 0x3f;
    const fr = flags & 7;
    if (!isSlotSet(fr, spi)) return 0;
    clearSlot(fr, spi);
    if (cls === 0x03) setReg(sreg);
  } else if (cls === 0x05 || cls === 0x06) {
    if (op !== 0x80 && op !== 0x90) {
      // Conditional and unconditional jumps.
      if ((insn.code & 0x08) !== 0 && op !== 0x00) {
        if (!isRegSet(dreg) && !isRegSet(sreg)) return 0;
        if ((flags & INSN_F_SRC_REG_STACK) === 0) setReg(sreg);
        if ((flags & INSN_F_DST_REG_STACK) === 0) setReg(dreg);
      }
    } else if (insn.code === 0x85 && sreg === 1) {
      // Static subprogram call: we are leaving the callee backwards; R1–R5 go to the caller.
      if ((bt.regs[bt.frame] & ~ARGS) !== 0 || !stackEmpty(bt.frame)) return FAULT;
      if (bt.frame === 0) return FAULT;
      for (let i = 1; i <= 5; i++) {
        if (isRegSet(i)) {
          clearReg(i);
          bt.regs[bt.frame - 1] |= 1 << i;
        }
      }
      bt.frame--;
      return 0;
    } else if (isSyncCallbackCall(insn) && idx !== subseqIdx - 1) {
      // Back from a callback to the helper that called it: R1–R5 were not the caller's.
      if ((bt.regs[bt.frame] & ~ARGS) !== 0 || !stackEmpty(bt.frame)) return FAULT;
      for (let i = 1; i <= 5; i++) clearReg(i);
      if (bt.frame === 0) return FAULT;
      bt.frame--;
      return 0;
    } else if (op === 0x80) {
      if (sreg === 2 && insn.imm === 0) return NOT_SUPPORTED;
      clearReg(0);
      if ((bt.regs[bt.frame] & ARGS) !== 0) return FAULT;
      if (sreg === 0 && insn.imm === 12 && subseqIdx - idx !== 1) {
        if (bt.frame === MAX_FRAMES - 1) return FAULT;
        bt.frame++;
      }
    } else if (op === 0x90) {
      if (subseqIdx >= 0 && isSyncCallbackCall(env.slots[subseqIdx])) for (let i = 1; i <= 5; i++) clearReg(i);
      if ((bt.regs[bt.frame] & ARGS) !== 0) return FAULT;
      const r0Precise = subseqIdx - 1 >= 0 && isPseudoCall(env, subseqIdx - 1) && isRegSet(0);
      clearReg(0);
      if (bt.frame === MAX_FRAMES - 1) return FAULT;
      bt.frame++;
      if (r0Precise) setReg(0);
      return 0;
    }
  } else if (cls === 0x00) {
    if (!isRegSet(dreg)) return 0;
    clearReg(dreg);
    if (mode === 0x40 || mode === 0x20) return NOT_SUPPORTED;
  }
  syncLinked(linked);
  return 0;
}

/** Entries of the state being walked that are not consumed yet (`history` of `get_prev_insn_idx`). */
let histEnd = 0;

/**
 * Whether backtracking `insn` (without linked registers) leaves the masks as they are: an ALU
 * operation or load into an untracked register, `dst op= K` on a tracked one, or a jump that
 * compares untracked registers (history flags only matter where this answers false).
 * The walk skips the call for these, the bulk of the instructions it passes.
 */
function isNoOp(insn: Slot): boolean {
  const code = insn.code;
  const cls = code & 7;
  const mask = bt.regs[bt.frame];
  if (cls === 0x01) return (mask & (1 << insn.dst)) === 0;
  if (cls === 0x04 || cls === 0x07) {
    if ((mask & (1 << insn.dst)) === 0) return true;
    // `dst op= K`, `-dst` and byte swaps keep dst tracked and add nothing.
    const op = code & 0xf0;
    return op === 0x80 || op === 0xd0 || (op !== 0xb0 && (code & 0x08) === 0);
  }
  if (cls === 0x05 || cls === 0x06) {
    const op = code & 0xf0;
    if (op === 0x80 || op === 0x90) return false;
    return (code & 0x08) === 0 || op === 0x00 || (mask & ((1 << insn.dst) | (1 << insn.src))) === 0;
  }
  return false;
}

/** `get_prev_insn_idx`: the instruction before `i` on the path, or -1 at the start of `st`. */
function prevInsnIdx(st: VerifierState, i: number): number {
  const h = st.history;
  const end = histEnd;
  if (i === st.firstInsn) {
    if (end === 0) return -1;
    if (end === HIST_STRIDE && h[0] === i) return -1;
  }
  if (end > 0 && h[end - HIST_STRIDE] === i) {
    histEnd = end - HIST_STRIDE;
    return h[end - HIST_STRIDE + 1];
  }
  return i - 1;
}

/** The frame `fr` of a state (outermost first). */
function frameAt(st: VerifierState, fr: number): FrameState {
  return fr < st.callers.length ? st.callers[fr] : st;
}

/** Marks register `r` of a checkpoint's frame precise (copy on write: snapshots share registers). */
function setRegPrecise(f: FrameState, r: number): void {
  const reg = copyReg(f.regs[r]);
  reg.precise = true;
  f.regs[r] = reg;
}

function setSlotPrecise(f: FrameState, spi: number): void {
  const old = f.stack[spi];
  const spilled = copyReg(old.spilled);
  spilled.precise = true;
  f.stack[spi] = { types: old.types, spilled };
}

function isSpilledScalarSlot(f: FrameState, spi: number): boolean {
  const s = f.stack[spi];
  return s !== undefined && s.types[7] === StackByte.SPILL && s.spilled.type === 'scalar';
}

/** `mark_all_scalars_precise`: every scalar in the checkpoints above `start` becomes precise. */
export function markAllScalarsPrecise(env: VerifierEnv, start: VerifierState): void {
  const log = env.log.level >= 2;
  if (log) env.log.write(`mark_precise: frame${start.callers.length}: falling back to forcing all scalars precise\n`);
  for (let cp = start.parent; cp !== null; cp = cp.state.parent) {
    const st = cp.state;
    for (let i = 0; i <= st.callers.length; i++) {
      const f = frameAt(st, i);
      for (let j = 0; j < 10; j++) {
        const reg = f.regs[j];
        if (reg.type !== 'scalar' || reg.precise) continue;
        setRegPrecise(f, j);
        if (log) env.log.write(`force_precise: frame${i}: forcing r${j} to be precise\n`);
      }
      for (let j = 0; j < f.allocatedStack / 8 && j < f.stack.length; j++) {
        const s = f.stack[j];
        if (s.types[7] !== StackByte.SPILL || s.spilled.type !== 'scalar' || s.spilled.precise) continue;
        setSlotPrecise(f, j);
        if (log) env.log.write(`force_precise: frame${i}: forcing fp${-(j + 1) * 8} to be precise\n`);
      }
    }
  }
}

/** `mark_all_scalars_imprecise`: a new checkpoint forgets inherited precision marks. */
export function markAllScalarsImprecise(st: VerifierState): void {
  for (let i = 0; i <= st.callers.length; i++) {
    const f = frameAt(st, i);
    for (let j = 0; j < 10; j++) if (f.regs[j].type === 'scalar') f.regs[j].precise = false;
    for (const s of f.stack) if (s.types[7] === StackByte.SPILL && s.spilled.type === 'scalar') s.spilled.precise = false;
  }
}

/**
 * Where the last walk through the current state's own instructions started (after its first,
 * skipped instruction: slot `insn` with `end` history numbers left) and the register mask it
 * carried unchanged to the state's start. A later walk of the same state (its history only
 * grows) that reaches that point with that mask would repeat the same no-op steps: it skips them.
 * Bounded loops re-walk their whole current segment on every iteration otherwise.
 */
const walkMemo: { history: History | null; insn: number; end: number; mask: number } = { history: null, insn: -1, end: -1, mask: 0 };

/**
 * `__mark_chain_precision`: backtracks from `start` (at instruction `lastIdx`) with the masks
 * already in the backtracking state plus register `regno` of the innermost frame. Returns
 * whether a mark changed.
 */
function markChain(env: VerifierEnv, start: VerifierState, lastIdx: number, regno: number): boolean {
  let changed = false;
  let st = start;
  let firstIdx = st.firstInsn;
  let subseqIdx = -1;
  let skipFirst = true;
  bt.frame = start.callers.length;
  if (regno >= 0) {
    if (st.regs[regno].type !== 'scalar') {
      btReset();
      return false;
    }
    setReg(regno);
  }
  if (btEmpty()) return false;
  const log = env.log.level >= 2;
  for (;;) {
    histEnd = st.history.length;
    if (log) env.log.write(`mark_precise: frame${bt.frame}: last_idx ${lastIdx} first_idx ${firstIdx} subseq_idx ${subseqIdx} \n`);
    if (lastIdx < 0) {
      // The entry of a subprogram verified on its own (global functions): not simulated.
      markAllScalarsPrecise(env, start);
      btReset();
      return true;
    }
    const h = st.history;
    // Memo of the current state's last walk (see walkMemo): only for frame 0, registers only.
    const memoOk = !log && st === start && bt.frame === 0 && stackEmpty(0);
    let noop = memoOk;
    let fromIdx = -2;
    let fromEnd = -1;
    const mask0 = bt.regs[0];
    for (let i = lastIdx; ; ) {
      if (skipFirst) skipFirst = false;
      else if (memoOk && i === walkMemo.insn && histEnd === walkMemo.end && h === walkMemo.history && bt.regs[0] === walkMemo.mask && stackEmpty(0)) {
        // An earlier walk went from exactly here to the start of this state without changing
        // these masks: the rest of the walk is known (and would print nothing: no log).
        if (noop && fromIdx >= 0) {
          walkMemo.insn = fromIdx;
          walkMemo.end = fromEnd;
        }
        break;
      } else {
        // get_jmp_hist_entry: the entry of `i` when it is the last one not yet consumed.
        const at = histEnd - HIST_STRIDE;
        const hit = at >= 0 && h[at] === i;
        const link = hit ? h[at + 3] : -1;
        // Most instructions leave the masks alone (see isNoOp): no call, and still not empty.
        if (log || link >= 0 || !isNoOp(env.slots[i])) {
          const err = backtrackInsn(env, i, subseqIdx, hit ? h[at + 2] : 0, link < 0 ? null : env.linkedSets[link]);
          if (err !== 0) {
            markAllScalarsPrecise(env, start);
            btReset();
            return true;
          }
          if (btEmpty()) return changed;
          if (bt.frame !== 0 || bt.regs[0] !== mask0 || !stackEmpty(0)) noop = false;
        }
      }
      subseqIdx = i;
      i = prevInsnIdx(st, i);
      if (fromIdx === -2) {
        fromIdx = i;
        fromEnd = histEnd;
      }
      if (i === -1) {
        if (noop && fromIdx >= 0) {
          walkMemo.history = h;
          walkMemo.insn = fromIdx;
          walkMemo.end = fromEnd;
          walkMemo.mask = mask0;
        }
        break;
      }
      if (i >= env.slots.length || i < 0) {
        markAllScalarsPrecise(env, start);
        btReset();
        return true;
      }
    }
    const cp = st.parent;
    if (cp === null) break;
    st = cp.state;
    for (let fr = bt.frame; fr >= 0; fr--) {
      const f = frameAt(st, fr);
      for (let i = 0; i < 11; i++) {
        if ((bt.regs[fr] & (1 << i)) === 0) continue;
        const reg = f.regs[i];
        if (reg.type !== 'scalar') bt.regs[fr] &= ~(1 << i);
        else if (reg.precise) bt.regs[fr] &= ~(1 << i);
        else {
          setRegPrecise(f, i);
          changed = true;
        }
      }
      for (let i = 0; i < 64 && !stackEmpty(fr); i++) {
        if (!isSlotSet(fr, i)) continue;
        if (i >= f.allocatedStack / 8 || i >= f.stack.length) {
          markAllScalarsPrecise(env, start);
          btReset();
          return true;
        }
        if (!isSpilledScalarSlot(f, i)) clearSlot(fr, i);
        else if (f.stack[i].spilled.precise) clearSlot(fr, i);
        else {
          setSlotPrecise(f, i);
          changed = true;
        }
      }
      if (log) {
        env.log.write(`mark_precise: frame${fr}: parent state regs=${fmtRegMask(bt.regs[fr])} stack=${fmtStackMask(fr)}: ${formatState(f, env.maps, 0x7ff, (1n << 64n) - 1n, fr)}${formatRefs(st.refs, f)}\n`);
      }
    }
    if (btEmpty()) return changed;
    subseqIdx = firstIdx;
    lastIdx = st.lastInsn;
    firstIdx = st.firstInsn;
  }
  if (!btEmpty()) {
    markAllScalarsPrecise(env, start);
    btReset();
    return true;
  }
  return changed;
}

/** `mark_chain_precision(env, regno)`: the current path relies on the exact value of `regno`. */
export function markChainPrecision(env: VerifierEnv, regno: number): void {
  // The backtracking masks are empty between calls: markChain returns only once they are.
  if (regno >= 0) markChain(env, env.cur, env.insnIdx, regno);
}

/**
 * `mark_chain_precision_batch` for one spilled stack slot (`get_constant_map_key`): the path
 * relies on the constant spilled at `spi` of frame `frameno`.
 */
export function markSlotChainPrecision(env: VerifierEnv, frameno: number, spi: number): void {
  setSlot(frameno, spi);
  markChain(env, env.cur, env.insnIdx, -1);
}

/**
 * `propagate_precision`: `cur` was found equivalent to `old`, so whatever is precise in `old`
 * must be precise along `cur`'s path too. Returns whether a mark changed.
 */
export function propagatePrecision(env: VerifierEnv, old: VerifierState, cur: VerifierState, curIdx: number): boolean {
  btReset();
  const log = env.log.level >= 2;
  for (let fr = old.callers.length; fr >= 0; fr--) {
    const f = frameAt(old, fr);
    let first = true;
    for (let i = 0; i < 10; i++) {
      const r = f.regs[i];
      if (r.type !== 'scalar' || !r.precise) continue;
      if (log) env.log.write(first ? `frame ${fr}: propagating r${i}` : `,r${i}`);
      bt.regs[fr] |= 1 << i;
      first = false;
    }
    for (let i = 0; i < f.allocatedStack / 8 && i < f.stack.length; i++) {
      const s = f.stack[i];
      if (s.types[7] !== StackByte.SPILL || s.spilled.type !== 'scalar' || !s.spilled.precise) continue;
      if (log) env.log.write(first ? `frame ${fr}: propagating fp${(-i - 1) * 8}` : `,fp${(-i - 1) * 8}`);
      setSlot(fr, i);
      first = false;
    }
    if (!first && env.log.enabled) env.log.write('\n');
  }
  return markChain(env, cur, curIdx, -1);
}
