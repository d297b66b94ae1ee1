/**
 * Open-coded numeric iterators (`bpf_iter_num_new`/`next`/`destroy`, kernel/bpf/verifier.c
 * `process_iter_arg`, `mark_stack_slots_iter`, `process_iter_next_call`): the iterator lives in
 * an 8-byte stack slot marked `STACK_ITER` and holds an acquired reference; `next` forks the
 * path — the current one continues with the iterator drained and R0 = NULL, a queued one with it
 * active one level deeper and R0 pointing to the 4-byte element — and loop iterations converge
 * at the `next` call by comparing states (the force checkpoint of `is_state_visited`).
 *
 * The iterator's state is kept where the kernel keeps it, in the slot's `spilled_ptr`: here the
 * spilled register's `refObjId` is the reference, `range` the state ({@link IterState}) and `off`
 * the depth.
 * @module
 */

import { TypeFlag } from './btf-pointee.js';
import type { Slot } from './program-slots.js';
import { acquireReference, releaseReference } from './references.js';
import { notInit, type RegState } from './register-state.js';
import { markKnown } from './scalar-bounds.js';
import { StackByte, type StackSlot } from './stack-state.js';
import { widenImpreciseScalars } from './state-equivalence.js';
import { tnumIsConst } from './tnum.js';
import { scratchSlot, type VerifierEnv } from './verifier-env.js';
import { RejectError } from './verifier-error.js';
import { copyState, frameOf, growStack, zeroBounds, type Checkpoint, type VerifierState } from './verifier-state.js';

/** `enum bpf_iter_state`. */
export const IterState = { ACTIVE: 1, DRAINED: 2 } as const;

/** Which iterator kfunc a call is. */
export type IterKfunc = 'new' | 'next' | 'destroy';

/** The numeric-iterator kfunc named `name`, or undefined. */
export function iterKfuncOf(name: string): IterKfunc | undefined {
  if (name === 'bpf_iter_num_new') return 'new';
  if (name === 'bpf_iter_num_next') return 'next';
  if (name === 'bpf_iter_num_destroy') return 'destroy';
  return undefined;
}

function reject(env: VerifierEnv, msg: string, extra: readonly string[] = []): never {
  throw new RejectError(msg, env.insnIdx, extra);
}

/** Whether the slot is an iterator (`STACK_ITER`). */
export function isIterSlot(s: StackSlot | undefined): boolean {
  return s !== undefined && s.types[7] === StackByte.ITER;
}

/** ` fp-8=iter_num(ref_id=1,state=active,depth=0)` as `print_verifier_state` prints an iterator slot. */
export function formatIterSlot(spi: number, s: StackSlot): string {
  const r = s.spilled;
  return ` fp${(-spi - 1) * 8}=iter_num(ref_id=${r.refObjId},state=${r.range === IterState.ACTIVE ? 'active' : 'drained'},depth=${r.off})`;
}

/** `stack_slot_obj_get_spi` for an 8-byte iterator at R1; null when out of the allocated stack (`-ERANGE`). */
function iterSpi(env: VerifierEnv, reg: RegState): number | null {
  if (!tnumIsConst(reg.varOff)) reject(env, 'iter has to be at a constant offset');
  const off = reg.off + Number(BigInt.asIntN(64, reg.varOff.value));
  if (off % 8 !== 0 || off >= 0) return -1;
  const spi = (-off - 1) >> 3;
  return spi < frameOf(env.cur, reg.frameno).allocatedStack / 8 ? spi : null;
}

/**
 * The iterator argument in R1 (`process_iter_arg`): `new` needs an uninitialised slot and marks
 * it, `next` and `destroy` need an initialised one; `destroy` releases it.
 */
export function checkIterArg(env: VerifierEnv, kind: IterKfunc): void {
  const reg = env.cur.regs[1];
  if (reg.type !== 'fp') reject(env, 'arg#0 expected pointer to an iterator on stack');
  const frame = frameOf(env.cur, reg.frameno);
  const off = reg.off + Number(BigInt.asIntN(64, reg.varOff.value));
  const spi = iterSpi(env, reg);
  if (kind === 'new') {
    if (spi === -1) reject(env, `cannot pass in iter at an offset=${off}`, ['expected uninitialized iter_num as arg #0']);
    if (spi !== null && isIterSlot(frame.stack[spi])) reject(env, 'expected uninitialized iter_num as arg #0');
    // check_mem_access: an 8-byte write grows the stack.
    if (off < -512) reject(env, `invalid write to stack R1 off=${off} size=8`);
    growStack(frame, -off);
    if (-off > env.stackDepth) env.stackDepth = -off;
    const at = (-off - 1) >> 3;
    const slot = frame.stack[at];
    const st: RegState = { ...notInit(), type: 'fp' };
    zeroBounds(st);
    st.refObjId = acquireReference(env);
    st.range = IterState.ACTIVE;
    st.off = 0;
    slot.spilled = st;
    slot.types.fill(StackByte.ITER);
    scratchSlot(env, at);
    return;
  }
  if (spi === -1 || spi === null || !isIterSlot(frame.stack[spi]) || frame.stack[spi].spilled.refObjId === 0) {
    if (spi === -1) reject(env, `cannot pass in iter at an offset=${off}`, ['expected an initialized iter_num as arg #0']);
    reject(env, 'expected an initialized iter_num as arg #0');
  }
  if (kind === 'destroy') {
    const slot = frame.stack[spi];
    releaseReference(env.cur, slot.spilled.refObjId);
    slot.types.fill(StackByte.INVALID);
    slot.spilled = notInit();
    scratchSlot(env, spi);
  }
}

/** The iterator slot `reg` (R1 at the call, checked by {@link checkIterArg}) points to in `s`. */
function iterSlotOf(s: VerifierState, reg: RegState): StackSlot {
  const off = reg.off + Number(BigInt.asIntN(64, reg.varOff.value));
  return frameOf(s, reg.frameno).stack[(-off - 1) >> 3];
}

/**
 * `find_prev_entry(env, cur->parent, idx)`: the checkpoint of an earlier iteration at `idx` on
 * the current path, above the one just made at `idx` (same call sites).
 */
function findPrevEntry(env: VerifierEnv, idx: number): Checkpoint | null {
  const below = env.cur.parent;
  if (below === null || below.insn !== idx) return null;
  const b = below.state;
  const bucket = ((idx ^ b.callsite) >>> 0) % env.slots.length;
  for (const sl of env.explored[bucket] ?? []) {
    if (sl.insn !== idx || sl.branches === 0 || sl.state.callers.length !== b.callers.length || sl.state.callsite !== b.callsite) continue;
    if (sl.state.callers.every((f, i) => f.callsite === b.callers[i].callsite) && sl.state.dfsDepth < b.dfsDepth) return sl;
  }
  return null;
}

/**
 * After `bpf_iter_num_next` has set R0 (`rdonly_mem_or_null`, `sz=4`, tied to the iterator's
 * reference): `process_iter_next_call`. An active iterator queues the path where the element
 * exists (depth + 1, R0 not NULL), its scalars widened against the previous iteration; the
 * current path sees the iterator drained and R0 = 0.
 */
export function processIterNext(env: VerifierEnv, iterPtr: RegState): void {
  const idx = env.insnIdx;
  const cur = env.cur;
  const slot = iterSlotOf(cur, iterPtr);
  if (slot.spilled.range === IterState.ACTIVE) {
    const prev = findPrevEntry(env, idx);
    if (prev !== null) widenImpreciseScalars(prev.state, cur);
    const queued = copyState(cur);
    const qslot = iterSlotOf(queued, iterPtr);
    qslot.spilled.off++;
    queued.regs[0].maybeNull = false;
    env.pending.push({ state: queued, insn: idx + 1, prevInsn: idx, logPos: env.log.position });
    if (queued.parent !== null) queued.parent.branches++;
  }
  slot.spilled.range = IterState.DRAINED;
  scratchSlot(env, (-(iterPtr.off + Number(BigInt.asIntN(64, iterPtr.varOff.value))) - 1) >> 3);
  markKnown(cur.regs[0], 0n);
}

/** Sets R0 as `bpf_iter_num_next` returns it before the fork: `rdonly_mem_or_null(id=N,ref_obj_id=R,sz=4)`. */
export function setIterNextReturn(env: VerifierEnv, iterPtr: RegState): void {
  const r0 = env.cur.regs[0];
  const ref = iterSlotOf(env.cur, iterPtr).spilled.refObjId;
  markKnown(r0, 0n);
  zeroBounds(r0);
  r0.type = 'mem';
  r0.typeFlags = TypeFlag.RDONLY;
  r0.memSize = 4;
  r0.maybeNull = true;
  r0.id = ++env.idGen;
  r0.refObjId = ref;
}

/** Whether slot `s` is a `bpf_iter_num_next` call (per the names in `names`). */
export function isIterNextCall(s: Slot, nameOf: (id: number) => string | undefined): boolean {
  return s.code === 0x85 && s.src === 2 && s.imm !== 0 && nameOf(s.imm) === 'bpf_iter_num_next';
}

/** Whether the iterator that R1 points to in `s` is active (the loop check of `is_state_visited`). */
export function iterActiveAt(s: VerifierState): boolean {
  const reg = s.regs[1];
  if (reg.type !== 'fp' || !tnumIsConst(reg.varOff)) return false;
  const off = reg.off + Number(BigInt.asIntN(64, reg.varOff.value));
  if (off >= 0 || off % 8 !== 0) return false;
  const slot = iterSlotOf(s, reg);
  return isIterSlot(slot) && slot.spilled.range === IterState.ACTIVE;
}

/** `iter_active_depths_differ`: an active iterator slot whose depth differs between the states. */
export function iterActiveDepthsDiffer(old: VerifierState, cur: VerifierState): boolean {
  for (let f = 0; f <= old.callers.length; f++) {
    const fo = f < old.callers.length ? old.callers[f] : old;
    const fc = f < cur.callers.length ? cur.callers[f] : cur;
    for (let spi = 0; spi < fo.stack.length; spi++) {
      const so = fo.stack[spi];
      if (!isIterSlot(so) || so.spilled.range !== IterState.ACTIVE) continue;
      const sc = fc.stack[spi];
      if (sc === undefined || sc.spilled.off !== so.spilled.off) return true;
    }
  }
  return false;
}
