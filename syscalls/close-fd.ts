/**
 * `close(fd)` for the file descriptors `bpf()` returns.
 * @module
 */

import { currentBackend } from './backend.js';
import { SyscallError } from './errors.js';

/** Closes `fd`; throws a {@link SyscallError} (`close`, EBADF, …) on failure. */
export function closeFd(fd: number): void {
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) throw new RangeError(`closeFd: ${String(fd)} is not a file descriptor`);
  const r = currentBackend().close(fd);
  if (r < 0) throw new SyscallError('close', -r);
}
