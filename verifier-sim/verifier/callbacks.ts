/**
 * Callbacks: subprograms whose address a program passes to a helper that calls them
 * (`bpf_loop`, `bpf_for_each_map_elem`), as Linux 6.18 verifies them (kernel/bpf/verifier.c):
 * `ld_imm64` with `BPF_PSEUDO_FUNC` gives a `PTR_TO_FUNC` (only with BTF func_info, and only to a
 * static function); the helper call queues a visit of the callback in a new frame
 * (`push_callback_call` with `set_loop_callback_state` / `set_map_elem_callback_state`) and
 * continues after the call; the callback's exit checks R0 against [0, 1] and returns to the
 * call instruction itself, which is checked again, so the callback is explored once more per
 * visit until the state at the call converges (a `RANGE_WITHIN` hit on the checkpoint that the
 * call forces) or, for `bpf_loop`, the caller frame's `callback_depth` reaches the loop count's
 * upper bound.
 * @module
 */

import { markChainPrecision } from './precision.js';
import { copyReg, notInit, type RegState } from './register-state.js';
import { markKnown, markUnknown } from './scalar-bounds.js';
import type { Slot } from './program-slots.js';
import { widenImpreciseScalars } from './state-equivalence.js';
import { linkageAt } from './func-info.js';
import type { VerifierEnv } from './verifier-env.js';
import { RejectError } from './verifier-error.js';
import { callerFrame, copyState, enterFrame, zeroBounds, type Checkpoint, type VerifierState } from './verifier-state.js';

/** Helper ids of the synchronous callback-calling helpers (`is_sync_callback_calling_function`). */
const SYNC_CALLBACK_HELPERS: ReadonlySet<number> = new Set([
  164, // bpf_for_each_map_elem
  180, // bpf_find_vma
  181, // bpf_loop
  209, // bpf_user_ringbuf_drain
]);

/** `BPF_FUNC_loop`. */
const HELPER_LOOP = 181;
/** `BPF_FUNC_for_each_map_elem`. */
const HELPER_FOR_EACH_MAP_ELEM = 164;
/** `MAX_CALL_FRAMES`. */
const MAX_CALL_FRAMES = 8;
/** Map types whose ops have `map_set_for_each_callback_args` (arraymap.c, hashtab.c). */
const FOR_EACH_MAP_TYPES: ReadonlySet<string> = new Set(['array', 'percpu_array', 'hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash']);

/** The range a callback's R0 must be in at its exit (`callback_ret_range`). */
export interface CallbackRange {
  /** Smallest allowed value. */
  readonly min: bigint;
  /** Largest allowed value. */
  readonly max: bigint;
}

/** `retval_range(0, 1)`: what `bpf_loop` and `bpf_for_each_map_elem` callbacks may return. */
const ZERO_OR_ONE: CallbackRange = { min: 0n, max: 1n };

function reject(env: VerifierEnv, msg: string): never {
  throw new RejectError(msg, env.insnIdx);
}

/**
 * Whether `s` calls a helper that calls a callback synchronously (`is_sync_callback_calling_insn`):
 * such a call is a prune point with a forced checkpoint (`mark_calls_callback`).
 */
export function isSyncCallbackCall(s: Slot): boolean {
  return s.code === 0x85 && s.src === 0 && SYNC_CALLBACK_HELPERS.has(s.imm);
}

/**
 * `ld_imm64 dst, <subprog>` (`BPF_PSEUDO_FUNC`): `dst` becomes a `PTR_TO_FUNC` to the subprogram
 * (its first slot kept in `map`). Needs BTF func_info and a static function, as the kernel does.
 */
export function checkPseudoFuncLoad(env: VerifierEnv, slot: Slot, dst: RegState): void {
  const start = env.insnIdx + slot.imm + 1;
  const linkage = linkageAt(env.funcInfo, start);
  if (linkage === null) reject(env, 'missing btf func_info');
  if (linkage !== 'static') reject(env, 'callback function not static');
  markKnown(dst, 0n);
  zeroBounds(dst);
  dst.type = 'func';
  dst.map = start;
}

/** `ARG_PTR_TO_FUNC` (`check_reg_type` with `func_ptr_types`). */
export function checkFuncPointerArg(env: VerifierEnv, regno: number, reg: RegState, typeName: string): void {
  if (reg.type !== 'func' || reg.maybeNull) reject(env, `R${regno} type=${typeName} expected=func`);
}

/** `bpf_loop` calls whose `loop_inline_state` was initialised, per run. */
const loopInlineSeen = new WeakMap<VerifierEnv, Set<number>>();

/**
 * The callback part of `check_helper_call` for a callback-calling helper, after its arguments
 * were checked and before the caller-saved registers are cleared: queues a visit of the
 * callback (`bpf_loop` only while the caller frame's `callback_depth` is below R1's upper
 * bound). `mapType` is the map argument's type for `bpf_for_each_map_elem`.
 */
export function pushCallbackCall(env: VerifierEnv, helperId: number, mapType: string | null): void {
  if (!SYNC_CALLBACK_HELPERS.has(helperId)) return;
  const cur = env.cur;
  if (helperId === HELPER_LOOP) {
    // update_loop_inline_state: the first visit checks whether the flags (R4) are zero.
    let seen = loopInlineSeen.get(env);
    if (seen === undefined) {
      seen = new Set();
      loopInlineSeen.set(env, seen);
    }
    if (!seen.has(env.insnIdx)) {
      seen.add(env.insnIdx);
      const r4 = cur.regs[4];
      if (r4.type === 'scalar' && r4.varOff.mask === 0n && r4.varOff.value === 0n) markChainPrecision(env, 4);
    }
    // The iteration count decides when the visits stop.
    markChainPrecision(env, 1);
    if (BigInt(cur.callbackDepth) >= cur.regs[1].umax) {
      cur.callbackDepth = 0;
      if (env.log.level >= 2) env.log.write(`frame${cur.callers.length} bpf_loop iteration limit reached\n`);
      return;
    }
  } else if (helperId !== HELPER_FOR_EACH_MAP_ELEM) {
    reject(env, `callbacks of helper #${helperId} are not simulated`);
  }
  const start = cur.regs[2].map;
  const idx = env.insnIdx;
  // push_stack: the callback's path starts from a copy of the state at the call.
  const st = copyState(cur);
  env.pending.push({ state: st, insn: start, prevInsn: idx, logPos: env.log.position });
  if (st.parent !== null) st.parent.branches++;
  const depth = st.callers.length;
  if (depth + 1 >= MAX_CALL_FRAMES) reject(env, `the call stack of ${depth + 2} frames is too deep`);
  const caller = callerFrame(st);
  const regs: RegState[] = [];
  for (let i = 0; i <= 10; i++) regs.push(notInit());
  // Set field by field: a spread would give this register a hidden class of its own.
  regs[10].type = 'fp';
  regs[10].frameno = depth + 1;
  zeroBounds(regs[10]);
  if (helperId === HELPER_LOOP) {
    // set_loop_callback_state: callback_fn(u64 index, void *callback_ctx).
    markUnknown(regs[1]);
    regs[2] = copyReg(caller.regs[3]);
  } else {
    // set_map_elem_callback_state: callback_fn(map, key, value, callback_ctx).
    if (mapType === null || !FOR_EACH_MAP_TYPES.has(mapType)) reject(env, 'callback function not allowed for map');
    const map = caller.regs[1].map;
    regs[1] = copyReg(caller.regs[1]);
    for (const [r, type] of [[2, 'map_key'], [3, 'map_value']] as const) {
      markKnown(regs[r], 0n);
      zeroBounds(regs[r]);
      regs[r].type = type;
      regs[r].map = map;
    }
    regs[4] = copyReg(caller.regs[3]);
  }
  enterFrame(st, caller, regs, idx, ZERO_OR_ONE);
  st.callbackUnrollDepth++;
  caller.callbackDepth++;
  cur.callbackDepth = 0;
}

/**
 * The callback part of `prepare_func_exit`, before the frame is popped: R0 must be a scalar
 * within the callback's range (`verbose_invalid_scalar` wording).
 */
export function checkCallbackReturn(env: VerifierEnv, range: CallbackRange): void {
  const r0 = env.cur.regs[0];
  if (r0.type !== 'scalar') reject(env, 'R0 not a scalar value');
  markChainPrecision(env, 0);
  if (range.min <= r0.smin && r0.smax <= range.max) return;
  let msg = 'At callback return the register R0 has';
  let unknown = true;
  if (r0.smin > -(1n << 63n)) {
    msg += ` smin=${r0.smin}`;
    unknown = false;
  }
  if (r0.smax < (1n << 63n) - 1n) {
    msg += ` smax=${r0.smax}`;
    unknown = false;
  }
  if (unknown) msg += ' unknown scalar value';
  reject(env, `${msg} should have been in [${range.min}, ${range.max}]`);
}

function sameCallsites(a: VerifierState, b: VerifierState): boolean {
  if (a.callers.length !== b.callers.length || a.callsite !== b.callsite) return false;
  for (let f = 0; f < a.callers.length; f++) if (a.callers[f].callsite !== b.callers[f].callsite) return false;
  return true;
}

/** `find_prev_entry`: the checkpoint of an earlier visit of `idx` still on the current path. */
function findPrevEntry(env: VerifierEnv, cur: VerifierState, idx: number): Checkpoint | null {
  const bucket = ((idx ^ cur.callsite) >>> 0) % env.slots.length;
  for (const sl of env.explored[bucket] ?? []) {
    if (sl.insn === idx && sl.branches > 0 && sameCallsites(sl.state, cur) && sl.state.dfsDepth < cur.dfsDepth) return sl;
  }
  return null;
}

/**
 * After a callback's frame is popped (back at the call instruction `callsite`): scalars that
 * differ from the previous visit's checkpoint at the call are widened, so that callback
 * iterations converge (`widen_imprecise_scalars`).
 */
export function widenAfterCallback(env: VerifierEnv, callsite: number): void {
  const prev = findPrevEntry(env, env.cur, callsite);
  if (prev !== null) widenImpreciseScalars(prev.state, env.cur);
}
