/**
 * The `tsbpf` command line's dispatcher: `tsbpf <command> [args]` over a table of commands (the
 * full table in `commands/index.ts` for ./main.ts; one command for the fast entry points such as
 * ./opensnoop-main.ts). Turns every failure into one line on stderr and exit code 2 (DESIGN.md,
 * CLI contract); no stack trace ever reaches the user.
 * @module
 */

import { EXIT_OK, EXIT_USAGE, type CliIo } from './command.js';
import type { CommandEntry } from './commands/index.js';
import { stdoutWriter } from './stdout-writer.js';

function usage(commands: Readonly<Record<string, CommandEntry>>): string {
  const names = Object.keys(commands);
  const width = Math.max(...names.map((n) => n.length));
  const list = names.map((n) => `  ${n.padEnd(width)}  ${commands[n].summary}`).join('\n');
  return `Usage: tsbpf <command> [options]

Commands:
${list}

'tsbpf <command> --help' describes a command.
Exit status: 0 success, 1 a negative verdict, 2 bad input or usage.
`;
}

/** Collapses a message to one line. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** Reads a readable stream to the end. */
async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/**
 * The process's own streams. Standard output is written synchronously to fd 1 when that is a file,
 * pipe, socket or terminal, without creating `process.stdout` (start-up time; ./stdout-writer.ts).
 * A closed stdout (`tsbpf disasm x | head`) ends the process quietly.
 */
export function processIo(): CliIo {
  const writeOut = stdoutWriter({
    onClosed: () => process.exit(process.exitCode ?? EXIT_OK),
    onError: (e) => {
      process.stderr.write(`tsbpf: cannot write output: ${oneLine(e.message)}\n`);
      process.exit(EXIT_USAGE);
    },
  });
  return {
    writeOut,
    writeErr: (text) => void process.stderr.write(text),
    readStdin: () => readAll(process.stdin),
  };
}

/**
 * Runs `tsbpf` with `argv` (the arguments after `tsbpf`) over the command table `commands`;
 * resolves to the exit code. Never throws: errors are reported as `tsbpf COMMAND: message` on
 * one line, exit code 2.
 */
export async function dispatch(commands: Readonly<Record<string, CommandEntry>>, argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.writeErr("tsbpf: missing command (try 'tsbpf --help')\n");
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    io.writeOut(usage(commands));
    return EXIT_OK;
  }
  if (name === 'help') return dispatch(commands, [rest[0], '--help'], io);
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (entry === undefined) {
    io.writeErr(name.startsWith('-') ? `tsbpf: unknown option '${name}' (try 'tsbpf --help')\n` : `tsbpf: unknown command '${name}'\n`);
    return EXIT_USAGE;
  }
  try {
    const command = await entry.load();
    return await command.run(rest, io);
  } catch (e) {
    io.writeErr(`tsbpf ${name}: ${oneLine(messageOf(e))}\n`);
    return EXIT_USAGE;
  }
}
