/**
 * Packet helpers of skb programs that write or checksum (net/core/filter.c, Linux 6.18):
 * `bpf_skb_store_bytes`, `bpf_l3_csum_replace`, `bpf_l4_csum_replace`, `bpf_csum_diff`,
 * `bpf_skb_load_bytes_relative`, `bpf_skb_pull_data`. The simulated skb is linear and, as under
 * `BPF_PROG_TEST_RUN` without `BPF_F_TEST_SKB_CHECKSUM_COMPLETE`, has `ip_summed` =
 * `CHECKSUM_NONE`: checksum fields are rewritten, `skb->csum` is not kept.
 * @module
 */

import type { PacketState } from '../context/packet-state.js';
import { Errno } from '../errno.js';
import { argMem, argPacket, argSize, argU32, argU64, setR0 } from './args.js';
import { csumPartial, csumReplace2, csumReplace4, csumReplaceByDiff, csumSub, csumFrom32to16 } from './checksum.js';
import type { HelperContext, HelperFn } from './helper-context.js';

const BPF_F_RECOMPUTE_CSUM = 1n;
const BPF_F_INVALIDATE_HASH = 2n;
const BPF_F_HDR_FIELD_MASK = 0xfn;
const BPF_F_PSEUDO_HDR = 1n << 4n;
const BPF_F_MARK_MANGLED_0 = 1n << 5n;
const BPF_F_MARK_ENFORCE = 1n << 6n;
const BPF_F_IPV6 = 1n << 7n;
/** `CSUM_MANGLED_0`. */
const CSUM_MANGLED_0 = 0xffff;
/** `INT_MAX`. */
const INT_MAX = 0x7fffffff;

/** `bpf_try_make_writable(skb, len)` on a linear skb: whether `len` bytes from `data` exist (u32 arithmetic). */
function writable(p: PacketState, len: number): boolean {
  return (len >>> 0) <= p.end - p.data;
}

/** `long bpf_skb_store_bytes(skb, offset, from, len, flags)`: copies into the packet at `data + offset`. */
export const skbStoreBytes: HelperFn = (h) => {
  const p = argPacket(h, 'skb', 'bpf_skb_store_bytes');
  const offset = argU32(h, 2);
  const len = argSize(h, 4);
  const src = argMem(h, 3, len, 'read', 'bpf_skb_store_bytes');
  const flags = argU64(h, 5);
  if ((flags & ~(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH)) !== 0n) return setR0(h, -Errno.EINVAL);
  if (offset > INT_MAX || !writable(p, offset + len)) return setR0(h, -Errno.EFAULT);
  p.region.bytes.set(h.memory.read(src, len), p.data + offset);
  setR0(h, 0);
};

/** Reads the `__sum16` at `data + offset` for a csum_replace helper, or returns the errno. */
function checksumField(p: PacketState, offset: number): number | null {
  if (offset > 0xffff || (offset & 1) !== 0 || !writable(p, offset + 2)) return null;
  const at = p.data + offset;
  return p.region.bytes[at] | (p.region.bytes[at + 1] << 8);
}

function storeChecksumField(p: PacketState, offset: number, v: number): void {
  const at = p.data + offset;
  p.region.bytes[at] = v & 0xff;
  p.region.bytes[at + 1] = (v >> 8) & 0xff;
}

/** The arguments of `bpf_l3_csum_replace`/`bpf_l4_csum_replace(skb, offset, from, to, flags)`. */
function csumReplaceArgs(h: HelperContext, helper: string): { p: PacketState; offset: number; from: bigint; to: bigint; flags: bigint } {
  return { p: argPacket(h, 'skb', helper), offset: argU32(h, 2), from: argU64(h, 3), to: argU64(h, 4), flags: argU64(h, 5) };
}

/**
 * `sum` after `from` is replaced by `to` in a field of `flags & BPF_F_HDR_FIELD_MASK` bytes (0:
 * `to` is a checksum difference and `from` must be 0), or null for -EINVAL. `widen2`: a 2-byte
 * field goes through csum_replace4 (inet_proto_csum_replace2 widens the values, l3 does not).
 */
function replacedChecksum(sum: number, from: bigint, to: bigint, flags: bigint, widen2: boolean): number | null {
  switch (flags & BPF_F_HDR_FIELD_MASK) {
    case 0n: return from !== 0n ? null : csumReplaceByDiff(sum, Number(to & 0xffffffffn));
    case 2n: return (widen2 ? csumReplace4 : csumReplace2)(sum, Number(from & 0xffffn), Number(to & 0xffffn));
    case 4n: return csumReplace4(sum, Number(from & 0xffffffffn), Number(to & 0xffffffffn));
    default: return null;
  }
}

/** `long bpf_l3_csum_replace(skb, offset, from, to, flags)`: incremental update of a header checksum. */
export const l3CsumReplace: HelperFn = (h) => {
  const { p, offset, from, to, flags } = csumReplaceArgs(h, 'bpf_l3_csum_replace');
  if ((flags & ~BPF_F_HDR_FIELD_MASK) !== 0n) return setR0(h, -Errno.EINVAL);
  const sum = checksumField(p, offset);
  if (sum === null) return setR0(h, -Errno.EFAULT);
  const next = replacedChecksum(sum, from, to, flags, false);
  if (next === null) return setR0(h, -Errno.EINVAL);
  storeChecksumField(p, offset, next);
  setR0(h, 0);
};

/**
 * `long bpf_l4_csum_replace(skb, offset, from, to, flags)`: as l3, with `BPF_F_MARK_MANGLED_0`
 * (a zero UDP checksum stays zero and a result of zero is written as `0xffff`); with
 * `ip_summed` = `CHECKSUM_NONE`, `BPF_F_PSEUDO_HDR` changes nothing else.
 */
export const l4CsumReplace: HelperFn = (h) => {
  const { p, offset, from, to, flags } = csumReplaceArgs(h, 'bpf_l4_csum_replace');
  if ((flags & ~(BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_HDR_FIELD_MASK | BPF_F_IPV6)) !== 0n) return setR0(h, -Errno.EINVAL);
  const sum = checksumField(p, offset);
  if (sum === null) return setR0(h, -Errno.EFAULT);
  const mmzero = (flags & BPF_F_MARK_MANGLED_0) !== 0n;
  if (mmzero && (flags & BPF_F_MARK_ENFORCE) === 0n && sum === 0) return setR0(h, 0);
  let next = replacedChecksum(sum, from, to, flags, true);
  if (next === null) return setR0(h, -Errno.EINVAL);
  if (mmzero && next === 0) next = CSUM_MANGLED_0;
  storeChecksumField(p, offset, next);
  setR0(h, 0);
};

/** `s64 bpf_csum_diff(from, from_size, to, to_size, seed)`: a checksum difference folded to 16 bits. */
export const csumDiff: HelperFn = (h) => {
  const fromSize = argSize(h, 2);
  const toSize = argSize(h, 4);
  const seed = argU32(h, 5);
  const from = fromSize === 0 ? new Uint8Array(0) : h.memory.read(argMem(h, 1, fromSize, 'read', 'bpf_csum_diff'), fromSize);
  const to = toSize === 0 ? new Uint8Array(0) : h.memory.read(argMem(h, 3, toSize, 'read', 'bpf_csum_diff'), toSize);
  let ret = seed;
  if (fromSize !== 0 && toSize !== 0) ret = csumSub(csumPartial(to, ret), csumPartial(from, 0));
  else if (toSize !== 0) ret = csumPartial(to, ret);
  else if (fromSize !== 0) ret = ~csumPartial(from, ~ret >>> 0) >>> 0;
  setR0(h, csumFrom32to16(ret));
};

/** `long bpf_skb_load_bytes_relative(skb, offset, to, len, start_header)`: from the MAC (0) or network (1) header. */
export const skbLoadBytesRelative: HelperFn = (h) => {
  const p = argPacket(h, 'skb', 'bpf_skb_load_bytes_relative');
  const offset = argU32(h, 2);
  const len = argSize(h, 4);
  const dst = argMem(h, 3, len, 'write', 'bpf_skb_load_bytes_relative');
  const startHeader = argU32(h, 5);
  const start = startHeader === 0 ? p.mac : startHeader === 1 ? p.network : null;
  if (offset > 0xffff || start === null || start + offset + len > p.end) {
    h.memory.write(dst, new Uint8Array(len));
    return setR0(h, -Errno.EFAULT);
  }
  h.memory.write(dst, p.region.bytes.slice(start + offset, start + offset + len));
  setR0(h, 0);
};

/** `long bpf_skb_pull_data(skb, len)`: the simulated skb is linear, so only a length beyond the packet fails (`-ENOMEM`). */
export const skbPullData: HelperFn = (h) => {
  const p = argPacket(h, 'skb', 'bpf_skb_pull_data');
  setR0(h, writable(p, argU32(h, 2)) ? 0 : -Errno.ENOMEM);
};
