/**
 * `trace_pipe`: the kernel's trace output, where `bpf_trace_printk` writes. A consuming reader
 * (each line is delivered once, to one reader machine-wide), read without blocking the event
 * loop: the fd is opened `O_NONBLOCK` and watched for readability. Lines are parsed into BCC's
 * `trace_fields` shape (task, pid, cpu, flags, timestamp, message).
 * @module
 */

import { closeSync, constants, openSync, readSync } from 'node:fs';
import type { FdWatch } from '../../syscalls/backend.js';
import { canWatchReadable, watchReadable } from '../../syscalls/epoll.js';
import { TracefsError } from './tracefs-error.js';
import { tracefsRoot, type TracefsRootOptions } from './tracefs-root.js';

/** One parsed trace line. */
export interface TraceEvent {
  /** The task's comm (may contain spaces; `<...>` when the kernel did not record it). */
  readonly task: string;
  /** The thread id. */
  readonly pid: number;
  /** The CPU. */
  readonly cpu: number;
  /** The irq/preempt flags column (`d..31`, `....`). */
  readonly flags: string;
  /** The timestamp in seconds, as printed (`1234.567890`). */
  readonly timestamp: number;
  /** What wrote it (`bpf_trace_printk`), '' when the line names nothing. */
  readonly source: string;
  /** The message (the printed text, without the trailing newline). */
  readonly message: string;
  /** The whole line. */
  readonly line: string;
}

// `           <...>-1234    [001] d..31  1234.567890: bpf_trace_printk: hello`, optionally with
// a `(  tgid)` column after the pid (the record-tgid option).
const LINE = /^\s*(.*?)-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(\d+)\]\s+(\S+)\s+(\d+\.\d+):\s?(.*)$/;
const SOURCE = /^([A-Za-z_][\w.]*): (.*)$/;

/** Parses one trace_pipe line; undefined for lines that do not have the event shape (comments, headers). */
export function parseTraceLine(line: string): TraceEvent | undefined {
  const m = LINE.exec(line);
  if (m === null) return undefined;
  const rest = m[6];
  const s = SOURCE.exec(rest);
  return {
    task: m[1],
    pid: Number(m[2]),
    cpu: Number(m[3]),
    flags: m[4],
    timestamp: Number(m[5]),
    source: s === null ? '' : s[1],
    message: s === null ? rest : s[2],
    line,
  };
}

/** Where to find trace_pipe. */
export interface TracePipeOptions extends TracefsRootOptions {
  /** The file (default `<tracefs>/trace_pipe`). */
  readonly path?: string;
}

const EAGAIN_CODES = new Set(['EAGAIN', 'EWOULDBLOCK']);

/**
 * A non-blocking trace_pipe reader. `readLines()` drains what is there now; `lines()` and
 * `events()` are async iterators that wait on the event loop (no thread, no busy polling when
 * the backend can watch fds; otherwise a 50 ms poll). `close()` ends pending iterations.
 */
export class TracePipe implements Disposable {
  /** The file read. */
  readonly path: string;
  private fd: number;
  private partial = '';
  /** Lines read from the fd but not yet handed out (an iterator stopped mid-batch). */
  private queue: string[] = [];
  private readonly chunk = Buffer.alloc(64 * 1024);
  private watch: FdWatch | undefined;
  private wake: (() => void) | undefined;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  /** Opens trace_pipe (mounting tracefs as root when missing). Throws a {@link TracefsError}. */
  static open(options: TracePipeOptions = {}): TracePipe {
    const path = options.path ?? `${tracefsRoot(options)}/trace_pipe`;
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      throw new TracefsError(`cannot open ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    return new TracePipe(path, fd);
  }

  /** Whether {@link close} was called. */
  get isClosed(): boolean {
    return this.fd < 0;
  }

  /** The complete lines available now (never waits; [] when there are none or after close). */
  readLines(): string[] {
    const out = this.queue;
    this.queue = [];
    while (this.fd >= 0) {
      let n: number;
      try {
        n = readSync(this.fd, this.chunk, 0, this.chunk.length, null);
      } catch (err) {
        if (EAGAIN_CODES.has((err as NodeJS.ErrnoException).code ?? '')) break;
        throw new TracefsError(`reading ${this.path} failed (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      }
      if (n === 0) break;
      const text = this.partial + this.chunk.toString('utf8', 0, n);
      const parts = text.split('\n');
      this.partial = parts.pop() as string;
      out.push(...parts);
    }
    return out;
  }

  /** The parsed events available now (lines of other shapes are dropped). Like BCC's `trace_fields(nonblocking=True)`. */
  readEvents(): TraceEvent[] {
    const out: TraceEvent[] = [];
    for (const line of this.readLines()) {
      const e = parseTraceLine(line);
      if (e !== undefined) out.push(e);
    }
    return out;
  }

  /** Resolves when the pipe may have data, after `timeoutMs`, or on close. */
  private waitReadable(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, canWatchReadable() ? timeoutMs : Math.min(timeoutMs, 50));
      const self = this;
      function done(): void {
        clearTimeout(timer);
        // Watches are level-triggered: drop it until the next wait, so unread data cannot spin.
        self.watch?.close();
        self.watch = undefined;
        self.wake = undefined;
        resolve();
      }
      this.wake = done;
      if (canWatchReadable() && this.fd >= 0) this.watch = watchReadable(this.fd, done);
    });
  }

  /** Lines as they arrive, until {@link close} (or until `timeoutMs` passes with nothing new). */
  async *lines(timeoutMs = Infinity): AsyncGenerator<string> {
    while (this.fd >= 0) {
      if (this.queue.length === 0) this.queue = this.readLines();
      if (this.queue.length > 0) {
        yield this.queue.shift() as string;
        continue;
      }
      const before = Date.now();
      await this.waitReadable(Number.isFinite(timeoutMs) ? timeoutMs : 2 ** 31 - 1);
      if (this.fd >= 0 && Date.now() - before >= timeoutMs) {
        this.queue = this.readLines();
        if (this.queue.length === 0) return;
      }
    }
  }

  /** Parsed events as they arrive (see {@link lines}). Like BCC's `trace_fields()` in a loop. */
  async *events(timeoutMs = Infinity): AsyncGenerator<TraceEvent> {
    for await (const line of this.lines(timeoutMs)) {
      const e = parseTraceLine(line);
      if (e !== undefined) yield e;
    }
  }

  /** Stops watching and closes the fd; pending iterations end. */
  close(): void {
    if (this.fd < 0) return;
    this.watch?.close();
    this.watch = undefined;
    closeSync(this.fd);
    this.fd = -1;
    this.wake?.();
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
