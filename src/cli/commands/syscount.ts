/**
 * `tsbpf syscount`: BCC's syscount — system calls counted per syscall in the kernel, the top N
 * printed at Ctrl-C, at the end of `--duration`, or every `--interval` seconds.
 * @module
 */

import { EXIT_OK, UsageError, parseOptionsOrHelp, type CliIo, type Command } from '../command.js';
import { idOption, secondsOption, waitForStop, type ToolRunOptions } from '../tool-session.js';
import type { SyscallCount } from '../../tools/syscount.js';

const help = `Usage: tsbpf syscount [options]

Counts system calls per syscall, like BCC's syscount (tracepoint version:
raw_syscalls:sys_exit, and sys_enter for -L). Prints the top N by count
(by total time with -L) at Ctrl-C, SIGTERM, the end of --duration, or every
--interval seconds (the counts restart each interval). Needs root.

Options:
  -p, --pid PID          only this process
  -T, --top N            print only the top N syscalls (default 10)
  -x, --failures         count only failed syscalls
  -L, --latency          also the total time spent in each syscall
  -m, --milliseconds     latency in milliseconds (default microseconds)
  -i, --interval SECS    print a summary every SECS seconds
  -d, --duration SECS    exit after SECS seconds
      --json             one JSON object per summary: {"ts", "syscalls": [{"syscall",
                         "nr", "count"[, "total_ns"]}]}
  -h, --help             show this help
`;

/** The summary table in BCC's layout (`%-22s %8d` and, with latency, `%16.3f`). */
export function formatSyscountTable(rows: readonly SyscallCount[], latency: boolean, milliseconds: boolean): string {
  let out = `${'SYSCALL'.padEnd(22)} ${'COUNT'.padStart(8)}${latency ? ` ${(milliseconds ? 'TIME (ms)' : 'TIME (us)').padStart(16)}` : ''}\n`;
  for (const r of rows) {
    out += `${r.syscall.padEnd(22)} ${String(r.count).padStart(8)}`;
    if (latency) out += ` ${((r.totalNs ?? 0) / (milliseconds ? 1e6 : 1e3)).toFixed(3).padStart(16)}`;
    out += '\n';
  }
  return out;
}

/** Runs syscount with command-line `args` until stopped; resolves to the exit code. */
export async function runSyscount(args: readonly string[], io: CliIo, options: ToolRunOptions = {}): Promise<number> {
  const values = parseOptionsOrHelp(args, {
    pid: { type: 'string', short: 'p' },
    top: { type: 'string', short: 'T' },
    failures: { type: 'boolean', short: 'x' },
    latency: { type: 'boolean', short: 'L' },
    milliseconds: { type: 'boolean', short: 'm' },
    interval: { type: 'string', short: 'i' },
    duration: { type: 'string', short: 'd' },
    json: { type: 'boolean' },
  }, help, io);
  if (values === undefined) return EXIT_OK;
  const pid = idOption('pid', values.pid);
  const top = values.top === undefined ? 10 : Number(values.top);
  if (!(Number.isInteger(top) && top >= 1)) throw new UsageError(`--top '${values.top}' is not a positive integer`);
  const interval = secondsOption('interval', values.interval);
  const duration = secondsOption('duration', values.duration);
  const latency = values.latency === true;
  const json = values.json === true;

  const { Syscount } = await import('../../tools/syscount.js');
  const sc = Syscount.start({ ...(pid === undefined ? {} : { pid }), failed: values.failures === true, latency });
  const started = process.hrtime.bigint();
  const print = (final: boolean) => {
    const rows = sc.collect().slice(0, top);
    if (json) {
      const ts = Number((process.hrtime.bigint() - started) / 1000n) / 1e6;
      io.writeOut(`${JSON.stringify({ ts, syscalls: rows.map((r) => (latency ? { syscall: r.syscall, nr: r.nr, count: r.count, total_ns: r.totalNs } : { syscall: r.syscall, nr: r.nr, count: r.count })) })}\n`);
      return;
    }
    if (interval !== undefined && !final) io.writeOut(`[${new Date().toTimeString().slice(0, 8)}]\n`);
    io.writeOut(`${formatSyscountTable(rows, latency, values.milliseconds === true)}\n`);
  };
  let timer: NodeJS.Timeout | undefined;
  // Listen for SIGINT/SIGTERM before the header says tracing has started: a signal that
  // arrived before Node installs its handler would kill the process without the summary.
  const stopped = waitForStop(duration, options.signal);
  try {
    if (!json) io.writeOut(`Tracing ${values.failures === true ? 'failed ' : ''}syscalls, printing top ${top}... Ctrl+C to quit.\n`);
    options.onStarted?.();
    if (interval !== undefined) timer = setInterval(() => print(false), interval * 1000);
    await stopped;
    if (timer !== undefined) clearInterval(timer);
    if (!json) io.writeOut(interval === undefined ? '' : `[${new Date().toTimeString().slice(0, 8)}]\n`);
    print(true);
  } finally {
    if (timer !== undefined) clearInterval(timer);
    sc.close();
  }
  return EXIT_OK;
}

/** The `tsbpf syscount` command. */
export const syscount: Command = {
  name: 'syscount',
  help,
  run: (args, io) => runSyscount(args, io),
};
