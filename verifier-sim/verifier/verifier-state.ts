/**
 * The state of one path: registers R0–R10 and the stack (the kernel's `struct
 * bpf_verifier_state` with a single `bpf_func_state` frame), plus the link to the checkpoint
 * it descends from, whose `branches` count says whether that checkpoint is still being
 * explored (which the infinite-loop check and pruning need).
 * @module
 */

import { copyReg, notInit, type RegState } from './register-state.js';
import { copySlot, emptySlot, type StackSlot } from './stack-state.js';

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
}

/** One path's state; copied on every branch. The fields of {@link FrameState} are the innermost frame. */
export interface VerifierState extends FrameState {
  /** Frames of the callers, outermost first (`frame[0..curframe-1]`); empty in the main program. */
  callers: FrameState[];
  /** Nearest checkpoint above this path. */
  parent: Checkpoint | null;
  /** `may_goto` fall-throughs taken on this path (`may_goto_depth`). */
  mayGotoDepth: number;
  /** Checkpoints above this state on its path (`dfs_depth`). */
  dfsDepth: number;
  /** Acquired references not released yet, oldest first (never mutated: replaced on change, so copies share it). */
  refs: readonly AcquiredRef[];
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
  return { regs, stack, allocatedStack: f.allocatedStack, callsite: f.callsite };
}

/** The entry state: R1 = ctx, R10 = frame pointer, everything else NOT_INIT. */
export function initialState(): VerifierState {
  const regs: RegState[] = [];
  for (let i = 0; i <= 10; i++) regs.push(notInit());
  regs[1] = { ...notInit(), type: 'ctx' };
  zeroBounds(regs[1]);
  regs[10] = { ...notInit(), type: 'fp' };
  zeroBounds(regs[10]);
  return { regs, stack: [], allocatedStack: 0, callsite: -1, callers: [], parent: null, mayGotoDepth: 0, dfsDepth: 0, refs: [] };
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

function snapshotFrame(f: FrameState): FrameState {
  const regs: RegState[] = [];
  for (let i = 0; i < 11; i++) regs.push(snapshotReg(f.regs[i]));
  const stack: StackSlot[] = [];
  for (let i = 0; i < f.stack.length; i++) {
    const slot = f.stack[i];
    stack.push({ types: slot.types.slice(), spilled: snapshotReg(slot.spilled) });
  }
  return { regs, stack, allocatedStack: f.allocatedStack, callsite: f.callsite };
}

/**
 * A copy of `s` for a checkpoint: states stored at prune points are only compared and printed,
 * never modified, so their NOT_INIT registers can share one object (fewer allocations on
 * loop-heavy programs, where thousands of checkpoints stay alive).
 */
export function snapshotState(s: VerifierState): VerifierState {
  const f = snapshotFrame(s);
  const callers: FrameState[] = [];
  for (const c of s.callers) callers.push(snapshotFrame(c));
  return { regs: f.regs, stack: f.stack, allocatedStack: f.allocatedStack, callsite: f.callsite, callers, parent: s.parent, mayGotoDepth: s.mayGotoDepth, dfsDepth: s.dfsDepth, refs: s.refs };
}

/** A deep copy of `s` (same parent). */
export function copyState(s: VerifierState): VerifierState {
  const f = copyFrame(s);
  const callers: FrameState[] = [];
  for (const c of s.callers) callers.push(copyFrame(c));
  return { regs: f.regs, stack: f.stack, allocatedStack: f.allocatedStack, callsite: f.callsite, callers, parent: s.parent, mayGotoDepth: s.mayGotoDepth, dfsDepth: s.dfsDepth, refs: s.refs };
}

/** Grows the stack to at least `size` bytes (`grow_stack_state`). */
export function growStack(s: FrameState, size: number): void {
  const n = Math.ceil(size / 8);
  while (s.stack.length < n) s.stack.push(emptySlot());
  if (n * 8 > s.allocatedStack) s.allocatedStack = n * 8;
}
