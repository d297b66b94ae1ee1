/**
 * opensnoop: every `openat()` on the system with the process, the fd or error, and the path —
 * BCC's `opensnoop` (its tracepoint version). Two eDSL programs share a hash keyed by
 * `pid_tgid` (BCC's `infotmp`): `sys_enter_openat` saves the filename pointer, flags and time;
 * `sys_exit_openat` looks the entry up, reads the path from user memory, and sends the event with
 * the return value through a perf event array (BCC's `BPF_PERF_OUTPUT` + `perf_submit`).
 *
 * ```ts
 * const snoop = Opensnoop.start({ pid: 1234 }, (ev) => console.log(ev.pid, ev.comm, ev.fd, ev.err, ev.path));
 * // …
 * snoop.close();               // detaches both programs, closes the reader and every map
 * snoop.lost;                  // events the kernel dropped (perf buffer full)
 * ```
 * @module
 */

// Module by module rather than through the index files: only what is used is loaded.
import { s64, u32, u64 } from '../dsl/c-types.js';
import type { Program } from '../dsl/program.js';
import { tracepointProgram } from '../dsl/tracepoint-program.js';
import { char, struct, type Infer } from '../types/index.js';
import type { TracepointFormat } from '../tracefs/format.js';
import { PATH_BYTES, RING_BYTES, type OpensnoopFilter, type OpensnoopTransport } from './opensnoop-live.js';
import { checkFilterId } from './opensnoop-variants.js';

export { PATH_BYTES, RING_BYTES, type OpensnoopFilter, type OpensnoopTransport } from './opensnoop-live.js';

/** What the entry probe saves per thread (BCC's `struct val_t`). */
export const OpenInfo = struct('open_info', { ts: u64, fname: u64, flags: u64 });

/** The event the exit probe sends (BCC's `struct data_t`). */
export const OpenEvent = struct('open_event', { ts: u64, pid: u32, tid: u32, uid: u32, flags: u32, ret: s64, comm: char(16), path: char(PATH_BYTES) });

/** A decoded {@link OpenEvent}. */
export type RawOpenEvent = Infer<typeof OpenEvent>;

/** Options of {@link opensnoopPrograms}. */
export interface OpensnoopProgramOptions extends OpensnoopFilter {
  /** Event transport (default `'perf'`). */
  readonly transport?: OpensnoopTransport;
  /** Record layouts (default: read from tracefs). */
  readonly formats?: { readonly enter?: TracepointFormat; readonly exit?: TracepointFormat };
}

/** The entry and exit programs of opensnoop. */
export interface OpensnoopPrograms {
  /** On `syscalls:sys_enter_openat`: saves the arguments. */
  readonly enter: Program<'tracepoint'>;
  /** On `syscalls:sys_exit_openat`: sends the event. */
  readonly exit: Program<'tracepoint'>;
}

/** Builds the two programs of opensnoop with the filters of `options` compiled in. */
export function opensnoopPrograms(options: OpensnoopProgramOptions = {}): OpensnoopPrograms {
  checkFilterId('pid', options.pid);
  checkFilterId('tid', options.tid);
  checkFilterId('uid', options.uid);
  const enter = tracepointProgram('syscalls', 'sys_enter_openat', ($, ctx) => {
    const infotmp = $.hash('infotmp', u64, OpenInfo, { maxEntries: 10240 });
    const id = $.let(u64, $.getCurrentPidTgid());
    if (options.pid !== undefined) $.if(id.shr(32n).cast(u32).ne(options.pid), () => $.return(0));
    if (options.tid !== undefined) $.if(id.cast(u32).ne(options.tid), () => $.return(0));
    if (options.uid !== undefined) $.if($.getCurrentUidGid().cast(u32).ne(options.uid), () => $.return(0));
    const info = $.struct(OpenInfo, { ts: $.ktimeGetNs(), fname: ctx.args.filename, flags: ctx.args.flags });
    infotmp.update(id, info);
    return 0;
  }, { name: 'opensnoop_enter', ...(options.formats?.enter === undefined ? {} : { format: options.formats.enter }) });
  const exit = tracepointProgram('syscalls', 'sys_exit_openat', ($, ctx) => {
    const infotmp = $.hash('infotmp', u64, OpenInfo, { maxEntries: 10240 });
    const ring = options.transport === 'ring';
    const perf = ring ? undefined : $.perfEventArray('events');
    const rb = ring ? $.ringbuf('events', { size: RING_BYTES }) : undefined;
    const dropped = ring ? $.array('dropped', u64, { maxEntries: 1 }) : undefined;
    const id = $.let(u64, $.getCurrentPidTgid());
    $.ifSome(infotmp.lookup(id), (info) => {
      const ret = $.let(s64, ctx.args.ret);
      if (options.failed === true) {
        $.if(ret.ge(0n), () => {
          infotmp.delete(id);
          $.return(0);
        });
      }
      const ev = $.struct(OpenEvent, {
        ts: $.ktimeGetNs(),
        pid: id.shr(32n).cast(u32),
        tid: id.cast(u32),
        uid: $.getCurrentUidGid().cast(u32),
        flags: info.field('flags').get().cast(u32),
        ret,
      });
      $.getCurrentComm(ev.field('comm'));
      $.probeReadUserStr(ev.field('path'), info.field('fname').get());
      if (rb !== undefined && dropped !== undefined) {
        $.if(rb.output(ev).ne(0n), () => $.ifSome(dropped.lookup(0), (n) => n.atomicAdd(1n)));
      } else {
        perf!.output(ev);
      }
      infotmp.delete(id);
    });
    return 0;
  }, { name: 'opensnoop_exit', ...(options.formats?.exit === undefined ? {} : { format: options.formats.exit }) });
  return { enter, exit };
}

export { decodeOpenEvent, Opensnoop, toRecord, type OpenEventRecord, type OpensnoopOptions } from './opensnoop-live.js';
