/**
 * Packet helpers: `bpf_skb_load_bytes`, `bpf_xdp_adjust_head`, `bpf_xdp_adjust_tail`,
 * `bpf_xdp_adjust_meta`, with the bounds the kernel's `net/core/filter.c` enforces.
 * @module
 */

import { syncPacketRegion } from '../context/packet-state.js';
import { Errno } from '../errno.js';
import { argMem, argPacket, argSize, argU32, setR0 } from './args.js';
import type { HelperContext, HelperFn } from './helper-context.js';

/** Ethernet header length: the least the kernel leaves between `data` and `data_end`. */
const ETH_HLEN = 14;
/** Largest metadata area `bpf_xdp_adjust_meta` allows (`xdp_metalen_invalid`: a u8 length, 4-byte aligned). */
const META_MAX = 252;

/** `long bpf_skb_load_bytes(skb, offset, to, len)`: copies from the packet at `data + offset`. */
export const skbLoadBytes: HelperFn = (h) => {
  const p = argPacket(h, 'skb', 'bpf_skb_load_bytes');
  const offset = argU32(h, 2);
  const len = argSize(h, 4);
  const dst = argMem(h, 3, len, 'write', 'bpf_skb_load_bytes');
  if (offset > 0x7fffffff || p.data + offset + len > p.end) {
    h.memory.write(dst, new Uint8Array(len));
    setR0(h, -Errno.EFAULT);
    return;
  }
  h.memory.write(dst, p.region.bytes.slice(p.data + offset, p.data + offset + len));
  setR0(h, 0);
};

/** `long bpf_xdp_adjust_head(xdp, delta)`: moves `data` by `delta` (negative grows the packet). */
export const xdpAdjustHead: HelperFn = (h) => {
  const p = argPacket(h, 'xdp', 'bpf_xdp_adjust_head');
  const delta = h.lo[2];
  const metaLen = p.data - p.meta;
  const data = p.data + delta;
  if (data - metaLen < p.floor || p.end - data < ETH_HLEN) {
    setR0(h, -Errno.EINVAL);
    return;
  }
  if (metaLen > 0) p.region.bytes.copyWithin(data - metaLen, p.meta, p.data);
  p.meta = data - metaLen;
  p.data = data;
  syncPacketRegion(p);
  setR0(h, 0);
};

/** `long bpf_xdp_adjust_tail(xdp, delta)`: moves `data_end` by `delta`; new bytes are zeroed. */
export const xdpAdjustTail: HelperFn = (h) => {
  const p = argPacket(h, 'xdp', 'bpf_xdp_adjust_tail');
  const delta = h.lo[2];
  const end = p.end + delta;
  if (end > p.ceiling || end - p.data < ETH_HLEN) {
    setR0(h, -Errno.EINVAL);
    return;
  }
  if (delta > 0) p.region.bytes.fill(0, p.end, end);
  p.end = end;
  syncPacketRegion(p);
  setR0(h, 0);
};

/** `long bpf_xdp_adjust_meta(xdp, delta)`: moves `data_meta` (`-EACCES` unless the area is 4-byte aligned and at most 252 bytes). */
export const xdpAdjustMeta: HelperFn = (h) => {
  const p = argPacket(h, 'xdp', 'bpf_xdp_adjust_meta');
  const meta = p.meta + h.lo[2];
  if (meta < p.floor || meta > p.data) {
    setR0(h, -Errno.EINVAL);
    return;
  }
  const metaLen = p.data - meta;
  if ((metaLen & 3) !== 0 || metaLen > META_MAX) {
    setR0(h, -Errno.EACCES);
    return;
  }
  p.meta = meta;
  syncPacketRegion(p);
  setR0(h, 0);
};
