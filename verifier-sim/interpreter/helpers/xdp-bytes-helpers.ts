/**
 * `bpf_xdp_load_bytes`, `bpf_xdp_store_bytes` and `bpf_xdp_get_buff_len` on the simulated
 * (single-buffer, no fragments) XDP packet, with the checks of `bpf_xdp_pointer()`
 * (net/core/filter.c, Linux 6.18). On an error the destination is left as it was.
 * @module
 */

import type { PacketState } from '../context/packet-state.js';
import { Errno } from '../errno.js';
import { argMem, argPacket, argSize, argU32, setR0 } from './args.js';
import type { HelperContext, HelperFn } from './helper-context.js';

/** `bpf_xdp_pointer`'s verdict: 0 when `[offset, offset + len)` lies in the packet, else the negative errno. */
function xdpRangeError(p: PacketState, offset: number, len: number): number {
  if (offset > 0xffff || len > 0xffff) return -Errno.EFAULT;
  if (offset + len > p.end - p.data) return -Errno.EINVAL;
  return 0;
}

/** `long bpf_xdp_load_bytes(xdp_md, offset, buf, len)`. */
export const xdpLoadBytes: HelperFn = (h) => {
  const p = argPacket(h, 'xdp', 'bpf_xdp_load_bytes');
  const offset = argU32(h, 2);
  const len = argSize(h, 4);
  const dst = argMem(h, 3, len, 'write', 'bpf_xdp_load_bytes');
  const err = xdpRangeError(p, offset, len);
  if (err !== 0) return setR0(h, err);
  h.memory.write(dst, p.region.bytes.slice(p.data + offset, p.data + offset + len));
  setR0(h, 0);
};

/** `long bpf_xdp_store_bytes(xdp_md, offset, buf, len)`. */
export const xdpStoreBytes: HelperFn = (h) => {
  const p = argPacket(h, 'xdp', 'bpf_xdp_store_bytes');
  const offset = argU32(h, 2);
  const len = argSize(h, 4);
  const src = argMem(h, 3, len, 'read', 'bpf_xdp_store_bytes');
  const err = xdpRangeError(p, offset, len);
  if (err !== 0) return setR0(h, err);
  p.region.bytes.set(h.memory.read(src, len), p.data + offset);
  setR0(h, 0);
};

/** `u64 bpf_xdp_get_buff_len(xdp_md)`: `data_end - data` (no fragments). */
export const xdpGetBuffLen: HelperFn = (h) => {
  const p = argPacket(h, 'xdp', 'bpf_xdp_get_buff_len');
  setR0(h, p.end - p.data);
};
