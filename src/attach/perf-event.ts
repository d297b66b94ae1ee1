/**
 * `BPF_PROG_TYPE_PERF_EVENT` programs on sampling perf events, one per CPU: the base of a
 * profiler (`cpu-clock` at 99 Hz on every CPU).
 * @module
 */

import { PerfSwConfig, PerfType } from '../../syscalls/perf-event.js';
import { perfEventOpen } from '../../syscalls/perf-event-open.js';
import { possibleCpus } from '../system/possible-cpus.js';
import { SyscallError } from '../../syscalls/errors.js';
import { acquireAll, Link, type LinkMode } from './link.js';
import { attachToPerfEvent, type PerfAttachMode } from './perf-event-link.js';

/** Options of {@link attachPerfEvent}. */
export interface PerfEventAttachOptions {
  /** `PERF_TYPE_*` (default `PERF_TYPE_SOFTWARE`). */
  readonly type?: number;
  /** Event within the type (default `PERF_COUNT_SW_CPU_CLOCK`). */
  readonly config?: bigint | number;
  /** Run the program every N events (for cpu-clock: every N ns). Exclusive with frequency. */
  readonly samplePeriod?: bigint | number;
  /** Run the program N times per second. Exclusive with samplePeriod. */
  readonly frequency?: number;
  /** CPUs (default: every possible CPU that is online). */
  readonly cpus?: readonly number[];
  /** Process to follow (-1, the default: every process on the CPUs). */
  readonly pid?: number;
  /** How to attach; `'auto'` by default. */
  readonly mode?: PerfAttachMode;
}

/**
 * Opens a sampling perf event on every CPU and attaches perf_event program `progFd` to each; one
 * {@link Link} holds them all. Offline CPUs are skipped. Requires Linux 4.9.
 */
export function attachPerfEvent(progFd: number, options: PerfEventAttachOptions = {}): Link {
  if (options.samplePeriod === undefined && options.frequency === undefined) throw new RangeError('attachPerfEvent: give samplePeriod or frequency');
  const type = options.type ?? PerfType.SOFTWARE;
  const config = options.config ?? PerfSwConfig.CPU_CLOCK;
  let mode: LinkMode = 'bpf_link';
  const used: number[] = [];
  const parts = acquireAll((add) => {
    for (const cpu of options.cpus ?? possibleCpus()) {
      let fd: number;
      try {
        fd = perfEventOpen({
          type,
          config,
          ...(options.frequency !== undefined ? { sampleFreq: options.frequency } : { samplePeriod: options.samplePeriod! }),
          pid: options.pid ?? -1,
          cpu,
        });
      } catch (err) {
        if (err instanceof SyscallError && err.errno === 19 && options.cpus === undefined) continue; // offline CPU
        throw err;
      }
      mode = attachToPerfEvent(progFd, fd, options.mode ?? 'auto', add);
      used.push(cpu);
    }
  });
  const what = type === PerfType.SOFTWARE && BigInt(config) === BigInt(PerfSwConfig.CPU_CLOCK) ? 'cpu-clock' : `perf(${type}:${String(config)})`;
  return new Link('perf_event', `${what}@${used.join(',')}`, mode, parts);
}
