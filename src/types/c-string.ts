/**
 * Reading and writing NUL-terminated strings in fixed `char[n]` buffers, with an ASCII fast
 * path and UTF-8 otherwise (invalid UTF-8 decodes to U+FFFD).
 * @module
 */

import { showValue, ValueProblem } from './codec-entry.js';

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** Longest ASCII string kept in the cache of {@link readCString}. */
const CACHED_MAX = 64;
/** Slots of the cache (a power of two). */
const CACHE_SLOTS = 2048;
const cache: (string | undefined)[] = new Array<string | undefined>(CACHE_SLOTS).fill(undefined);
/** Hash last seen in each slot: a string is cached the second time its bytes are seen in a row. */
const seen = new Int32Array(CACHE_SLOTS);

/**
 * The string in `u8[o, o + n)`: bytes up to the first NUL (or all `n`), as UTF-8.
 *
 * Short ASCII strings go through a small direct-mapped cache keyed by a hash of their bytes
 * (checked byte by byte on a hit): event fields such as `comm` or a file name repeat, and
 * returning the string already made is several times faster than making it again. A string
 * enters the cache only when its slot saw the same hash before, so one-off strings are not kept
 * alive (promoting them to the old generation would make the garbage collector's work dearer).
 */
export function readCString(u8: Uint8Array, o: number, n: number): string {
  const end = o + n;
  let i = o;
  let high = 0;
  let h = 0;
  for (; i < end; i++) {
    const b = u8[i];
    if (b === 0) break;
    high |= b;
    h = (Math.imul(h, 31) + b) | 0;
  }
  const len = i - o;
  if (len === 0) return '';
  if (high >= 0x80) return utf8Decoder.decode(u8.subarray(o, i));
  if (len > CACHED_MAX) return utf8Decoder.decode(u8.subarray(o, i));
  const slot = (h ^ (h >>> 11) ^ len) & (CACHE_SLOTS - 1);
  const hit = cache[slot];
  if (hit !== undefined && hit.length === len) {
    let j = 0;
    while (j < len && hit.charCodeAt(j) === u8[o + j]) j++;
    if (j === len) return hit;
  }
  let s: string;
  if (len <= 16) {
    s = '';
    for (let j = o; j < i; j++) s += String.fromCharCode(u8[j]);
  } else {
    s = utf8Decoder.decode(u8.subarray(o, i));
  }
  if (seen[slot] === h) cache[slot] = s;
  else seen[slot] = h;
  return s;
}

/**
 * Writes `v` as UTF-8 into `u8[o, o + n)`, NUL-padded. Throws {@link ValueProblem} (at path `p`)
 * for a non-string, a string with a NUL character, or one of more than `n` bytes.
 */
export function writeCString(u8: Uint8Array, o: number, n: number, v: unknown, p: string): void {
  if (typeof v !== 'string') throw new ValueProblem(p, v, `${showValue(v)} is not a string`);
  const len = v.length;
  if (len <= n) {
    let i = 0;
    for (; i < len; i++) {
      const c = v.charCodeAt(i);
      if (c === 0 || c > 0x7f) break;
      u8[o + i] = c;
    }
    if (i === len) {
      if (len < n) u8.fill(0, o + len, o + n);
      return;
    }
  }
  if (v.includes('\0')) throw new ValueProblem(p, v, `${showValue(v)} contains a NUL character (a char[${n}] string ends at the first NUL)`);
  const bytes = utf8Encoder.encode(v);
  if (bytes.length > n) throw new ValueProblem(p, v, `${showValue(v)} (${bytes.length} bytes) does not fit char[${n}]`);
  u8.set(bytes, o);
  if (bytes.length < n) u8.fill(0, o + bytes.length, o + n);
}
