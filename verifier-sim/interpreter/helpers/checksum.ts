/**
 * The kernel's Internet-checksum arithmetic as x86-64 Linux computes it, bit for bit (so that
 * results equal the kernel's, including which of the two one's-complement zeros comes out):
 * `csum_partial` (arch/x86/lib/csum-partial_64.c: 64-bit add-with-carry chains, finalised to 32
 * bits), `csum_add`/`csum_sub`, `csum_fold`, `csum_from32to16`, `csum16_add`
 * (include/net/checksum.h, arch/x86/include/asm/checksum_64.h). 32-bit sums are unsigned numbers,
 * 16-bit checksums are the `__sum16` as it sits in memory (little-endian load).
 * @module
 */

const M64 = (1n << 64n) - 1n;

/** `x + y + carryIn` as x86 `adcq`: the 64-bit result and the carry out. */
function adc(x: bigint, y: bigint, carryIn: bigint): [bigint, bigint] {
  const s = x + y + carryIn;
  return [s & M64, s >> 64n];
}

/** One chain `addq m0; adcq m1; …; adcq $0` over the 64-bit little-endian words at `words`. */
function addChain(sum: bigint, words: readonly bigint[]): bigint {
  let carry = 0n;
  let r = sum;
  for (const w of words) [r, carry] = adc(r, w, carry);
  return adc(r, 0n, carry)[0];
}

function word(bytes: Uint8Array, at: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i] ?? 0);
  return v;
}

function words(bytes: Uint8Array, at: number, n: number): bigint[] {
  return Array.from({ length: n }, (_, i) => word(bytes, at + 8 * i));
}

/** `csum_finalize_sum`: the 64-bit sum folded to a 32-bit `__wsum`. */
function finalize(t: bigint): number {
  const ror = ((t >> 32n) | (t << 32n)) & M64;
  return Number(((t + ror) & M64) >> 32n);
}

/** `csum_partial(buff, len, sum)` of x86-64 Linux: the 32-bit partial checksum of `bytes` added to `sum`. */
export function csumPartial(bytes: Uint8Array, sum: number): number {
  let t = BigInt(sum >>> 0);
  let at = 0;
  let len = bytes.length;
  if (len >= 80) {
    let t2 = 0n;
    do {
      t = addChain(t, words(bytes, at, 5));
      t2 = addChain(t2, words(bytes, at + 40, 5));
      at += 80;
      len -= 80;
    } while (len >= 80);
    t = addChain(t, [t2]);
  }
  if (len >= 40) {
    t = addChain(t, words(bytes, at, 5));
    len -= 40;
    if (len === 0) return finalize(t);
    at += 40;
  }
  if (len & 32) { t = addChain(t, words(bytes, at, 4)); at += 32; }
  if (len & 16) { t = addChain(t, words(bytes, at, 2)); at += 16; }
  if (len & 8) { t = addChain(t, words(bytes, at, 1)); at += 8; }
  if (len & 7) {
    let trail = 0n;
    for (let i = (len & 7) - 1; i >= 0; i--) trail = (trail << 8n) | BigInt(bytes[at + i]);
    t = addChain(t, [trail]);
  }
  return finalize(t);
}

/** `csum_add(a, b)`: 32-bit one's-complement addition. */
export function csumAdd(a: number, b: number): number {
  let r = ((a >>> 0) + (b >>> 0)) >>> 0;
  if (r < b >>> 0) r = (r + 1) >>> 0;
  return r;
}

/** `csum_sub(a, b)` = `csum_add(a, ~b)`. */
export function csumSub(a: number, b: number): number {
  return csumAdd(a, ~b >>> 0);
}

/** `csum_fold(sum)`: the 32-bit sum folded to 16 bits and complemented (a `__sum16`). */
export function csumFold(sum: number): number {
  const s = (sum >>> 16) + (sum & 0xffff);
  return ~((s & 0xffff) + (s >>> 16)) & 0xffff;
}

/** `csum_from32to16(sum)`: the 32-bit sum folded to 16 bits (not complemented). */
export function csumFrom32to16(sum: number): number {
  const s = (sum >>> 16) + (sum & 0xffff);
  return ((s & 0xffff) + (s >>> 16)) & 0xffff;
}

/** `csum16_add(csum, addend)`: 16-bit one's-complement addition. */
export function csum16Add(csum: number, addend: number): number {
  const a = addend & 0xffff;
  const r = ((csum & 0xffff) + a) & 0xffff;
  return (r + (r < a ? 1 : 0)) & 0xffff;
}

/** `csum_replace4(sum, from, to)`: the `__sum16` after a 32-bit field changed from `from` to `to`. */
export function csumReplace4(sum16: number, from: number, to: number): number {
  const tmp = csumSub(~sum16 >>> 0, from >>> 0);
  return csumFold(csumAdd(tmp, to >>> 0));
}

/** `csum_replace2(sum, old, new)` (RFC 1624): the `__sum16` after a 16-bit field changed. */
export function csumReplace2(sum16: number, from: number, to: number): number {
  return ~csum16Add(csum16Add(~sum16 & 0xffff, ~from & 0xffff), to) & 0xffff;
}

/** `csum_replace_by_diff(sum, diff)`: the `__sum16` after adding the 32-bit checksum difference `diff`. */
export function csumReplaceByDiff(sum16: number, diff: number): number {
  return csumFold(csumAdd(diff >>> 0, ~sum16 >>> 0));
}
