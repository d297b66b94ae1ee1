/**
 * `tsbpf opensnoop`: BCC's opensnoop — every `openat()` with PID, COMM, FD, ERR and PATH, until
 * Ctrl-C (or `--duration`). `--json` prints one JSON object per event.
 * @module
 */

import { EXIT_OK, UsageError, parseCommandArgs, type CliIo, type Command } from '../command.js';
import type { OpenEventRecord } from '../../tools/opensnoop.js';

const help = `Usage: tsbpf opensnoop [options]

Traces openat() system calls, like BCC's opensnoop (tracepoint version:
syscalls:sys_enter_openat and sys_exit_openat joined by thread). Prints
PID, COMM, FD (-1 on failure), ERR (the errno) and PATH for each open until
Ctrl-C, SIGTERM or the end of --duration. Needs root.

Options:
  -p, --pid PID          only this process
  -t, --tid TID          only this thread
  -u, --uid UID          only this user
  -n, --name NAME        only tasks whose name contains NAME
  -x, --failed           only failed opens
  -d, --duration SECS    exit after SECS seconds
  -T, --timestamp        a TIME(s) column: seconds since the start
  -U, --print-uid        a UID column
  -e, --extended-fields  a FLAGS column (octal)
      --ringbuf          send events through a ring buffer map (Linux 5.8)
                         instead of a perf buffer: cheaper per event
      --json             one JSON object per event: {"ts", "pid", "tid", "uid",
                         "comm", "fd", "err", "flags", "path"}
  -h, --help             show this help

At exit, the number of events and of events dropped (buffer full) is printed
on stderr.
`;

function intOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) throw new UsageError(`--${name} '${v}' is not a non-negative integer`);
  return Number(v);
}

/** Options of {@link runOpensnoop} beyond the arguments. */
export interface OpensnoopRunOptions {
  /** Stops tracing when aborted (the command itself stops on SIGINT and SIGTERM). */
  readonly signal?: AbortSignal;
  /** Called once tracing has started (programs attached). */
  readonly onStarted?: () => void;
}

/** The human-readable line of an event, in BCC's layout. */
export function formatLine(e: OpenEventRecord, columns: { readonly timestamp: boolean; readonly uid: boolean; readonly tid: boolean; readonly flags: boolean }): string {
  let out = '';
  if (columns.timestamp) out += e.ts.toFixed(9).padEnd(14) + ' ';
  if (columns.uid) out += String(e.uid).padEnd(6) + ' ';
  out += `${String(columns.tid ? e.tid : e.pid).padEnd(6)} ${e.comm.padEnd(16)} ${String(e.fd).padStart(4)} ${String(e.err).padStart(3)} `;
  if (columns.flags) out += e.flags.toString(8).padStart(8, '0') + ' ';
  return `${out}${e.path}\n`;
}

/**
 * Runs opensnoop with command-line `args`, writing to `io`, until `options.signal` aborts,
 * SIGINT/SIGTERM arrive, or `--duration` ends; everything is closed before it resolves to the exit code.
 */
export async function runOpensnoop(args: readonly string[], io: CliIo, options: OpensnoopRunOptions = {}): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    pid: { type: 'string', short: 'p' },
    tid: { type: 'string', short: 't' },
    uid: { type: 'string', short: 'u' },
    name: { type: 'string', short: 'n' },
    failed: { type: 'boolean', short: 'x' },
    duration: { type: 'string', short: 'd' },
    timestamp: { type: 'boolean', short: 'T' },
    'print-uid': { type: 'boolean', short: 'U' },
    'extended-fields': { type: 'boolean', short: 'e' },
    json: { type: 'boolean' },
    ringbuf: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) {
    io.writeOut(help);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && !(Number.isFinite(duration) && duration > 0)) throw new UsageError(`--duration '${values.duration}' is not a positive number of seconds`);
  const pid = intOption('pid', values.pid);
  const tid = intOption('tid', values.tid);
  const uid = intOption('uid', values.uid);
  const json = values.json === true;
  const columns = { timestamp: values.timestamp === true, uid: values['print-uid'] === true, tid: tid !== undefined, flags: values['extended-fields'] === true };

  const { Opensnoop } = await import('../../tools/opensnoop.js');
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    io.writeOut(text);
  };
  const snoop = Opensnoop.start({
    ...(pid === undefined ? {} : { pid }),
    ...(tid === undefined ? {} : { tid }),
    ...(uid === undefined ? {} : { uid }),
    ...(values.name === undefined ? {} : { name: values.name }),
    failed: values.failed === true,
    transport: values.ringbuf === true ? 'ring' : 'perf',
  }, (e) => {
    pending += json ? `${JSON.stringify(e)}\n` : formatLine(e, columns);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  try {
    if (!json) {
      let header = '';
      if (columns.timestamp) header += 'TIME(s)'.padEnd(14) + ' ';
      if (columns.uid) header += 'UID'.padEnd(6) + ' ';
      header += `${(columns.tid ? 'TID' : 'PID').padEnd(6)} ${'COMM'.padEnd(16)} ${'FD'.padStart(4)} ${'ERR'.padStart(3)} `;
      if (columns.flags) header += 'FLAGS'.padEnd(8) + ' ';
      io.writeOut(`${header}PATH\n`);
    }
    options.onStarted?.();
    await new Promise<void>((resolve) => {
      const timer = duration === undefined ? undefined : setTimeout(stop, duration * 1000);
      function stop(): void {
        if (timer !== undefined) clearTimeout(timer);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        options.signal?.removeEventListener('abort', stop);
        resolve();
      }
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      if (options.signal?.aborted === true) stop();
      else options.signal?.addEventListener('abort', stop);
    });
    snoop.drain();
  } finally {
    snoop.close();
    flush();
  }
  io.writeErr(`tsbpf opensnoop: ${snoop.events} events, ${snoop.lost} lost\n`);
  return EXIT_OK;
}

/** The `tsbpf opensnoop` command. */
export const opensnoop: Command = {
  name: 'opensnoop',
  help,
  run: (args, io) => runOpensnoop(args, io),
};
