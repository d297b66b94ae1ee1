/**
 * The `tsbpf` command line: `tsbpf <command> [args]`. Dispatches to the commands registered in
 * `commands/index.ts` and turns every failure into one line on stderr and exit code 2 (DESIGN.md,
 * CLI contract); no stack trace ever reaches the user.
 * @module
 */

import type { CliIo } from './command.js';
import { commands } from './commands/index.js';
import { dispatch, processIo } from './dispatch.js';

export { processIo } from './dispatch.js';

/**
 * Runs `tsbpf` with `argv` (the arguments after `tsbpf`); resolves to the exit code. Never
 * throws: errors are reported as `tsbpf COMMAND: message` on one line, exit code 2.
 */
export function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  return dispatch(commands, argv, io);
}
