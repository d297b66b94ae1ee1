/**
 * `exit` from the main program (`process_bpf_exit_full` → `check_return_code` in
 * kernel/bpf/verifier.c): R0 must be initialised, and for program types whose return value the
 * kernel interprets it must be a scalar within the allowed range:
 * `At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]`.
 * @module
 */

import { markChainPrecision } from './precision.js';
import { checkReadable } from './register-access.js';
import { regTypeName } from './register-state.js';
import { S64_MAX, S64_MIN } from './register-state.js';
import type { VerifierEnv } from './verifier-env.js';
import { RejectError } from './verifier-error.js';

/** The return value range enforced for `progType`, or null when any value is allowed. */
export function returnRange(progType: string, attachType: number | null): [number, number] | null {
  switch (progType) {
    case 'cgroup_skb':
      return attachType === 1 ? [0, 3] : [0, 1];
    case 'cgroup_sock':
    case 'sock_ops':
    case 'cgroup_device':
    case 'cgroup_sysctl':
    case 'cgroup_sockopt':
    case 'cgroup_sock_addr':
    case 'sk_lookup':
    case 'netfilter':
      return [0, 1];
    default:
      return null;
  }
}

/** Checks R0 at the main program's `exit`. */
export function checkReturnCode(env: VerifierEnv): void {
  checkReadable(env, 0);
  const range = returnRange(env.progType, env.attachType);
  if (range === null) return;
  const r0 = env.cur.regs[0];
  if (r0.type !== 'scalar') throw new RejectError(`At program exit the register R0 is not a known value (${regTypeName(r0)})`, env.insnIdx);
  markChainPrecision(env, 0);
  const [lo, hi] = range;
  if (r0.smin >= BigInt(lo) && r0.smax <= BigInt(hi)) return;
  let text = 'At program exit the register R0 has';
  let unknown = true;
  if (r0.smin > S64_MIN) {
    text += ` smin=${r0.smin}`;
    unknown = false;
  }
  if (r0.smax < S64_MAX) {
    text += ` smax=${r0.smax}`;
    unknown = false;
  }
  if (unknown) text += ' unknown scalar value';
  text += ` should have been in [${lo}, ${hi}]`;
  throw new RejectError(text, env.insnIdx);
}
