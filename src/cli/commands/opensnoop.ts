/**
 * `tsbpf opensnoop`: BCC's opensnoop — every `openat()` with PID, COMM, FD, ERR and PATH, until
 * Ctrl-C (or `--duration`). `--json` prints one JSON object per event.
 * @module
 */

import { EXIT_OK, parseOptionsOrHelp, type CliIo, type Command } from '../command.js';
import { batchedWriter, idOption, secondsOption, traceUntilStopped, type ToolRunOptions } from '../tool-session.js';
import { formatOpenHeader, formatOpenLine } from '../../tools/opensnoop-format.js';
// Static: the live path (prebuilt programs, syscalls, readers) is small, and this module is itself
// loaded only for `tsbpf opensnoop`.
import { Opensnoop } from '../../tools/opensnoop-live.js';

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

/** opensnoop's command-line options (parseArgs form; `-h, --help` is added by parseOptionsOrHelp). */
export const OPENSNOOP_OPTIONS = {
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
} as const;

/** Options of {@link runOpensnoop} beyond the arguments. */
export type OpensnoopRunOptions = ToolRunOptions;

/**
 * Runs opensnoop with command-line `args`, writing to `io`, until `options.signal` aborts,
 * SIGINT/SIGTERM arrive, or `--duration` ends; everything is closed before it resolves to the exit code.
 */
export async function runOpensnoop(args: readonly string[], io: CliIo, options: OpensnoopRunOptions = {}): Promise<number> {
  const values = parseOptionsOrHelp(args, OPENSNOOP_OPTIONS, help, io);
  if (values === undefined) return EXIT_OK;
  const duration = secondsOption('duration', values.duration);
  const pid = idOption('pid', values.pid);
  const tid = idOption('tid', values.tid);
  const uid = idOption('uid', values.uid);
  const json = values.json === true;
  const columns = { timestamp: values.timestamp === true, uid: values['print-uid'] === true, tid: tid !== undefined, flags: values['extended-fields'] === true };

  const out = batchedWriter(io);
  const snoop = Opensnoop.start({
    ...(pid === undefined ? {} : { pid }),
    ...(tid === undefined ? {} : { tid }),
    ...(uid === undefined ? {} : { uid }),
    ...(values.name === undefined ? {} : { name: values.name }),
    failed: values.failed === true,
    transport: values.ringbuf === true ? 'ring' : 'perf',
  }, (e) => {
    out.write(json ? `${JSON.stringify(e)}\n` : formatOpenLine(e, columns));
  });
  await traceUntilStopped(snoop, io, out, { header: json ? undefined : formatOpenHeader(columns), seconds: duration, what: 'tsbpf opensnoop', unit: 'events' }, options);
  return EXIT_OK;
}

/** The `tsbpf opensnoop` command. */
export const opensnoop: Command = {
  name: 'opensnoop',
  help,
  run: (args, io) => runOpensnoop(args, io),
};
