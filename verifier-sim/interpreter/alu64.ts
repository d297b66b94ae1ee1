/**
 * 64-bit arithmetic on values held as two int32 halves (lo, hi), for the operations that do not
 * fit in a line of the interpreter loop: multiplication, division and modulo (with the kernel's
 * run-time rules for a zero or -1 divisor), byte swaps. Results go to {@link out}.
 * @module
 */

/** The result of the last operation: `out[0]` low half, `out[1]` high half. */
export const out = new Int32Array(2);

const TWO32 = 4294967296;

/** `out = a * b` (low 64 bits of the product). */
export function mul64(alo: number, ahi: number, blo: number, bhi: number): void {
  const a0 = alo & 0xffff;
  const a1 = alo >>> 16;
  const b0 = blo & 0xffff;
  const b1 = blo >>> 16;
  const mid = a0 * b1 + a1 * b0;
  const low = a0 * b0 + (mid % 65536) * 65536;
  const carry = Math.floor(low / TWO32);
  out[0] = low % TWO32 | 0;
  out[1] = (a1 * b1 + Math.floor(mid / 65536) + carry + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
}

function toBig(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function setBig(v: bigint): void {
  const u = BigInt.asUintN(64, v);
  out[0] = Number(u & 0xffffffffn) | 0;
  out[1] = Number(u >> 32n) | 0;
}

/** Whether (lo, hi) is a sign-extended int32 (fits in a double exactly, as does any int32). */
function isSmall(lo: number, hi: number): boolean {
  return hi === lo >> 31;
}

/** `out = a / b` unsigned; 0 when b is 0 (the kernel's rule). */
export function udiv64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    out[0] = 0;
    out[1] = 0;
  } else if (ahi === 0 && bhi === 0) {
    out[0] = Math.floor((alo >>> 0) / (blo >>> 0)) | 0;
    out[1] = 0;
  } else {
    setBig(toBig(alo, ahi) / toBig(blo, bhi));
  }
}

/** `out = a % b` unsigned; a when b is 0. */
export function umod64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    out[0] = alo;
    out[1] = ahi;
  } else if (ahi === 0 && bhi === 0) {
    out[0] = (alo >>> 0) % (blo >>> 0) | 0;
    out[1] = 0;
  } else {
    setBig(toBig(alo, ahi) % toBig(blo, bhi));
  }
}

/** `out = a s/ b` truncating; 0 when b is 0, `-a` (wrapping) when b is -1. */
export function sdiv64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    out[0] = 0;
    out[1] = 0;
  } else if (blo === -1 && bhi === -1) {
    setBig(-toBig(alo, ahi));
  } else if (isSmall(alo, ahi) && isSmall(blo, bhi)) {
    const q = Math.trunc(alo / blo);
    out[0] = q | 0;
    out[1] = q < 0 ? -1 : 0;
  } else {
    setBig(BigInt.asIntN(64, toBig(alo, ahi)) / BigInt.asIntN(64, toBig(blo, bhi)));
  }
}

/** `out = a s% b` (sign of a); a when b is 0, 0 when b is -1. */
export function smod64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    out[0] = alo;
    out[1] = ahi;
  } else if (blo === -1 && bhi === -1) {
    out[0] = 0;
    out[1] = 0;
  } else if (isSmall(alo, ahi) && isSmall(blo, bhi)) {
    const r = alo % blo;
    out[0] = r | 0;
    out[1] = r < 0 ? -1 : 0;
  } else {
    setBig(BigInt.asIntN(64, toBig(alo, ahi)) % BigInt.asIntN(64, toBig(blo, bhi)));
  }
}

/** `a / b` on u32; 0 when b is 0. */
export function udiv32(a: number, b: number): number {
  return b === 0 ? 0 : Math.floor((a >>> 0) / (b >>> 0)) | 0;
}

/** `a % b` on u32; a when b is 0. */
export function umod32(a: number, b: number): number {
  return b === 0 ? a : (a >>> 0) % (b >>> 0) | 0;
}

/** `a s/ b` on s32; 0 when b is 0, `-a` when b is -1. */
export function sdiv32(a: number, b: number): number {
  if (b === 0) return 0;
  if (b === -1) return -a | 0;
  return Math.trunc(a / b) | 0;
}

/** `a s% b` on s32; a when b is 0, 0 when b is -1. */
export function smod32(a: number, b: number): number {
  if (b === 0) return a;
  if (b === -1) return 0;
  return a % b | 0;
}

/** Byte swap of the low 16 bits (result zero-extended). */
export function bswap16(x: number): number {
  return ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
}

/** Byte swap of 32 bits. */
export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

/** Unsigned (ah:al) < (bh:bl). */
export function ltU(ah: number, al: number, bh: number, bl: number): boolean {
  return ah !== bh ? ah >>> 0 < bh >>> 0 : al >>> 0 < bl >>> 0;
}

/** Signed (ah:al) < (bh:bl). */
export function ltS(ah: number, al: number, bh: number, bl: number): boolean {
  return ah !== bh ? ah < bh : al >>> 0 < bl >>> 0;
}

/** Register d of (lo, hi) shifted left by n (0–63). */
export function shl64(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  if (n < 32) {
    hi[d] = (hi[d] << n) | (lo[d] >>> (32 - n));
    lo[d] = lo[d] << n;
  } else {
    hi[d] = lo[d] << (n - 32);
    lo[d] = 0;
  }
}

/** Register d of (lo, hi) shifted right logically by n (0–63). */
export function shr64(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  if (n < 32) {
    lo[d] = (lo[d] >>> n) | (hi[d] << (32 - n));
    hi[d] = hi[d] >>> n;
  } else {
    lo[d] = hi[d] >>> (n - 32);
    hi[d] = 0;
  }
}

/** Register d of (lo, hi) shifted right arithmetically by n (0–63). */
export function sar64(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  if (n < 32) {
    lo[d] = (lo[d] >>> n) | (hi[d] << (32 - n));
    hi[d] = hi[d] >> n;
  } else {
    lo[d] = hi[d] >> (n - 32);
    hi[d] = hi[d] >> 31;
  }
}
