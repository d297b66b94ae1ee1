/**
 * Output helpers, captured for the test to read: `bpf_trace_printk` (lines in
 * `RunResult.trace`), `bpf_perf_event_output` (records in the perf event array map), and the ring
 * buffer helpers `bpf_ringbuf_output`, `_reserve`, `_submit`, `_discard`, `_query`.
 * @module
 */

import { Errno } from '../errno.js';
import { InterpreterError } from '../errors.js';
import { PerfEventArrayMap } from '../maps/perf-event-array-map.js';
import { RingbufMap } from '../maps/ringbuf-map.js';
import { argMap, argMem, argSize, argU32, argU64, setR0, setR0Pointer } from './args.js';
import type { HelperContext, HelperFn } from './helper-context.js';
import { readString } from './memory-helpers.js';

function formatArg(h: HelperContext, spec: string, reg: number): string {
  const v = (BigInt(h.hi[reg] >>> 0) << 32n) | BigInt(h.lo[reg] >>> 0);
  const conv = spec[spec.length - 1];
  const long = spec.includes('l');
  const width = long ? 64 : 32;
  switch (conv) {
    case 'd':
    case 'i':
      return BigInt.asIntN(width, v).toString();
    case 'u':
      return BigInt.asUintN(width, v).toString();
    case 'x':
      return BigInt.asUintN(width, v).toString(16);
    case 'X':
      return BigInt.asUintN(width, v).toString(16).toUpperCase();
    case 'p':
      return `0x${v.toString(16)}`;
    case 'c':
      return String.fromCharCode(Number(v & 0xffn));
    case 's': {
      const s = readString(h, reg, 64);
      return s === null ? '(efault)' : new TextDecoder().decode(s.subarray(0, s.length - 1));
    }
  }
  return spec;
}

/**
 * `long bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3)`: formats `%d %i %u %x %X %p %c %s`
 * (with `l`/`ll`) and `%%`; the line goes to the run's trace; returns its length.
 */
export const tracePrintk: HelperFn = (h) => {
  const size = argSize(h, 2);
  const fmtAt = argMem(h, 1, size, 'read', 'bpf_trace_printk');
  const fmt = h.memory.read(fmtAt, size);
  if (size === 0 || fmt[size - 1] !== 0) {
    setR0(h, -Errno.EINVAL);
    return;
  }
  const text = new TextDecoder().decode(fmt.subarray(0, fmt.indexOf(0)));
  let arg = 3;
  let bad = false;
  const line = text.replace(/%(%|[-+ 0#]*\d*(?:ll|l|h|hh|z)?[diuxXpcs]|.)/g, (m) => {
    if (m === '%%') return '%';
    if (!/[diuxXpcs]$/.test(m) || arg > 5) {
      bad = true;
      return m;
    }
    return formatArg(h, m, arg++);
  });
  if (bad) {
    setR0(h, -Errno.EINVAL);
    return;
  }
  h.trace.push(line);
  setR0(h, new TextEncoder().encode(line).length);
};

const CURRENT_CPU = 0xffffffffn;
const CTXLEN_MASK = 0xfffffn << 32n;

/**
 * `long bpf_perf_event_output(ctx, map, flags, data, size)`: appends a record to the current
 * CPU's slot (`BPF_F_CURRENT_CPU`, or the index in the flags, which must be the current CPU).
 * For skb and XDP programs, `flags >> 32` bytes of the packet are appended to the record.
 */
export const perfEventOutput: HelperFn = (h) => {
  const map = argMap(h, 2, 'bpf_perf_event_output', PerfEventArrayMap);
  const flags = argU64(h, 3);
  const size = argSize(h, 5);
  const data = size === 0 ? new Uint8Array(0) : h.memory.read(argMem(h, 4, size, 'read', 'bpf_perf_event_output'), size);
  if ((flags & ~(CTXLEN_MASK | 0xffffffffn)) !== 0n) {
    setR0(h, -Errno.EINVAL);
    return;
  }
  let index = Number(flags & 0xffffffffn);
  if (BigInt(index) === CURRENT_CPU) index = h.cpu;
  if (index >= map.maxEntries) {
    setR0(h, -Errno.E2BIG);
    return;
  }
  if (!map.isOpen(index)) {
    setR0(h, -Errno.ENOENT);
    return;
  }
  if (index !== h.cpu) {
    setR0(h, -Errno.EOPNOTSUPP);
    return;
  }
  const ctxLen = Number((flags & CTXLEN_MASK) >> 32n);
  let record = data;
  if (ctxLen > 0) {
    const p = h.packet;
    if (p === null || ctxLen > p.end - p.data) {
      setR0(h, -Errno.EFAULT);
      return;
    }
    record = new Uint8Array(data.length + ctxLen);
    record.set(data);
    record.set(p.region.bytes.subarray(p.data, p.data + ctxLen), data.length);
  }
  map.output(index, record);
  setR0(h, 0);
};

/** `long bpf_ringbuf_output(ringbuf, data, size, flags)`: 0, or `-EAGAIN` when it does not fit. */
export const ringbufOutput: HelperFn = (h) => {
  const map = argMap(h, 1, 'bpf_ringbuf_output', RingbufMap);
  const size = argSize(h, 3);
  const flags = argU64(h, 4);
  if ((flags & ~3n) !== 0n) {
    setR0(h, -Errno.EINVAL);
    return;
  }
  const data = size === 0 ? new Uint8Array(0) : h.memory.read(argMem(h, 2, size, 'read', 'bpf_ringbuf_output'), size);
  const rec = map.reserve(size);
  if (rec === null) {
    setR0(h, -Errno.EAGAIN);
    return;
  }
  rec.data.set(data);
  rec.state = 1;
  setR0(h, 0);
};

/** `void *bpf_ringbuf_reserve(ringbuf, size, flags)`: a pointer to a new record, or NULL. */
export const ringbufReserve: HelperFn = (h) => {
  const map = argMap(h, 1, 'bpf_ringbuf_reserve', RingbufMap);
  const size = argSize(h, 2);
  const rec = argU64(h, 3) !== 0n || size > map.maxEntries ? null : map.reserve(size);
  if (rec === null) {
    setR0(h, 0);
    return;
  }
  const region = h.memory.add('ringbuf_record', rec.data, { map, label: `ring buffer '${map.name}' record` });
  h.ringbufRecords.set(region, { map, record: rec });
  setR0Pointer(h, region, 0);
};

function commit(name: string, state: number): HelperFn {
  return (h) => {
    const t = h.tag[1];
    const region = t === 0 ? undefined : h.memory.regions[t];
    const entry = region === undefined ? undefined : h.ringbufRecords.get(region);
    if (region === undefined || entry === undefined || (h.lo[1] | 0) !== 0 || h.hi[1] !== region.baseHi) {
      throw new InterpreterError('helper_args', h.insn, `${name}: R1 is not a pointer to a reserved ring buffer record`, { helper: name });
    }
    if (entry.record.state !== 0) throw new InterpreterError('helper_args', h.insn, `${name}: the record was already released`, { helper: name });
    entry.record.state = state;
    region.readable = false;
    region.writable = false;
    setR0(h, 0);
  };
}

/** `void bpf_ringbuf_submit(data, flags)`. The record's memory becomes inaccessible. */
export const ringbufSubmit: HelperFn = commit('bpf_ringbuf_submit', 1);
/** `void bpf_ringbuf_discard(data, flags)`. */
export const ringbufDiscard: HelperFn = commit('bpf_ringbuf_discard', 2);

/** `u64 bpf_ringbuf_query(ringbuf, flags)`. */
export const ringbufQuery: HelperFn = (h) => {
  const map = argMap(h, 1, 'bpf_ringbuf_query', RingbufMap);
  setR0(h, map.query(argU32(h, 2)));
};
