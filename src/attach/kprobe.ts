/**
 * kprobes and kretprobes on kernel functions, for `BPF_PROG_TYPE_KPROBE` programs, through one of
 * two kernel mechanisms:
 * - the kprobe PMU (`/sys/bus/event_source/devices/kprobe`, Linux 4.17): `perf_event_open` with
 *   `kprobe_func` and `probe_offset`; nothing to clean up but the fd;
 * - tracefs `kprobe_events` (any kernel with `CONFIG_KPROBE_EVENTS`): a named event created for
 *   the probe and removed on close; the only way to give a kretprobe its `maxactive`.
 *
 * The development kernel has neither (no `CONFIG_KPROBES`): there this throws a
 * {@link ProbePmuError}; the VM tests exercise both paths on Debian kernels.
 * @module
 */

import { existsSync, readFileSync } from 'node:fs';
import { Errno } from '../../syscalls/errno.js';
import { SyscallError } from '../../syscalls/errors.js';
import { PerfType } from '../../syscalls/perf-event.js';
import { perfEventOpen } from '../../syscalls/perf-event-open.js';
import { tracefsRoot } from '../tracefs/tracefs-root.js';
import { kernelSymbolExists } from './kernel-symbols.js';
import { KprobeEvent } from './kprobe-events.js';
import { acquireAll, Link, type LinkMode, type LinkPart } from './link.js';
import { attachToPerfEvent, type PerfAttachMode } from './perf-event-link.js';
import { syscallFunctionName } from './syscall-name.js';
import { ProbePmuError } from './uprobe.js';

/** Where the kprobe PMU describes itself. */
export const KPROBE_PMU_DIR = '/sys/bus/event_source/devices/kprobe';

/** Which kernel mechanism creates the probe; `'auto'`: the PMU, else tracefs (always tracefs for maxActive). */
export type KprobeMechanism = 'auto' | 'pmu' | 'tracefs';

/** Where a kprobe goes. */
export interface KprobeOptions {
  /** The kernel function (`do_sys_openat2`). */
  readonly symbol: string;
  /** Byte offset into the function (entry probes only). */
  readonly offset?: bigint;
  /** Fire on return instead of entry. */
  readonly retprobe?: boolean;
  /**
   * Return probes: how many calls may be in flight at once (1…4096; the kernel's default is
   * about 2 × CPUs). Only tracefs `kprobe_events` accepts it, so it selects that mechanism.
   */
  readonly maxActive?: number;
  /** How to attach the program; `'auto'` by default. */
  readonly mode?: PerfAttachMode;
  /** `bpf_get_attach_cookie` value (bpf_link mode). Requires Linux 5.15. */
  readonly cookie?: bigint;
  /** Which mechanism creates the probe (`'auto'` by default). */
  readonly mechanism?: KprobeMechanism;
  /** The kprobe PMU's sysfs directory ({@link KPROBE_PMU_DIR} by default; for tests). */
  readonly pmuDir?: string;
  /** The tracefs directory (found, or mounted, by default; for tests). */
  readonly tracefs?: string;
}

/** The kernel refused a kprobe on a function: it does not exist, or cannot be probed there. */
export class KprobeTargetError extends Error {
  override name = 'KprobeTargetError';
  /** The function. */
  readonly symbol: string;

  constructor(symbol: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.symbol = symbol;
  }
}

/** The kprobe PMU's type number and `retprobe` config bit, or undefined when there is no PMU. */
export function kprobePmu(dir = KPROBE_PMU_DIR): { type: number; retprobeBit: number } | undefined {
  let type: number;
  try {
    type = Number(readFileSync(`${dir}/type`, 'utf8').trim());
  } catch {
    return undefined;
  }
  let retprobeBit = 0;
  try {
    const m = /^config:(\d+)$/.exec(readFileSync(`${dir}/format/retprobe`, 'utf8').trim());
    if (m !== null) retprobeBit = Number(m[1]);
  } catch {
    // Kernels without the format file use bit 0.
  }
  return { type, retprobeBit };
}

function describe(o: KprobeOptions): string {
  return `${o.symbol}${o.offset ? `+0x${o.offset.toString(16)}` : ''}`;
}

/** Turns a refused perf_event_open into an error that names the function. */
function targetError(o: KprobeOptions, err: unknown): unknown {
  if (!(err instanceof SyscallError) || (err.errno !== Errno.ENOENT && err.errno !== Errno.EINVAL && err.errno !== Errno.EILSEQ)) return err;
  const what = describe(o);
  const reason = !kernelSymbolExists(o.symbol)
    ? `no kernel function ${o.symbol} in /proc/kallsyms`
    : o.offset
      ? `offset 0x${o.offset.toString(16)} is not an instruction boundary of ${o.symbol}, or lies outside it`
      : `${o.symbol} cannot be probed (inlined away, notrace, or on the kprobe blacklist)`;
  return new KprobeTargetError(o.symbol, `kprobe on ${what}: ${reason} (${err.code})`, { cause: err });
}

/**
 * Attaches kprobe program `progFd` to kernel function `symbol` (entry, at `offset`, or return with
 * `retprobe`). Throws a {@link ProbePmuError} when the kernel has neither the kprobe PMU nor
 * tracefs `kprobe_events`, a {@link KprobeTargetError} (or KprobeEventError) for a function that
 * does not exist or cannot be probed, a RangeError for a malformed request. Requires Linux 4.17
 * for the PMU; the tracefs mechanism is older.
 */
export function attachKprobe(progFd: number, options: KprobeOptions): Link {
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(options.symbol)) throw new RangeError(`attachKprobe: invalid symbol ${JSON.stringify(options.symbol)}`);
  if (options.offset !== undefined && (options.offset < 0n || options.offset >= 1n << 32n)) throw new RangeError(`attachKprobe: offset ${options.offset} is not in 0…2^32-1`);
  if (options.retprobe && options.offset) throw new RangeError('attachKprobe: a return probe cannot have an offset');
  if (options.maxActive !== undefined && !options.retprobe) throw new RangeError('attachKprobe: maxActive is for return probes (retprobe: true)');
  const kind = options.retprobe ? 'kretprobe' : 'kprobe';
  const pmu = kprobePmu(options.pmuDir);
  let mechanism = options.mechanism ?? 'auto';
  if (mechanism === 'auto') mechanism = options.maxActive === undefined && pmu !== undefined ? 'pmu' : 'tracefs';
  if (mechanism === 'pmu' && options.maxActive !== undefined) throw new RangeError('attachKprobe: the kprobe PMU has no maxActive; use the tracefs mechanism');
  if (mechanism === 'pmu') {
    if (pmu === undefined) throw new ProbePmuError('kprobe', `no kprobe PMU (${options.pmuDir ?? KPROBE_PMU_DIR} is missing: the kernel lacks CONFIG_KPROBE_EVENTS)`);
    let mode: LinkMode = 'bpf_link';
    const parts = acquireAll((add) => {
      let fd: number;
      try {
        fd = perfEventOpen({
          type: pmu.type,
          config: options.retprobe ? 1n << BigInt(pmu.retprobeBit) : 0n,
          probePath: options.symbol,
          config2: options.offset ?? 0n,
          samplePeriod: 1,
          wakeupEvents: 1,
          pid: -1,
          cpu: 0,
        });
      } catch (err) {
        throw targetError(options, err);
      }
      mode = attachToPerfEvent(progFd, fd, options.mode ?? 'auto', add, options.cookie);
    });
    return new Link(kind, describe(options), mode, parts);
  }
  const root = options.tracefs ?? tracefsRoot();
  if (!existsSync(`${root}/kprobe_events`)) {
    throw new ProbePmuError('kprobe', `no kprobe PMU and no ${root}/kprobe_events (the kernel lacks CONFIG_KPROBE_EVENTS)`);
  }
  const event = KprobeEvent.create({ symbol: options.symbol, ...(options.offset !== undefined ? { offset: options.offset } : {}), ...(options.retprobe ? { retprobe: true } : {}), ...(options.maxActive !== undefined ? { maxActive: options.maxActive } : {}) }, root);
  let mode: LinkMode = 'bpf_link';
  const removeEvent: LinkPart = { fd: -1, isBpfLink: false, release: () => event.remove() };
  const parts = acquireAll((add) => {
    const inner: LinkPart[] = [];
    try {
      const fd = perfEventOpen({ type: PerfType.TRACEPOINT, config: event.id, samplePeriod: 1, wakeupEvents: 1, pid: -1, cpu: 0 });
      mode = attachToPerfEvent(progFd, fd, options.mode ?? 'auto', (p) => inner.push(p), options.cookie);
    } catch (err) {
      for (const p of inner.reverse()) {
        try {
          p.release();
        } catch {
          // The original error matters more.
        }
      }
      event.remove();
      throw err;
    }
    for (const p of inner) add(p);
    // Last: the event can only be removed once no perf event refers to it.
    add(removeEvent);
  });
  return new Link(kind, `${describe(options)} (${event.group}/${event.event})`, mode, parts);
}

/** Options of {@link attachSyscallKprobe}: those of {@link attachKprobe} but the function. */
export type SyscallKprobeOptions = Omit<KprobeOptions, 'symbol' | 'offset'>;

/**
 * Attaches kprobe program `progFd` to the kernel entry point of system call `name` (`'openat'`
 * → `__x64_sys_openat` on x86_64, see {@link syscallFunctionName}); with `retprobe`, to its
 * return. On kernels with syscall wrappers (4.17+ on x86_64) the program's context is the
 * wrapper's: the user's arguments are in the `pt_regs` its first argument points to.
 */
export function attachSyscallKprobe(progFd: number, name: string, options: SyscallKprobeOptions = {}): Link {
  return attachKprobe(progFd, { ...options, symbol: syscallFunctionName(name) });
}
