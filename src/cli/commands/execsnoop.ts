/**
 * `tsbpf execsnoop`: BCC's execsnoop — every `execve()` with PCOMM, PID, PPID, RET and ARGS,
 * until Ctrl-C (or `--duration`). `--json` prints one JSON object per exec.
 * @module
 */

import { EXIT_OK, UsageError, parseOptionsOrHelp, type CliIo, type Command } from '../command.js';
import { batchedWriter, idOption, secondsOption, traceUntilStopped, type ToolRunOptions } from '../tool-session.js';
import type { ExecRecord } from '../../tools/execsnoop.js';

const help = `Usage: tsbpf execsnoop [options]

Traces execve() system calls, like BCC's execsnoop (tracepoint version:
syscalls:sys_enter_execve and sys_exit_execve). Prints PCOMM (the new
command name), PID, PPID, RET (0 or -errno) and ARGS (the filename, then
argv[1..]) for each exec until Ctrl-C, SIGTERM or the end of --duration.
Needs root.

Options:
  -u, --uid UID          only this user
  -P, --ppid PPID        only children of this process
  -n, --name NAME        only commands whose name or arguments contain NAME
  -x, --fails            only failed execs
  -T, --time             a TIME column (HH:MM:SS)
  -t, --timestamp        a TIME(s) column: seconds since the start
  -U, --print-uid        a UID column
      --max-args N       arguments read per exec (1-64, default 20)
  -d, --duration SECS    exit after SECS seconds
      --json             one JSON object per exec: {"ts", "pcomm", "pid", "ppid",
                         "uid", "ret", "args"} (args: an array of strings)
  -h, --help             show this help

At exit, the number of execs and of events dropped is printed on stderr.
`;

/** Which optional columns execsnoop prints. */
export interface ExecColumns {
  /** `TIME` (HH:MM:SS, BCC's `-T`). */
  readonly time: boolean;
  /** `TIME(s)` (BCC's `-t`). */
  readonly timestamp: boolean;
  /** `UID` (BCC's `-U`). */
  readonly uid: boolean;
}

/** The header in BCC's layout. */
export function formatExecHeader(c: ExecColumns): string {
  return `${c.time ? 'TIME'.padEnd(9) : ''}${c.timestamp ? 'TIME(s)'.padEnd(8) : ''}${c.uid ? 'UID'.padEnd(6) : ''}${'PCOMM'.padEnd(16)} ${'PID'.padEnd(7)} ${'PPID'.padEnd(7)} ${'RET'.padStart(3)} ARGS\n`;
}

/** One exec in BCC's layout (`%-16s %-7d %-7s %3d %s`). */
export function formatExecLine(e: ExecRecord, c: ExecColumns, now = new Date()): string {
  const time = c.time ? now.toTimeString().slice(0, 8).padEnd(9) : '';
  const ts = c.timestamp ? e.ts.toFixed(3).padEnd(8) : '';
  const uid = c.uid ? String(e.uid).padEnd(6) : '';
  const args = e.args.join(' ').replace(/\n/g, '\\n');
  return `${time}${ts}${uid}${e.pcomm.padEnd(16)} ${String(e.pid).padEnd(7)} ${(e.ppid > 0 ? String(e.ppid) : '?').padEnd(7)} ${String(e.ret).padStart(3)} ${args}\n`;
}

/** Runs execsnoop with command-line `args` until stopped; resolves to the exit code. */
export async function runExecsnoop(args: readonly string[], io: CliIo, options: ToolRunOptions = {}): Promise<number> {
  const values = parseOptionsOrHelp(args, {
    uid: { type: 'string', short: 'u' },
    ppid: { type: 'string', short: 'P' },
    name: { type: 'string', short: 'n' },
    fails: { type: 'boolean', short: 'x' },
    time: { type: 'boolean', short: 'T' },
    timestamp: { type: 'boolean', short: 't' },
    'print-uid': { type: 'boolean', short: 'U' },
    'max-args': { type: 'string' },
    duration: { type: 'string', short: 'd' },
    json: { type: 'boolean' },
  }, help, io);
  if (values === undefined) return EXIT_OK;
  const duration = secondsOption('duration', values.duration);
  const uid = idOption('uid', values.uid);
  const ppid = idOption('ppid', values.ppid);
  const maxArgs = values['max-args'] === undefined ? undefined : Number(values['max-args']);
  if (maxArgs !== undefined && !(Number.isInteger(maxArgs) && maxArgs >= 1 && maxArgs <= 64)) throw new UsageError(`--max-args '${values['max-args']}' is not an integer from 1 to 64`);
  const json = values.json === true;
  const name = values.name;
  const columns: ExecColumns = { time: values.time === true, timestamp: values.timestamp === true, uid: values['print-uid'] === true };

  const { Execsnoop } = await import('../../tools/execsnoop.js');
  const out = batchedWriter(io);
  const snoop = Execsnoop.start({ ...(uid === undefined ? {} : { uid }), ...(ppid === undefined ? {} : { ppid }), ...(maxArgs === undefined ? {} : { maxArgs }) }, (e) => {
    if (values.fails === true && e.ret === 0) return;
    if (name !== undefined && !e.pcomm.includes(name) && !e.args.some((a) => a.includes(name))) return;
    out.write(json ? `${JSON.stringify(e)}\n` : formatExecLine(e, columns));
  });
  await traceUntilStopped(snoop, io, out, { header: json ? undefined : formatExecHeader(columns), seconds: duration, what: 'tsbpf execsnoop', unit: 'execs' }, options);
  return EXIT_OK;
}

/** The `tsbpf execsnoop` command. */
export const execsnoop: Command = {
  name: 'execsnoop',
  help,
  run: (args, io) => runExecsnoop(args, io),
};
