/**
 * Which stack slots may still be read after each instruction: a conservative, static stand-in
 * for the kernel's stack liveness (kernel/bpf/liveness.c), which lets pruning ignore slots no
 * later instruction reads. A slot is read by a load or atomic through R10 at a constant
 * offset; once a frame-pointer-derived value is copied anywhere (`rX = r10`, spilled, …) every
 * slot counts as read from then on. Aligned 8-byte stores through R10 end a slot's liveness.
 * @module
 */

import { isLdImm64, type Slot } from './program-slots.js';

/**
 * Per-slot read and kill masks, each split into the low (spi 0–31) and high (spi 32–63) halves
 * as 32-bit integers, so the fixpoint runs on numbers instead of bigints.
 */
interface StackEffects {
  readonly readLo: Int32Array;
  readonly readHi: Int32Array;
  readonly killLo: Int32Array;
  readonly killHi: Int32Array;
}

/** Sets, in `lo`/`hi` at `i`, the bits of the slots the bytes [off, off+size) below fp touch. */
function markSlots(lo: Int32Array, hi: Int32Array, i: number, off: number, size: number): void {
  for (let b = off; b < off + size; b++) {
    if (b >= 0 || b < -512) continue;
    const spi = Math.floor((-b - 1) / 8);
    if (spi < 32) lo[i] |= 1 << spi;
    else hi[i] |= 1 << (spi - 32);
  }
}

function recordEffects(s: Slot, i: number, e: StackEffects): void {
  const cls = s.code & 7;
  const size = [4, 2, 1, 8][(s.code >> 3) & 3];
  const readsAll =
    (cls === 0x03 && (s.code & 0xe0) === 0xc0 && (s.dst === 10 || s.src === 10)) ||
    (cls === 0x03 && s.src === 10) ||
    ((cls === 0x04 || cls === 0x07) && (s.code & 0x08) !== 0 && s.src === 10);
  if (cls === 0x01 && s.src === 10) {
    markSlots(e.readLo, e.readHi, i, s.off, size);
  } else if (readsAll) {
    e.readLo[i] = -1;
    e.readHi[i] = -1;
  } else if ((cls === 0x03 || cls === 0x02) && s.dst === 10 && size === 8 && s.off % 8 === 0) {
    markSlots(e.killLo, e.killHi, i, s.off, 8);
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

/** Bit masks (bit spi = slot fp-8*(spi+1)) of the stack slots live before each slot. */
export function liveStackSlots(slots: readonly Slot[]): bigint[] {
  const n = slots.length;
  const e: StackEffects = { readLo: new Int32Array(n), readHi: new Int32Array(n), killLo: new Int32Array(n), killHi: new Int32Array(n) };
  // Up to two successors per slot (-1: none).
  const succ = new Int32Array(2 * n).fill(-1);
  for (let i = 0; i < n; i++) {
    recordEffects(slots[i], i, e);
    let k = 0;
    for (const j of successors(slots, i)) if (j >= 0 && j < n) succ[2 * i + k++] = j;
  }
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      const a = succ[2 * i];
      const b = succ[2 * i + 1];
      const outLo = (a >= 0 ? lo[a] : 0) | (b >= 0 ? lo[b] : 0);
      const outHi = (a >= 0 ? hi[a] : 0) | (b >= 0 ? hi[b] : 0);
      const vLo = e.readLo[i] | (outLo & ~e.killLo[i]);
      const vHi = e.readHi[i] | (outHi & ~e.killHi[i]);
      if (vLo !== lo[i] || vHi !== hi[i]) {
        lo[i] = vLo;
        hi[i] = vHi;
        changed = true;
      }
    }
  }
  const live: bigint[] = [];
  for (let i = 0; i < n; i++) live.push((BigInt(hi[i] >>> 0) << 32n) | BigInt(lo[i] >>> 0));
  return live;
}
