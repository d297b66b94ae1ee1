/**
 * Tracepoints (`BPF_PROG_TYPE_TRACEPOINT`): a `PERF_TYPE_TRACEPOINT` perf event with the
 * tracepoint's tracefs id, and the program attached to it.
 * @module
 */

import { PerfType } from '../../syscalls/perf-event.js';
import { perfEventOpen } from '../../syscalls/perf-event-open.js';
import { tracepointId } from '../tracefs/tracepoint-id.js';
import { assertTracepointName } from '../tracefs/tracepoint-name.js';
import { acquireAll, Link, type LinkMode } from './link.js';
import { attachToPerfEvent, type PerfAttachMode } from './perf-event-link.js';

/** Options of {@link attachTracepoint}. */
export interface TracepointOptions {
  /** `'auto'` (default): a bpf_link (Linux 5.15), else `PERF_EVENT_IOC_SET_BPF`. */
  readonly mode?: PerfAttachMode;
  /** `bpf_get_attach_cookie` value (bpf_link mode). Requires Linux 5.15. */
  readonly cookie?: bigint;
}

/**
 * Attaches tracepoint program `progFd` to `category:name` (e.g. `syscalls`, `sys_enter_openat`).
 * The program runs for every process on every CPU. Throws a TracefsError for an unknown
 * tracepoint, a SyscallError when the kernel refuses. Requires Linux 4.7.
 */
export function attachTracepoint(progFd: number, category: string, name: string, options: TracepointOptions = {}): Link {
  assertTracepointName(category, name);
  const id = tracepointId(category, name);
  let mode: LinkMode = 'bpf_link';
  const parts = acquireAll((add) => {
    // One event (cpu 0, every process) suffices: the program hangs off the tracepoint itself.
    const perfFd = perfEventOpen({ type: PerfType.TRACEPOINT, config: id, samplePeriod: 1, wakeupEvents: 1, pid: -1, cpu: 0 });
    mode = attachToPerfEvent(progFd, perfFd, options.mode ?? 'auto', add, options.cookie);
  });
  return new Link('tracepoint', `${category}:${name}`, mode, parts);
}
