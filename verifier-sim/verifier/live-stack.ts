/**
 * Which stack slots may still be read after each instruction: a conservative, static stand-in
 * for the kernel's stack liveness (kernel/bpf/liveness.c), which lets pruning ignore slots no
 * later instruction reads. A slot is read by a load or atomic through R10 at a constant
 * offset; once a frame-pointer-derived value is copied anywhere (`rX = r10`, spilled, …) every
 * slot counts as read from then on. Aligned 8-byte stores through R10 end a slot's liveness.
 * @module
 */

import { isLdImm64, type Slot } from './program-slots.js';

/** 64 slots of 8 bytes: the 512-byte stack. */
const ALL = (1n << 64n) - 1n;

function spiMask(off: number, size: number): bigint {
  let m = 0n;
  for (let b = off; b < off + size; b++) {
    if (b >= 0 || b < -512) continue;
    m |= 1n << BigInt(Math.floor((-b - 1) / 8));
  }
  return m;
}

function readsWrites(s: Slot): { read: bigint; kill: bigint } {
  const cls = s.code & 7;
  const size = [4, 2, 1, 8][(s.code >> 3) & 3];
  if (cls === 0x01 && s.src === 10) return { read: spiMask(s.off, size), kill: 0n };
  if (cls === 0x03 && (s.code & 0xe0) === 0xc0 && (s.dst === 10 || s.src === 10)) return { read: ALL, kill: 0n };
  if (cls === 0x03 && s.src === 10) return { read: ALL, kill: 0n };
  if ((cls === 0x03 || cls === 0x02) && s.dst === 10 && size === 8 && s.off % 8 === 0) return { read: 0n, kill: spiMask(s.off, 8) };
  if ((cls === 0x04 || cls === 0x07) && (s.code & 0x08) !== 0 && s.src === 10) return { read: ALL, kill: 0n };
  return { read: 0n, kill: 0n };
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

/** Bit masks (bit spi = slot fp-8*(spi+1)) of the stack slots live before each slot. */
export function liveStackSlots(slots: readonly Slot[]): bigint[] {
  const n = slots.length;
  const live: bigint[] = new Array<bigint>(n).fill(0n);
  const rw = slots.map(readsWrites);
  const succ = slots.map((_, i) => successors(slots, i).filter((j) => j >= 0 && j < n));
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let out = 0n;
      for (const j of succ[i]) out |= live[j];
      const v = rw[i].read | (out & ~rw[i].kill);
      if (v !== live[i]) {
        live[i] = v;
        changed = true;
      }
    }
  }
  return live;
}
