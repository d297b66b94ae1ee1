/**
 * Program contexts (R1 at entry) per program type: `struct __sk_buff` for `socket_filter` and
 * `sched_cls`, `struct xdp_md` for `xdp`, the tracefs record for `tracepoint` (see
 * `tracepoint-context.ts`). Fields are read by name with the kernel's offset and
 * size (`include/uapi/linux/bpf.h`); `data`/`data_end` are not scalar fields, they are reached
 * through `$.ifPacket`, which emits the bounds check the verifier wants.
 * @module
 */

import { u32, type U32 } from './c-types.js';
import { Expr } from './expr.js';
import type { VarNode } from './nodes.js';
import type { KprobeContext } from './kprobe-context.js';
import type { PerfEventContext } from './perf-event-context.js';
import type { RawTracepointContext } from './raw-tracepoint-context.js';
import type { TracepointContext } from './tracepoint-context.js';
import type { TracingContext } from './tracing-context.js';

/** Program types the eDSL compiles for. */
export type ProgType = 'socket_filter' | 'sched_cls' | 'xdp' | 'tracepoint' | 'kprobe' | 'raw_tracepoint' | 'perf_event' | 'tracing' | 'lsm';

/** Scalar `__u32` fields of `struct __sk_buff` readable by socket filters and tc programs. */
export const skBuffFields = {
  len: 0,
  pkt_type: 4,
  mark: 8,
  queue_mapping: 12,
  /** `__be16` in a `__u32` (network order): use `.cast(u16).byteSwap()` for host order. */
  protocol: 16,
  vlan_present: 20,
  vlan_tci: 24,
  vlan_proto: 28,
  priority: 32,
  ingress_ifindex: 36,
  ifindex: 40,
  tc_index: 44,
  /** `cb[0]`…`cb[4]`: 20 bytes of scratch shared by the programs that see this skb. */
  cb0: 48,
  cb1: 52,
  cb2: 56,
  cb3: 60,
  cb4: 64,
  hash: 68,
  napi_id: 84,
} as const;

/** Scalar `__u32` fields of `struct xdp_md`. */
export const xdpMdFields = {
  ingress_ifindex: 12,
  rx_queue_index: 16,
  egress_ifindex: 20,
} as const;

/**
 * Context fields a program of type `P` may write (`sk_filter_is_valid_access`,
 * `tc_cls_act_is_valid_access`): socket filters only the `cb` scratch words, tc programs also
 * `mark`, `priority` and `tc_index`; XDP none.
 */
export const writableFields = {
  socket_filter: { cb0: 48, cb1: 52, cb2: 56, cb3: 60, cb4: 64 },
  sched_cls: { mark: 8, priority: 32, tc_index: 44, cb0: 48, cb1: 52, cb2: 56, cb3: 60, cb4: 64 },
  xdp: {},
  tracepoint: {},
  kprobe: {},
  raw_tracepoint: {},
  perf_event: {},
  tracing: {},
  lsm: {},
} as const;

/** Names of the context fields programs of type `P` may write. */
export type WritableField<P extends ProgType> = keyof (typeof writableFields)[P] & string;

/** Offsets of `data` and `data_end` in a context with direct packet access. */
export interface PacketOffsets {
  /** Offset of `data`. */
  readonly data: number;
  /** Offset of `data_end`. */
  readonly dataEnd: number;
}

/** `struct __sk_buff` fields as expressions. */
export type SkBuffFields = { readonly [K in keyof typeof skBuffFields]: Expr<U32> };
/** `struct xdp_md` fields as expressions. */
export type XdpMdFields = { readonly [K in keyof typeof xdpMdFields]: Expr<U32> };

/**
 * The context of a program of type `P`: its fields by name, plus the internal pointer. A
 * tracepoint program's context is a {@link TracepointContext} (`ctx.args.<field>`).
 */
export type Context<P extends ProgType> = P extends 'tracepoint' ? TracepointContext
  : P extends 'kprobe' ? KprobeContext
  : P extends 'raw_tracepoint' ? RawTracepointContext
  : P extends 'perf_event' ? PerfEventContext
  : P extends 'tracing' | 'lsm' ? TracingContext
  : (P extends 'xdp' ? XdpMdFields : SkBuffFields) & {
  /** The program type. */
  readonly progType: P;
  /** The variable holding the context pointer (internal). */
  readonly pointer: VarNode;
};

const packetOffsets: Readonly<Record<ProgType, PacketOffsets | null>> = {
  socket_filter: null, // sk_filter_is_valid_access refuses data/data_end
  sched_cls: { data: 76, dataEnd: 80 },
  xdp: { data: 0, dataEnd: 4 },
  tracepoint: null,
  kprobe: null,
  raw_tracepoint: null,
  perf_event: null,
  tracing: null,
  lsm: null,
};

/** Where `data`/`data_end` are in the context of `progType`, or null without direct packet access. */
export function packetOffsetsOf(progType: ProgType): PacketOffsets | null {
  return packetOffsets[progType];
}

/**
 * Builds the context object of `progType` over the pointer variable `pointer` (not for
 * tracepoints, kprobes, raw tracepoints and perf events, which have their own `make…Context`).
 */
export function makeContext<P extends ProgType>(progType: P, pointer: VarNode): Context<P> {
  const fields: Record<string, number> = progType === 'xdp' ? xdpMdFields : skBuffFields;
  const ctx: Record<string, unknown> = { progType, pointer };
  for (const [name, off] of Object.entries(fields)) {
    Object.defineProperty(ctx, name, { enumerable: true, get: () => new Expr({ kind: 'load', type: u32, base: pointer, off }, u32) });
  }
  return Object.freeze(ctx) as Context<P>;
}
