/**
 * State comparison for pruning (`states_equal`, `regsafe`, `stacksafe` in
 * kernel/bpf/verifier.c). A new state is safe when an explored, fully verified one at the
 * same instruction covers it: every live register of the old state admits the new value
 * (scalar ranges contain it, pointers agree on type, map and offset, packet ranges are no
 * larger) and every old stack byte is matched. The exact comparison detects infinite loops.
 * An old scalar that is not `precise` admits any current scalar (`NOT_EXACT`); comparisons
 * in loops (`RANGE_WITHIN`) check every scalar's range. Precise scalars also need consistent
 * ids (`check_scalar_ids`).
 * @module
 */

import { hasAddConst, notInit, type RegState } from './register-state.js';
import { refsSafe } from './references.js';
import { markUnknown } from './scalar-bounds.js';
import { StackByte, type StackSlot } from './stack-state.js';
import { tnumEquals, tnumIn } from './tnum.js';
import type { FrameState, VerifierState } from './verifier-state.js';

function rangeWithin(o: RegState, c: RegState): boolean {
  return o.umin <= c.umin && o.umax >= c.umax && o.smin <= c.smin && o.smax >= c.smax && o.u32min <= c.u32min && o.u32max >= c.u32max && o.s32min <= c.s32min && o.s32max >= c.s32max;
}

function regEqual(o: RegState, c: RegState): boolean {
  return (
    o.type === c.type &&
    o.maybeNull === c.maybeNull &&
    o.off === c.off &&
    o.range === c.range &&
    o.map === c.map &&
    o.memSize === c.memSize &&
    o.frameno === c.frameno &&
    o.typeFlags === c.typeFlags &&
    o.btf?.id === c.btf?.id &&
    tnumEquals(o.varOff, c.varOff) &&
    o.smin === c.smin &&
    o.smax === c.smax &&
    o.umin === c.umin &&
    o.umax === c.umax &&
    o.s32min === c.s32min &&
    o.s32max === c.s32max &&
    o.u32min === c.u32min &&
    o.u32max === c.u32max
  );
}

/** `regsafe`: the old register admits the current one. */
function regSafe(o: RegState, c: RegState, exact: boolean, ids: IdMap): boolean {
  if (exact) return regEqual(o, c) && checkIds(o.id, c.id, ids) && checkIds(o.refObjId, c.refObjId, ids);
  if (o.type === 'not_init') return true;
  if (o.type !== c.type || o.maybeNull !== c.maybeNull || o.typeFlags !== c.typeFlags) return false;
  switch (o.type) {
    case 'scalar':
      if (!o.precise && !ids.rangeWithin) return true;
      if (hasAddConst(o.id) !== hasAddConst(c.id)) return false;
      if (hasAddConst(o.id) && o.off !== c.off) return false;
      return rangeWithin(o, c) && tnumIn(o.varOff, c.varOff) && checkScalarIds(o.id, c.id, ids);
    case 'map_value':
    case 'mem':
      return o.off === c.off && o.map === c.map && o.memSize === c.memSize && rangeWithin(o, c) && tnumIn(o.varOff, c.varOff) && (!o.maybeNull || checkIds(o.id, c.id, ids));
    case 'ringbuf_mem':
      return o.off === c.off && o.memSize === c.memSize && rangeWithin(o, c) && tnumIn(o.varOff, c.varOff) && checkIds(o.id, c.id, ids) && checkIds(o.refObjId, c.refObjId, ids);
    case 'pkt':
    case 'pkt_meta':
      if (o.off !== c.off) return false;
      if (o.range < 0 ? o.range !== c.range : o.range > c.range) return false;
      return rangeWithin(o, c) && tnumIn(o.varOff, c.varOff) && checkIds(o.id, c.id, ids);
    default:
      return regEqual(o, c) && checkIds(o.id, c.id, ids) && checkIds(o.refObjId, c.refObjId, ids);
  }
}

/**
 * The kernel's `bpf_idmap`: pairs of (old id, current id) seen so far in one comparison. Reused
 * across comparisons (reset by {@link resetIds}) so that comparing states allocates nothing.
 */
interface IdMap {
  old: number[];
  cur: number[];
  count: number;
  /** `tmp_id_gen`: fresh ids for scalars without one (start above every real id). */
  tmpGen: number;
  /** `RANGE_WITHIN`: imprecise scalars are compared too. */
  rangeWithin: boolean;
}

const scratchIds: IdMap = { old: [], cur: [], count: 0, tmpGen: 0, rangeWithin: false };

function resetIds(idGen = 0, rangeWithin = false): IdMap {
  scratchIds.count = 0;
  scratchIds.tmpGen = idGen;
  scratchIds.rangeWithin = rangeWithin;
  return scratchIds;
}

/** `check_scalar_ids`: like {@link checkIds}, a missing id standing for a fresh one. */
function checkScalarIds(oldId: number, curId: number, ids: IdMap): boolean {
  return checkIds(oldId !== 0 ? oldId : ++ids.tmpGen, curId !== 0 ? curId : ++ids.tmpGen, ids);
}

/** `is_stack_all_misc` for a privileged loader: every byte MISC or INVALID. */
function allMisc(s: StackSlot | undefined): boolean {
  if (s === undefined) return true;
  for (let i = 0; i < 8; i++) if (s.types[i] !== StackByte.MISC && s.types[i] !== StackByte.INVALID) return false;
  return true;
}

function isSpilledScalar64(s: StackSlot | undefined): boolean {
  if (s === undefined || s.spilled.type !== 'scalar') return false;
  for (let i = 0; i < 8; i++) if (s.types[i] !== StackByte.SPILL) return false;
  return true;
}

/** `unbound_reg`: what an all-MISC slot holds when compared with a spilled scalar. */
const UNBOUND: RegState = unboundScalar();
function unboundScalar(): RegState {
  const r = notInit();
  markUnknown(r);
  return r;
}

function checkIds(oldId: number, curId: number, ids: IdMap): boolean {
  if (oldId === 0) return curId === 0;
  if (curId === 0) return false;
  for (let i = 0; i < ids.count; i++) if (ids.old[i] === oldId) return ids.cur[i] === curId;
  ids.old[ids.count] = oldId;
  ids.cur[ids.count] = curId;
  ids.count++;
  return true;
}

function stackSafe(o: FrameState, c: FrameState, exact: boolean, ids: IdMap, liveStack: bigint): boolean {
  const liveLo = Number(BigInt.asIntN(32, liveStack)) | 0;
  const liveHi = Number(BigInt.asIntN(32, liveStack >> 32n)) | 0;
  for (let spi = 0; spi < o.stack.length; spi++) {
    if (!exact && ((spi < 32 ? liveLo >>> spi : liveHi >>> (spi - 32)) & 1) === 0) continue;
    const os = o.stack[spi];
    const cs = c.stack[spi];
    // 64-bit scalar spill versus an all-MISC slot, either way round (`scalar_reg_for_stack`).
    if (!exact && os.types[7] !== StackByte.INVALID && os.types[7] !== StackByte.MISC) {
      const or = isSpilledScalar64(os) ? os.spilled : allMisc(os) ? UNBOUND : null;
      const cr = isSpilledScalar64(cs) ? cs!.spilled : cs !== undefined && allMisc(cs) ? UNBOUND : null;
      if (or !== null && cr !== null && (or === os.spilled || cr === cs!.spilled)) {
        if (!regSafe(or, cr, false, ids)) return false;
        continue;
      }
    }
    for (let i = 0; i < 8; i++) {
      const ot = os.types[i];
      const ct = cs === undefined ? StackByte.INVALID : cs.types[i];
      if (exact) {
        if (ot !== ct) return false;
        continue;
      }
      if (ot === StackByte.INVALID || ot === StackByte.MISC) continue;
      if (cs === undefined) return false;
      if (ot === StackByte.ZERO) {
        if (ct !== StackByte.ZERO && !(ct === StackByte.SPILL && cs.spilled.type === 'scalar' && cs.spilled.varOff.mask === 0n && cs.spilled.varOff.value === 0n)) return false;
        continue;
      }
      if (ct !== ot) return false;
    }
    if (os.types[7] === StackByte.SPILL) {
      if (cs === undefined || !regSafe(os.spilled, cs.spilled, exact, ids)) return false;
    }
    // STACK_ITER: same state and reference; the depth does not count (it only feeds the loop check).
    if (os.types[7] === StackByte.ITER && (cs === undefined || os.spilled.range !== cs.spilled.range || !checkIds(os.spilled.refObjId, cs.spilled.refObjId, ids))) return false;
  }
  if (exact && c.stack.length !== o.stack.length) {
    for (let spi = o.stack.length; spi < c.stack.length; spi++) {
      for (let i = 0; i < 8; i++) if (c.stack[spi].types[i] !== StackByte.INVALID) return false;
    }
  }
  return true;
}

/**
 * Whether `old` covers `cur` (`exact`: they are the same state). Unless `exact`, only the
 * registers in `live` (one mask per frame, outermost first) and, in the innermost frame, the
 * `liveStack` slots count.
 */
export function statesEqual(old: VerifierState, cur: VerifierState, live: readonly number[] | null, liveStack: bigint, exact: boolean, idGen = 0, rangeWithin = false): boolean {
  if (old.callers.length !== cur.callers.length || old.activeRcuLock !== cur.activeRcuLock) return false;
  const ids = resetIds(idGen, rangeWithin);
  if (!refsSafe(old.refs, cur.refs, (o, c) => checkIds(o, c, ids))) return false;
  // Caller frames: same call sites; compared in full (their liveness is not tracked).
  for (let f = 0; f < old.callers.length; f++) {
    const o = old.callers[f];
    const c = cur.callers[f];
    if (o.callsite !== c.callsite || o.callbackDepth > c.callbackDepth) return false;
    const mask = live === null ? 0x7ff : live[f];
    for (let r = 0; r <= 10; r++) {
      if (!exact && (mask & (1 << r)) === 0) continue;
      if (!regSafe(o.regs[r], c.regs[r], exact, ids)) return false;
    }
    if (!stackSafe(o, c, exact, ids, -1n)) return false;
  }
  if (old.callsite !== cur.callsite || old.callbackDepth > cur.callbackDepth) return false;
  const mask = live === null ? 0x7ff : live[live.length - 1];
  for (let r = 0; r <= 10; r++) {
    if (!exact && (mask & (1 << r)) === 0) continue;
    if (!regSafe(old.regs[r], cur.regs[r], exact, ids)) return false;
  }
  return stackSafe(old, cur, exact, ids, liveStack);
}

/** `states_maybe_looping`: every register identical (the cheap pre-check of the loop test). */
export function statesMaybeLooping(old: VerifierState, cur: VerifierState): boolean {
  if (old.callers.length !== cur.callers.length) return false;
  for (let r = 0; r <= 10; r++) if (!regEqual(old.regs[r], cur.regs[r]) || old.regs[r].id !== cur.regs[r].id || old.regs[r].refObjId !== cur.regs[r].refObjId) return false;
  return true;
}

/**
 * `maybe_widen_reg` over two states (`widen_imprecise_scalars`): every scalar of `cur` that is
 * not identical to the same register or spilled slot of `old` becomes unknown. Used on the
 * queued fall-through of `may_goto` (and iterator/callback loops) so that loop iterations
 * converge.
 */
export function widenImpreciseScalars(old: VerifierState, cur: VerifierState): void {
  const ids = resetIds();
  for (let f = old.callers.length; f >= 0; f--) {
    const fo: FrameState = f < old.callers.length ? old.callers[f] : old;
    const fc: FrameState = f < cur.callers.length ? cur.callers[f] : cur;
    for (let r = 0; r <= 10; r++) widenReg(fo.regs[r], fc.regs[r], ids);
    const slots = Math.min(fo.stack.length, fc.stack.length);
    for (let spi = 0; spi < slots; spi++) {
      if (fo.stack[spi].types[7] !== StackByte.SPILL || fc.stack[spi].types[7] !== StackByte.SPILL) continue;
      widenReg(fo.stack[spi].spilled, fc.stack[spi].spilled, ids);
    }
  }
}

function widenReg(o: RegState, c: RegState, ids: IdMap): void {
  if (o.type !== 'scalar' || c.type !== 'scalar') return;
  if (o.precise || c.precise || (regEqual(o, c) && checkIds(o.id, c.id, ids))) return;
  markUnknown(c);
}
