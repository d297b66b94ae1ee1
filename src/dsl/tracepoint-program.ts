/**
 * `tracepointProgram(category, name, ($, ctx) => …)`: BCC's `TRACEPOINT_PROBE(category, name)`.
 * The record layout comes from the running kernel's tracefs format (or `options.format`), so
 * `ctx.args.filename` reads the right offset with the right width and signedness. For the
 * tracepoints in {@link knownTracepoints} the field names and types are also known to the
 * compiler (a misspelt field does not compile), and checked against the kernel's format when the
 * program is built.
 *
 * ```ts
 * const Event = struct('event', { pid: u32, comm: char(16), fname: char(256) });
 * const prog = tracepointProgram('syscalls', 'sys_enter_openat', ($, ctx) => {
 *   const events = $.perfEventArray('events');
 *   const ev = $.struct(Event, { pid: $.getCurrentPidTgid().shr(32n).cast(u32) });
 *   $.getCurrentComm(ev.field('comm'));
 *   $.probeReadUserStr(ev.field('fname'), ctx.args.filename);
 *   events.output(ev);
 * });
 * ```
 * @module
 */

import type { TracepointFormat } from '../tracefs/format.js';
import { tracepointFormat } from '../tracefs/tracepoint-id.js';
import { s32, s64, u64, type Bool, type IntType } from './c-types.js';
import type { Expr } from './expr.js';
import { program, type Builder, type Program } from './program.js';
import { checkTracepointArgs, type TracepointArgTypes, type TracepointContext } from './tracepoint-context.js';

/**
 * Field types of common tracepoints as the 6.x kernels' formats give them (syscall tracepoints
 * store every argument in 8 unsigned bytes, whatever its C type; `ret` is a signed `long`).
 */
export const knownTracepoints = {
  'syscalls:sys_enter_openat': { __syscall_nr: s32, dfd: u64, filename: u64, flags: u64, mode: u64 },
  'syscalls:sys_exit_openat': { __syscall_nr: s32, ret: s64 },
  'syscalls:sys_enter_open': { __syscall_nr: s32, filename: u64, flags: u64, mode: u64 },
  'syscalls:sys_exit_open': { __syscall_nr: s32, ret: s64 },
  'syscalls:sys_enter_openat2': { __syscall_nr: s32, dfd: u64, filename: u64, how: u64, usize: u64 },
  'syscalls:sys_exit_openat2': { __syscall_nr: s32, ret: s64 },
  'syscalls:sys_enter_execve': { __syscall_nr: s32, filename: u64, argv: u64, envp: u64 },
  'syscalls:sys_exit_execve': { __syscall_nr: s32, ret: s64 },
  'syscalls:sys_enter_close': { __syscall_nr: s32, fd: u64 },
  'syscalls:sys_exit_close': { __syscall_nr: s32, ret: s64 },
} as const satisfies Readonly<Record<string, TracepointArgTypes>>;

/** The field types of tracepoint `C:N`: from {@link knownTracepoints}, else any field name of some integer type. */
export type KnownTracepointArgs<C extends string, N extends string> = `${C}:${N}` extends keyof typeof knownTracepoints
  ? (typeof knownTracepoints)[`${C}:${N}`]
  : TracepointArgTypes;

/** Options of {@link tracepointProgram}. */
export interface TracepointProgramOptions {
  /** The record layout (default: read from tracefs, which needs root and a mounted tracefs). */
  readonly format?: TracepointFormat;
  /** Program name (default: the tracepoint name, cut to 15 bytes at load). */
  readonly name?: string;
  /** License, `GPL` by default (probe_read and perf output helpers are GPL-only). */
  readonly license?: string;
}

/**
 * Builds a `tracepoint` program for `category:name` (BCC's `TRACEPOINT_PROBE`). The callback
 * receives the builder and a context whose `args` are the record's fields. Attach the loaded
 * program with `attachTracepoint(progFd, category, name)`.
 */
export function tracepointProgram<const C extends string, const N extends string, A extends TracepointArgTypes = KnownTracepointArgs<C, N>>(
  category: C,
  name: N,
  build: ($: Builder<'tracepoint'>, ctx: TracepointContext<A>) => Expr<IntType> | Expr<Bool> | number | bigint | void,
  options: TracepointProgramOptions = {},
): Program<'tracepoint'> {
  const format = options.format ?? tracepointFormat(category, name);
  const known = (knownTracepoints as Readonly<Record<string, TracepointArgTypes>>)[`${category}:${name}`];
  if (known !== undefined) checkTracepointArgs(format, known, `tracepoint ${category}:${name}`);
  return program(options.name ?? name, 'tracepoint', ($, ctx) => build($, ctx as unknown as TracepointContext<A>), {
    tracepointFormat: format,
    ...(options.license === undefined ? {} : { license: options.license }),
  });
}
