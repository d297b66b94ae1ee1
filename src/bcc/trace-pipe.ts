/**
 * BCC's `trace_readline` / `trace_fields` / `trace_print`: lines of the kernel's trace pipe
 * (`/sys/kernel/tracing/trace_pipe`, where `bpf_trace_printk` writes), split into task, pid,
 * CPU, flags, timestamp and message. Reading consumes the lines (one reader sees each). Reads are
 * synchronous, as BCC's are; src/tracefs/trace-pipe.ts is the event-loop reader.
 * @module
 */

import { closeSync, constants, openSync, readSync } from 'node:fs';
import { tracefsRoot } from '../tracefs/tracefs-root.js';
import { parseTraceLine as parseTraceEvent } from '../tracefs/trace-pipe.js';

/** One trace pipe line, split as BCC's `trace_fields` splits it. */
export interface TraceFields {
  /** The task's comm. */
  readonly task: string;
  /** Its thread id. */
  readonly pid: number;
  /** The CPU. */
  readonly cpu: number;
  /** The irq/preempt flags column (`d..31`). */
  readonly flags: string;
  /** Seconds since boot. */
  readonly ts: number;
  /** The message after `bpf_trace_printk: ` (or after the event name). */
  readonly msg: string;
}

/**
 * Splits a trace pipe line (`  node-1234  [001] d..31  5.000001: bpf_trace_printk: hi`) into
 * its fields; undefined for lines that are not events (`CPU:3 [LOST 5 EVENTS]`, malformed).
 */
export function parseTraceLine(line: string): TraceFields | undefined {
  const e = parseTraceEvent(line);
  return e === undefined ? undefined : { task: e.task, pid: e.pid, cpu: e.cpu, flags: e.flags, ts: e.timestamp, msg: e.message };
}

/** A reader of the trace pipe; open one per consumer and close it. */
export class TracePipe {
  readonly #fd: number;
  readonly #nonblocking: boolean;
  #pending = '';
  #closed = false;

  /**
   * Opens `trace_pipe` under the tracefs root (mounted if missing); `nonblocking` reads return at
   * once. `pending` is text already read from the pipe (a previous reader's unread lines).
   */
  constructor(options: { readonly nonblocking?: boolean; readonly path?: string; readonly pending?: string } = {}) {
    this.#nonblocking = options.nonblocking ?? false;
    this.#pending = options.pending ?? '';
    const path = options.path ?? `${tracefsRoot()}/trace_pipe`;
    this.#fd = openSync(path, constants.O_RDONLY | (this.#nonblocking ? constants.O_NONBLOCK : 0));
  }

  /** The next line without its newline; blocks until one arrives (undefined at once when non-blocking and none). */
  readline(): string | undefined {
    if (this.#closed) throw new Error('TracePipe: closed');
    const buf = Buffer.alloc(4096);
    for (;;) {
      const nl = this.#pending.indexOf('\n');
      if (nl >= 0) {
        const line = this.#pending.slice(0, nl);
        this.#pending = this.#pending.slice(nl + 1);
        return line;
      }
      let n: number;
      try {
        n = readSync(this.#fd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return undefined;
        throw err;
      }
      if (n === 0) return undefined;
      this.#pending += buf.toString('utf8', 0, n);
    }
  }

  /** The next event line's fields (skipping non-event lines); undefined when non-blocking and none. */
  fields(): TraceFields | undefined {
    for (;;) {
      const line = this.readline();
      if (line === undefined) return undefined;
      const f = parseTraceLine(line);
      if (f !== undefined) return f;
    }
  }

  /** Whether reads return at once when nothing is waiting. */
  get nonblocking(): boolean { return this.#nonblocking; }

  /** Closes the pipe and returns what was read from it but not yet returned as lines. */
  detach(): string {
    const rest = this.#pending;
    this.close();
    return rest;
  }

  /** Closes the pipe. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }

  /** Same as {@link TracePipe.close}. */
  [Symbol.dispose](): void { this.close(); }
}
