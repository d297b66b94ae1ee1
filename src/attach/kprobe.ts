/**
 * kprobes and kretprobes through the kprobe PMU (`/sys/bus/event_source/devices/kprobe`):
 * `perf_event_open` with `kprobe_func` and `probe_offset`, and a `BPF_PROG_TYPE_KPROBE` program
 * attached to it. Requires Linux 4.17 and `CONFIG_KPROBE_EVENTS` (the development kernel lacks
 * it: there this throws a {@link ProbePmuError}; the VM tests exercise the working path).
 * @module
 */

import { perfEventOpen } from '../../syscalls/perf-event-open.js';
import { acquireAll, Link, type LinkMode } from './link.js';
import { attachToPerfEvent, type PerfAttachMode } from './perf-event-link.js';
import { probePmu } from './uprobe.js';

/** Where a kprobe goes. */
export interface KprobeOptions {
  /** The kernel function (`do_sys_openat2`). */
  readonly symbol: string;
  /** Byte offset into the function (entry probes only). */
  readonly offset?: bigint;
  /** Fire on return instead of entry. */
  readonly retprobe?: boolean;
  /** How to attach; `'auto'` by default. */
  readonly mode?: PerfAttachMode;
  /** `bpf_get_attach_cookie` value (bpf_link mode). */
  readonly cookie?: bigint;
}

/**
 * Attaches kprobe program `progFd` to kernel function `symbol` (entry, or return with
 * `retprobe`). Throws a {@link ProbePmuError} when the kernel has no kprobe PMU, a SyscallError
 * (ENOENT/EINVAL) for a function that cannot be probed. Requires Linux 4.17.
 */
export function attachKprobe(progFd: number, options: KprobeOptions): Link {
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(options.symbol)) throw new RangeError(`attachKprobe: invalid symbol ${JSON.stringify(options.symbol)}`);
  const pmu = probePmu('kprobe');
  let mode: LinkMode = 'bpf_link';
  const parts = acquireAll((add) => {
    const fd = perfEventOpen({
      type: pmu.type,
      config: options.retprobe ? 1n << BigInt(pmu.retprobeBit) : 0n,
      probePath: options.symbol,
      config2: options.offset ?? 0n,
      samplePeriod: 1,
      wakeupEvents: 1,
      pid: -1,
      cpu: 0,
    });
    mode = attachToPerfEvent(progFd, fd, options.mode ?? 'auto', add, options.cookie);
  });
  return new Link(options.retprobe ? 'kretprobe' : 'kprobe', options.symbol, mode, parts);
}
