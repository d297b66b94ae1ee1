/**
 * The fast entry point of `tsbpf opensnoop` (bin/tsbpf.js loads it when the command is
 * `opensnoop`): the same dispatcher as ./main.ts over a table holding only opensnoop, so that
 * scripts/build.js bundles it, with everything it runs, into one file — one module to load
 * instead of a dozen chunks (start-up time, issue #6). Behaves exactly like `main` for
 * `opensnoop …` arguments.
 * @module
 */

import type { CliIo } from './command.js';
import type { CommandEntry } from './commands/index.js';
import { opensnoop } from './commands/opensnoop.js';
import { dispatch, processIo } from './dispatch.js';

/** bin/ passes a loader of koffi's native module by path (start-up time; see `useKoffiLoader`). */
export { useKoffiLoader } from '../../syscalls/backend.js';

// Static imports only: esbuild tree-shakes them (a dynamic import would keep whole modules).
const OPENSNOOP_ONLY: Readonly<Record<string, CommandEntry>> = {
  opensnoop: { summary: 'trace openat() calls: PID, COMM, FD, ERR, PATH (BCC opensnoop; --json)', load: () => Promise.resolve(opensnoop) },
};

/** Runs `tsbpf opensnoop …` (`argv` starts with `opensnoop`); resolves to the exit code, like `main`. */
export function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  return dispatch(OPENSNOOP_ONLY, argv, io);
}
