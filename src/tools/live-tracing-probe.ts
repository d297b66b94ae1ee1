/**
 * Whether this process can trace live with the tools: `bpf()` permitted (a one-entry array map is
 * created and closed at once) and the tracepoints it needs present in tracefs. `npm start` uses
 * it to choose between live opensnoop and the offline path.
 * @module
 */

import { MapTypes } from 'ebpf-bytecode-utils';
import { closeFd } from '../../syscalls/close-fd.js';
import { SyscallError } from '../../syscalls/errors.js';
import { mapCreate } from '../../syscalls/map-create.js';
import { tracepointExists } from '../tracefs/tracepoint-id.js';

/**
 * Why live tracing of tracepoints `category:name` cannot work here, or undefined when it can.
 * Never throws for a missing permission or feature; it says which.
 */
export function liveTracingUnavailable(tracepoints: readonly (readonly [category: string, name: string])[]): string | undefined {
  try {
    closeFd(mapCreate({ mapType: MapTypes.array, keySize: 4, valueSize: 4, maxEntries: 1 }));
  } catch (e) {
    if (!(e instanceof SyscallError)) return `bpf() cannot be called: ${e instanceof Error ? e.message : String(e)}`;
    if (e.code === 'EPERM') return 'bpf() is not permitted (run as root, or with CAP_BPF and CAP_PERFMON)';
    if (e.code === 'ENOSYS') return 'this kernel has no bpf() system call';
    return `bpf() failed: ${e.message}`;
  }
  for (const [category, name] of tracepoints) {
    if (!tracepointExists(category, name)) return `tracepoint ${category}:${name} is not available (tracefs not mounted or not readable)`;
  }
  return undefined;
}
