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

function useDef(s: Slot): { use: number; def: number } {
  const cls = s.code & 7;
  const bit = (r: number) => (r <= 10 ? 1 << r : 0);
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
      return { use: bit(6) | ((s.code & 0xe0) === 0x40 ? bit(s.src) : 0), def: CALLER_SAVED };
    default: {
      const op = s.code & 0xf0;
      if (op === 0x00 || op === 0xe0) return { use: 0, def: 0 };
      if (op === 0x90) return { use: 1, def: 0 };
      if (op === 0x80) {
        if (s.src === 0) {
          const h = helperById(s.imm);
          const n = h?.args.length ?? 5;
          return { use: ((1 << n) - 1) << 1, def: CALLER_SAVED };
        }
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

/** Bit masks (bit r = Rr) of the registers live before each slot; R10 is always live. */
export function liveRegisters(slots: readonly Slot[]): Uint16Array {
  const n = slots.length;
  const live = new Uint16Array(n);
  const ud = slots.map(useDef);
  const succ = slots.map((_, i) => successors(slots, i).filter((j) => j >= 0 && j < n));
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let out = 0;
      for (const j of succ[i]) out |= live[j];
      const v = (ud[i].use | (out & ~ud[i].def) | (1 << 10)) & 0x7ff;
      if (v !== live[i]) {
        live[i] = v;
        changed = true;
      }
    }
  }
  return live;
}
