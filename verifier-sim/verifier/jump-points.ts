/**
 * Jump points (`mark_jmp_point` in `check_cfg`, kernel/bpf/verifier.c): instructions a path
 * may reach other than from the instruction before them — jump targets, the instruction after
 * every call (subprogram exits return there), subprogram and callback entries, and calls that
 * invoke callbacks. Each visit of one is recorded in the state's jump history, which
 * precision backtracking follows.
 * @module
 */

import { isSyncCallbackCall } from './callbacks.js';
import type { Slot } from './program-slots.js';

/** One byte per slot: 1 at a jump point. */
export function computeJmpPoints(slots: readonly Slot[]): Uint8Array {
  const points = new Uint8Array(slots.length);
  const mark = (i: number): void => {
    if (i >= 0 && i < slots.length) points[i] = 1;
  };
  for (let t = 0; t < slots.length; t++) {
    const s = slots[t];
    const cls = s.code & 7;
    if (s.code === 0x18) {
      // ld_imm64 of a subprogram (BPF_PSEUDO_FUNC) is visited like a call.
      if (s.src === 4) {
        mark(t + 2);
        mark(t + s.imm + 1);
      }
      t++;
      continue;
    }
    if (cls !== 0x05 && cls !== 0x06) continue;
    const op = s.code & 0xf0;
    if (op === 0x90) continue;
    if (op === 0x80) {
      mark(t + 1);
      if (s.src === 1) mark(t + s.imm + 1);
      if (isSyncCallbackCall(s)) mark(t);
      continue;
    }
    if (op === 0x00) {
      mark(t + (cls === 0x05 ? s.off : s.imm) + 1);
      continue;
    }
    mark(t + s.off + 1);
  }
  return points;
}
