/**
 * Register allocation by linear scan over live ranges. Variables live in the callee-saved
 * registers R6–R9, which helper calls preserve; R0–R5 stay free for expression temporaries and
 * helper arguments (R1–R5 are clobbered by every call, R0 receives its result). When more than
 * four variables are live at once, the one whose range ends last is spilled to an 8-byte stack
 * slot. A range that ends where another begins hands its register over, so `$.let(u64, t)` of a
 * dead temporary `t` costs no move.
 * @module
 */

import { R6, R7, R8, R9, type Register } from 'ebpf-bytecode-utils';
import type { LiveRange } from './liveness.js';

/** Where a variable lives: a register, or a stack slot at `r10 + offset`. */
export type Location = { readonly reg: Register } | { readonly slot: number };

/** The result of allocation. */
export interface Allocation {
  /** Location of each used variable, by id. */
  readonly locations: ReadonlyMap<number, Location>;
  /** Bytes of stack the spill slots take (from r10 - 8 downwards). */
  readonly spillBytes: number;
}

/** Registers variables are allocated to. */
export const VAR_REGISTERS: readonly Register[] = [R6, R7, R8, R9];

/** Allocates locations for the used variables of `ranges`. */
export function allocate(ranges: ReadonlyMap<number, LiveRange>, registers: readonly Register[] = VAR_REGISTERS): Allocation {
  const live = [...ranges.values()].filter((r) => r.used).sort((a, b) => a.def - b.def || a.v.id - b.v.id);
  const locations = new Map<number, Location>();
  const freeRegs = [...registers];
  // A freed slot remembers when it was freed: a variable spilled retroactively (from its
  // definition on) may only take a slot free since then.
  const freeSlots: { slot: number; freeAt: number }[] = [];
  let spillBytes = 0;
  const active: LiveRange[] = [];

  const release = (r: LiveRange) => {
    const loc = locations.get(r.v.id)!;
    if ('reg' in loc) freeRegs.push(loc.reg);
    else freeSlots.push({ slot: loc.slot, freeAt: r.lastUse });
  };
  const slot = (from: number) => {
    const i = freeSlots.findIndex((f) => f.freeAt <= from);
    if (i >= 0) return freeSlots.splice(i, 1)[0].slot;
    spillBytes += 8;
    return -spillBytes;
  };

  for (const cur of live) {
    // Expire ranges that end at or before this definition (their register can be reused here).
    for (let i = active.length - 1; i >= 0; i--) {
      if (active[i].lastUse <= cur.def) {
        release(active[i]);
        active.splice(i, 1);
      }
    }
    freeRegs.sort((a, b) => a - b);
    const reg = freeRegs.shift();
    if (reg !== undefined) {
      locations.set(cur.v.id, { reg });
      active.push(cur);
      continue;
    }
    // No register: spill whichever of the active ranges and this one ends last.
    let victim = cur;
    for (const a of active) {
      const loc = locations.get(a.v.id)!;
      if ('reg' in loc && a.lastUse > victim.lastUse) victim = a;
    }
    if (victim === cur) {
      locations.set(cur.v.id, { slot: slot(cur.def) });
    } else {
      const loc = locations.get(victim.v.id) as { reg: Register };
      locations.set(victim.v.id, { slot: slot(victim.def) });
      locations.set(cur.v.id, { reg: loc.reg });
    }
    active.push(cur);
  }
  return { locations, spillBytes };
}
