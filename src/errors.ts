/**
 * {@link KernelObjectError}: a failed operation on a kernel object (map, program), with the
 * object and the operation first in the message and the {@link SyscallError} as the cause.
 * @module
 */

import { SyscallError } from '../syscalls/index.js';

/** The explanation part of a SyscallError message (`permission denied (needs CAP_BPF or root)`). */
export function syscallReason(err: SyscallError): string {
  const prefix = `${err.call}: `;
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}

/**
 * An operation on a kernel object failed. The message reads
 * `create map "events": permission denied (needs CAP_BPF or root)`: the operation, the object,
 * then why. `errno`/`code` are those of the failed system call (0 / `''` when the failure was
 * detected before any call, e.g. on a closed object).
 */
export class KernelObjectError extends Error {
  override name = 'KernelObjectError';
  /** What was being done: `'create'`, `'update'`, `'load'`, … */
  readonly op: string;
  /** The object as written in the message: `map "events"`, `hash map`, `program "xdp_pass"`. */
  readonly object: string;
  /** The errno of the failed call (positive), or 0. */
  readonly errno: number;
  /** The errno's name (`'EPERM'`), or `''`. */
  readonly code: string;

  constructor(op: string, object: string, reason: string, cause?: SyscallError) {
    super(`${op} ${object}: ${reason}`, cause === undefined ? undefined : { cause });
    this.op = op;
    this.object = object;
    this.errno = cause?.errno ?? 0;
    this.code = cause?.code ?? '';
  }

  /** Wraps `err` (a SyscallError becomes the cause; anything else is returned unchanged). */
  static wrap(op: string, object: string, err: unknown, explain?: (errno: number) => string | undefined): unknown {
    if (!(err instanceof SyscallError)) return err;
    return new KernelObjectError(op, object, explain?.(err.errno) ?? syscallReason(err), err);
  }
}
