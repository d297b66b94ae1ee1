/**
 * Acquired references (`acquire_reference`, `release_reference`, `check_reference_leak` and
 * `refsafe` in kernel/bpf/verifier.c): a helper such as `bpf_ringbuf_reserve` hands out a
 * pointer holding a fresh reference id (`ref_obj_id`); releasing it (`bpf_ringbuf_submit`,
 * `bpf_ringbuf_discard`) turns every copy of the pointer, in registers and stack spills of all
 * frames, into an unknown scalar; the main program may not exit (nor tail-call) while a
 * reference is held. The references live in the verifier state (not per frame), as in 6.18.
 * @module
 */

import type { RegState } from './register-state.js';
import { markUnknown } from './scalar-bounds.js';
import { StackByte } from './stack-state.js';
import type { VerifierEnv } from './verifier-env.js';
import { RejectError } from './verifier-error.js';
import type { AcquiredRef, VerifierState } from './verifier-state.js';

/** Every register and spilled register of every frame of `s` (`bpf_for_each_reg_in_vstate`). */
function everyReg(s: VerifierState): RegState[] {
  const out: RegState[] = [];
  for (let f = 0; f <= s.callers.length; f++) {
    const frame = f < s.callers.length ? s.callers[f] : s;
    for (let r = 0; r < 11; r++) out.push(frame.regs[r]);
    for (const slot of frame.stack) if (slot.types[7] === StackByte.SPILL) out.push(slot.spilled);
  }
  return out;
}

/** `acquire_reference`: records a new reference acquired at the current instruction; returns its id. */
export function acquireReference(env: VerifierEnv): number {
  const id = ++env.idGen;
  env.cur.refs = [...env.cur.refs, { id, insn: env.insnIdx }];
  return id;
}

/** `release_reference_nomark`: forgets reference `id` without touching registers; false if not held. */
export function releaseReferenceNoMark(s: VerifierState, id: number): boolean {
  const i = s.refs.findIndex((r) => r.id === id);
  if (i < 0) return false;
  s.refs = [...s.refs.slice(0, i), ...s.refs.slice(i + 1)];
  return true;
}

/** `release_reference`: forgets reference `id` and invalidates every pointer holding it; false if not held. */
export function releaseReference(s: VerifierState, id: number): boolean {
  if (!releaseReferenceNoMark(s, id)) return false;
  for (const r of everyReg(s)) if (r.refObjId === id) markUnknown(r);
  return true;
}

/**
 * `check_resource_leak` for the main program: rejects with one `Unreleased reference` line per
 * held reference, then `<prefix> would lead to reference leak`. Inside a subprogram (frame > 0)
 * the kernel does not check (the references stay with the state and are checked at the main
 * program's exit).
 */
export function checkReferenceLeak(env: VerifierEnv, prefix: string): void {
  const s = env.cur;
  if (s.callers.length > 0) return;
  if (s.refs.length > 0) {
    const lines = s.refs.map((r) => `Unreleased reference id=${r.id} alloc_insn=${r.insn}`);
    throw new RejectError(lines[0], env.insnIdx, [...lines.slice(1), `${prefix} would lead to reference leak`]);
  }
  if (s.activeRcuLock) throw new RejectError(`${prefix} cannot be used inside bpf_rcu_read_lock-ed region`, env.insnIdx);
}

/** The ` refs=2,5` tail `print_verifier_state` appends when references are held, then ` cb` when `frame` is a callback's (`in_callback_fn`). */
export function formatRefs(refs: readonly AcquiredRef[], frame: { readonly callbackRange: unknown } | null = null): string {
  const cb = frame !== null && frame.callbackRange !== null ? ' cb' : '';
  return (refs.length === 0 ? '' : ` refs=${refs.map((r) => r.id).join(',')}`) + cb;
}

/** `refsafe`: the same number of references, their ids consistently mapped by `checkIds`. */
export function refsSafe(old: readonly AcquiredRef[], cur: readonly AcquiredRef[], checkIds: (o: number, c: number) => boolean): boolean {
  if (old.length !== cur.length) return false;
  for (let i = 0; i < old.length; i++) if (!checkIds(old[i].id, cur[i].id)) return false;
  return true;
}
