/**
 * The state of one path: registers R0–R10 and the stack (the kernel's `struct
 * bpf_verifier_state` with a single `bpf_func_state` frame), plus the link to the checkpoint
 * it descends from, whose `branches` count says whether that checkpoint is still being
 * explored (which the infinite-loop check and pruning need).
 * @module
 */

import { copyReg, notInit, type RegState } from './register-state.js';
import { copySlot, emptySlot, type StackSlot } from './stack-state.js';
import type { CallbackRange } from './callbacks.js';
import type { History } from './insn-history.js';

/** A stored state at a prune point, counting the paths still running below it. */
export interface Checkpoint {
  /** Slot index of the prune point. */
  readonly insn: number;
  /** The state when the checkpoint was taken. */
  readonly state: VerifierState;
  /** Paths derived from this checkpoint that have not finished yet. */
  branches: number;
  /** The checkpoint this one descends from. */
  readonly parent: Checkpoint | null;
  /** Times it pruned a path, and times a comparison missed (for eviction). */
  hits: number;
  /** See {@link hits}. */
  misses: number;
  /** Dropped from the explored list while paths below it were still running. */
  evicted: boolean;
}

/** An acquired reference (`struct bpf_reference_state`, `REF_TYPE_PTR`): its id and the instruction that acquired it. */
export interface AcquiredRef {
  /** The reference id (`ref_obj_id` of the pointers holding it). */
  readonly id: number;
  /** Slot index of the acquiring call (`alloc_insn`). */
  readonly insn: number;
}

/** One function's frame (`struct bpf_func_state`): registers and stack. */
export interface FrameState {
  /** R0–R10. */
  regs: RegState[];
  /** Stack slots, index = spi. */
  stack: StackSlot[];
  /** Bytes of stack in use (a multiple of 8, `allocated_stack`). */
  allocatedStack: number;
  /** The call instruction that entered this frame (-1 for the main program). */
  callsite: number;
  /** Callback visits queued from this frame since its last callback-calling helper call returned (`callback_depth`). */
  callbackDepth: number;
  /** A callback's frame: the range R0 must be in at its exit (`in_callback_fn`, `callback_ret_range`); null otherwise. */
  callbackRange: CallbackRange | null;
}

/** One path's state; copied on every branch. The fields of {@link FrameState} are the innermost frame. */
export interface VerifierState extends FrameState {
  /** Frames of the callers, outermost first (`frame[0..curframe-1]`); empty in the main program. */
  callers: FrameState[];
  /** Nearest checkpoint above this path. */
  parent: Checkpoint | null;
  /** Callback visits queued on this path (`callback_unroll_depth`). */
  callbackUnrollDepth: number;
  /** `may_goto` fall-throughs taken on this path (`may_goto_depth`). */
  mayGotoDepth: number;
  /** Checkpoints above this state on its path (`dfs_depth`). */
  dfsDepth: number;
  /** Acquired references not released yet, oldest first (never mutated: replaced on change, so copies share it). */
  refs: readonly AcquiredRef[];
  /** Inside `bpf_rcu_read_lock()` … `bpf_rcu_read_unlock()` (`active_rcu_lock`). */
  activeRcuLock: boolean;
  /** Jump history since the parent checkpoint (`jmp_history`); replaced, never shared with a live path. */
  history: History;
  /** The instruction this state started at: its parent checkpoint's (`first_insn_idx`). */
  firstInsn: number;
  /** The instruction processed before the current one (`last_insn_idx`). */
  lastInsn: number;
}

/** The frame a stack pointer with `frameno` points into. */
export function frameOf(s: VerifierState, frameno: number): FrameState {
  return frameno >= s.callers.length ? s : s.callers[frameno];
}

/** Every frame of the state, outermost first. */
export function allFrames(s: VerifierState): FrameState[] {
  return [...s.callers, s];
}

function copyFrame(f: FrameState): FrameState {
  const regs: RegState[] = [];
  for (let i = 0; i < 11; i++) regs.push(copyReg(f.regs[i]));
  const stack: StackSlot[] = [];
  for (let i = 0; i < f.stack.length; i++) stack.push(copySlot(f.stack[i]));
  return { regs, stack, allocatedStack: f.allocatedStack, callsite: f.callsite, callbackDepth: f.callbackDepth, callbackRange: f.callbackRange };
}

/** The entry state: R1 = ctx, R10 = frame pointer, everything else NOT_INIT. */
export function initialState(): VerifierState {
  const regs: RegState[] = [];
  for (let i = 0; i <= 10; i++) regs.push(notInit());
  // Field by field: a spread would give these registers hidden classes of their own.
  regs[1].type = 'ctx';
  zeroBounds(regs[1]);
  regs[10].type = 'fp';
  zeroBounds(regs[10]);
  return { regs, stack: [], allocatedStack: 0, callsite: -1, callbackDepth: 0, callbackRange: null, callers: [], parent: null, callbackUnrollDepth: 0, mayGotoDepth: 0, dfsDepth: 0, refs: [], activeRcuLock: false, history: [], firstInsn: 0, lastInsn: -1 };
}

/** Sets the scalar part to the constant 0 (pointers start with no variable offset). */
export function zeroBounds(r: RegState): void {
  r.varOff = { value: 0n, mask: 0n };
  r.smin = 0n;
  r.smax = 0n;
  r.umin = 0n;
  r.umax = 0n;
  r.s32min = 0n;
  r.s32max = 0n;
  r.u32min = 0n;
  r.u32max = 0n;
}

/** The NOT_INIT register shared by snapshots (never modified). */
const SHARED_NOT_INIT: RegState = notInit();

/** Like {@link copyReg}, but NOT_INIT registers share one object: only for states nobody modifies. */
function snapshotReg(r: RegState): RegState {
  return isPristineNotInit(r) ? SHARED_NOT_INIT : copyReg(r);
}

/** Whether `r` equals {@link notInit}() in every field. */
function isPristineNotInit(r: RegState): boolean {
  const n = SHARED_NOT_INIT;
  return (
    r.type === 'not_init' &&
    !r.maybeNull &&
    r.off === 0 &&
    r.frameno === 0 &&
    r.id === 0 &&
    r.range === 0 &&
    r.map === -1 &&
    r.memSize === 0 &&
    r.refObjId === 0 &&
    !r.precise &&
    r.varOff.value === n.varOff.value &&
    r.varOff.mask === n.varOff.mask &&
    r.smin === n.smin &&
    r.smax === n.smax &&
    r.umin === n.umin &&
    r.umax === n.umax &&
    r.s32min === n.s32min &&
    r.s32max === n.s32max &&
    r.u32min === n.u32min &&
    r.u32max === n.u32max
  );
}

/** Every {@link RegState} field: adding one fails type checking here until {@link sameReg} compares it. */
const SAME_REG_COMPARES: Record<keyof RegState, true> = {
  type: true, maybeNull: true, off: true, frameno: true, id: true, range: true, map: true, memSize: true, refObjId: true, btf: true, typeFlags: true,
  varOff: true, smin: true, smax: true, umin: true, umax: true, s32min: true, s32max: true, u32min: true, u32max: true, precise: true,
};
void SAME_REG_COMPARES;

/** Whether `a` and `b` are equal in every field (so a snapshot may share `a` for `b`). */
function sameReg(a: RegState, b: RegState): boolean {
  return (
    a === b ||
    (a.type === b.type &&
      a.maybeNull === b.maybeNull &&
      a.off === b.off &&
      a.frameno === b.frameno &&
      a.id === b.id &&
      a.range === b.range &&
      a.map === b.map &&
      a.memSize === b.memSize &&
      a.refObjId === b.refObjId &&
      a.btf === b.btf &&
      a.typeFlags === b.typeFlags &&
      a.precise === b.precise &&
      a.varOff.value === b.varOff.value &&
      a.varOff.mask === b.varOff.mask &&
      a.smin === b.smin &&
      a.smax === b.smax &&
      a.umin === b.umin &&
      a.umax === b.umax &&
      a.s32min === b.s32min &&
      a.s32max === b.s32max &&
      a.u32min === b.u32min &&
      a.u32max === b.u32max)
  );
}

function sameTypes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 8; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A snapshot of `f`; registers and stack slots equal to those of `prev` (an older snapshot of the same frame) are shared with it. */
function snapshotFrame(f: FrameState, prev: FrameState | null): FrameState {
  const regs = new Array<RegState>(11);
  for (let i = 0; i < 11; i++) {
    const r = f.regs[i];
    const old = prev === null ? null : prev.regs[i];
    regs[i] = old !== null && sameReg(old, r) ? old : snapshotReg(r);
  }
  const stack = new Array<StackSlot>(f.stack.length);
  for (let i = 0; i < f.stack.length; i++) {
    const slot = f.stack[i];
    const old = prev !== null && i < prev.stack.length ? prev.stack[i] : null;
    if (old !== null && sameTypes(old.types, slot.types) && sameReg(old.spilled, slot.spilled)) stack[i] = old;
    else stack[i] = { types: slot.types.slice(), spilled: snapshotReg(slot.spilled) };
  }
  return { regs, stack, allocatedStack: f.allocatedStack, callsite: f.callsite, callbackDepth: f.callbackDepth, callbackRange: f.callbackRange };
}

/**
 * A copy of `s` for a checkpoint: states stored at prune points are only compared and printed,
 * never modified, so their NOT_INIT registers can share one object, and registers and stack
 * slots that equal those of `prev` (the previous checkpoint on the path, when its frames have
 * the same call sites) are shared with it (fewer allocations and less for the garbage collector
 * to copy on branch- and loop-heavy programs, where thousands of checkpoints stay alive).
 */
export function snapshotState(s: VerifierState, prev: VerifierState | null = null): VerifierState {
  const alike = prev !== null && sameFrames(prev, s);
  const f = snapshotFrame(s, alike ? prev : null);
  const callers: FrameState[] = [];
  for (let i = 0; i < s.callers.length; i++) callers.push(snapshotFrame(s.callers[i], alike ? prev.callers[i] : null));
  return { regs: f.regs, stack: f.stack, allocatedStack: f.allocatedStack, callsite: f.callsite, callbackDepth: f.callbackDepth, callbackRange: f.callbackRange, callers, parent: s.parent, callbackUnrollDepth: s.callbackUnrollDepth, mayGotoDepth: s.mayGotoDepth, dfsDepth: s.dfsDepth, refs: s.refs, activeRcuLock: s.activeRcuLock, history: s.history, firstInsn: s.firstInsn, lastInsn: s.lastInsn };
}

/** Whether `a` and `b` have the same frames (depth and call sites). */
function sameFrames(a: VerifierState, b: VerifierState): boolean {
  if (a.callers.length !== b.callers.length || a.callsite !== b.callsite) return false;
  for (let i = 0; i < a.callers.length; i++) if (a.callers[i].callsite !== b.callers[i].callsite) return false;
  return true;
}

/** A deep copy of `s` (same parent). */
export function copyState(s: VerifierState): VerifierState {
  const f = copyFrame(s);
  const callers: FrameState[] = [];
  for (const c of s.callers) callers.push(copyFrame(c));
  return { regs: f.regs, stack: f.stack, allocatedStack: f.allocatedStack, callsite: f.callsite, callbackDepth: f.callbackDepth, callbackRange: f.callbackRange, callers, parent: s.parent, callbackUnrollDepth: s.callbackUnrollDepth, mayGotoDepth: s.mayGotoDepth, dfsDepth: s.dfsDepth, refs: s.refs, activeRcuLock: s.activeRcuLock, history: s.history.slice(), firstInsn: s.firstInsn, lastInsn: s.lastInsn };
}

/** The current innermost frame of `s` as a caller frame (sharing its registers and stack). */
export function callerFrame(s: VerifierState): FrameState {
  return { regs: s.regs, stack: s.stack, allocatedStack: s.allocatedStack, callsite: s.callsite, callbackDepth: s.callbackDepth, callbackRange: s.callbackRange };
}

/**
 * Enters a callee frame (the frame switch of `setup_func_call`): `caller` (from
 * {@link callerFrame}) is pushed, and the innermost frame gets `regs`, an empty stack, call site
 * `callsite`, callback depth 0 and `callbackRange` (null for a plain subprogram call).
 */
export function enterFrame(s: VerifierState, caller: FrameState, regs: RegState[], callsite: number, callbackRange: CallbackRange | null): void {
  s.callers = [...s.callers, caller];
  s.regs = regs;
  s.stack = [];
  s.allocatedStack = 0;
  s.callsite = callsite;
  s.callbackDepth = 0;
  s.callbackRange = callbackRange;
}

/** Grows the stack to at least `size` bytes (`grow_stack_state`). */
export function growStack(s: FrameState, size: number): void {
  const n = Math.ceil(size / 8);
  while (s.stack.length < n) s.stack.push(emptySlot());
  if (n * 8 > s.allocatedStack) s.allocatedStack = n * 8;
}
