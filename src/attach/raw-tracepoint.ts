/**
 * Raw tracepoints (`BPF_PROG_TYPE_RAW_TRACEPOINT`): `BPF_RAW_TRACEPOINT_OPEN` by name.
 * @module
 */

import { rawTracepointOpen } from '../../syscalls/raw-tracepoint-open.js';
import { isTracepointName } from '../tracefs/tracepoint-name.js';
import { TracefsError } from '../tracefs/tracefs-error.js';
import { Link, ownedFd } from './link.js';

/**
 * Attaches raw tracepoint program `progFd` to raw tracepoint `name` (`sched_switch`,
 * `sys_enter`: the name without category). The program's context is the tracepoint's raw
 * arguments (`u64[]`). Requires Linux 4.17.
 */
export function attachRawTracepoint(progFd: number, name: string, cookie?: bigint): Link {
  if (!isTracepointName(name)) throw new TracefsError(`raw tracepoint: invalid name ${JSON.stringify(name)} (letters, digits and _ only)`);
  const fd = rawTracepointOpen(progFd, name, cookie);
  return new Link('raw_tracepoint', name, 'bpf_link', [ownedFd(fd, true)]);
}
