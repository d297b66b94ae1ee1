/**
 * What every `tsbpf` subcommand is: a name, help text and a `run` that returns the exit code,
 * plus the small I/O surface commands use (so tests can run them in-process) and the helpers
 * they share for arguments and input.
 *
 * Exit codes (DESIGN.md, CLI contract): 0 success, 1 a negative verdict, 2 bad input or usage
 * with a one-line message on stderr.
 * @module
 */

import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isSimpleOptionTable, parseSimpleOptions } from './simple-option-parser.js';

/** Exit code: success. */
export const EXIT_OK = 0;
/** Exit code: a negative verdict (e.g. the program was rejected). */
export const EXIT_NEGATIVE = 1;
/** Exit code: bad input or usage. */
export const EXIT_USAGE = 2;

/** The streams a command reads and writes. */
export interface CliIo {
  /** Writes text or raw bytes to standard output. */
  writeOut(data: string | Uint8Array): void;
  /** Writes text to standard error. */
  writeErr(text: string): void;
  /** Reads all of standard input. */
  readStdin(): Promise<Uint8Array>;
}

/** One `tsbpf` subcommand. */
export interface Command {
  /** The word after `tsbpf`. */
  readonly name: string;
  /** Full `--help` text, ending with a newline. */
  readonly help: string;
  /** Runs the command on its arguments (after the command word); resolves to the exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Bad usage or input: the command prints `tsbpf NAME: message` and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Node's parseArgs errors carry a code; turn them into short one-line messages. */
function argumentMessage(e: unknown): string | undefined {
  if (!(e instanceof TypeError)) return undefined;
  const code = (e as { code?: unknown }).code;
  const quoted = /'([^']*)'/.exec(e.message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${quoted ?? e.message}'`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const first = e.message.split('\n')[0].replace(/\.$/, '');
      return first.charAt(0).toLowerCase() + first.slice(1);
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${quoted ?? e.message}'`;
    default:
      return undefined;
  }
}

/**
 * `node:util` parseArgs, strict, with its errors turned into {@link UsageError}s. Options that are
 * all single strings and booleans go through ./simple-option-parser.ts instead, which gives the
 * same results and errors without compiling parseArgs (start-up time).
 */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: T) {
  try {
    if (isSimpleOptionTable(options)) return parseSimpleOptions(args, options) as ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (e) {
    const message = argumentMessage(e);
    if (message !== undefined) throw new UsageError(message);
    throw e;
  }
}

/** `-h, --help`, which every command takes. */
const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * The prologue of a command that takes positional arguments (FILE, SPEC.json…): parses `args`
 * against `options` plus `-h, --help` ({@link parseCommandArgs}); on `--help` writes `help` to `io`
 * and returns undefined (the command then exits 0); otherwise the option values and positionals.
 */
export function parseArgsOrHelp<T extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: T, help: string, io: CliIo) {
  const parsed = parseCommandArgs(args, { ...options, ...HELP_OPTION } as T & typeof HELP_OPTION);
  if ((parsed.values as { readonly help?: boolean }).help === true) {
    io.writeOut(help);
    return undefined;
  }
  return parsed;
}

/**
 * The prologue of a command that takes options only (the tools, `probe`, `demo`):
 * {@link parseArgsOrHelp}, where a positional argument is a {@link UsageError}.
 */
export function parseOptionsOrHelp<T extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: T, help: string, io: CliIo) {
  const parsed = parseArgsOrHelp(args, options, help, io);
  if (parsed === undefined) return undefined;
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
  return parsed.values;
}

const FS_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  ENOTDIR: 'not a directory',
};

/** Reads FILE, or standard input for undefined or `-`; a file error is a {@link UsageError}. */
export async function readInput(file: string | undefined, io: CliIo): Promise<Uint8Array> {
  if (file === undefined || file === '-') return io.readStdin();
  try {
    return await readFile(file);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const reason = typeof code === 'string' ? (FS_REASONS[code] ?? (e as Error).message) : String(e);
    throw new UsageError(`cannot read '${file}': ${reason}`);
  }
}
