/**
 * Scalar ids that link copies of one unknown value (`assign_scalar_id_before_mov` in
 * kernel/bpf/verifier.c): after `r2 = r1` a bound learned on either applies to both.
 * @module
 */

import { hasAddConst, type RegState } from './register-state.js';
import { tnumIsConst } from './tnum.js';
import type { VerifierEnv } from './verifier-env.js';

/** `assign_scalar_id_before_mov`: gives an unknown scalar an id so copies stay linked. */
export function assignScalarId(env: VerifierEnv, r: RegState): void {
  if (r.type !== 'scalar') return;
  if (hasAddConst(r.id)) {
    r.id = 0;
    r.off = 0;
  }
  if (r.id === 0 && !tnumIsConst(r.varOff)) r.id = ++env.idGen;
}

