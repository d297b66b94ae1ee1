/**
 * Histogram output in BCC's exact text layout (`src/python/bcc/table.py`: `_print_log2_hist`,
 * `_print_linear_hist`, `_get_json_hist`), over plain bucket arrays. A log2 histogram's slot `i`
 * counts values in `[2^(i-1), 2^i - 1]` (slot 1: `0 -> 1`), as `bpf_log2l(v)` (`$.log2l`) fills it; a
 * linear histogram's slot `i` counts the value `i`.
 *
 * ```text
 *      usecs               : count     distribution
 *          0 -> 1          : 3        |****************************************|
 *          2 -> 3          : 1        |*************                           |
 * ```
 * @module
 */

/** Width of the star bar (BCC's `stars_max`). */
export const STARS_MAX = 40;
/** Slots of a log2 histogram: any 64-bit value (BCC's `log2_index_max`). */
export const LOG2_INDEX_MAX = 65;
/** Slots of a linear histogram (BCC's `linear_index_max`). */
export const LINEAR_INDEX_MAX = 1025;

/** A bucket count: a number or a u64 read from a map. */
export type Count = number | bigint;

/** One interval of {@link log2HistJson}, with BCC's key names. */
export interface JsonHistBucket {
  /** Lowest value of the interval. */
  readonly 'interval-start': number;
  /** Highest value of the interval. */
  readonly 'interval-end': number;
  /** Values counted in it. */
  readonly count: number;
}

/** BCC's JSON histogram (`get_json_hist`). */
export interface JsonHist {
  /** Local time, `YYYY-MM-DD HH:MM:SS`. */
  readonly ts: string;
  /** Column header of the values. */
  readonly val_type: string;
  /** Slots 1 … the last non-zero one. */
  readonly data: readonly JsonHistBucket[];
  /** A section key (`section_bucket`), when given. */
  readonly [section: string]: unknown;
}

function big(v: Count): bigint {
  return typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
}

const EXACT = 1n << 53n;

/**
 * `num / den` correctly rounded to a double, as Python's `int / int` gives it: one Number
 * division when both are exact doubles, else a 64-bit-scaled integer quotient with a sticky bit.
 */
function quotient(num: bigint, den: bigint): number {
  if (num <= EXACT && den <= EXACT) return Number(num) / Number(den);
  const scaled = num << 64n;
  let q = scaled / den;
  if (scaled % den !== 0n) q |= 1n;
  return Number(q) / 2 ** 64;
}

/** BCC's `_stars`: `width * val / val_max` stars (a `+` for the last when val exceeds the max). */
export function stars(val: Count, valMax: Count, width: number): string {
  const v = big(val);
  const m = big(valMax);
  const x = m === 0n ? Infinity : quotient(BigInt(width) * v, m);
  let text = '';
  for (let i = 0; !(i > x - 1 || i > width - 1); i++) text += '*';
  if (v > m) text = text.slice(0, -1) + '+';
  return text;
}

function padLeft(s: string, w: number): string { return s.length >= w ? s : ' '.repeat(w - s.length) + s; }
function padRight(s: string, w: number): string { return s.length >= w ? s : s + ' '.repeat(w - s.length); }

function maxima(vals: readonly Count[]): { idxMax: number; valMax: bigint } {
  let idxMax = -1;
  let valMax = 0n;
  for (let i = 0; i < vals.length; i++) {
    const v = big(vals[i]);
    if (v > 0n) idxMax = i;
    if (v > valMax) valMax = v;
  }
  return { idxMax, valMax };
}

/**
 * The lines BCC's `print_log2_hist` prints for slots `vals` (no trailing newline; empty when no
 * slot above 0 is set). Up to slot 32 ranges are 10 wide and bars 40 stars; beyond, 20 and 20.
 * `stripLeadingZero` leaves out the empty slots before the first non-empty one.
 */
export function formatLog2Hist(vals: readonly Count[], valType = 'value', stripLeadingZero = false): string {
  const { idxMax, valMax } = maxima(vals);
  const narrow = idxMax <= 32;
  const width = narrow ? 10 : 20;
  const bar = narrow ? STARS_MAX : Math.trunc(STARS_MAX / 2);
  const lines: string[] = [];
  if (idxMax > 0) lines.push(narrow ? `     ${padRight(valType, 19)} : count     distribution` : `               ${padRight(valType, 29)} : count     distribution`);
  let strip = stripLeadingZero;
  for (let i = 1; i <= idxMax; i++) {
    let low = (1n << BigInt(i)) >> 1n;
    const high = (1n << BigInt(i)) - 1n;
    if (low === high) low -= 1n;
    const val = big(vals[i] ?? 0);
    if (strip && val === 0n) continue;
    strip = false;
    lines.push(`${padLeft(String(low), width)} -> ${padRight(String(high), width)} : ${padRight(String(val), 8)} |${padRight(stars(val, valMax, bar), bar)}|`);
  }
  return lines.join('\n');
}

/** The lines BCC's `print_linear_hist` prints for slots `vals` (empty when every slot is 0). */
export function formatLinearHist(vals: readonly Count[], valType = 'value'): string {
  const { idxMax, valMax } = maxima(vals);
  const lines: string[] = [];
  if (idxMax >= 0) lines.push(`     ${padRight(valType, 13)} : count     distribution`);
  for (let i = 0; i <= idxMax; i++) {
    const val = big(vals[i] ?? 0);
    lines.push(`        ${padRight(String(i), 10)} : ${padRight(String(val), 8)} |${padRight(stars(val, valMax, STARS_MAX), STARS_MAX)}|`);
  }
  return lines.join('\n');
}

function localTimestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * BCC's JSON form of a log2 histogram (`_get_json_hist`): one interval per slot from 1 to the
 * last non-zero slot, `[2^(i-1), 2^i - 1]` (slot 1: `[0, 1]`), with a timestamp. Counts beyond
 * 2^53 lose precision (they become JSON numbers, as in BCC).
 */
export function log2HistJson(vals: readonly Count[], valType = 'value', section?: readonly [string, unknown], now: Date = new Date()): JsonHist {
  let maxNonZero = 0;
  for (let i = 0; i < vals.length; i++) if (big(vals[i]) !== 0n) maxNonZero = i;
  const data: JsonHistBucket[] = [];
  let index = 1;
  let prev = 0;
  for (let i = 1; i <= maxNonZero; i++) {
    index *= 2;
    data.push({ 'interval-start': prev, 'interval-end': index - 1, count: Number(big(vals[i])) });
    prev = index;
  }
  const out: Record<string, unknown> = { ts: localTimestamp(now), val_type: valType, data };
  if (section !== undefined) out[section[0]] = section[1];
  return out as JsonHist;
}
