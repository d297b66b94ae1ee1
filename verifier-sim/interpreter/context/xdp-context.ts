/**
 * `struct xdp_md` for XDP programs, built like `bpf_prog_test_run_xdp` (`net/bpf/test_run.c`):
 * the frame sits after `XDP_PACKET_HEADROOM` (256) bytes in a 4096-byte buffer whose last 320
 * bytes are reserved (`skb_shared_info`), on the loopback device's receive queue 0.
 * @module
 */

import { InterpreterError } from '../errors.js';
import type { Memory } from '../memory.js';
import type { PointerField } from '../region.js';
import type { BuiltContext, RunInput } from './program-context.js';
import { syncPacketRegion, type PacketState } from './packet-state.js';

/** Byte offsets of `struct xdp_md` fields. */
export const XdpMd = { data: 0, data_end: 4, data_meta: 8, ingress_ifindex: 12, rx_queue_index: 16, egress_ifindex: 20, SIZE: 24 } as const;

/** `XDP_PACKET_HEADROOM`. */
export const XDP_HEADROOM = 256;
const FRAME_SIZE = 4096;
const TAILROOM = 320;
/** `sizeof(struct xdp_frame)`: `data` may not move below it. */
const XDP_FRAME_SIZE = 40;

/** Builds the XDP context. */
export function buildXdpContext(memory: Memory, input: RunInput, progType: string): BuiltContext {
  const frame = input.data ?? new Uint8Array(0);
  const max = FRAME_SIZE - XDP_HEADROOM - TAILROOM;
  if (frame.length > max) throw new InterpreterError('setup', -1, `${progType}: data_in of ${frame.length} bytes is larger than one XDP buffer (${max}); fragments are not simulated`);
  if (frame.length < 14) throw new InterpreterError('setup', -1, `${progType}: data_in of ${frame.length} bytes is shorter than an Ethernet header (14)`);
  const buf = new Uint8Array(FRAME_SIZE);
  buf.set(frame, XDP_HEADROOM);
  const region = memory.add('packet', buf, { label: 'packet' });
  const packet: PacketState = {
    kind: 'xdp',
    region,
    data: XDP_HEADROOM,
    end: XDP_HEADROOM + frame.length,
    meta: XDP_HEADROOM,
    floor: XDP_FRAME_SIZE,
    ceiling: FRAME_SIZE - TAILROOM,
    mac: XDP_HEADROOM,
    network: XDP_HEADROOM + 14,
  };
  syncPacketRegion(packet);
  const ctxBytes = new Uint8Array(XdpMd.SIZE);
  const v = new DataView(ctxBytes.buffer);
  if (input.ctx !== undefined) ctxBytes.set(input.ctx.subarray(0, XdpMd.SIZE));
  v.setUint32(XdpMd.ingress_ifindex, v.getUint32(XdpMd.ingress_ifindex, true) || 1, true);
  const fields = new Map<number, PointerField>([
    [XdpMd.data, { size: 4, get: () => [region, packet.data] }],
    [XdpMd.data_end, { size: 4, get: () => [region, packet.end] }],
    [XdpMd.data_meta, { size: 4, get: () => [region, packet.meta] }],
  ]);
  const ctx = memory.add('ctx', ctxBytes, { fields, writable: false, label: 'ctx (struct xdp_md)' });
  return {
    ctx,
    packet,
    // test_run returns the packet from data_meta: metadata included.
    dataOut: () => buf.slice(packet.meta, packet.end),
    ctxOut: () => (input.ctx === undefined ? undefined : ctxBytes.slice(0, input.ctx.length)),
  };
}
