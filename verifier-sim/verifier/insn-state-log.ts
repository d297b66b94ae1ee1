/**
 * The state tail of verifier-log instruction lines (`print_insn_state` in
 * kernel/bpf/verifier.c): the registers and stack slots touched since the last print, either
 * appended to the previous instruction line after padding (`0: (b7) r0 = 0    ; R0=0`) or on
 * a line of their own (`3: R0=0 R1=ctx() R10=fp0`).
 * @module
 */

import { formatRefs } from './references.js';
import { formatState } from './state-format.js';
import type { VerifierEnv } from './verifier-env.js';

/** `BPF_LOG_ALIGNMENT` and `BPF_LOG_MIN_ALIGNMENT`. */
const ALIGNMENT = 40;
const MIN_ALIGNMENT = 8;

function alignment(pos: number): number {
  const want = Math.max(pos + MIN_ALIGNMENT / 2, ALIGNMENT);
  return Math.ceil(want / MIN_ALIGNMENT) * MIN_ALIGNMENT - pos - 1;
}

/** Prints the touched part of the current state at log level ≥ 1 and clears the touch marks. */
export function printInsnState(env: VerifierEnv): void {
  const log = env.log;
  if (!log.enabled) return;
  if (env.prevLogPos !== 0 && env.prevLogPos === log.position) {
    log.reset(env.prevLogPos - 1);
    log.write(`${' '.repeat(alignment(env.prevInsnPrintPos))};`);
  } else {
    log.write(`${env.insnIdx}:`);
  }
  log.write(`${formatState(env.cur, env.maps, env.scratchedRegs, env.scratchedStack, env.cur.callers.length)}${formatRefs(env.cur.refs, env.cur)}\n`);
  env.scratchedRegs = 0;
  env.scratchedStack = 0n;
}

/** Whether anything was touched since the last print (`verifier_state_scratched`). */
export function stateScratched(env: VerifierEnv): boolean {
  return env.scratchedRegs !== 0 || env.scratchedStack !== 0n;
}
