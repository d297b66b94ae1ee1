/**
 * Register operand checks (`check_reg_arg` in kernel/bpf/verifier.c): a source must be
 * initialised (`R%d !read_ok`), a destination must not be the frame pointer (`frame pointer
 * is read only`), and register numbers above 10 are invalid (`R%d is invalid`).
 * @module
 */

import { scratchReg, type VerifierEnv } from './verifier-env.js';
import { RejectError } from './verifier-error.js';

/** Checks that register `regno` may be read. */
export function checkReadable(env: VerifierEnv, regno: number): void {
  if (regno >= 11) throw new RejectError(`R${regno} is invalid`, env.insnIdx);
  scratchReg(env, regno);
  if (env.cur.regs[regno].type === 'not_init') throw new RejectError(`R${regno} !read_ok`, env.insnIdx);
}

/** Checks that register `regno` may be written (the caller sets its new value). */
export function checkWritable(env: VerifierEnv, regno: number): void {
  if (regno >= 11) throw new RejectError(`R${regno} is invalid`, env.insnIdx);
  scratchReg(env, regno);
  if (regno === 10) throw new RejectError('frame pointer is read only', env.insnIdx);
}
