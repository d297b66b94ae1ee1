/**
 * `ioctl(2)` with an integer argument, and the perf event requests tsbpf uses.
 * @module
 */

import { SyscallError } from './errors.js';
import { backendMember } from './backend.js';

/**
 * perf event ioctl requests (`include/uapi/linux/perf_event.h`), named like the kernel's
 * `PERF_EVENT_IOC_*` macros without the prefix.
 */
export const PerfEventIoc = {
  /** `_IO('$', 0)`: start counting / sampling. */
  ENABLE: 0x2400,
  /** `_IO('$', 1)`: stop. */
  DISABLE: 0x2401,
  /** `_IOW('$', 8, __u32)`: attach a BPF program (fd as the argument). Requires Linux 4.1. */
  SET_BPF: 0x40042408,
} as const;

/** The `call` of a failed ioctl in {@link SyscallError}: `ioctl(PERF_EVENT_IOC_SET_BPF)`. */
function ioctlName(request: number): string {
  for (const [name, value] of Object.entries(PerfEventIoc)) if (value === request) return `ioctl(PERF_EVENT_IOC_${name})`;
  return `ioctl(0x${request.toString(16)})`;
}

/** `ioctl(fd, request, arg)`; returns the result or throws a {@link SyscallError}. */
export function ioctl(fd: number, request: number, arg = 0): number {
  const r = backendMember('ioctl')(fd, request, arg);
  if (r < 0) throw new SyscallError(ioctlName(request), -r);
  return r;
}
