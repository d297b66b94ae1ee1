/**
 * execsnoop: every `execve()` on the system with the parent pid, the return value and the
 * argument list — BCC's `execsnoop`, on the `syscalls:sys_enter_execve` / `sys_exit_execve`
 * tracepoints (this kernel has no kprobes). As in BCC, the entry program sends one event per
 * argument (the filename, then `argv[1..]`, each read with the bounded
 * `bpf_probe_read_user_str` into a 128-byte buffer, at most `maxArgs` of them, then a `...`
 * marker when there are more), and the exit program sends the return value with the new
 * command name; user space joins them by pid. The parent pid is `current->real_parent->tgid`,
 * read with `bpf_probe_read_kernel` at offsets from the kernel's BTF.
 *
 * ```ts
 * const snoop = Execsnoop.start({}, (e) => console.log(e.pcomm, e.pid, e.ppid, e.ret, e.args.join(' ')));
 * snoop.close();
 * ```
 * @module
 */

import { s64, u32, u64 } from '../dsl/c-types.js';
import { compile } from '../dsl/compile.js';
import type { Program } from '../dsl/program.js';
import { tracepointProgram } from '../dsl/tracepoint-program.js';
import type { TracepointFormat } from '../tracefs/format.js';
import { char, struct, type Infer } from '../types/index.js';
import type { Btf } from 'ebpf-bytecode-utils';
import { TracepointSession } from './tracepoint-session.js';

/** BCC's `ARGSIZE`: bytes per argument, NUL included. */
export const ARG_BYTES = 128;
/** BCC's default `--max-args`. */
export const DEFAULT_MAX_ARGS = 20;

/** Event kinds (BCC's `EVENT_ARG`, `EVENT_RET`), and the marker of arguments left out. */
export const ExecEventType = { ARG: 0, RET: 1, TRUNCATED: 2 } as const;

/** The event both programs send (BCC's `struct data_t`). */
export const ExecEvent = struct('exec_event', { ts: u64, pid: u32, ppid: u32, uid: u32, type: u32, ret: s64, comm: char(16), arg: char(ARG_BYTES) });

/** A decoded {@link ExecEvent}. */
export type RawExecEvent = Infer<typeof ExecEvent>;

/** Options of {@link execsnoopPrograms}. */
export interface ExecsnoopProgramOptions {
  /** Only this user id (BCC's `-u`). */
  readonly uid?: number;
  /** Only children of this process (BCC's `-P`). */
  readonly ppid?: number;
  /** Arguments read per exec, 1–64 (default 20, BCC's `--max-args`); the filename is the first. */
  readonly maxArgs?: number;
  /** The kernel BTF that `task_struct` is resolved against (default: the running kernel's). */
  readonly btf?: Btf;
  /** Record layouts (default: read from tracefs). */
  readonly formats?: { readonly enter?: TracepointFormat; readonly exit?: TracepointFormat };
}

/** The entry and exit programs of execsnoop. */
export interface ExecsnoopPrograms {
  /** On `syscalls:sys_enter_execve`: one event per argument. */
  readonly enter: Program<'tracepoint'>;
  /** On `syscalls:sys_exit_execve`: the return value. */
  readonly exit: Program<'tracepoint'>;
}

function checkId(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0xffffffff)) throw new RangeError(`execsnoop: ${name} ${String(v)} is not a 32-bit unsigned integer`);
}

/** Builds the two programs of execsnoop with the filters of `options` compiled in. */
export function execsnoopPrograms(options: ExecsnoopProgramOptions = {}): ExecsnoopPrograms {
  checkId('uid', options.uid);
  checkId('ppid', options.ppid);
  const maxArgs = options.maxArgs ?? DEFAULT_MAX_ARGS;
  if (!Number.isInteger(maxArgs) || maxArgs < 1 || maxArgs > 64) throw new RangeError(`execsnoop: maxArgs ${String(maxArgs)} is not an integer from 1 to 64`);
  type B = Parameters<Parameters<typeof tracepointProgram<'syscalls', 'sys_exit_execve'>>[2]>[0];
  /** The event header shared by both programs; returns undefined after an early return. */
  const header = ($: B, type: number) => {
    const id = $.let(u64, $.getCurrentPidTgid());
    const uid = $.let(u32, $.getCurrentUidGid().cast(u32));
    if (options.uid !== undefined) $.if(uid.ne(options.uid), () => $.return(0));
    const ppid = $.let(u32, $.currentTask(options.btf).field('real_parent').field('tgid').value().cast(u32));
    if (options.ppid !== undefined) $.if(ppid.ne(options.ppid), () => $.return(0));
    const ev = $.struct(ExecEvent, { ts: $.ktimeGetNs(), pid: id.shr(32n).cast(u32), ppid, uid, type });
    $.getCurrentComm(ev.field('comm'));
    return ev;
  };
  const enter = tracepointProgram('syscalls', 'sys_enter_execve', ($, ctx) => {
    const events = $.perfEventArray('events');
    const ev = header($ as unknown as B, ExecEventType.ARG);
    $.probeReadUserStr(ev.field('arg'), ctx.args.filename);
    events.output(ev);
    const argv = $.let(u64, ctx.args.argv);
    for (let i = 1; i < maxArgs; i++) {
      const p = $.let(u64, $.readUser(u64, argv.add(i * 8)));
      $.if(p.eq(0n), () => $.return(0));
      $.probeReadUserStr(ev.field('arg'), p);
      events.output(ev);
    }
    $.if($.readUser(u64, argv.add(maxArgs * 8)).ne(0n), () => {
      ev.field('type').set(ExecEventType.TRUNCATED);
      events.output(ev);
    });
    return 0;
  }, { name: 'execsnoop_enter', ...(options.formats?.enter === undefined ? {} : { format: options.formats.enter }) });
  const exit = tracepointProgram('syscalls', 'sys_exit_execve', ($, ctx) => {
    const events = $.perfEventArray('events');
    const ev = header($, ExecEventType.RET);
    ev.field('ret').set(ctx.args.ret);
    events.output(ev);
    return 0;
  }, { name: 'execsnoop_exit', ...(options.formats?.exit === undefined ? {} : { format: options.formats.exit }) });
  return { enter, exit };
}

/** One exec, as execsnoop reports it (the `--json` keys: BCC's columns in lower case, plus `uid`). */
export interface ExecRecord {
  /** Seconds since execsnoop started (BCC's `TIME(s)`). */
  readonly ts: number;
  /** The command name after the exec (BCC's `PCOMM`). */
  readonly pcomm: string;
  /** Process id. */
  readonly pid: number;
  /** Parent process id. */
  readonly ppid: number;
  /** User id. */
  readonly uid: number;
  /** Return value of `execve`: 0, or `-errno`. */
  readonly ret: number;
  /** The filename then `argv[1..]`, at most `maxArgs`; a last `...` when more were left out. */
  readonly args: readonly string[];
}

/** Options of {@link Execsnoop.start}. */
export interface ExecsnoopOptions extends ExecsnoopProgramOptions {
  /** Perf buffer pages per CPU (default 64). */
  readonly pageCount?: number;
}

/** Joins argument events with their return event, by pid and time. */
export class ExecJoiner {
  readonly #args = new Map<number, { readonly ts: bigint; readonly text: string }[]>();
  readonly #startNs: bigint;

  /** `startNs`: the `bpf_ktime_get_ns` time that `ts` counts from. */
  constructor(startNs: bigint) {
    this.#startNs = startNs;
  }

  /**
   * Takes one raw event; returns the record when it completes an exec. A return event takes the
   * pid's argument events stamped no later than itself (a later exec of the same pid keeps its own).
   */
  add(raw: RawExecEvent): ExecRecord | undefined {
    if (raw.type !== ExecEventType.RET) {
      let list = this.#args.get(raw.pid);
      if (list === undefined) this.#args.set(raw.pid, (list = []));
      list.push({ ts: raw.ts, text: raw.type === ExecEventType.TRUNCATED ? '...' : raw.arg });
      return undefined;
    }
    const list = this.#args.get(raw.pid) ?? [];
    const mine = list.filter((a) => a.ts <= raw.ts);
    if (mine.length === list.length) this.#args.delete(raw.pid);
    else this.#args.set(raw.pid, list.filter((a) => a.ts > raw.ts));
    return { ts: Number((raw.ts - this.#startNs) / 1000n) / 1e6, pcomm: raw.comm, pid: raw.pid, ppid: raw.ppid, uid: raw.uid, ret: Number(raw.ret), args: mine.map((a) => a.text) };
  }
}

/**
 * How long a return event waits for argument events still in another CPU's ring: exec may move
 * the process to another CPU (sched_exec), so its argument events and its return event can sit
 * in different per-CPU rings and be read in either order.
 */
export const EXEC_REORDER_MS = 50;

/** Return events held for {@link EXEC_REORDER_MS}, then joined in time order. */
class HeldReturns {
  readonly #joiner: ExecJoiner;
  readonly #deliver: (rec: ExecRecord) => void;
  readonly #pending: RawExecEvent[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(joiner: ExecJoiner, deliver: (rec: ExecRecord) => void) {
    this.#joiner = joiner;
    this.#deliver = deliver;
  }

  hold(raw: RawExecEvent): void {
    this.#pending.push(raw);
    this.#timer ??= setTimeout(() => this.flush(), EXEC_REORDER_MS);
  }

  /** Joins and delivers every held return now, oldest first. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending.splice(0).sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    for (const raw of batch) {
      const rec = this.#joiner.add(raw);
      if (rec !== undefined) this.#deliver(rec);
    }
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.length = 0;
  }
}

/** A running execsnoop. Keeps the process alive until {@link Execsnoop.close}. */
export class Execsnoop {
  /** Execs delivered to the callback. */
  events = 0;
  readonly #session: TracepointSession<RawExecEvent>;
  readonly #held: HeldReturns;

  private constructor(session: TracepointSession<RawExecEvent>, held: HeldReturns) {
    this.#session = session;
    this.#held = held;
  }

  /** Events the kernel dropped (perf buffer full). */
  get lost(): number {
    return this.#session.lost;
  }

  /** Builds, loads and attaches execsnoop; `onEvent` gets each completed exec. Needs root. */
  static start(options: ExecsnoopOptions, onEvent: (event: ExecRecord) => void): Execsnoop {
    const progs = execsnoopPrograms(options);
    const joiner = new ExecJoiner(process.hrtime.bigint());
    const held = new HeldReturns(joiner, (rec) => {
      if (snoop !== undefined) snoop.events++;
      onEvent(rec);
    });
    let snoop: Execsnoop | undefined;
    const session = TracepointSession.start<RawExecEvent>([
      { program: compile(progs.exit), category: 'syscalls', name: 'sys_exit_execve' },
      { program: compile(progs.enter), category: 'syscalls', name: 'sys_enter_execve' },
    ], {
      map: 'events',
      transport: 'perf',
      pageCount: options.pageCount ?? 64,
      decode: (dv) => ExecEvent.decode(dv),
      onEvent: (raw) => {
        if (raw.type === ExecEventType.RET) held.hold(raw);
        else joiner.add(raw);
      },
    });
    snoop = new Execsnoop(session, held);
    return snoop;
  }

  /** Delivers the events already waiting; returns how many records were read. */
  drain(): number {
    const n = this.#session.drain();
    this.#held.flush();
    return n;
  }

  /** Detaches both programs and closes every fd (idempotent); held returns are dropped. */
  close(): void {
    this.#held.cancel();
    this.#session.close();
  }

  /** Same as {@link Execsnoop.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
