/**
 * The packet counter `npm start` and `examples/count-protocols.ts` run: BCC's
 * `BPF_HASH(counts, u32, u64)` with `__sync_fetch_and_add`, per IP protocol, in XDP — and the
 * synthetic frames they feed it.
 * @module
 */

import { program, u32, u64 } from '../dsl/index.js';

/** `XDP_PASS`. */
export const XDP_PASS = 2;

/** Names of the IP protocols the demo frames carry. */
export const PROTOCOL_NAMES: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp' };

/** Counts packets per IP protocol in the hash map `counts`; passes every packet. */
export const countProtocols = program('count_proto', 'xdp', ($, ctx) => {
  const counts = $.hash('counts', u32, u64, { maxEntries: 256 });
  $.ifPacket(ctx, 14, 20, (ip) => {
    const proto = ip.u8(9).cast(u32); // struct iphdr's protocol
    $.ifSome(counts.lookup(proto), (n) => n.atomicAdd(1n), () => {
      counts.update(proto, 1n);
    });
  });
  return XDP_PASS;
});

/** An Ethernet + IPv4 frame carrying `proto`, or a runt too short for the IP header. */
export function ipv4Frame(proto: number, len = 64): Uint8Array {
  const f = new Uint8Array(len);
  f.set([0x08, 0x00], 12);
  if (len >= 34) {
    f[14] = 0x45;
    f[23] = proto;
  }
  return f;
}

/** TCP ×3, UDP, ICMP and a UDP runt the bounds check must skip. */
export const demoFrames: readonly Uint8Array[] = [ipv4Frame(6), ipv4Frame(17), ipv4Frame(6), ipv4Frame(1), ipv4Frame(6), ipv4Frame(17, 20)];

/** `icmp=1 tcp=3 udp=1`: counts by protocol name, sorted by protocol number. */
export function countsText(entries: Iterable<readonly [number, bigint]>): string {
  return [...entries].sort((a, b) => a[0] - b[0]).map(([p, n]) => `${PROTOCOL_NAMES[p] ?? p}=${n}`).join(' ');
}
