/**
 * opensnoop: every `openat()` on the system with the process, the fd or error, and the path —
 * BCC's `opensnoop` (its tracepoint version). Two eDSL programs share a hash keyed by
 * `pid_tgid` (BCC's `infotmp`): `sys_enter_openat` saves the filename pointer, flags and time;
 * `sys_exit_openat` looks the entry up, reads the path from user memory, and sends the event with
 * the return value through a perf event array (BCC's `BPF_PERF_OUTPUT` + `perf_submit`).
 *
 * ```ts
 * const snoop = Opensnoop.start({ pid: 1234 }, (ev) => console.log(ev.pid, ev.comm, ev.fd, ev.err, ev.path));
 * // …
 * snoop.close();               // detaches both programs, closes the reader and every map
 * snoop.lost;                  // events the kernel dropped (perf buffer full)
 * ```
 * @module
 */

// Module by module rather than through the index files: the CLI loads only what it runs.
import { attachTracepoint } from '../attach/tracepoint.js';
import type { Link } from '../attach/link.js';
import { s64, u32, u64 } from '../dsl/c-types.js';
import { compile } from '../dsl/compile.js';
import { loadProgramSet, type LoadedProgramSet } from '../dsl/load-programs.js';
import type { Program } from '../dsl/program.js';
import { tracepointProgram } from '../dsl/tracepoint-program.js';
import type { EventReader } from '../readers/event-reader.js';
import { PerfBuffer } from '../readers/perf-buffer.js';
import { RingBuffer } from '../readers/ring-buffer.js';
import { MapElemAccess } from '../../syscalls/map-elem.js';
import { char, struct, type Infer } from '../types/index.js';
import type { TracepointFormat } from '../tracefs/format.js';

/** BCC's `NAME_MAX`-sized path buffer (255 bytes and the NUL). */
export const PATH_BYTES = 256;

/** What the entry probe saves per thread (BCC's `struct val_t`). */
export const OpenInfo = struct('open_info', { ts: u64, fname: u64, flags: u64 });

/** The event the exit probe sends (BCC's `struct data_t`). */
export const OpenEvent = struct('open_event', { ts: u64, pid: u32, tid: u32, uid: u32, flags: u32, ret: s64, comm: char(16), path: char(PATH_BYTES) });

/** A decoded {@link OpenEvent}. */
export type RawOpenEvent = Infer<typeof OpenEvent>;

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

/** Ring buffer size of the `'ring'` transport (4 MiB). */
export const RING_BYTES = 1 << 22;

/** Options of {@link opensnoopPrograms}. */
export interface OpensnoopProgramOptions extends OpensnoopFilter {
  /** Event transport (default `'perf'`). */
  readonly transport?: OpensnoopTransport;
  /** Record layouts (default: read from tracefs). */
  readonly formats?: { readonly enter?: TracepointFormat; readonly exit?: TracepointFormat };
}

/** The entry and exit programs of opensnoop. */
export interface OpensnoopPrograms {
  /** On `syscalls:sys_enter_openat`: saves the arguments. */
  readonly enter: Program<'tracepoint'>;
  /** On `syscalls:sys_exit_openat`: sends the event. */
  readonly exit: Program<'tracepoint'>;
}

function checkId(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0xffffffff)) throw new RangeError(`opensnoop: ${name} ${String(v)} is not a 32-bit unsigned integer`);
}

/** Builds the two programs of opensnoop with the filters of `options` compiled in. */
export function opensnoopPrograms(options: OpensnoopProgramOptions = {}): OpensnoopPrograms {
  checkId('pid', options.pid);
  checkId('tid', options.tid);
  checkId('uid', options.uid);
  const enter = tracepointProgram('syscalls', 'sys_enter_openat', ($, ctx) => {
    const infotmp = $.hash('infotmp', u64, OpenInfo, { maxEntries: 10240 });
    const id = $.let(u64, $.getCurrentPidTgid());
    if (options.pid !== undefined) $.if(id.shr(32n).cast(u32).ne(options.pid), () => $.return(0));
    if (options.tid !== undefined) $.if(id.cast(u32).ne(options.tid), () => $.return(0));
    if (options.uid !== undefined) $.if($.getCurrentUidGid().cast(u32).ne(options.uid), () => $.return(0));
    const info = $.struct(OpenInfo, { ts: $.ktimeGetNs(), fname: ctx.args.filename, flags: ctx.args.flags });
    infotmp.update(id, info);
    return 0;
  }, { name: 'opensnoop_enter', ...(options.formats?.enter === undefined ? {} : { format: options.formats.enter }) });
  const exit = tracepointProgram('syscalls', 'sys_exit_openat', ($, ctx) => {
    const infotmp = $.hash('infotmp', u64, OpenInfo, { maxEntries: 10240 });
    const ring = options.transport === 'ring';
    const perf = ring ? undefined : $.perfEventArray('events');
    const rb = ring ? $.ringbuf('events', { size: RING_BYTES }) : undefined;
    const dropped = ring ? $.array('dropped', u64, { maxEntries: 1 }) : undefined;
    const id = $.let(u64, $.getCurrentPidTgid());
    $.ifSome(infotmp.lookup(id), (info) => {
      const ret = $.let(s64, ctx.args.ret);
      if (options.failed === true) {
        $.if(ret.ge(0n), () => {
          infotmp.delete(id);
          $.return(0);
        });
      }
      const ev = $.struct(OpenEvent, {
        ts: $.ktimeGetNs(),
        pid: id.shr(32n).cast(u32),
        tid: id.cast(u32),
        uid: $.getCurrentUidGid().cast(u32),
        flags: info.field('flags').get().cast(u32),
        ret,
      });
      $.getCurrentComm(ev.field('comm'));
      $.probeReadUserStr(ev.field('path'), info.field('fname').get());
      if (rb !== undefined && dropped !== undefined) {
        $.if(rb.output(ev).ne(0n), () => $.ifSome(dropped.lookup(0), (n) => n.atomicAdd(1n)));
      } else {
        perf!.output(ev);
      }
      infotmp.delete(id);
    });
    return 0;
  }, { name: 'opensnoop_exit', ...(options.formats?.exit === undefined ? {} : { format: options.formats.exit }) });
  return { enter, exit };
}

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
  readonly #set: LoadedProgramSet;
  readonly #reader: EventReader<RawOpenEvent>;
  readonly #links: Link[];
  readonly #dropped: MapElemAccess | undefined;
  #droppedAtClose = 0;
  #closed = false;

  private constructor(set: LoadedProgramSet, reader: EventReader<RawOpenEvent>, links: Link[]) {
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
   * Builds, loads and attaches opensnoop, and calls `onEvent` for every open that passes the
   * filters. Needs root (or CAP_BPF + CAP_PERFMON) and tracefs. Throws, after releasing what it
   * created, when a step fails.
   */
  static start(options: OpensnoopOptions, onEvent: (event: OpenEventRecord) => void): Opensnoop {
    const progs = opensnoopPrograms(options);
    const set = loadProgramSet([compile(progs.enter), compile(progs.exit)]);
    const links: Link[] = [];
    let reader: EventReader<RawOpenEvent> | undefined;
    try {
      const decode = (dv: DataView) => OpenEvent.decode(dv);
      reader = options.transport === 'ring'
        ? RingBuffer.create(set.mapFds.events, { decode, size: RING_BYTES })
        : PerfBuffer.create(set.mapFds.events, { decode, pageCount: options.pageCount ?? 64 });
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
      links.push(attachTracepoint(set.progFds.opensnoop_exit, 'syscalls', 'sys_exit_openat'));
      links.push(attachTracepoint(set.progFds.opensnoop_enter, 'syscalls', 'sys_enter_openat'));
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
    let first: unknown;
    const detach = [...this.#links].reverse().map((l) => () => l.close());
    const count = () => { this.#droppedAtClose = this.#readDropped(); };
    for (const step of [...detach, count, () => this.#reader.close(), () => this.#set.close()]) {
      try {
        step();
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }

  /** Same as {@link Opensnoop.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
