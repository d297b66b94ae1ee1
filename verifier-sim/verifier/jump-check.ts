/**
 * Conditional jumps (`check_cond_jmp_op` in kernel/bpf/verifier.c): operand checks, dead
 * branch elimination when the outcome is known, otherwise a new pending branch for the jump
 * target with both states narrowed — scalar bounds, NULL checks of maybe-null pointers (every
 * copy with the same id), and packet ranges from comparisons with `pkt_end`
 * (`try_match_pkt_pointers`, `find_good_pkt_pointers`).
 * @module
 */

import { releaseReferenceNoMark } from './references.js';
import { AT_PKT_END, BEYOND_PKT_END, branchTaken, setMinMax, type Condition } from './branch-bounds.js';
import { checkReadable } from './register-access.js';
import { baseId, copyReg, hasAddConst, type RegState } from './register-state.js';
import { addBounds, constReg } from './scalar-alu.js';
import { boundsSync, markKnown } from './scalar-bounds.js';
import type { Slot } from './program-slots.js';
import { immediateReg, type VerifierEnv } from './verifier-env.js';
import { printInsnState } from './insn-state-log.js';
import { RejectError } from './verifier-error.js';
import { copyState, type Checkpoint, type VerifierState } from './verifier-state.js';
import { widenImpreciseScalars } from './state-equivalence.js';
import { INSN_F_DST_REG_STACK, INSN_F_SRC_REG_STACK, pushHistory, type LinkedReg } from './insn-history.js';
import { markChainPrecision } from './precision.js';

/** `LINKED_REGS_MAX`. */
const LINKED_REGS_MAX = 6;

/**
 * `collect_linked_regs`: scalars (registers and spilled slots, innermost frame first) sharing
 * `id`, appended to `out`; past {@link LINKED_REGS_MAX} entries the others lose their id.
 */
function collectLinked(s: VerifierState, id: number, out: LinkedReg[]): void {
  const base = baseId(id);
  for (let f = s.callers.length; f >= 0; f--) {
    const frame = f < s.callers.length ? s.callers[f] : s;
    for (let r = 0; r < 10; r++) collectOne(frame.regs[r], base, f, r, true, out);
    for (let spi = 0; spi < frame.allocatedStack / 8 && spi < frame.stack.length; spi++) {
      if (frame.stack[spi].types[7] !== 1) continue;
      collectOne(frame.stack[spi].spilled, base, f, spi, false, out);
    }
  }
}

function collectOne(r: RegState, id: number, frameno: number, index: number, isReg: boolean, out: LinkedReg[]): void {
  if (r.type !== 'scalar' || baseId(r.id) !== id) return;
  if (out.length < LINKED_REGS_MAX) out.push({ frameno, index, isReg });
  else r.id = 0;
}

const CONDITIONS: readonly (Condition | undefined)[] = [undefined, 'jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', undefined, undefined, 'jlt', 'jle', 'jslt', 'jsle', undefined, undefined];

/**
 * Every register and spilled register of a state, collected into a reused array (no generator
 * or allocation per call); valid until the next call.
 */
const regsScratch: RegState[] = [];
function allRegs(s: VerifierState): RegState[] {
  regsScratch.length = 0;
  for (let f = 0; f <= s.callers.length; f++) {
    const frame = f < s.callers.length ? s.callers[f] : s;
    for (let r = 0; r < 11; r++) regsScratch.push(frame.regs[r]);
    for (const slot of frame.stack) if (slot.types[7] === 1) regsScratch.push(slot.spilled);
  }
  return regsScratch;
}

/** `mark_ptr_or_null_regs`: resolves every copy of the maybe-null pointer `id`. */
function markPtrOrNull(s: VerifierState, id: number, isNull: boolean): void {
  // A reference-holding pointer (id == ref_obj_id) known NULL: nothing was acquired.
  if (isNull) releaseReferenceNoMark(s, id);
  for (const r of allRegs(s)) {
    if (!r.maybeNull || r.id !== id) continue;
    if (isNull) {
      markKnown(r, 0n);
    } else {
      r.maybeNull = false;
      r.id = 0;
    }
  }
}

/** `find_good_pkt_pointers`: packet pointers with `dst`'s id are valid up to `dst.off`. */
function findGoodPktPointers(s: VerifierState, dst: RegState, rightOpen: boolean): void {
  if (dst.off < 0 || (dst.off === 0 && rightOpen)) return;
  if (dst.umax > 0xffffn || dst.umax + BigInt(dst.off) > 0xffffn) return;
  let range = dst.off;
  if (rightOpen) range++;
  for (const r of allRegs(s)) if (r.type === dst.type && r.id === dst.id) r.range = Math.max(r.range, range);
}

function markPktEnd(s: VerifierState, regno: number, beyond: boolean): void {
  if (s.regs[regno].type !== 'pkt') return;
  s.regs[regno].range = beyond ? BEYOND_PKT_END : AT_PKT_END;
}

function isInitPkt(r: RegState): boolean {
  return r.type === 'pkt' && r.off === 0 && r.varOff.mask === 0n && r.varOff.value === 0n;
}

/** `try_match_pkt_pointers`; `fall` is the fall-through state, `taken` the jump target's. */
function matchPktPointers(op: Condition, dstRegno: number, srcRegno: number, fall: VerifierState, taken: VerifierState): boolean {
  const dst = fall.regs[dstRegno];
  const src = fall.regs[srcRegno];
  const dstIsPkt = (dst.type === 'pkt' && src.type === 'pkt_end') || (dst.type === 'pkt_meta' && isInitPkt(src));
  const srcIsPkt = (dst.type === 'pkt_end' && src.type === 'pkt') || (isInitPkt(dst) && src.type === 'pkt_meta');
  switch (op) {
    case 'jgt':
      if (dstIsPkt) {
        findGoodPktPointers(fall, dst, false);
        markPktEnd(taken, dstRegno, true);
      } else if (srcIsPkt) {
        findGoodPktPointers(taken, taken.regs[srcRegno], true);
        markPktEnd(fall, srcRegno, false);
      } else return false;
      return true;
    case 'jlt':
      if (dstIsPkt) {
        findGoodPktPointers(taken, taken.regs[dstRegno], true);
        markPktEnd(fall, dstRegno, false);
      } else if (srcIsPkt) {
        findGoodPktPointers(fall, src, false);
        markPktEnd(taken, srcRegno, true);
      } else return false;
      return true;
    case 'jge':
      if (dstIsPkt) {
        findGoodPktPointers(fall, dst, true);
        markPktEnd(taken, dstRegno, false);
      } else if (srcIsPkt) {
        findGoodPktPointers(taken, taken.regs[srcRegno], false);
        markPktEnd(fall, srcRegno, true);
      } else return false;
      return true;
    case 'jle':
      if (dstIsPkt) {
        findGoodPktPointers(taken, taken.regs[dstRegno], false);
        markPktEnd(fall, dstRegno, true);
      } else if (srcIsPkt) {
        findGoodPktPointers(fall, src, true);
        markPktEnd(taken, srcRegno, false);
      } else return false;
      return true;
    default:
      return false;
  }
}

/**
 * `sync_linked_regs`: every scalar linked to `known` (same base id) takes its narrowed bounds,
 * shifted by the difference of their `off` when either went through `rX += K`.
 */
function syncLinked(s: VerifierState, known: RegState): void {
  if (known.type !== 'scalar' || known.id === 0) return;
  const id = baseId(known.id);
  for (const r of allRegs(s)) {
    if (r === known || r.type !== 'scalar' || baseId(r.id) !== id) continue;
    if ((!hasAddConst(r.id) && !hasAddConst(known.id)) || r.off === known.off) {
      Object.assign(r, copyReg(known));
    } else {
      const savedOff = r.off;
      const savedId = r.id;
      const delta = constReg(BigInt((r.off | 0) - (known.off | 0)));
      Object.assign(r, copyReg(known));
      // The live 6.18 kernel keeps the register's own id and off, and re-syncs the bounds.
      r.off = savedOff;
      r.id = savedId;
      addBounds(r, delta);
      boundsSync(r);
    }
  }
}

/** Whether `s` is `may_goto` (`BPF_JMP | BPF_JCOND` with `src_reg` BPF_MAY_GOTO). */
export function isMayGoto(s: Slot): boolean {
  return s.code === 0xe5 && s.src === 0;
}

/**
 * `find_prev_entry`: the checkpoint of an earlier iteration at `idx` on the current path (same
 * call sites, shallower than `below`).
 */
function findPrevEntry(env: VerifierEnv, below: Checkpoint, idx: number): Checkpoint | null {
  const bucket = ((idx ^ below.state.callsite) >>> 0) % env.slots.length;
  for (const sl of env.explored[bucket] ?? []) {
    if (sl.insn === idx && sl.branches > 0 && sameCallsites(sl.state, below.state) && sl.state.dfsDepth < below.state.dfsDepth) return sl;
  }
  return null;
}

function sameCallsites(a: VerifierState, b: VerifierState): boolean {
  if (a.callers.length !== b.callers.length || a.callsite !== b.callsite) return false;
  for (let f = 0; f < a.callers.length; f++) if (a.callers[f].callsite !== b.callers[f].callsite) return false;
  return true;
}

/**
 * `may_goto` (the `BPF_JCOND` part of `check_cond_jmp_op`): the current path takes the jump
 * (the loop budget ran out); the fall-through is queued with one more `may_goto_depth`, its
 * scalars widened against the previous iteration's checkpoint so the loop converges.
 */
function checkMayGoto(env: VerifierEnv, slot: Slot): number {
  const idx = env.insnIdx;
  const cur = env.cur;
  const prev = cur.parent !== null && cur.parent.insn === idx ? findPrevEntry(env, cur.parent, idx) : null;
  const queued = copyState(cur);
  env.pending.push({ state: queued, insn: idx + 1, prevInsn: idx, logPos: env.log.position });
  if (queued.parent !== null) queued.parent.branches++;
  queued.mayGotoDepth++;
  if (prev !== null) widenImpreciseScalars(prev.state, queued);
  return idx + slot.off + 1;
}

/**
 * Checks a conditional jump at `env.insnIdx`; returns the next slot of the current path and
 * queues the other successor when both are possible.
 */
export function checkCondJump(env: VerifierEnv, slot: Slot): number {
  const idx = env.insnIdx;
  const op = slot.code & 0xf0;
  const is32 = (slot.code & 7) === 0x06;
  if (op === 0xe0) {
    if (slot.code !== 0xe5 || slot.src !== 0 || slot.dst !== 0 || slot.imm !== 0) throw new RejectError(`invalid may_goto imm ${slot.imm}`, idx);
    return checkMayGoto(env, slot);
  }
  const cond = CONDITIONS[op >> 4];
  if (cond === undefined) throw new RejectError(`invalid BPF_JMP/JMP32 opcode ${(op >> 4).toString(16)}`, idx);
  checkReadable(env, slot.dst);
  const regs = env.cur.regs;
  const isX = (slot.code & 0x08) !== 0;
  let src: RegState;
  if (isX) {
    if (slot.imm !== 0) throw new RejectError('BPF_JMP/JMP32 uses reserved fields', idx);
    checkReadable(env, slot.src);
    src = regs[slot.src];
  } else {
    if (slot.src !== 0) throw new RejectError('BPF_JMP/JMP32 uses reserved fields', idx);
    src = immediateReg(env, idx, constReg);
  }
  const dst = regs[slot.dst];
  let flags = 0;
  if (isX && src.type === 'fp') flags |= INSN_F_SRC_REG_STACK;
  if (dst.type === 'fp') flags |= INSN_F_DST_REG_STACK;
  if (flags !== 0) pushHistory(env, env.cur, flags, null);
  const pred = branchTaken(dst, src, cond, is32);
  if (pred >= 0) {
    // The outcome depends on the exact values: they become precise along the path.
    if (dst.type === 'scalar') markChainPrecision(env, slot.dst);
    if (isX && src.type === 'scalar') markChainPrecision(env, slot.src);
    printInsnState(env);
    return pred === 1 ? idx + slot.off + 1 : idx + 1;
  }

  // Scalars sharing an id are narrowed together: the history records them for backtracking.
  const linked: LinkedReg[] = [];
  if (isX && src.type === 'scalar' && src.id !== 0) collectLinked(env.cur, src.id, linked);
  if (dst.type === 'scalar' && dst.id !== 0) collectLinked(env.cur, dst.id, linked);
  if (linked.length > 1) pushHistory(env, env.cur, 0, linked);
  const taken = copyState(env.cur);
  env.pending.push({ state: taken, insn: idx + slot.off + 1, prevInsn: idx, logPos: env.log.position });
  if (taken.parent !== null) taken.parent.branches++;
  const fall = env.cur;
  const takenSrc = isX ? taken.regs[slot.src] : constReg(BigInt(slot.imm));
  const fallSrc = isX ? fall.regs[slot.src] : constReg(BigInt(slot.imm));
  setMinMax(taken.regs[slot.dst], takenSrc, fall.regs[slot.dst], fallSrc, cond, is32);
  syncLinked(taken, taken.regs[slot.dst]);
  syncLinked(fall, fall.regs[slot.dst]);
  if (isX) {
    syncLinked(taken, taken.regs[slot.src]);
    syncLinked(fall, fall.regs[slot.src]);
  }

  const d = fall.regs[slot.dst];
  if (!is32 && isX) {
    const s = fall.regs[slot.src];
    const dPtr = d.type !== 'scalar' && d.type !== 'not_init';
    const sPtr = s.type !== 'scalar' && s.type !== 'not_init';
    if (dPtr && sPtr && d.maybeNull !== s.maybeNull && (cond === 'jeq' || cond === 'jne')) {
      const eq = cond === 'jeq' ? taken : fall;
      const nullable = s.maybeNull ? slot.src : slot.dst;
      const id = eq.regs[nullable].id;
      markPtrOrNull(eq, id, false);
    }
  }
  if (!is32 && !isX && slot.imm === 0 && (cond === 'jeq' || cond === 'jne') && d.maybeNull) {
    const id = d.id;
    markPtrOrNull(fall, id, cond === 'jne');
    markPtrOrNull(taken, id, cond === 'jeq');
  } else if (isX && !is32) {
    matchPktPointers(cond, slot.dst, slot.src, fall, taken);
  }
  printInsnState(env);
  return idx + 1;
}
