/**
 * What the tracing commands (`opensnoop`, `execsnoop`, `syscount`) share: waiting until Ctrl-C,
 * SIGTERM, an abort signal or the end of `--duration`; batching output lines written from event
 * callbacks into one write per event-loop turn; and option parsing of ids and durations.
 * @module
 */

import { UsageError, type CliIo } from './command.js';

/** Options common to the tools' run functions (tests use them to run a tool in-process). */
export interface ToolRunOptions {
  /** Stops tracing when aborted (the command itself stops on SIGINT and SIGTERM). */
  readonly signal?: AbortSignal;
  /** Called once tracing has started (programs attached). */
  readonly onStarted?: () => void;
}

/**
 * Resolves on SIGINT, SIGTERM, `signal` aborting, or after `seconds` (if given). Keeps the
 * process alive meanwhile (signal listeners alone do not, and a tool that only reads maps at the
 * end has nothing else pending).
 */
export function waitForStop(seconds: number | undefined, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = seconds === undefined ? setInterval(() => {}, 1 << 30) : setTimeout(stop, seconds * 1000);
    function stop(): void {
      clearTimeout(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    }
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (signal?.aborted === true) stop();
    else signal?.addEventListener('abort', stop);
  });
}

/** An event tool that is tracing: {@link traceUntilStopped} drains and closes it. */
export interface RunningEventTool {
  /** Reads what the rings still hold. */
  drain(): void;
  /** Detaches and releases everything. */
  close(): void;
  /** Events received. */
  readonly events: number;
  /** Events the kernel dropped. */
  readonly lost: number;
}

/**
 * Runs a started event tool until SIGINT, SIGTERM, `options.signal` or `seconds`: prints
 * `header` (unless undefined), drains and closes the tool, flushes `out`, and reports
 * `<what>: N <unit>, N lost` on stderr.
 */
export async function traceUntilStopped(
  tool: RunningEventTool,
  io: CliIo,
  out: { flush(): void },
  report: { readonly header: string | undefined; readonly seconds: number | undefined; readonly what: string; readonly unit: string },
  options: ToolRunOptions,
): Promise<void> {
  // Listen for SIGINT/SIGTERM before the header says tracing has started: a signal that
  // arrived before Node installs its handler would kill the process without the summary.
  const stopped = waitForStop(report.seconds, options.signal);
  try {
    if (report.header !== undefined) io.writeOut(report.header);
    options.onStarted?.();
    await stopped;
    tool.drain();
  } finally {
    tool.close();
    out.flush();
  }
  io.writeErr(`${report.what}: ${tool.events} ${report.unit}, ${tool.lost} lost\n`);
}

/** Text written from event callbacks, sent to `io` once per event-loop turn (and by `flush`). */
export function batchedWriter(io: CliIo): { write(text: string): void; flush(): void } {
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    io.writeOut(text);
  };
  return {
    write(text) {
      pending += text;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

/** A non-negative 32-bit integer option, or undefined when absent. */
export function idOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) throw new UsageError(`--${name} '${v}' is not a non-negative integer`);
  return Number(v);
}

/** A positive number of seconds, or undefined when absent. */
export function secondsOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(v.trim() !== '' && Number.isFinite(n) && n > 0)) throw new UsageError(`--${name} '${v}' is not a positive number of seconds`);
  return n;
}
