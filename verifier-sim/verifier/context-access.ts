/**
 * Which context fields a program type may read or write, and what a read yields: the
 * `is_valid_access` callbacks of net/core/filter.c (`sk_filter_is_valid_access`,
 * `tc_cls_act_is_valid_access`, `cg_skb_is_valid_access`, `sk_skb_is_valid_access`, `bpf_skb_is_valid_access`,
 * `xdp_is_valid_access`) and kernel/trace/bpf_trace.c (`kprobe_prog_is_valid_access`,
 * `tp_prog_is_valid_access`), for `struct __sk_buff`, `struct xdp_md`, `struct pt_regs` and
 * tracepoint records.
 * @module
 */

import type { RegType } from './register-state.js';

/** The outcome of a context access check. */
export type CtxAccess = { readonly ok: false } | { readonly ok: true; readonly result: RegType; readonly maybeNull?: boolean };

/** Offsets of `struct __sk_buff` (include/uapi/linux/bpf.h, Linux 6.18). */
const SKB = {
  len: 0,
  mark: 8,
  queue_mapping: 12,
  priority: 32,
  tc_index: 44,
  cb0: 48,
  cbEnd: 68,
  tc_classid: 72,
  data: 76,
  data_end: 80,
  family: 88,
  remote_ip4: 92,
  local_ip4: 96,
  remote_ip6: 100,
  local_ip6: 116,
  local_port_end: 140,
  data_meta: 140,
  flow_keys: 144,
  tstamp: 152,
  wire_len: 160,
  sk: 168,
  tstamp_type: 180,
  hwtstamp: 184,
  size: 192,
} as const;

const inField = (off: number, start: number, size: number): boolean => off >= start && off < start + size;

function skbValid(off: number, size: number, write: boolean, ldsx: boolean): CtxAccess | false {
  if (off < 0 || off >= SKB.size) return false;
  if (off % size !== 0) return false;
  if (off >= SKB.cb0 && off < SKB.cbEnd) {
    if (off + size > SKB.cbEnd) return false;
  } else if (inField(off, SKB.data, 4) || inField(off, SKB.data_meta, 4) || inField(off, SKB.data_end, 4)) {
    if (ldsx || size !== 4) return false;
  } else if ((off >= SKB.remote_ip6 && off < SKB.remote_ip6 + 16) || (off >= SKB.local_ip6 && off < SKB.local_ip6 + 16) || inField(off, SKB.remote_ip4, 4) || inField(off, SKB.local_ip4, 4)) {
    if (size !== 4) return false;
  } else if (inField(off, SKB.flow_keys, 8)) {
    return false;
  } else if (inField(off, SKB.hwtstamp, 8)) {
    if (write || size !== 8) return false;
  } else if (inField(off, SKB.tstamp, 8)) {
    if (size !== 8) return false;
  } else if (inField(off, SKB.sk, 8)) {
    if (write || size !== 8) return false;
    return { ok: true, result: 'sock_common', maybeNull: true };
  } else if (off === SKB.tstamp_type) {
    return false;
  } else if (off > SKB.tstamp_type && off < SKB.hwtstamp) {
    return false;
  } else if (write) {
    if (size !== 4) return false;
  } else if (size > 4 || (size & (size - 1)) !== 0) {
    return false;
  }
  return { ok: true, result: 'scalar' };
}

function socketFilter(off: number, size: number, write: boolean, ldsx: boolean): CtxAccess | false {
  if (
    inField(off, SKB.tc_classid, 4) ||
    inField(off, SKB.data, 4) ||
    inField(off, SKB.data_meta, 4) ||
    inField(off, SKB.data_end, 4) ||
    (off >= SKB.family && off < SKB.local_port_end) ||
    inField(off, SKB.tstamp, 8) ||
    inField(off, SKB.wire_len, 4) ||
    inField(off, SKB.hwtstamp, 8)
  )
    return false;
  if (write && !(off >= SKB.cb0 && off < SKB.cbEnd)) return false;
  return skbValid(off, size, write, ldsx);
}

function tcClsAct(off: number, size: number, write: boolean, ldsx: boolean): CtxAccess | false {
  if (write) {
    const writable =
      inField(off, SKB.mark, 4) ||
      inField(off, SKB.tc_index, 4) ||
      inField(off, SKB.priority, 4) ||
      inField(off, SKB.tc_classid, 4) ||
      (off >= SKB.cb0 && off < SKB.cbEnd) ||
      inField(off, SKB.tstamp, 8) ||
      inField(off, SKB.queue_mapping, 4);
    if (!writable) return false;
  }
  let result: RegType = 'scalar';
  if (inField(off, SKB.data, 4)) result = 'pkt';
  else if (inField(off, SKB.data_meta, 4)) result = 'pkt_meta';
  else if (inField(off, SKB.data_end, 4)) result = 'pkt_end';
  else if (off >= SKB.family && off < SKB.local_port_end) return false;
  else if (off === SKB.tstamp_type) return size === 1 ? { ok: true, result: 'scalar' } : false;
  const r = skbValid(off, size, write, ldsx);
  if (r === false) return false;
  return result === 'scalar' ? r : { ok: true, result };
}

function cgroupSkb(off: number, size: number, write: boolean, ldsx: boolean): CtxAccess | false {
  if (inField(off, SKB.tc_classid, 4) || inField(off, SKB.data_meta, 4) || inField(off, SKB.wire_len, 4)) return false;
  if (write) {
    const writable = inField(off, SKB.mark, 4) || inField(off, SKB.priority, 4) || (off >= SKB.cb0 && off < SKB.cbEnd) || inField(off, SKB.tstamp, 8);
    if (!writable) return false;
  }
  let result: RegType = 'scalar';
  if (inField(off, SKB.data, 4)) result = 'pkt';
  else if (inField(off, SKB.data_end, 4)) result = 'pkt_end';
  const r = skbValid(off, size, write, ldsx);
  if (r === false) return false;
  return result === 'scalar' ? r : { ok: true, result };
}

/** `sk_skb_is_valid_access`: data/data_end readable as packet pointers, only tc_index and priority writable, no mark. */
function skSkb(off: number, size: number, write: boolean, ldsx: boolean): CtxAccess | false {
  if (inField(off, SKB.tc_classid, 4) || inField(off, SKB.data_meta, 4) || inField(off, SKB.tstamp, 8) || inField(off, SKB.wire_len, 4) || inField(off, SKB.hwtstamp, 8)) return false;
  if (write && !(inField(off, SKB.tc_index, 4) || inField(off, SKB.priority, 4))) return false;
  if (inField(off, SKB.mark, 4)) return false;
  let result: RegType = 'scalar';
  if (inField(off, SKB.data, 4)) result = 'pkt';
  else if (inField(off, SKB.data_end, 4)) result = 'pkt_end';
  const r = skbValid(off, size, write, ldsx);
  if (r === false) return false;
  return result === 'scalar' ? r : { ok: true, result };
}

function xdp(off: number, size: number, write: boolean, ldsx: boolean, attach: number | null): CtxAccess | false {
  // BPF_XDP_DEVMAP is attach type 33.
  if (attach !== 33 && off === 20) return false;
  if (write) return false;
  if ((off === 0 || off === 4 || off === 8) && ldsx) return false;
  if (off < 0 || off >= 24 || off % size !== 0 || size !== 4) return false;
  const result: RegType = off === 0 ? 'pkt' : off === 8 ? 'pkt_meta' : off === 4 ? 'pkt_end' : 'scalar';
  return { ok: true, result };
}

/** `sizeof(struct pt_regs)` on x86_64. */
const PT_REGS_SIZE = 168;

function kprobe(off: number, size: number): CtxAccess | false {
  if (off < 0 || off >= PT_REGS_SIZE || off % size !== 0 || off + size > PT_REGS_SIZE) return false;
  return { ok: true, result: 'scalar' };
}

function tracepoint(off: number, size: number, write: boolean): CtxAccess | false {
  if (off < 8 || off >= 8192 || write || off % size !== 0) return false;
  return { ok: true, result: 'scalar' };
}

function rawTracepoint(off: number, size: number, write: boolean): CtxAccess | false {
  if (off < 0 || off >= 8 * 12 || write || off % size !== 0 || size !== 8) return false;
  return { ok: true, result: 'scalar' };
}

/** Program types whose context accesses are modelled. */
export const CTX_MODELLED: ReadonlySet<string> = new Set(['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'sk_skb', 'xdp', 'kprobe', 'tracepoint', 'raw_tracepoint']);

/**
 * Checks a context access of `size` bytes at `off` for program type `progType`; `null` when
 * the program type's context is not modelled.
 */
export function checkContextAccess(progType: string, attach: number | null, off: number, size: number, write: boolean, ldsx: boolean): CtxAccess | null {
  let r: CtxAccess | false;
  switch (progType) {
    case 'socket_filter':
      r = socketFilter(off, size, write, ldsx);
      break;
    case 'sched_cls':
    case 'sched_act':
      r = tcClsAct(off, size, write, ldsx);
      break;
    case 'cgroup_skb':
      r = cgroupSkb(off, size, write, ldsx);
      break;
    case 'sk_skb':
      r = skSkb(off, size, write, ldsx);
      break;
    case 'xdp':
      r = xdp(off, size, write, ldsx, attach);
      break;
    case 'kprobe':
      r = kprobe(off, size);
      break;
    case 'tracepoint':
      r = tracepoint(off, size, write);
      break;
    case 'raw_tracepoint':
      r = rawTracepoint(off, size, write);
      break;
    default:
      return null;
  }
  return r === false ? { ok: false } : r;
}
