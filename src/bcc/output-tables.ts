/**
 * Output tables as user space sees them: {@link PerfOutputTable} (`BPF_PERF_OUTPUT`: BCC's
 * `b["events"].open_perf_buffer(cb, page_cnt, lost_cb)`) and {@link RingbufOutputTable}
 * (`BPF_RINGBUF_OUTPUT`: `open_ring_buffer(cb)`). Callbacks get BCC's arguments
 * (`cpu, data, size` and `ctx, data, size`); `table.event(data)` decodes a record into an
 * object of the declared event type. Readers are polled by the {@link BPF} object's
 * `perf_buffer_poll` / `ring_buffer_poll`, or, with `watch: true`, deliver from the event loop.
 * @module
 */

import type { BpfMap } from '../maps/bpf-map.js';
import { PerfBuffer } from '../readers/perf-buffer.js';
import { RingBuffer } from '../readers/ring-buffer.js';
import type { EventReader } from '../readers/event-reader.js';
import { BccError } from './bcc-error.js';
import type { TableDecl } from './table-decl.js';

/** BCC's perf buffer callback: the CPU, the record (a view valid during the call), its size. */
export type PerfCallback = (cpu: number, data: DataView, size: number) => void;
/** BCC's ring buffer callback: a context (always 0 here), the record (valid during the call), its size. */
export type RingbufCallback = (ctx: number, data: DataView, size: number) => void;

/** Options of {@link PerfOutputTable.open_perf_buffer}. */
export interface OpenPerfBufferOptions {
  /** Data pages per CPU, a power of two (default 8). */
  readonly page_cnt?: number;
  /** Called with the number of records the kernel dropped. */
  readonly lost_cb?: (lost: number) => void;
  /** Wake the consumer every N records (default 1, like BCC). */
  readonly wakeup_events?: number;
  /** Deliver from the Node event loop as records arrive, besides polling (default false, BCC's model). */
  readonly watch?: boolean;
}

/** Options of {@link RingbufOutputTable.open_ring_buffer}. */
export interface OpenRingBufferOptions {
  /** Deliver from the Node event loop as records arrive, besides polling (default false). */
  readonly watch?: boolean;
}

/** The decoding shared by both output tables. */
abstract class OutputTable<E> {
  /** Table name. */
  readonly name: string;
  /** The declaration (its value type is the event type). */
  readonly decl: TableDecl;
  /** The map (owned by the {@link BPF} object). */
  readonly map: BpfMap;
  /** The open reader, if any (owned by this table). */
  protected reader: EventReader<DataView> | undefined;

  /** A view of `map` (internal). */
  constructor(name: string, decl: TableDecl, map: BpfMap) {
    this.name = name;
    this.decl = decl;
    this.map = map;
  }

  /**
   * Decodes a record into an object of the declared event type (BCC's `event(data)`); throws a
   * {@link BccError} when the table was declared without one or the record is too short.
   */
  event(data: DataView | Uint8Array): E {
    const t = this.decl.value;
    if (t.size === 0) throw new BccError(`table '${this.name}' was declared without an event type: BPF_${this.decl.kind === 'perf_output' ? 'PERF' : 'RINGBUF'}_OUTPUT(Type)`);
    if (data.byteLength < t.size) throw new BccError(`table '${this.name}': a record of ${data.byteLength} bytes is shorter than ${t.cName} (${t.size})`);
    return t.decode(data) as E;
  }

  /** Whether a reader is open. */
  get isOpen(): boolean { return this.reader !== undefined; }

  /** Delivers waiting records, waiting up to `timeoutMs` when none (-1: forever); how many. */
  poll(timeoutMs: number): number {
    if (this.reader === undefined) throw new BccError(`table '${this.name}': nothing opened to poll`);
    return this.reader.poll(timeoutMs);
  }

  /** Delivers waiting records without waiting; how many. */
  consume(): number {
    if (this.reader === undefined) throw new BccError(`table '${this.name}': nothing opened to consume`);
    return this.reader.consume();
  }

  /** Closes the reader (the map stays with the {@link BPF} object). */
  close(): void {
    this.reader?.close();
    this.reader = undefined;
  }
}

/** A `BPF_PERF_OUTPUT` table. */
export class PerfOutputTable<E = unknown> extends OutputTable<E> {
  /**
   * Opens one ring per CPU and stores them in the table (BCC's `open_perf_buffer(callback,
   * page_cnt=8, lost_cb=None)`); records reach `callback` when the {@link BPF} object polls.
   */
  open_perf_buffer(callback: PerfCallback, options: OpenPerfBufferOptions = {}): this {
    if (this.reader !== undefined) throw new BccError(`table '${this.name}': a perf buffer is already open`);
    const reader = PerfBuffer.create(this.map.fd, { pageCount: options.page_cnt ?? 8, wakeupEvents: options.wakeup_events ?? 1 });
    const lost = options.lost_cb;
    reader.open((data, cpu) => callback(cpu, data, data.byteLength), { watch: options.watch ?? false, ...(lost ? { lost: (n: number) => lost(n) } : {}) });
    this.reader = reader;
    return this;
  }

  /** camelCase alias of {@link PerfOutputTable.open_perf_buffer}. */
  openPerfBuffer(callback: PerfCallback, options: OpenPerfBufferOptions = {}): this { return this.open_perf_buffer(callback, options); }
}

/** A `BPF_RINGBUF_OUTPUT` table. */
export class RingbufOutputTable<E = unknown> extends OutputTable<E> {
  /** Maps the ring buffer (BCC's `open_ring_buffer(callback)`); records reach `callback` when polled. */
  open_ring_buffer(callback: RingbufCallback, options: OpenRingBufferOptions = {}): this {
    if (this.reader !== undefined) throw new BccError(`table '${this.name}': a ring buffer is already open`);
    const reader = RingBuffer.create(this.map.fd, { size: this.decl.maxEntries });
    reader.open((data) => callback(0, data, data.byteLength), { watch: options.watch ?? false });
    this.reader = reader;
    return this;
  }

  /** camelCase alias of {@link RingbufOutputTable.open_ring_buffer}. */
  openRingBuffer(callback: RingbufCallback, options: OpenRingBufferOptions = {}): this { return this.open_ring_buffer(callback, options); }
}
