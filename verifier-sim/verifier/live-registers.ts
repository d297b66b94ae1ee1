/**
 * Which registers are live (read before being written on some path) before each
 * instruction: a backward data-flow pass over the control-flow graph, like the kernel's
 * `compute_live_registers()`. Pruning compares only live registers, as the kernel does after
 * `clean_live_states()` marks dead ones NOT_INIT.
 * @module
 */

import { helperById } from 'ebpf-bytecode-utils';
import { isLdImm64, type Slot } from './program-slots.js';

const CALLER_SAVED = 0b111111; // r0-r5

/** The mask bit of register `r` (0 for invalid register numbers). */
function bit(r: number): number {
  return r <= 10 ? 1 << r : 0;
}

function useDef(s: Slot, progType: string | null, kfuncParams?: (imm: number) => number | undefined): { use: number; def: number } {
  const cls = s.code & 7;
  switch (cls) {
    case 0x04:
    case 0x07: {
      const op = s.code & 0xf0;
      const x = (s.code & 0x08) !== 0;
      if (op === 0xb0) return { use: x ? bit(s.src) : 0, def: bit(s.dst) };
      if (op === 0x80 || op === 0xd0) return { use: bit(s.dst), def: bit(s.dst) };
      return { use: bit(s.dst) | (x ? bit(s.src) : 0), def: bit(s.dst) };
    }
    case 0x01:
      return { use: bit(s.src), def: bit(s.dst) };
    case 0x02:
      return { use: bit(s.dst), def: 0 };
    case 0x03: {
      if ((s.code & 0xe0) !== 0xc0) return { use: bit(s.dst) | bit(s.src), def: 0 };
      if (s.imm === 0x100) return { use: bit(s.src), def: bit(s.dst) };
      if (s.imm === 0xf1) return { use: bit(s.dst) | bit(s.src) | 1, def: 1 };
      const fetch = (s.imm & 1) !== 0;
      return { use: bit(s.dst) | bit(s.src), def: fetch ? bit(s.src) : 0 };
    }
    case 0x00:
      if (isLdImm64(s)) return { use: 0, def: bit(s.dst) };
      // LD_ABS / LD_IND: the kernel keeps its defaults, every register used and none defined.
      return { use: 0x7ff, def: 0 };
    default: {
      const op = s.code & 0xf0;
      if (op === 0x00 || op === 0xe0) return { use: 0, def: 0 };
      if (op === 0x90) return { use: 1, def: 0 };
      if (op === 0x80) {
        if (s.src === 0) {
          // A helper the program type cannot call has no prototype: all five argument registers.
          const h = helperById(s.imm);
          const n = h !== undefined && (progType === null || h.programTypes.includes(progType)) ? h.args.length : 5;
          return { use: ((1 << n) - 1) << 1, def: CALLER_SAVED };
        }
        // A kfunc the program may call: its parameters (`get_call_summary`); else all five.
        const k = s.src === 2 ? kfuncParams?.(s.imm) : undefined;
        if (k !== undefined) return { use: ((1 << k) - 1) << 1, def: CALLER_SAVED };
        return { use: 0b111110, def: CALLER_SAVED };
      }
      return { use: bit(s.dst) | ((s.code & 0x08) !== 0 ? bit(s.src) : 0), def: 0 };
    }
  }
}

function successors(slots: readonly Slot[], i: number): number[] {
  const s = slots[i];
  const cls = s.code & 7;
  if (cls !== 0x05 && cls !== 0x06) return [i + (isLdImm64(s) ? 2 : 1)];
  const op = s.code & 0xf0;
  if (op === 0x90) return [];
  if (op === 0x80) return [i + 1];
  if (op === 0x00) return [i + (s.code === 0x06 ? s.imm : s.off) + 1];
  return [i + 1, i + s.off + 1];
}

/**
 * Bit masks (bit r = Rr) of the registers live before each slot; R10 is always live.
 * `progType` (the kernel's name) decides which helpers have a prototype; null: all of them.
 * `kfuncParams` gives the parameter count of a kfunc call's target (by `imm`) when the program
 * may call it; other kfunc calls use R1–R5.
 */
export function liveRegisters(slots: readonly Slot[], progType: string | null = null, kfuncParams?: (imm: number) => number | undefined): Uint16Array {
  const n = slots.length;
  const live = new Uint16Array(n);
  const use = new Uint16Array(n);
  const def = new Uint16Array(n);
  // Up to two successors per slot (-1: none).
  const succ = new Int32Array(2 * n).fill(-1);
  for (let i = 0; i < n; i++) {
    const ud = useDef(slots[i], progType, kfuncParams);
    use[i] = ud.use;
    def[i] = ud.def;
    let k = 0;
    for (const j of successors(slots, i)) if (j >= 0 && j < n) succ[2 * i + k++] = j;
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      const a = succ[2 * i];
      const b = succ[2 * i + 1];
      const out = (a >= 0 ? live[a] : 0) | (b >= 0 ? live[b] : 0);
      const v = (use[i] | (out & ~def[i]) | (1 << 10)) & 0x7ff;
      if (v !== live[i]) {
        live[i] = v;
        changed = true;
      }
    }
  }
  return live;
}
