/**
 * {@link EventReader}: what the perf buffer and ring buffer readers share — BCC-style
 * `open(callback, {lost})` + `poll(timeoutMs)`, `for await`, `read()`/`readInto()`, event-loop
 * integration without blocking, and an owner that releases its kernel objects exactly once.
 * @module
 */

import { closeFd } from '../../syscalls/close-fd.js';
import { canWatchReadable, epollWait, epollWaitAsync, epollEventSize, watchReadable } from '../../syscalls/epoll.js';
import type { FdWatch } from '../../syscalls/backend.js';
import { EventRecord } from './event-record.js';
import type { LostSink, RawSampleSink, SampleSink } from './perf-ring.js';
import { ReaderClosedError } from './reader-errors.js';

/**
 * Turns a record's raw bytes into an event. It must copy what it keeps: the view is valid only
 * during the call (it points into the ring).
 */
export type EventCodec<T> = (data: DataView, cpu: number) => T;

/** Called for every event by {@link EventReader.open}. */
export type EventCallback<T> = (event: T, cpu: number) => void;

/** Options of {@link EventReader.open}. */
export interface OpenOptions {
  /** Called with the number of records the kernel dropped (perf buffers only: ring buffer drops are silent). */
  readonly lost?: LostSink;
  /**
   * Deliver events from the Node event loop as they arrive (default true). With false, events are
   * delivered only by {@link EventReader.poll} and {@link EventReader.consume}.
   */
  readonly watch?: boolean;
  /**
   * Wake-up batching on the consumer side: after a wake-up, wait this many milliseconds before
   * draining (default 0: drain at once). The watch is paused meanwhile, so events that arrive in
   * the window cost no further wake-ups; ring buffers then also stop notifying (the kernel wakes
   * the consumer only when it had caught up). Trades latency for CPU at high event rates; for
   * perf buffers, `wakeupEvents` / `wakeupWatermark` batch on the kernel side.
   */
  readonly batchMs?: number;
}

/** Options shared by the readers' constructors. */
export interface ReaderOptions<T> {
  /** Decodes each record; without it events are DataViews (copies, or zero-copy views in callbacks). */
  readonly decode?: EventCodec<T>;
}

const copyView: EventCodec<DataView> = (data) => {
  const out = new Uint8Array(data.byteLength);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return new DataView(out.buffer);
};

/**
 * The shared part of {@link PerfBuffer} and {@link RingBuffer}. Subclasses provide the rings and
 * the epoll fd that becomes readable when they have data.
 *
 * Event delivery, three ways:
 * - `open(callback, {lost})`: callbacks from the event loop as events arrive; `poll(timeoutMs)`
 *   blocks the thread like BCC's `perf_buffer_poll` (for scripts); `consume()` never waits.
 *   Without a codec the callback receives a zero-copy view, valid only during the call.
 * - `for await (const event of reader)`: each event decoded, or copied when there is no codec;
 *   the loop ends when the reader is closed.
 * - `read()` / `readInto(record)`: the next event or undefined, never waiting.
 */
export abstract class EventReader<T> implements AsyncIterable<T> {
  /** Records the kernel reported as dropped since the reader was created (perf buffers). */
  lost = 0;
  /** The epoll fd watching every ring fd. */
  protected readonly epfd: number;
  private readonly decode: EventCodec<T> | undefined;
  private callback: EventCallback<T> | undefined;
  private lostCallback: LostSink | undefined;
  private batchMs = 0;
  private batchTimer: ReturnType<typeof setTimeout> | undefined;
  private watch: FdWatch | undefined;
  private waiters: (() => void)[] = [];
  private asyncWaits = 0;
  private closed = false;
  private epfdClosed = false;
  private readonly events: Uint8Array;
  private readonly kind: string;
  private readonly onLost: LostSink = (count, cpu) => {
    this.lost += count;
    this.lostCallback?.(count, cpu);
  };

  protected constructor(kind: string, epfd: number, options: ReaderOptions<T>) {
    this.kind = kind;
    this.epfd = epfd;
    this.decode = options.decode;
    this.events = new Uint8Array(epollEventSize() * 64);
  }

  /** Delivers up to `limit` samples from the rings; lost counts go to `onLost`. */
  protected abstract consumeRings(limit: number, onSample: SampleSink, onLost: LostSink): number;
  /** Delivers up to `limit` records from the rings without allocating per record. */
  protected abstract consumeRingsRaw(limit: number, onRecord: RawSampleSink, onLost: LostSink): number;
  /** Detaches ring views, unmaps, closes ring fds (not the epoll fd). Called once. */
  protected abstract release(): void;
  /** Whether any ring holds unread records. */
  protected abstract hasPending(): boolean;

  /** Whether {@link EventReader.close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new ReaderClosedError(this.kind, operation);
  }

  /**
   * Sets the callback (BCC's `open_perf_buffer(callback, lost_cb=…)`) and, unless `watch` is
   * false, starts delivering events from the event loop; like a listening socket, the watch keeps
   * the process alive until {@link EventReader.close}. Returns this reader.
   */
  open(callback: EventCallback<T>, options: OpenOptions = {}): this {
    this.assertOpen('open');
    const batchMs = options.batchMs ?? 0;
    if (!Number.isFinite(batchMs) || batchMs < 0) throw new RangeError(`${this.kind}: batchMs ${String(batchMs)} is not a non-negative number of milliseconds`);
    this.callback = callback;
    this.lostCallback = options.lost;
    this.batchMs = batchMs;
    if (options.watch !== false) this.ensureWatch()?.ref();
    return this;
  }

  /**
   * Delivers every waiting event to the callback without waiting (libbpf's
   * `perf_buffer__consume`); returns how many.
   */
  consume(limit = Infinity): number {
    this.assertOpen('consume');
    const cb = this.callback;
    if (cb === undefined) throw new Error(`${this.kind}: consume() needs a callback (call open(callback) first)`);
    const decode = this.decode;
    const sink: SampleSink = decode === undefined ? (cb as unknown as SampleSink) : (data, cpu) => cb(decode(data, cpu), cpu);
    return this.consumeRings(limit, sink, this.onLost);
  }

  /**
   * Delivers every waiting record to `onRecord` without waiting and without allocating per
   * record (the fastest path; the codec and the {@link EventReader.open} callback are not used):
   * `view` covers a whole ring's data area, the record is its `length` bytes from `offset`, valid
   * only during the call. Lost counts go to {@link EventReader.lost} and the `lost` callback of
   * {@link EventReader.open}. Returns how many records were delivered.
   */
  consumeRaw(onRecord: RawSampleSink, limit = Infinity): number {
    this.assertOpen('consumeRaw');
    if (typeof onRecord !== 'function') throw new TypeError(`${this.kind}: consumeRaw() needs a function, got ${typeof onRecord}`);
    return this.consumeRingsRaw(limit, onRecord, this.onLost);
  }

  /**
   * Delivers waiting events to the callback, first waiting up to `timeoutMs` (blocking the
   * thread; -1 waits forever) when there are none. Returns how many were delivered. Like BCC's
   * `perf_buffer_poll(timeout)`; in a server prefer `open()`'s event-loop delivery.
   */
  poll(timeoutMs = -1): number {
    const n = this.consume();
    if (n > 0 || timeoutMs === 0) return n;
    epollWait(this.epfd, this.events, timeoutMs);
    return this.consume();
  }

  /** The next event (decoded, or a copy), or undefined when none is waiting. Never waits. */
  read(): T | undefined {
    this.assertOpen('read');
    let out: T | undefined;
    const decode = this.decode ?? (copyView as unknown as EventCodec<T>);
    this.consumeRings(1, (data, cpu) => {
      out = decode(data, cpu);
    }, this.onLost);
    return out;
  }

  /** Copies the next record into `record` (reused, grown as needed); false when none is waiting. */
  readInto(record: EventRecord): boolean {
    this.assertOpen('readInto');
    return this.consumeRingsRaw(1, (view, offset, length, cpu) => record.setBytes(view, offset, length, cpu), this.onLost) > 0;
  }

  /**
   * Resolves when a ring may have data (or the reader was closed): through a libuv watch of the
   * epoll fd when the backend offers one, else `epoll_wait` on a worker thread.
   */
  waitReadable(): Promise<void> {
    return this.startWait().promise;
  }

  /** {@link EventReader.waitReadable}, with a way to give up waiting. */
  private startWait(): { promise: Promise<void>; cancel: () => void } {
    this.assertOpen('waitReadable');
    if (this.hasPending()) return { promise: Promise.resolve(), cancel: () => {} };
    const watch = this.ensureWatch();
    if (watch !== undefined) {
      watch.ref();
      let waiter!: () => void;
      const promise = new Promise<void>((resolve) => {
        waiter = resolve;
        this.waiters.push(resolve);
      });
      const cancel = () => {
        const i = this.waiters.indexOf(waiter);
        if (i < 0) return;
        this.waiters.splice(i, 1);
        // Nobody waits any more: the watch must not keep the process alive.
        if (this.waiters.length === 0 && this.callback === undefined) this.watch?.unref();
      };
      return { promise, cancel };
    }
    this.asyncWaits++;
    const buf = new Uint8Array(this.events.byteLength);
    // A bounded timeout, so that close() is noticed and the epoll fd can be closed after it.
    const promise = epollWaitAsync(this.epfd, buf, 200).then(
      () => this.asyncWaitDone(),
      (err: unknown) => {
        this.asyncWaitDone();
        throw err;
      },
    );
    return { promise, cancel: () => {} };
  }

  /**
   * The next event, waiting up to `timeoutMs` (default: forever) without blocking the event loop;
   * undefined on timeout, or when the reader is closed meanwhile. Like cilium/ebpf's `Read` with a
   * deadline.
   */
  async readAsync(timeoutMs = Infinity): Promise<T | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.closed) return undefined;
      const e = this.read();
      if (e !== undefined) return e;
      const left = deadline - performance.now();
      if (left <= 0) return undefined;
      const wait = this.startWait();
      if (!Number.isFinite(left)) {
        await wait.promise;
        continue;
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((r) => (timer = setTimeout(r, Math.ceil(left))));
      await Promise.race([wait.promise, timedOut]);
      clearTimeout(timer);
      wait.cancel();
    }
  }

  private asyncWaitDone(): void {
    this.asyncWaits--;
    if (this.closed && this.asyncWaits === 0) this.closeEpfd();
  }

  private ensureWatch(): FdWatch | undefined {
    if (this.watch !== undefined) return this.watch;
    if (!canWatchReadable()) return undefined;
    this.watch = watchReadable(this.epfd, () => this.onReadable());
    // Wake-ups that happen before libuv registers the fd (at its next loop iteration) are not
    // reported by it (measured on 6.18): look at the rings once after registration.
    setImmediate(() => {
      if (!this.closed && this.hasPending()) this.onReadable();
    });
    return this.watch;
  }

  private onReadable(): void {
    if (this.closed) return;
    // No epoll_wait here: when libuv polls the epoll fd again, the kernel re-checks the ready
    // ring fds and drops those that were drained (one system call less per wake-up).
    const waiters = this.waiters;
    if (waiters.length > 0) {
      this.waiters = [];
      for (const w of waiters) w();
    }
    if (this.callback !== undefined && this.batchMs > 0 && this.waiters.length === 0 && this.asyncWaits === 0) {
      // Pause the (level-triggered) watch until the batch window closes, then drain and re-arm;
      // ensureWatch looks at the rings once more after re-arming.
      this.watch?.close();
      this.watch = undefined;
      this.batchTimer ??= setTimeout(() => {
        this.batchTimer = undefined;
        if (this.closed) return;
        try {
          this.consume();
        } finally {
          this.ensureWatch()?.ref();
        }
      }, this.batchMs);
      return;
    }
    if (this.callback !== undefined) {
      try {
        this.consume();
      } catch (err) {
        // An exception from the user's callback surfaces like any uncaught one.
        queueMicrotask(() => {
          throw err;
        });
      }
    } else if (this.waiters.length === 0) {
      this.watch?.unref();
    }
  }

  /**
   * Yields events as they arrive (decoded, or copied DataViews); ends when the reader is closed.
   * Do not combine with {@link EventReader.open}'s callback delivery.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.callback !== undefined) throw new Error(`${this.kind}: for await cannot be used after open(callback)`);
    const decode = this.decode ?? (copyView as unknown as EventCodec<T>);
    const batch: T[] = [];
    const sink: SampleSink = (data, cpu) => {
      batch.push(decode(data, cpu));
    };
    while (!this.closed) {
      batch.length = 0;
      this.consumeRings(1024, sink, this.onLost);
      if (batch.length === 0) {
        await this.waitReadable();
        continue;
      }
      for (let i = 0; i < batch.length; i++) yield batch[i];
    }
  }

  /**
   * Stops delivery, unmaps every ring (after dropping the views into it) and closes every fd this
   * reader opened, exactly once; a pending `for await` ends. The map fd is not closed (the caller
   * owns it). Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.batchTimer !== undefined) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    this.watch?.close();
    this.watch = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    try {
      this.release();
    } finally {
      if (this.asyncWaits === 0) this.closeEpfd();
      for (const w of waiters) w();
    }
  }

  private closeEpfd(): void {
    if (this.epfdClosed) return;
    this.epfdClosed = true;
    closeFd(this.epfd);
  }

  /** Same as {@link EventReader.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
