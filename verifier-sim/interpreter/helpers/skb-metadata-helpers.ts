/**
 * skb helpers that change or report packet metadata rather than bytes (net/core/filter.c,
 * Linux 6.18): `bpf_csum_update`, `bpf_csum_level`, `bpf_set_hash`, `bpf_set_hash_invalid`,
 * `bpf_skb_change_type`, `bpf_get_route_realm`, and the redirect helpers `bpf_redirect`
 * (tc and XDP flavours), `bpf_redirect_peer`, `bpf_redirect_neigh`, whose result is the action
 * code (the redirect itself is the caller's business once the program returns). The simulated
 * skb starts with `ip_summed` = `CHECKSUM_NONE` and no route, as under `BPF_PROG_TEST_RUN`.
 * @module
 */

import { SkBuff } from '../context/skb-context.js';
import { Errno } from '../errno.js';
import { argPacket, argU32, argU64, setR0 } from './args.js';
import type { HelperContext, HelperFn } from './helper-context.js';

/** `TC_ACT_SHOT`, `TC_ACT_REDIRECT`, `XDP_ABORTED`, `XDP_REDIRECT`. */
const TC_ACT_SHOT = 2;
const TC_ACT_REDIRECT = 7;
const XDP_ABORTED = 0;
const XDP_REDIRECT = 4;
/** `BPF_F_INGRESS`. */
const BPF_F_INGRESS = 1n;
/** `SKB_MAX_CSUM_LEVEL`. */
const SKB_MAX_CSUM_LEVEL = 3;
/** `PACKET_OTHERHOST`: the largest `pkt_type` `bpf_skb_change_type` accepts. */
const PACKET_OTHERHOST = 3;
/** `sizeof(struct bpf_redir_neigh)`. */
const REDIR_NEIGH_SIZE = 20;

/** `s64 bpf_csum_update(skb, csum)`: `-ENOTSUPP` unless `ip_summed` is `CHECKSUM_COMPLETE`, which the simulated skb never is. */
export const csumUpdate: HelperFn = (h) => {
  argPacket(h, 'skb', 'bpf_csum_update');
  setR0(h, -Errno.ENOTSUPP);
};

/** `long bpf_csum_level(skb, level)`: query (0), increment (1), decrement (2) or reset (3) the `CHECKSUM_UNNECESSARY` level. */
export const csumLevel: HelperFn = (h) => {
  const p = argPacket(h, 'skb', 'bpf_csum_level');
  const level = argU64(h, 2);
  switch (level) {
    case 0n: return setR0(h, p.csumLevel ?? -Errno.EACCES);
    case 1n:
      p.csumLevel = p.csumLevel === undefined ? 0 : Math.min(p.csumLevel + 1, SKB_MAX_CSUM_LEVEL);
      break;
    case 2n:
      if (p.csumLevel !== undefined) p.csumLevel = p.csumLevel === 0 ? undefined : p.csumLevel - 1;
      break;
    case 3n:
      p.csumLevel = undefined;
      break;
    default: return setR0(h, -Errno.EINVAL);
  }
  setR0(h, 0);
};

/** `long bpf_set_hash(skb, hash)`: `skb->hash` (read back through `__sk_buff.hash`). */
export const setHash: HelperFn = (h) => {
  argPacket(h, 'skb', 'bpf_set_hash');
  new DataView(h.ctx.bytes.buffer, h.ctx.bytes.byteOffset).setUint32(SkBuff.hash, argU32(h, 2), true);
  setR0(h, 0);
};

/** `long bpf_set_hash_invalid(skb)`: clears `skb->hash`. */
export const setHashInvalid: HelperFn = (h) => {
  argPacket(h, 'skb', 'bpf_set_hash_invalid');
  new DataView(h.ctx.bytes.buffer, h.ctx.bytes.byteOffset).setUint32(SkBuff.hash, 0, true);
  setR0(h, 0);
};

/** `long bpf_skb_change_type(skb, type)`: sets `pkt_type` when both old and new are at most `PACKET_OTHERHOST`. */
export const skbChangeType: HelperFn = (h) => {
  argPacket(h, 'skb', 'bpf_skb_change_type');
  const view = new DataView(h.ctx.bytes.buffer, h.ctx.bytes.byteOffset);
  const type = argU32(h, 2);
  if (view.getUint32(SkBuff.pkt_type, true) > PACKET_OTHERHOST || type > PACKET_OTHERHOST) return setR0(h, -Errno.EINVAL);
  view.setUint32(SkBuff.pkt_type, type, true);
  setR0(h, 0);
};

/** `u32 bpf_get_route_realm(skb)`: the route's `tclassid`; the simulated skb has no route, so 0. */
export const getRouteRealm: HelperFn = (h) => {
  argPacket(h, 'skb', 'bpf_get_route_realm');
  setR0(h, 0);
};

/** `long bpf_redirect(ifindex, flags)`: tc: `TC_ACT_REDIRECT` unless flags other than `BPF_F_INGRESS`; XDP: `XDP_REDIRECT` unless any flag. */
export const redirect: HelperFn = (h) => {
  const flags = argU64(h, 2);
  if (h.progType === 'xdp') return setR0(h, flags === 0n ? XDP_REDIRECT : XDP_ABORTED);
  setR0(h, (flags & ~BPF_F_INGRESS) === 0n ? TC_ACT_REDIRECT : TC_ACT_SHOT);
};

/** `long bpf_redirect_peer(ifindex, flags)`: `TC_ACT_REDIRECT`, or `TC_ACT_SHOT` for any flag. */
export const redirectPeer: HelperFn = (h) => setR0(h, argU64(h, 2) === 0n ? TC_ACT_REDIRECT : TC_ACT_SHOT);

/** `long bpf_redirect_neigh(ifindex, params, plen, flags)`: `TC_ACT_SHOT` for flags or a short `params`, else `TC_ACT_REDIRECT`. */
export const redirectNeigh: HelperFn = (h) => {
  const plen = h.lo[3]; // an int compared with a size_t: negative lengths are huge, not short
  const flags = argU64(h, 4);
  setR0(h, (plen > 0 && plen < REDIR_NEIGH_SIZE) || flags !== 0n ? TC_ACT_SHOT : TC_ACT_REDIRECT);
};
