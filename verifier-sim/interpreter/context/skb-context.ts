/**
 * `struct __sk_buff` for socket filters and tc programs, built like `bpf_prog_test_run_skb`
 * (`net/bpf/test_run.c`): the frame is parsed as Ethernet (`eth_type_trans` on the loopback
 * device), socket filters see `data` at the network header and get the link-layer header back
 * zeroed, tc programs (`sched_cls`, `sched_act`) see the whole frame.
 * @module
 */

import { testRunSocket } from './test-run-socket.js';
import { InterpreterError } from '../errors.js';
import type { Memory } from '../memory.js';
import type { PointerField } from '../region.js';
import type { BuiltContext, RunInput } from './program-context.js';
import { syncPacketRegion, type PacketState } from './packet-state.js';

/** Byte offsets of `struct __sk_buff` fields (`include/uapi/linux/bpf.h`). */
export const SkBuff = {
  len: 0,
  pkt_type: 4,
  mark: 8,
  queue_mapping: 12,
  protocol: 16,
  vlan_present: 20,
  vlan_tci: 24,
  vlan_proto: 28,
  priority: 32,
  ingress_ifindex: 36,
  ifindex: 40,
  tc_index: 44,
  cb: 48,
  hash: 68,
  tc_classid: 72,
  data: 76,
  data_end: 80,
  napi_id: 84,
  family: 88,
  remote_ip4: 92,
  local_ip4: 96,
  remote_ip6: 100,
  local_ip6: 116,
  remote_port: 132,
  local_port: 136,
  data_meta: 140,
  flow_keys: 144,
  tstamp: 152,
  wire_len: 160,
  gso_segs: 164,
  sk: 168,
  gso_size: 176,
  tstamp_type: 180,
  hwtstamp: 184,
  SIZE: 192,
} as const;

const ETH_HLEN = 14;
const LOOPBACK_IFINDEX = 1;
const HEADROOM = 64;
const MAX_FRAME = 4096 - HEADROOM - 320;

/** Fields a test's `ctx_in` may set, as in `convert___skb_to_skb`: [offset, size]. */
const SETTABLE: readonly (readonly [number, number])[] = [
  [SkBuff.mark, 4],
  [SkBuff.priority, 4],
  [SkBuff.ingress_ifindex, 4],
  [SkBuff.cb, 20],
  [SkBuff.tstamp, 8],
  [SkBuff.wire_len, 4],
  [SkBuff.gso_segs, 4],
  [SkBuff.gso_size, 4],
  [SkBuff.hwtstamp, 8],
];

/**
 * `eth_type_trans` on the loopback device, whose address and broadcast address are all zeros:
 * PACKET_HOST for its own address, PACKET_MULTICAST for any group address (even ff:ff:…, which
 * is not loopback's broadcast address), PACKET_OTHERHOST otherwise.
 */
function pktType(frame: Uint8Array): number {
  if ((frame[0] & 1) !== 0) return 2;
  return frame.subarray(0, 6).every((b) => b === 0) ? 0 : 3;
}

/** Builds the skb context; `l2` for tc programs (data at the MAC header). */
export function buildSkbContext(memory: Memory, input: RunInput, progType: string): BuiltContext {
  const frame = input.data ?? new Uint8Array(0);
  if (frame.length < ETH_HLEN) throw new InterpreterError('setup', -1, `${progType}: data_in of ${frame.length} bytes is shorter than an Ethernet header (14)`);
  // bpf_test_init: one page less NET_SKB_PAD head room and the skb_shared_info tail room.
  if (frame.length > MAX_FRAME) throw new InterpreterError('setup', -1, `${progType}: data_in of ${frame.length} bytes is larger than ${MAX_FRAME} (one page less head and tail room)`);
  const l2 = progType === 'sched_cls' || progType === 'sched_act';
  const buf = new Uint8Array(HEADROOM + frame.length);
  buf.set(frame, HEADROOM);
  const packetRegion = memory.add('packet', buf, { label: 'packet' });
  const packet: PacketState = {
    kind: 'skb',
    region: packetRegion,
    data: HEADROOM + (l2 ? 0 : ETH_HLEN),
    end: HEADROOM + frame.length,
    meta: HEADROOM + (l2 ? 0 : ETH_HLEN),
    floor: HEADROOM,
    ceiling: HEADROOM + frame.length,
    mac: HEADROOM,
    network: HEADROOM + ETH_HLEN,
  };
  syncPacketRegion(packet);

  const ctxBytes = new Uint8Array(SkBuff.SIZE);
  const v = new DataView(ctxBytes.buffer);
  if (input.ctx !== undefined) {
    if (input.ctx.length > SkBuff.SIZE) throw new InterpreterError('setup', -1, `${progType}: ctx_in of ${input.ctx.length} bytes is larger than struct __sk_buff (${SkBuff.SIZE})`);
    const given = new Uint8Array(SkBuff.SIZE);
    given.set(input.ctx);
    for (const [off, size] of SETTABLE) ctxBytes.set(given.subarray(off, off + size), off);
  }
  const len = packet.end - packet.data;
  v.setUint32(SkBuff.len, len, true);
  v.setUint32(SkBuff.pkt_type, pktType(frame), true);
  const etherType = (frame[12] << 8) | frame[13];
  // protocol is __be16 kept in a u32: the bytes as they are on the wire.
  const proto = etherType >= 0x600 ? etherType : frame.length >= 16 && frame[14] === 0xff && frame[15] === 0xff ? 0x0001 : 0x0004;
  v.setUint16(SkBuff.protocol, proto, false);
  v.setUint32(SkBuff.ifindex, LOOPBACK_IFINDEX, true);
  // Without ctx_in, test_run leaves the qdisc cb (wire_len) zero; with it, 0 means skb->len.
  if (input.ctx !== undefined && v.getUint32(SkBuff.wire_len, true) === 0) v.setUint32(SkBuff.wire_len, len, true);
  if (proto === 0x0800 && frame.length >= ETH_HLEN + 20) {
    v.setUint32(SkBuff.family, 2, true);
    ctxBytes.set(frame.subarray(ETH_HLEN + 16, ETH_HLEN + 20), SkBuff.remote_ip4);
    ctxBytes.set(frame.subarray(ETH_HLEN + 12, ETH_HLEN + 16), SkBuff.local_ip4);
  } else if (proto === 0x86dd && frame.length >= ETH_HLEN + 40) {
    v.setUint32(SkBuff.family, 10, true);
    ctxBytes.set(frame.subarray(ETH_HLEN + 24, ETH_HLEN + 40), SkBuff.remote_ip6);
    ctxBytes.set(frame.subarray(ETH_HLEN + 8, ETH_HLEN + 24), SkBuff.local_ip6);
  }
  // The test run's dummy socket; state 2: no lookup acquired it, so bpf_sk_release refuses it.
  const skRegion = memory.add('socket', testRunSocket(frame), { writable: false, label: 'skb->sk (test run socket)' });
  skRegion.state = 2;
  const fields = new Map<number, PointerField>([
    [SkBuff.data, { size: 4, get: () => [packetRegion, packet.data] }],
    [SkBuff.data_end, { size: 4, get: () => [packetRegion, packet.end] }],
    [SkBuff.data_meta, { size: 4, get: () => [packetRegion, packet.meta] }],
    [SkBuff.flow_keys, { size: 8, get: () => null }],
    [SkBuff.sk, { size: 8, get: () => [skRegion, 0] }],
  ]);
  const ctx = memory.add('ctx', ctxBytes, { fields, label: 'ctx (struct __sk_buff)' });
  return {
    ctx,
    packet,
    dataOut: () => {
      const out = buf.slice(packet.mac, packet.end);
      if (!l2) out.fill(0, 0, ETH_HLEN);
      return out;
    },
    ctxOut: () => {
      if (input.ctx === undefined) return undefined;
      const out = new Uint8Array(SkBuff.SIZE);
      for (const [off, size] of SETTABLE) out.set(ctxBytes.subarray(off, off + size), off);
      // convert_skb_to___skb also reports the device.
      out.set(ctxBytes.subarray(SkBuff.ifindex, SkBuff.ifindex + 4), SkBuff.ifindex);
      return out.subarray(0, input.ctx.length);
    },
  };
}
