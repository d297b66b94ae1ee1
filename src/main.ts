/**
 * `npm start`: opensnoop. As root with BPF, the live tool — every `openat()` on the system in
 * BCC's columns until Ctrl-C (SIGINT) or SIGTERM, both programs detached before exit. Otherwise
 * (no permission, no bpf(), no tracefs; decided by {@link liveTracingUnavailable}) the offline
 * path: the same programs are built, disassembled, checked by the offline verifier and run in the
 * interpreter on a synthetic open, and the decoded event is printed. Arguments are opensnoop's
 * (`npm start -- --json -p 1234`). The pipeline demo that used to live here is `npm run demo`.
 * @module
 */

import { EXIT_NEGATIVE, EXIT_OK, type CliIo } from './cli/command.js';
import { main as cliMain, processIo } from './cli/main.js';
import { liveTracingUnavailable } from './tools/live-tracing-probe.js';

/** Runs `npm start` with opensnoop's arguments `argv`; resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const reason = liveTracingUnavailable([['syscalls', 'sys_enter_openat'], ['syscalls', 'sys_exit_openat']]);
  if (reason === undefined) return cliMain(['opensnoop', ...argv], io);
  io.writeErr(`tsbpf: cannot trace live: ${reason}\ntsbpf: offline instead — opensnoop built, verified and run in the interpreter on a synthetic openat()\n`);
  const { runOpensnoopOffline } = await import('./tools/opensnoop-offline.js');
  const result = runOpensnoopOffline((text) => io.writeOut(text));
  const rejected = Object.values(result.verdicts).some((v) => !v.startsWith('accept'));
  return rejected || result.events.length !== 1 ? EXIT_NEGATIVE : EXIT_OK;
}
