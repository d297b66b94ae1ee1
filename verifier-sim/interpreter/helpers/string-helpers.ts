/**
 * `bpf_strtol` and `bpf_strtoul` as kernel/bpf/helpers.c (`__bpf_strtoull`) and lib/kstrtox.c
 * parse (Linux 6.18): leading white space (the kernel's `isspace`, which includes 0xa0), one
 * `-`, then base 0/8/10/16 digits with a `0x` prefix for 16 and the C rules for base 0; at most 63
 * characters after the sign are looked at. The result is the number of characters consumed.
 * @module
 */

import { Errno } from '../errno.js';
import { argMem, argSize, argU64, setR0 } from './args.js';
import type { HelperContext, HelperFn } from './helper-context.js';

const M64 = (1n << 64n) - 1n;
/** `BPF_STRTOX_BASE_MASK`. */
const BASE_MASK = 0x1fn;

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
}

function digit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lc = c | 0x20;
  return lc >= 0x61 && lc <= 0x66 ? lc - 0x61 + 10 : 99;
}

/** `__bpf_strtoull`: the magnitude, sign and characters consumed, or a negative errno. */
function strtoull(buf: Uint8Array, flags: bigint): { value: bigint; negative: boolean; consumed: number } | number {
  let base = Number(flags & BASE_MASK);
  if (buf.length === 0) return -Errno.EINVAL;
  if (base !== 0 && base !== 8 && base !== 10 && base !== 16) return -Errno.EINVAL;
  if ((flags & ~BASE_MASK) !== 0n) return -Errno.EINVAL;
  let i = 0;
  while (i < buf.length && isSpace(buf[i])) i++;
  const negative = i < buf.length && buf[i] === 0x2d;
  if (negative) i++;
  const consumed = i;
  if (buf.length - consumed === 0) return -Errno.EINVAL;
  const str = new Uint8Array(64);
  str.set(buf.subarray(consumed, consumed + Math.min(buf.length - consumed, 63)));
  let s = 0;
  if (base === 0) base = str[0] === 0x30 ? ((str[1] | 0x20) === 0x78 && digit(str[2]) < 16 ? 16 : 8) : 10;
  if (base === 16 && str[0] === 0x30 && (str[1] | 0x20) === 0x78) s = 2;
  let value = 0n;
  let overflow = false;
  let n = 0;
  for (; s + n < 64; n++) {
    const v = digit(str[s + n]);
    if (v >= base) break;
    if ((value & (M64 << 60n & M64)) !== 0n && value > (M64 - BigInt(v)) / BigInt(base)) overflow = true;
    value = (value * BigInt(base) + BigInt(v)) & M64;
  }
  if (overflow) return -Errno.ERANGE;
  if (n === 0) return -Errno.EINVAL;
  return { value, negative, consumed: consumed + s + n };
}

function strtox(signed: boolean, name: string): HelperFn {
  return (h: HelperContext) => {
    const len = argSize(h, 2);
    const buf = h.memory.read(argMem(h, 1, len, 'read', name), len);
    const flags = argU64(h, 3);
    const res = argMem(h, 4, 8, 'write', name);
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    const r = strtoull(buf, flags);
    let ret: number;
    if (typeof r === 'number') ret = r;
    else if (signed) {
      const v = r.negative ? BigInt.asIntN(64, -r.value) : BigInt.asIntN(64, r.value);
      if ((r.negative && BigInt.asIntN(64, -r.value) > 0n) || (!r.negative && v < 0n)) ret = -Errno.ERANGE;
      else { view.setBigInt64(0, v, true); ret = r.consumed; }
    } else if (r.negative) ret = -Errno.EINVAL;
    else { view.setBigUint64(0, r.value, true); ret = r.consumed; }
    h.memory.write(res, out);
    setR0(h, ret);
  };
}

/** `long bpf_strtol(buf, buf_len, flags, long *res)`. */
export const strtol: HelperFn = strtox(true, 'bpf_strtol');
/** `long bpf_strtoul(buf, buf_len, flags, unsigned long *res)`. */
export const strtoul: HelperFn = strtox(false, 'bpf_strtoul');
