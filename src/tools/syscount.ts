/**
 * syscount: system calls counted per syscall (and, with `latency`, their total time) in the
 * kernel — BCC's `syscount`, on the `raw_syscalls:sys_enter` / `sys_exit` tracepoints. The
 * exit program counts (so `failed` can look at the return value) in the hash `data` keyed by
 * syscall number; with `latency` the entry program saves `bpf_ktime_get_ns()` per thread in
 * `start` and the exit program adds the elapsed time. User space reads and clears `data` per
 * interval ({@link Syscount.collect}).
 *
 * ```ts
 * const sc = Syscount.start({ pid: 1234 });
 * sc.collect();   // [{ nr: 0, syscall: 'read', count: 12 }, …], largest first; the counts restart
 * sc.close();
 * ```
 * @module
 */

import { MapElemAccess } from '../../syscalls/map-elem.js';
import { u32, u64 } from '../dsl/c-types.js';
import { compile } from '../dsl/compile.js';
import type { Program } from '../dsl/program.js';
import { tracepointProgram } from '../dsl/tracepoint-program.js';
import type { TracepointFormat } from '../tracefs/format.js';
import { struct } from '../types/index.js';
import { syscallName } from './syscall-table.js';
import { TracepointSession, type TracepointAttachment } from './tracepoint-session.js';

/** Per-syscall totals with latency (BCC's `struct data_t`). */
export const SyscallTotals = struct('syscall_totals', { count: u64, total_ns: u64 });

/** Options of {@link syscountPrograms}. */
export interface SyscountProgramOptions {
  /** Only this process (tgid). */
  readonly pid?: number;
  /** Only failed calls (negative return value; BCC's `-x`). */
  readonly failed?: boolean;
  /** Also the total time in each syscall (BCC's `-L`). */
  readonly latency?: boolean;
  /** Distinct syscalls kept (default 1024). */
  readonly maxEntries?: number;
  /** Record layouts (default: read from tracefs). */
  readonly formats?: { readonly enter?: TracepointFormat; readonly exit?: TracepointFormat };
}

/** The programs of syscount: the exit counter, and with latency the entry timer. */
export interface SyscountPrograms {
  /** On `raw_syscalls:sys_enter` (latency only): saves the start time. */
  readonly enter: Program<'tracepoint'> | undefined;
  /** On `raw_syscalls:sys_exit`: counts. */
  readonly exit: Program<'tracepoint'>;
}

/** Builds syscount's programs with the filters of `options` compiled in. */
export function syscountPrograms(options: SyscountProgramOptions = {}): SyscountPrograms {
  const pid = options.pid;
  if (pid !== undefined && (!Number.isInteger(pid) || pid < 0 || pid > 0xffffffff)) throw new RangeError(`syscount: pid ${String(pid)} is not a 32-bit unsigned integer`);
  const maxEntries = options.maxEntries ?? 1024;
  const latency = options.latency === true;
  const enter = !latency ? undefined : tracepointProgram('raw_syscalls', 'sys_enter', ($) => {
    const start = $.hash('start', u64, u64, { maxEntries: 10240 });
    const id = $.let(u64, $.getCurrentPidTgid());
    if (pid !== undefined) $.if(id.shr(32n).cast(u32).ne(pid), () => $.return(0));
    start.update(id, $.ktimeGetNs());
    return 0;
  }, { name: 'syscount_enter', ...(options.formats?.enter === undefined ? {} : { format: options.formats.enter }) });
  const exit = tracepointProgram('raw_syscalls', 'sys_exit', ($, ctx) => {
    // The thread id only when something needs it.
    const id = pid === undefined && !latency ? undefined : $.let(u64, $.getCurrentPidTgid());
    if (pid !== undefined) $.if(id!.shr(32n).cast(u32).ne(pid), () => $.return(0));
    const args = ctx.args;
    if (options.failed === true) $.if(args.ret.cast(u64).shr(63n).eq(0n), () => $.return(0));
    const nr = $.let(u32, args.id.cast(u32));
    if (!latency) {
      const data = $.hash('data', u32, u64, { maxEntries });
      $.ifSome(data.lookup(nr), (n) => n.atomicAdd(1n), () => {
        data.update(nr, 1n);
      });
    } else {
      const start = $.hash('start', u64, u64, { maxEntries: 10240 });
      const data = $.hash('data', u32, SyscallTotals, { maxEntries });
      $.ifSome(start.lookup(id!), (t0) => {
        const delta = $.let(u64, $.ktimeGetNs().sub(t0.get()));
        start.delete(id!);
        $.ifSome(data.lookup(nr), (v) => {
          v.field('count').atomicAdd(1n);
          v.field('total_ns').atomicAdd(delta);
        }, () => {
          data.update(nr, $.struct(SyscallTotals, { count: 1n, total_ns: delta }));
        });
      });
    }
    return 0;
  }, { name: 'syscount_exit', ...(options.formats?.exit === undefined ? {} : { format: options.formats.exit }) });
  return { enter, exit };
}

/** One syscall's totals over an interval. */
export interface SyscallCount {
  /** Syscall number. */
  readonly nr: number;
  /** Its name (`[nr]` when unknown). */
  readonly syscall: string;
  /** Calls. */
  readonly count: number;
  /** Total time in the call, in ns (latency mode only). */
  readonly totalNs?: number;
}

/** A running syscount. */
export class Syscount {
  readonly #session: TracepointSession;
  readonly #data: MapElemAccess;
  readonly #latency: boolean;

  private constructor(session: TracepointSession, latency: boolean) {
    this.#session = session;
    this.#latency = latency;
    this.#data = new MapElemAccess(session.mapFds.data, 4, latency ? SyscallTotals.size : 8);
  }

  /** Builds, loads and attaches syscount. Needs root. */
  static start(options: SyscountProgramOptions = {}): Syscount {
    const progs = syscountPrograms(options);
    const attachments: TracepointAttachment[] = [{ program: compile(progs.exit), category: 'raw_syscalls', name: 'sys_exit' }];
    if (progs.enter !== undefined) attachments.push({ program: compile(progs.enter), category: 'raw_syscalls', name: 'sys_enter' });
    return new Syscount(TracepointSession.start(attachments), options.latency === true);
  }

  /** Reads the counts since the last call (or the start), clears them, and returns them largest first. */
  collect(): SyscallCount[] {
    const d = this.#data;
    const keys: number[] = [];
    for (let first = true; d.next(first) === 0; first = false) {
      const nr = new DataView(d.nextKey.buffer, d.nextKey.byteOffset, 4).getUint32(0, true);
      keys.push(nr);
      d.key.set(d.nextKey);
    }
    const out: SyscallCount[] = [];
    const key = new DataView(d.key.buffer, d.key.byteOffset, 4);
    const value = new DataView(d.value.buffer, d.value.byteOffset, d.value.byteLength);
    for (const nr of keys) {
      key.setUint32(0, nr, true);
      if (d.lookupAndDelete() !== 0 && (d.lookup() !== 0 || d.delete() !== 0)) continue;
      const count = Number(value.getBigUint64(0, true));
      out.push(this.#latency ? { nr, syscall: syscallName(nr), count, totalNs: Number(value.getBigUint64(8, true)) } : { nr, syscall: syscallName(nr), count });
    }
    return out.sort((a, b) => (this.#latency ? (b.totalNs ?? 0) - (a.totalNs ?? 0) : b.count - a.count) || a.nr - b.nr);
  }

  /** Detaches the programs and closes every fd (idempotent). */
  close(): void {
    this.#session.close();
  }

  /** Same as {@link Syscount.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
