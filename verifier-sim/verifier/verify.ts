/**
 * The offline verifier's main loop (`bpf_check` → `do_check` in kernel/bpf/verifier.c):
 * structural checks, then a depth-first walk over paths with a stack of pending branches,
 * state checkpoints at prune points (pruning against fully explored states, infinite-loop
 * detection against states still on the current path), the 1,000,000-instruction
 * complexity limit, `may_goto` loops (forced checkpoints, widening, convergence by
 * RANGE_WITHIN comparison across `may_goto_depth`), SCC visits with their backedges (counted in
 * `peak_states`), and the kernel's log (level 2: the live-register table and SCC lines) and
 * closing statistics line. Models a privileged (root) loader on Linux 6.18, with precision
 * tracking (jump history per state, `mark_precise` backtracking, `propagate_precision` on
 * pruning and over loop backedges); the kernel's dynamic stack liveness is not modelled.
 *
 * Speed: states stored at checkpoints share their NOT_INIT registers, immediate operands are
 * built once per instruction, state comparison allocates nothing, and log lines are formatted
 * only when a log is requested.
 * @module
 */

import { formatKernel, mapType, mapTypeName, programType, programTypeName, attachType, type Instruction } from 'ebpf-bytecode-utils';
import { checkAlu } from './alu-check.js';
import { checkReturnCode } from './exit-check.js';
import { checkReferenceLeak, formatRefs } from './references.js';
import { checkHelperCall, isGplCompatible } from './helper-call.js';
import { checkCondJump } from './jump-check.js';
import { liveRegisters } from './live-registers.js';
import { liveStackSlots } from './live-stack.js';
import { checkMemAccess } from './memory-access.js';
import { isSocketPointer } from './socket-pointers.js';
import { toSlots, type Slot } from './program-slots.js';
import { checkReadable, checkWritable } from './register-access.js';
import { copyReg, regTypeName, type RegState } from './register-state.js';
import { markKnown, markUnknown } from './scalar-bounds.js';
import { statesEqual, statesMaybeLooping } from './state-equivalence.js';
import { computeSccs, sccCallchain, type SccVisit } from './scc.js';
import { isMayGoto } from './jump-check.js';
import { checkStructure } from './structure-check.js';
import { tnumAdd, tnumConst, tnumIsAligned, tnumToString } from './tnum.js';
import type { MapSpec, VerifyOptions, VerifyResult } from './types.js';
import { scratchAll, scratchReg, type MapInfo, type VerifierEnv } from './verifier-env.js';
import { printInsnState, stateScratched } from './insn-state-log.js';
import { formatState } from './state-format.js';
import { RejectError } from './verifier-error.js';
import { VerifierLog } from './verifier-log.js';
import { KernelBtf } from './kernel-btf.js';
import { checkKfuncCall, checkKfuncCallsAfterWalk, checkKfuncCallsAtLoad, kfuncName, kfuncParamCount, kfuncSyntax } from './kfunc-call.js';
import { isIterNextCall, iterActiveAt, iterActiveDepthsDiffer } from './iterator-num.js';
import { checkTracingAttach } from './tracing-context.js';
import { checkCallbackReturn, checkPseudoFuncLoad, isSyncCallbackCall, widenAfterCallback } from './callbacks.js';
import { linkageAt } from './func-info.js';
import { callerFrame, copyState, enterFrame, initialState, snapshotState, zeroBounds, type Checkpoint, type VerifierState } from './verifier-state.js';
import { notInit } from './register-state.js';
import { HIST_STRIDE, pushHistory } from './insn-history.js';
import { markAllScalarsImprecise, markAllScalarsPrecise, propagatePrecision } from './precision.js';
import { computeJmpPoints } from './jump-points.js';

/**
 * One log that lives as long as the module: V8 reaches a class's final hidden class only through
 * weak transitions, so when no log is alive at a full GC that hidden class dies and every
 * function optimised for it is deoptimised ("weak objects"), making the next run several times
 * slower. Keeping one instance keeps the hidden class.
 */
export const LOG_SHAPE_ANCHOR = new VerifierLog(0);

/** `BPF_COMPLEXITY_LIMIT_INSNS`. */
export const COMPLEXITY_LIMIT = 1_000_000;

function mapInfo(spec: MapSpec): MapInfo {
  const typeNumber = mapType(spec.type);
  return { type: mapTypeName(typeNumber), typeNumber, keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: spec.maxEntries, flags: spec.flags ?? 0 };
}

function reject(env: VerifierEnv, msg: string): never {
  throw new RejectError(msg, env.insnIdx);
}

function sizeOf(code: number): number {
  return [4, 2, 1, 8][(code >> 3) & 3];
}

function checkLdImm(env: VerifierEnv, slot: Slot, next: Slot): void {
  if (slot.off !== 0) reject(env, 'BPF_LD_IMM64 uses reserved fields');
  checkWritable(env, slot.dst);
  const dst = env.cur.regs[slot.dst];
  if (slot.src === 0) {
    markKnown(dst, (BigInt(next.imm >>> 0) << 32n) | BigInt(slot.imm >>> 0));
    return;
  }
  if (slot.src === 4) {
    checkPseudoFuncLoad(env, slot, dst);
    return;
  }
  markKnown(dst, 0n);
  zeroBounds(dst);
  dst.map = slot.imm;
  if (slot.src === 1 || slot.src === 5) {
    dst.type = 'map_ptr';
  } else {
    dst.type = 'map_value';
    dst.off = next.imm;
  }
}

function checkLdAbs(env: VerifierEnv, slot: Slot): void {
  const t = env.progType;
  if (t !== 'socket_filter' && t !== 'sched_cls' && t !== 'sched_act') reject(env, 'BPF_LD_[ABS|IND] instructions not allowed for this program type');
  const mode = slot.code & 0xe0;
  if (slot.dst !== 0 || slot.off !== 0 || (slot.code & 0x18) === 0x18 || (mode === 0x20 && slot.src !== 0)) reject(env, 'BPF_LD_[ABS|IND] uses reserved fields');
  checkReadable(env, 6);
  checkReferenceLeak(env, 'BPF_LD_[ABS|IND]');
  const r6 = env.cur.regs[6];
  if (r6.type !== 'ctx') reject(env, 'at the time of BPF_LD_ABS|IND R6 != pointer to skb');
  if (mode === 0x40) checkReadable(env, slot.src);
  if (r6.off !== 0) reject(env, `dereference of modified ctx ptr R6 off=${r6.off} disallowed`);
  const regs = env.cur.regs;
  // check_reg_arg(DST_OP_NO_MARK) on R0–R5 marks them scratched for the log.
  for (let r = 1; r <= 5; r++) regs[r] = notInit();
  env.scratchedRegs |= 0x3f;
  markUnknown(regs[0]);
}

function checkAtomic(env: VerifierEnv, slot: Slot): void {
  const imm = slot.imm;
  const rmw = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];
  const regs = env.cur.regs;
  if (imm === 0x100 || imm === 0x110) {
    // load-acquire / store-release: plain accesses on non-context memory.
    if (imm === 0x100) {
      checkReadable(env, slot.src);
      checkWritable(env, slot.dst);
      const t = regs[slot.src];
      checkMemAccess(env, slot.src, slot.off, sizeOf(slot.code), false, slot.dst, false);
      if (t.type === 'ctx' || t.type === 'pkt' || t.type === 'pkt_meta') reject(env, `BPF_ATOMIC loads from R${slot.src} ${regTypeName(t)} is not allowed`);
    } else {
      checkReadable(env, slot.src);
      checkReadable(env, slot.dst);
      const t = regs[slot.dst];
      checkMemAccess(env, slot.dst, slot.off, sizeOf(slot.code), true, slot.src, false);
      if (t.type === 'ctx' || t.type === 'pkt' || t.type === 'pkt_meta') reject(env, `BPF_ATOMIC stores into R${slot.dst} ${regTypeName(t)} is not allowed`);
    }
    return;
  }
  if (!rmw.includes(imm)) reject(env, `BPF_ATOMIC uses invalid atomic opcode ${(imm >>> 0).toString(16).padStart(2, '0')}`);
  const size = sizeOf(slot.code);
  if (size !== 4 && size !== 8) reject(env, 'invalid atomic operand size');
  checkReadable(env, slot.src);
  checkReadable(env, slot.dst);
  if (imm === 0xf1) checkReadable(env, 0);
  const dst = regs[slot.dst];
  if (dst.type === 'ctx' || dst.type === 'pkt' || dst.type === 'pkt_meta' || isSocketPointer(dst)) reject(env, `BPF_ATOMIC stores into R${slot.dst} ${regTypeName(dst)} is not allowed`);
  let loadReg = -1;
  if ((imm & 1) !== 0) {
    loadReg = imm === 0xf1 ? 0 : slot.src;
    checkWritable(env, loadReg);
  }
  if (dst.type === 'map_value' && !dst.maybeNull) {
    const t = tnumAdd(dst.varOff, tnumConst(BigInt(dst.off + slot.off)));
    if (!tnumIsAligned(t, size)) reject(env, `misaligned value access off ${tnumToString(dst.varOff)}+${dst.off}+${slot.off} size ${size}`);
  }
  checkMemAccess(env, slot.dst, slot.off, size, false, -1, false);
  if (loadReg >= 0) checkMemAccess(env, slot.dst, slot.off, size, false, loadReg, false);
  checkMemAccess(env, slot.dst, slot.off, size, true, -1, false);
}

/** `MAX_CALL_FRAMES`. */
const MAX_CALL_FRAMES = 8;
const ALL_SLOTS = (1n << 64n) - 1n;

/** `check_func_call` for a static subprogram: enters a new frame with R1–R5 as arguments. */
function checkFuncCall(env: VerifierEnv, slot: Slot): number {
  const idx = env.insnIdx;
  const cur = env.cur;
  // A global function is verified on its own and assumed valid at its calls (not modelled).
  if (linkageAt(env.funcInfo, idx + slot.imm + 1) === 'global') reject(env, 'calls of global functions are not simulated');
  const depth = cur.callers.length;
  if (depth + 1 >= MAX_CALL_FRAMES) reject(env, `the call stack of ${depth + 2} frames is too deep`);
  const regs: RegState[] = [];
  for (let i = 0; i <= 10; i++) regs.push(i >= 1 && i <= 5 ? copyReg(cur.regs[i]) : notInit());
  regs[10].type = 'fp';
  regs[10].frameno = depth + 1;
  zeroBounds(regs[10]);
  scratchAll(env);
  const caller = callerFrame(cur);
  for (let i = 0; i <= 5; i++) caller.regs[i] = notInit();
  enterFrame(cur, caller, regs, idx, null);
  if (env.log.enabled) {
    env.log.write(`caller:\n${formatState(caller, env.maps, 0x7ff, ALL_SLOTS, depth)}${formatRefs(cur.refs, caller)}\n`);
    env.log.write(`callee:\n${formatState(cur, env.maps, 0x7ff, ALL_SLOTS, depth + 1)}${formatRefs(cur.refs, cur)}\n`);
  }
  return idx + slot.imm + 1;
}

/** `prepare_func_exit`: returns from a subprogram to its caller with R0. */
function prepareFuncExit(env: VerifierEnv): number {
  const cur = env.cur;
  const r0 = cur.regs[0];
  if (r0.type === 'fp') reject(env, 'cannot return stack pointer to the caller');
  const depth = cur.callers.length;
  const caller = cur.callers[depth - 1];
  // A callback returns to its helper call, which runs again (and may queue another visit).
  const range = cur.callbackRange;
  if (range !== null) checkCallbackReturn(env, range);
  else caller.regs[0] = copyReg(r0);
  const next = range !== null ? cur.callsite : cur.callsite + 1;
  if (env.log.enabled) {
    env.log.write(`returning from callee:\n${formatState(cur, env.maps, 0x7ff, ALL_SLOTS, depth)}${formatRefs(cur.refs, cur)}\n`);
    env.log.write(`to caller at ${next}:\n${formatState(caller, env.maps, 0x7ff, ALL_SLOTS, depth - 1)}${formatRefs(cur.refs, caller)}\n`);
  }
  cur.regs = caller.regs;
  cur.stack = caller.stack;
  cur.allocatedStack = caller.allocatedStack;
  cur.callsite = caller.callsite;
  cur.callbackDepth = caller.callbackDepth;
  cur.callbackRange = caller.callbackRange;
  cur.callers = cur.callers.slice(0, -1);
  if (range !== null) widenAfterCallback(env, next);
  return next;
}

/** Checks the instruction at `env.insnIdx`; returns the next slot, or -1 at an exit. */
function checkInsn(env: VerifierEnv): number {
  const idx = env.insnIdx;
  const slot = env.slots[idx];
  const cls = slot.code & 7;
  switch (cls) {
    case 0x04:
    case 0x07:
      checkAlu(env, slot);
      return idx + 1;
    case 0x01: {
      checkReadable(env, slot.src);
      checkWritable(env, slot.dst);
      checkMemAccess(env, slot.src, slot.off, sizeOf(slot.code), false, slot.dst, (slot.code & 0xe0) === 0x80);
      return idx + 1;
    }
    case 0x03: {
      if ((slot.code & 0xe0) === 0xc0) {
        checkAtomic(env, slot);
        return idx + 1;
      }
      if ((slot.code & 0xe0) !== 0x60 || slot.imm !== 0) reject(env, 'BPF_STX uses reserved fields');
      checkReadable(env, slot.src);
      checkReadable(env, slot.dst);
      checkMemAccess(env, slot.dst, slot.off, sizeOf(slot.code), true, slot.src, false);
      return idx + 1;
    }
    case 0x02: {
      if ((slot.code & 0xe0) !== 0x60 || slot.src !== 0) reject(env, 'BPF_ST uses reserved fields');
      checkReadable(env, slot.dst);
      checkMemAccess(env, slot.dst, slot.off, sizeOf(slot.code), true, -1, false, slot.imm);
      return idx + 1;
    }
    case 0x05:
    case 0x06: {
      env.jmpsProcessed++;
      const op = slot.code & 0xf0;
      if (op === 0x80) {
        if ((slot.code & 0x08) !== 0 || (slot.src !== 2 && slot.off !== 0) || (slot.src !== 0 && slot.src !== 1 && slot.src !== 2) || slot.dst !== 0 || cls === 0x06) reject(env, 'BPF_CALL uses reserved fields');
        if (slot.src === 1) {
          const next = checkFuncCall(env, slot);
          scratchReg(env, 0);
          return next;
        }
        if (slot.src === 2) {
          checkKfuncCall(env, slot);
          return idx + 1;
        }
        checkHelperCall(env, slot.imm);
        return idx + 1;
      }
      if (op === 0x00) {
        if ((slot.code & 0x08) !== 0 || slot.src !== 0 || slot.dst !== 0 || (cls === 0x05 && slot.imm !== 0) || (cls === 0x06 && slot.off !== 0)) reject(env, 'BPF_JA uses reserved fields');
        return idx + (cls === 0x05 ? slot.off : slot.imm) + 1;
      }
      if (op === 0x90) {
        if ((slot.code & 0x08) !== 0 || slot.imm !== 0 || slot.src !== 0 || slot.dst !== 0 || cls === 0x06) reject(env, 'BPF_EXIT uses reserved fields');
        if (env.cur.callers.length > 0) return prepareFuncExit(env);
        checkReferenceLeak(env, 'BPF_EXIT instruction in main prog');
        checkReturnCode(env);
        return -1;
      }
      return checkCondJump(env, slot);
    }
    default: {
      const mode = slot.code & 0xe0;
      if (mode === 0x20 || mode === 0x40) {
        checkLdAbs(env, slot);
        return idx + 1;
      }
      if (mode === 0x00) {
        if ((slot.code & 0x18) !== 0x18) reject(env, 'invalid BPF_LD_IMM insn');
        checkLdImm(env, slot, env.slots[idx + 1]);
        return idx + 2;
      }
      reject(env, 'invalid BPF_LD mode');
    }
  }
}

/** `is_state_visited`: true when the current state is covered by an explored one. */
function isStateVisited(env: VerifierEnv, idx: number): boolean {
  const cur = env.cur;
  // is_force_checkpoint: may_goto always gets a checkpoint (iterator and callback calls too).
  const callsCallback = isSyncCallbackCall(env.slots[idx]);
  const iterNext = isIterNextCall(env.slots[idx], (id) => kfuncName(env.kernelBtf, id));
  const force = callsCallback || iterNext || isMayGoto(env.slots[idx]);
  // A long jump history forces a checkpoint too (it is what backtracking walks).
  const forceNew = force || cur.history.length > 40 * HIST_STRIDE;
  let addNew = forceNew || (env.jmpsProcessed - env.prevJmpsProcessed >= 2 && env.processed - env.prevInsnProcessed >= 8);
  // The kernel hashes explored states by (insn ^ callsite) % prog_len; a bucket may hold other
  // instructions' states, which count towards max_states_per_insn but are not compared.
  const bucket = ((idx ^ cur.callsite) >>> 0) % env.slots.length;
  let list = env.explored[bucket];
  if (list === undefined) {
    list = [];
    env.explored[bucket] = list;
  }
  let count = 0;
  let live: number[] | null = null;
  for (let i = 0; i < list.length; ) {
    const sl = list[i];
    count++;
    if (sl.insn !== idx) {
      i++;
      continue;
    }
    if (sl.branches > 0) {
      if (iterNext) {
        // An open-coded iterator loop converged: the next iteration equals an earlier one.
        if (live === null) live = liveMasks(env, idx, cur);
        if (statesEqual(sl.state, cur, live, env.liveStack[idx], false, env.idGen, true) && iterActiveAt(cur)) {
          hit(env, sl, idx, true);
          return true;
        }
      }
      if (force) {
        // A later may_goto iteration equal to an earlier one: the loop converged.
        if (live === null) live = liveMasks(env, idx, cur);
        if (sl.state.mayGotoDepth !== cur.mayGotoDepth && statesEqual(sl.state, cur, live, env.liveStack[idx], false, env.idGen, true)) {
          hit(env, sl, idx, true);
          return true;
        }
      }
      if (callsCallback) {
        // Another visit of a callback that ends in a state already seen at its call: converged.
        if (live === null) live = liveMasks(env, idx, cur);
        // Every stack slot counts: the callback reads the caller's stack through its ctx pointer.
        if (statesEqual(sl.state, cur, live, -1n, false, env.idGen, true)) {
          hit(env, sl, idx, false);
          return true;
        }
      } else if (!iterNext && statesMaybeLooping(sl.state, cur) && statesEqual(sl.state, cur, null, -1n, true) && !iterActiveDepthsDiffer(sl.state, cur) && sl.state.mayGotoDepth === cur.mayGotoDepth && sl.state.callbackUnrollDepth === cur.callbackUnrollDepth) {
        const all = (1n << 64n) - 1n;
        throw new RejectError(`infinite loop detected at insn ${idx}`, idx, [`cur state:${formatState(cur, env.maps, 0x7ff, all)}${formatRefs(cur.refs)}`, `old state:${formatState(sl.state, env.maps, 0x7ff, all)}${formatRefs(sl.state.refs)}`]);
      }
      if (!forceNew && env.jmpsProcessed - env.prevJmpsProcessed < 20 && env.processed - env.prevInsnProcessed < 100) addNew = false;
    } else {
      if (live === null) live = liveMasks(env, idx, cur);
      // incomplete_read_marks: inside an SCC visit that has backedges the kernel compares in
      // RANGE_WITHIN mode (imprecise scalars count too).
      const loop = sccHasBackedges(env, sl);
      if (statesEqual(sl.state, cur, live, env.liveStack[idx], false, env.idGen, loop)) {
        hit(env, sl, idx, loop);
        return true;
      }
    }
    if (addNew) sl.misses++;
    // Checkpoints still on the path (may_goto) may miss longer before eviction.
    const n = force && sl.branches > 0 ? 64 : 3;
    if (sl.misses > sl.hits * n + n) {
      // Evicted states wait on the kernel's free list until their paths finish.
      list.splice(i, 1);
      if (sl.branches === 0) env.liveStates--;
      else sl.evicted = true;
    } else {
      i++;
    }
  }
  if (count > env.maxStatesPerInsn) env.maxStatesPerInsn = count;
  if (!addNew) return false;
  env.totalStates++;
  env.liveStates++;
  updatePeakStates(env);
  env.prevJmpsProcessed = env.jmpsProcessed;
  env.prevInsnProcessed = env.processed;
  // mark_all_scalars_imprecise: a privileged loader's new checkpoint starts without precision marks.
  markAllScalarsImprecise(cur);
  const cp: Checkpoint = { insn: idx, state: snapshotState(cur, cur.parent === null ? null : cur.parent.state), branches: 1, parent: cur.parent, hits: 0, misses: 0, evicted: false };
  maybeEnterScc(env, cp);
  cur.parent = cp;
  cur.dfsDepth = cp.state.dfsDepth + 1;
  cur.firstInsn = idx;
  cur.history = [];
  list.unshift(cp);
  return false;
}

/**
 * A pruning hit on `sl`: the jump point is recorded, precision that `sl` relied on is marked
 * along the current path (`propagate_precision`), and in a loop the current state is kept as a
 * backedge whose precision is propagated again when the SCC visit ends.
 */
function hit(env: VerifierEnv, sl: Checkpoint, idx: number, loop: boolean): void {
  sl.hits++;
  if (env.jmpPoints[idx] === 1) pushHistory(env, env.cur, 0, null);
  propagatePrecision(env, sl.state, env.cur, idx);
  if (loop) addBackedge(env, sl, idx);
}

/** `update_peak_states`: stored checkpoints (explored and on the free list) plus backedges. */
function updatePeakStates(env: VerifierEnv): void {
  const n = env.liveStates + env.numBackedges;
  if (n > env.peakStates) env.peakStates = n;
}

/** `maybe_enter_scc`: a checkpoint inside a loop opens its visit when none is open. */
function maybeEnterScc(env: VerifierEnv, cp: Checkpoint): void {
  const key = sccCallchain(env.sccOf, cp.state, cp.insn);
  if (key === null) return;
  let visit = env.sccVisits.get(key);
  if (visit === undefined) {
    visit = { entry: null, backedges: 0, states: [] };
    env.sccVisits.set(key, visit);
  }
  if (visit.entry === null) {
    visit.entry = cp;
    if (env.log.level >= 2) env.log.write(`SCC enter (${key})\n`);
  }
}

/** `maybe_exit_scc`: the entry checkpoint has no paths left, so the visit's backedges go. */
function maybeExitScc(env: VerifierEnv, cp: Checkpoint): void {
  const key = sccCallchain(env.sccOf, cp.state, cp.insn);
  if (key === null) return;
  const visit = env.sccVisits.get(key);
  if (visit === undefined || visit.entry !== cp) return;
  if (env.log.level >= 2) env.log.write(`SCC exit (${key})\n`);
  visit.entry = null;
  propagateBackedges(env, visit);
  env.numBackedges -= visit.backedges;
  visit.backedges = 0;
  visit.states = [];
}

/** `incomplete_read_marks`: whether `sl`'s SCC visit already holds backedges. */
function sccHasBackedges(env: VerifierEnv, sl: Checkpoint): boolean {
  if (env.numBackedges === 0) return false;
  const key = sccCallchain(env.sccOf, sl.state, sl.insn);
  if (key === null) return false;
  const visit = env.sccVisits.get(key);
  return visit !== undefined && visit.backedges > 0;
}

/** `MAX_BACKEDGE_ITERS`. */
const MAX_BACKEDGE_ITERS = 64;

/**
 * `propagate_backedges`: precision marks of the states the backedges equalled are propagated
 * along each backedge's path until nothing changes.
 */
function propagateBackedges(env: VerifierEnv, visit: SccVisit): void {
  let i = 0;
  let changed: boolean;
  do {
    if (i++ > MAX_BACKEDGE_ITERS) {
      if (env.log.level >= 2) env.log.write('propagate_backedges: too many iterations\n');
      for (const b of visit.states) markAllScalarsPrecise(env, b.state);
      break;
    }
    changed = false;
    for (const b of visit.states) if (propagatePrecision(env, b.equal, b.state, b.insn)) changed = true;
  } while (changed);
}

/** `add_scc_backedge`: remembers a loop-closing hit on `sl` until its SCC visit ends. */
function addBackedge(env: VerifierEnv, sl: Checkpoint, idx: number): void {
  const key = sccCallchain(env.sccOf, sl.state, sl.insn);
  if (key === null) return;
  const visit = env.sccVisits.get(key);
  if (visit === undefined || visit.entry === null) return;
  if (env.log.level >= 2) env.log.write(`SCC backedge (${key})\n`);
  visit.states.push({ state: copyState(env.cur), equal: sl.state, insn: idx });
  visit.backedges++;
  env.numBackedges++;
  updatePeakStates(env);
}

const liveMaskScratch: number[][] = [];

/**
 * Registers that matter per frame when comparing states at `idx`: the current frame's live
 * registers, and for each caller the callee-saved registers live after its call returns.
 */
function liveMasks(env: VerifierEnv, idx: number, cur: VerifierState): number[] {
  const depth = cur.callers.length;
  // One reused array per depth: the masks are only read by the comparisons of this call.
  let masks = liveMaskScratch[depth];
  if (masks === undefined) {
    masks = new Array<number>(depth + 1).fill(0);
    liveMaskScratch[depth] = masks;
  }
  for (let f = 0; f < depth; f++) {
    const callsite = f + 1 < depth ? cur.callers[f + 1].callsite : cur.callsite;
    const after = callsite + 1 < env.slots.length ? env.liveBefore[callsite + 1] : 0;
    masks[f] = (after & 0b1111000000) | (1 << 10);
  }
  masks[depth] = env.liveBefore[idx];
  return masks;
}

function updateBranchCounts(env: VerifierEnv, cp: Checkpoint | null): void {
  while (cp !== null) {
    cp.branches--;
    if (cp.branches > 0) break;
    maybeExitScc(env, cp);
    if (cp.evicted) {
      cp.evicted = false;
      env.liveStates--;
    }
    cp = cp.parent;
  }
}

/**
 * The level-2 table of registers live before each instruction (`compute_live_registers`):
 * the SCC id when the instruction is in a loop, the index, one column per R0–R9, the
 * instruction.
 */
function printLiveRegisters(env: VerifierEnv): void {
  const log = env.log;
  log.write('Live regs before insn:\n');
  for (let i = 0; i < env.slots.length; i++) {
    const scc = env.sccOf[i];
    let regs = '';
    for (let r = 0; r < 10; r++) regs += (env.liveBefore[i] & (1 << r)) !== 0 ? String(r) : '.';
    const slot = env.slots[i];
    log.write(`${scc !== 0 ? String(scc).padStart(3) : '   '} ${String(i).padStart(3)}: ${regs} ${formatKernel(slot as Instruction, kfuncSyntax(env, i), env.slots[i + 1] as Instruction | undefined)}\n`);
    if (slot.code === 0x18) i++;
  }
}

function statsLine(env: VerifierEnv): string {
  return `processed ${env.processed} insns (limit ${COMPLEXITY_LIMIT}) max_states_per_insn ${env.maxStatesPerInsn} total_states ${env.totalStates} peak_states ${env.peakStates} mark_read 0\n`;
}

function doCheck(env: VerifierEnv): void {
  let idx = 0;
  let doPrintState = false;
  let prevIdx = -1;
  const log = env.log;
  for (;;) {
    env.insnIdx = idx;
    env.curHistPos = -1;
    env.prevInsnIdx = prevIdx;
    if (++env.processed > COMPLEXITY_LIMIT) reject(env, `BPF program is too large. Processed ${env.processed} insn`);
    env.cur.lastInsn = prevIdx;
    let next: number;
    if (env.prunePoints[idx] === 1 && isStateVisited(env, idx)) {
      if (log.enabled) log.write(doPrintState ? `\nfrom ${prevIdx} to ${idx}: safe\n` : `${idx}: safe\n`);
      next = -1;
    } else {
      if (log.level >= 2 && doPrintState) log.write(`\nfrom ${prevIdx} to ${idx}:${formatState(env.cur, env.maps, 0x7ff, (1n << 64n) - 1n, env.cur.callers.length)}${formatRefs(env.cur.refs, env.cur)}\n`);
      doPrintState = false;
      if (env.jmpPoints[idx] === 1) pushHistory(env, env.cur, 0, null);
      if (log.enabled) {
        if (stateScratched(env)) printInsnState(env);
        env.prevLogPos = log.position;
        log.write(`${idx}: ${formatKernel(env.slots[idx] as Instruction, kfuncSyntax(env), env.slots[idx + 1] as Instruction | undefined)}\n`);
        env.prevInsnPrintPos = log.position - env.prevLogPos;
        env.prevLogPos = log.position;
      }
      prevIdx = idx;
      next = checkInsn(env);
      // Back in the caller after a subprogram's exit: the next instruction starts with a
      // "from <exit> to <next>" state line at level 2 (and a "from … : safe" when pruned).
      if (next >= 0 && env.slots[idx].code === 0x95) doPrintState = true;
    }
    if (next >= 0) {
      idx = next;
      continue;
    }
    scratchAll(env);
    updateBranchCounts(env, env.cur.parent);
    const elem = env.pending.pop();
    if (elem === undefined) break;
    if (log.level === 1) log.reset(elem.logPos);
    env.cur = elem.state;
    idx = elem.insn;
    prevIdx = elem.prevInsn;
    doPrintState = true;
  }
}

/**
 * Verifies `program` as the Linux 6.18 verifier would for a root loader, and returns its
 * verdict, first error line, the instruction it refers to, the processed-instruction count and
 * the log at `options.logLevel`.
 *
 * ```ts
 * verify([Mov.imm(R0, 0), Exit()], { progType: 'socket_filter' });
 * // { verdict: 'accept', error: null, insn: null, processed: 2, log: '' }
 * ```
 * @throws RangeError for an unknown program, attach or map type.
 */
export function verify(program: readonly Instruction[], options: VerifyOptions): VerifyResult {
  const progType = programTypeName(programType(options.progType));
  const attach = options.expectedAttachType === undefined || options.expectedAttachType === null ? null : attachType(options.expectedAttachType);
  const maps = (options.maps ?? []).map(mapInfo);
  const log = new VerifierLog(options.logLevel ?? 0);
  const slots = toSlots(program);
  const env: VerifierEnv = {
    slots,
    progType,
    attachType: attach,
    gpl: isGplCompatible(options.license ?? 'GPL'),
    maps,
    possibleCpus: options.possibleCpus ?? null,
    funcInfo: options.funcInfo ?? null,
    kernelBtf: new KernelBtf(options.btf),
    attachBtfId: options.attachBtfId ?? null,
    prunePoints: new Uint8Array(slots.length),
    immRegs: new Array<RegState | undefined>(slots.length),
    liveBefore: new Uint16Array(slots.length),
    liveStack: [],
    jmpPoints: new Uint8Array(slots.length),
    curHistPos: -1,
    curHistOwner: null,
    linkedSets: [],
    prevInsnIdx: -1,
    log,
    cur: initialState(),
    insnIdx: 0,
    idGen: 0,
    processed: 0,
    jmpsProcessed: 0,
    prevJmpsProcessed: 0,
    prevInsnProcessed: 0,
    explored: [],
    totalStates: 0,
    peakStates: 0,
    maxStatesPerInsn: 0,
    liveStates: 0,
    sccOf: new Int32Array(slots.length),
    sccVisits: new Map(),
    numBackedges: 0,
    pending: [],
    stackDepth: 0,
    scratchedRegs: 0x7ff,
    scratchedStack: (1n << 64n) - 1n,
    prevLogPos: 0,
    prevInsnPrintPos: 0,
  };
  let error: RejectError | null = null;
  try {
    checkKfuncCallsAtLoad(env, slots);
    const shape = checkStructure(slots, maps, (starts) => {
      if (log.level >= 2) starts.forEach((start, i) => log.write(`func#${i} @${start}\n`));
    }, options.funcInfo);
    checkTracingAttach(env);
    const prunePoints = new Uint8Array(slots.length);
    for (const p of shape.prunePoints) prunePoints[p] = 1;
    // Iterator next calls are prune points (and force checkpoints, see isStateVisited).
    for (let i = 0; i < slots.length; i++) if (isIterNextCall(slots[i], (id) => kfuncName(env.kernelBtf, id))) prunePoints[i] = 1;
    // The analyses go into `env` itself: a spread copy gets a hidden class of its own that dies at
    // every full GC, and V8 then deoptimises every function specialised on it ("weak objects").
    const full = env as { -readonly [K in keyof VerifierEnv]: VerifierEnv[K] };
    full.sccOf = computeSccs(slots);
    full.prunePoints = prunePoints;
    full.liveBefore = liveRegisters(slots, progType, (imm) => kfuncParamCount(env, imm));
    full.liveStack = liveStackSlots(slots);
    full.jmpPoints = computeJmpPoints(slots);
    if (log.level >= 2) printLiveRegisters(full);
    try {
      doCheck(full);
      checkKfuncCallsAfterWalk(full);
      if (full.conversionError !== undefined) {
        // The walk passed: at level 1 its log was rewound like an accepted program's.
        if (log.level === 1) log.reset(0);
        throw full.conversionError;
      }
    } finally {
      Object.assign(env, { processed: full.processed, totalStates: full.totalStates, peakStates: full.peakStates, maxStatesPerInsn: full.maxStatesPerInsn });
    }
  } catch (e) {
    if (!(e instanceof RejectError)) throw e;
    error = e;
    log.write(`${e.message}\n`);
    for (const line of e.extra) log.write(`${line}\n`);
  }
  if (error === null && log.level === 1) log.reset(0);
  log.write(statsLine(env));
  return {
    verdict: error === null ? 'accept' : 'reject',
    error: error === null ? null : error.message,
    insn: error === null ? null : error.insn,
    processed: env.processed,
    log: log.toString(),
  };
}
