/**
 * A running opensnoop (see ./opensnoop.ts for the programs): the prebuilt programs
 * (./opensnoop-prebuilt.generated.ts, built from the eDSL) loaded with the filter values patched
 * in, the event reader, and both tracepoints attached. This module imports no eDSL, assembler or
 * BTF code, so `tsbpf opensnoop` starts fast (issue #6); `Opensnoop` is re-exported by
 * ./opensnoop.ts.
 * @module
 */

import { readFileSync } from 'node:fs';
import { attachTracepoint } from '../attach/tracepoint.js';
import type { Link } from '../attach/link.js';
import type { EventReader } from '../readers/event-reader.js';
import { PerfBuffer } from '../readers/perf-buffer.js';
import { RingBuffer } from '../readers/ring-buffer.js';
import { MapElemAccess } from '../../syscalls/map-elem.js';
import { readCString } from '../types/c-string.js';
import type { RawOpenEvent } from './opensnoop.js';
import { OPENSNOOP_ENTER, OPENSNOOP_EXIT } from './opensnoop-prebuilt.generated.js';
import { checkFilterId, enterVariantKey, enterVariantValues, exitVariantKey } from './opensnoop-variants.js';
import { loadPrebuiltSet, type LoadedPrebuiltSet, type PrebuiltProgram } from './prebuilt-program.js';
import { runEveryStep } from '../system/run-every-step.js';

/** BCC's `NAME_MAX`-sized path buffer (255 bytes and the NUL). */
export const PATH_BYTES = 256;

/** Ring buffer size of the `'ring'` transport (4 MiB). */
export const RING_BYTES = 1 << 22;

/** `BPF_F_NO_PREALLOC`: hash map entries allocated on update. */
const BPF_F_NO_PREALLOC = 1;

/**
 * Whether a tracepoint program may use a hash map without preallocated entries on a kernel of
 * release `release` (`uname -r`) without a warning: Linux 6.1 and later. From 5.7 to 6.0
 * the verifier accepts one but logs a WARN_ONCE (a stack trace in dmesg), so there and when the
 * release cannot be read the map stays preallocated, as in BCC.
 */
export function runtimeAllocatedHashOk(release: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (m === null) return false;
  const major = Number(m[1]);
  return major > 6 || (major === 6 && Number(m[2]) >= 1);
}

/**
 * The running kernel's release (`uname -r`, what `os.release()` returns), read from
 * /proc/sys/kernel/osrelease: node:os is the only module the fast path would load for it
 * (start-up time, issue #6). An empty string when /proc cannot be read (the map then stays
 * preallocated).
 */
export function kernelRelease(): string {
  try {
    return readFileSync('/proc/sys/kernel/osrelease', 'latin1').trim();
  } catch {
    return '';
  }
}

/**
 * `program` with its `infotmp` hash created with `BPF_F_NO_PREALLOC` when `noPrealloc`: creating
 * the preallocated 10240-entry hash costs 2–3 ms of start-up (issue #6), while an entry only lives
 * from an `openat`'s entry to its exit. Same behaviour otherwise (a full map fails the update).
 */
export function withInfotmpAllocation(program: PrebuiltProgram, noPrealloc: boolean): PrebuiltProgram {
  if (!noPrealloc) return program;
  return { ...program, maps: program.maps.map((m) => (m.name === 'infotmp' ? { ...m, flags: m.flags | BPF_F_NO_PREALLOC } : m)) };
}

/** Filters applied in the kernel. */
export interface OpensnoopFilter {
  /** Only this process (tgid). */
  readonly pid?: number;
  /** Only this thread. */
  readonly tid?: number;
  /** Only this user id. */
  readonly uid?: number;
  /** Only failed opens (negative return value). */
  readonly failed?: boolean;
}

/**
 * How events reach user space: `'perf'` (default, BCC's `BPF_PERF_OUTPUT`; the kernel reports
 * drops) or `'ring'` (a ring buffer map, Linux 5.8: cheaper per event; the program counts drops in
 * the one-slot array `dropped`).
 */
export type OpensnoopTransport = 'perf' | 'ring';

/** One open, as opensnoop reports it (the `--json` keys, BCC's columns in lower case). */
export interface OpenEventRecord {
  /** Seconds since opensnoop started (BCC's `TIME(s)`; both clocks are CLOCK_MONOTONIC). */
  readonly ts: number;
  /** Process id (tgid). */
  readonly pid: number;
  /** Thread id. */
  readonly tid: number;
  /** User id. */
  readonly uid: number;
  /** Task name. */
  readonly comm: string;
  /** The new fd, or -1 when the open failed. */
  readonly fd: number;
  /** The errno when the open failed, else 0. */
  readonly err: number;
  /** The `open` flags. */
  readonly flags: number;
  /** The path as passed to `openat` (at most 255 bytes). */
  readonly path: string;
}

/** Options of {@link Opensnoop.start}. */
export interface OpensnoopOptions extends OpensnoopFilter {
  /** Only tasks whose name contains this (filtered in user space, like BCC's `-n`). */
  readonly name?: string;
  /** Perf buffer pages per CPU (default 64, BCC opensnoop's `page_cnt`). */
  readonly pageCount?: number;
  /** Event transport (default `'perf'`). */
  readonly transport?: OpensnoopTransport;
  /** Called with the number of events the kernel dropped, when it drops some. */
  readonly lost?: (count: number) => void;
}

/** Bytes of an `open_event` record (the `OpenEvent` struct of ./opensnoop.ts). */
export const OPEN_EVENT_BYTES = 48 + PATH_BYTES;

/**
 * Decodes an `open_event` record (ts u64 @0, pid/tid/uid/flags u32 @8..20, ret s64 @24,
 * comm char[16] @32, path char[256] @48) — what `OpenEvent.decode` returns, without loading the
 * type system (a test asserts they agree).
 */
export function decodeOpenEvent(dv: DataView): RawOpenEvent {
  const u8 = new Uint8Array(dv.buffer, dv.byteOffset, dv.byteLength);
  if (dv.byteLength < OPEN_EVENT_BYTES) throw new RangeError(`opensnoop: a record of ${dv.byteLength} bytes is shorter than open_event (${OPEN_EVENT_BYTES})`);
  return {
    ts: dv.getBigUint64(0, true),
    pid: dv.getUint32(8, true),
    tid: dv.getUint32(12, true),
    uid: dv.getUint32(16, true),
    flags: dv.getUint32(20, true),
    ret: dv.getBigInt64(24, true),
    comm: readCString(u8, 32, 16),
    path: readCString(u8, 48, PATH_BYTES),
  };
}

/** Turns a raw event into a record, with `ts` in seconds relative to `startNs` (a `bpf_ktime_get_ns` time). */
export function toRecord(raw: RawOpenEvent, startNs: bigint): OpenEventRecord {
  const ret = Number(raw.ret);
  return {
    ts: Number((raw.ts - startNs) / 1000n) / 1e6,
    pid: raw.pid,
    tid: raw.tid,
    uid: raw.uid,
    comm: raw.comm,
    fd: ret >= 0 ? ret : -1,
    err: ret >= 0 ? 0 : -ret,
    flags: raw.flags,
    path: raw.path,
  };
}

/**
 * A running opensnoop: both programs loaded and attached, the perf buffer delivering events from
 * the event loop. Keeps the process alive until {@link Opensnoop.close}.
 */
export class Opensnoop {
  /** Events delivered to the callback. */
  events = 0;
  readonly #set: LoadedPrebuiltSet;
  readonly #reader: EventReader<RawOpenEvent>;
  readonly #links: Link[];
  readonly #dropped: MapElemAccess | undefined;
  #droppedAtClose = 0;
  #closed = false;

  private constructor(set: LoadedPrebuiltSet, reader: EventReader<RawOpenEvent>, links: Link[]) {
    this.#set = set;
    this.#reader = reader;
    this.#links = links;
    const fd = set.mapFds.dropped;
    this.#dropped = fd === undefined ? undefined : new MapElemAccess(fd, 4, 8);
  }

  /** Events dropped because the buffer was full (perf: reported by the kernel; ring: counted by the program). */
  get lost(): number {
    return this.#reader.lost + (this.#closed ? this.#droppedAtClose : this.#readDropped());
  }

  #readDropped(): number {
    const d = this.#dropped;
    if (d === undefined) return 0;
    d.key.fill(0);
    return d.lookup() === 0 ? Number(Buffer.from(d.value).readBigUInt64LE(0)) : 0;
  }

  /** Whether {@link Opensnoop.close} was called. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Loads opensnoop's prebuilt programs with the filters of `options`, attaches them, and calls
   * `onEvent` for every open that passes the filters. Needs root (or CAP_BPF + CAP_PERFMON) and
   * tracefs. Throws, after releasing what it created, when a step fails.
   */
  static start(options: OpensnoopOptions, onEvent: (event: OpenEventRecord) => void): Opensnoop {
    checkFilterId('pid', options.pid);
    checkFilterId('tid', options.tid);
    checkFilterId('uid', options.uid);
    const noPrealloc = runtimeAllocatedHashOk(kernelRelease());
    const enter = withInfotmpAllocation(OPENSNOOP_ENTER[enterVariantKey(options)], noPrealloc);
    const exit = withInfotmpAllocation(OPENSNOOP_EXIT[exitVariantKey(options)], noPrealloc);
    const set = loadPrebuiltSet([enter, exit], enterVariantValues(options));
    const links: Link[] = [];
    let reader: EventReader<RawOpenEvent> | undefined;
    try {
      const events = set.mapFds.events;
      reader = options.transport === 'ring'
        ? RingBuffer.create(events, { decode: decodeOpenEvent, size: RING_BYTES })
        : PerfBuffer.create(events, { decode: decodeOpenEvent, pageCount: options.pageCount ?? 64 });
      const snoop = new Opensnoop(set, reader, links);
      // bpf_ktime_get_ns and Node's hrtime both read CLOCK_MONOTONIC.
      const start = process.hrtime.bigint();
      const name = options.name;
      reader.open((raw) => {
        if (name !== undefined && !raw.comm.includes(name)) return;
        snoop.events++;
        onEvent(toRecord(raw, start));
      }, { lost: (n) => options.lost?.(n) });
      // Exit first: an entry saved without its exit probe attached would linger in infotmp.
      links.push(attachTracepoint(set.progFds[exit.name], 'syscalls', 'sys_exit_openat'));
      links.push(attachTracepoint(set.progFds[enter.name], 'syscalls', 'sys_enter_openat'));
      return snoop;
    } catch (err) {
      for (const l of links.reverse()) l.close();
      reader?.close();
      set.close();
      throw err;
    }
  }

  /** Delivers the events already waiting (without waiting); returns how many records were read. */
  drain(): number {
    return this.#closed ? 0 : this.#reader.consume();
  }

  /** Detaches both programs, closes the reader and every program and map fd (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const detach = [...this.#links].reverse().map((l) => () => l.close());
    const count = () => { this.#droppedAtClose = this.#readDropped(); };
    runEveryStep([...detach, count, () => this.#reader.close(), () => this.#set.close()]);
  }

  /** Same as {@link Opensnoop.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
