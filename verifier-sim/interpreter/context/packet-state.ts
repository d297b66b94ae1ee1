/**
 * Where the packet of a networking program lives in its region and which part is valid: the
 * offsets `data`, `data_end` and `data_meta` point at, which helpers like `bpf_xdp_adjust_head`
 * move.
 * @module
 */

import type { Region } from '../region.js';

/** The packet of an skb or XDP program. */
export interface PacketState {
  /** `skb` (`struct __sk_buff`) or `xdp` (`struct xdp_md`). */
  readonly kind: 'skb' | 'xdp';
  /** The region holding the whole buffer (head room, packet, tail room). */
  readonly region: Region;
  /** Offset of `data`. */
  data: number;
  /** Offset of `data_end`. */
  end: number;
  /** Offset of `data_meta` (equal to `data` when there is no metadata). */
  meta: number;
  /** Lowest offset `data_meta`/`data` may move to. */
  readonly floor: number;
  /** Highest offset `data_end` may move to. */
  readonly ceiling: number;
  /** Offset of the link-layer (Ethernet) header, for `LD_ABS` with `SKF_LL_OFF`. */
  readonly mac: number;
  /** Offset of the network header, for `LD_ABS` with `SKF_NET_OFF`. */
  readonly network: number;
  /**
   * skb only: `skb->csum_level` while `ip_summed` is `CHECKSUM_UNNECESSARY` (set by
   * `bpf_csum_level`); absent: `CHECKSUM_NONE`, as a test run starts.
   */
  csumLevel?: number;
}

/** Makes the region's valid range `[meta, end)` after the packet state moved. */
export function syncPacketRegion(p: PacketState): void {
  p.region.start = p.meta;
  p.region.end = p.end;
}
