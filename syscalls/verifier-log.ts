/**
 * The log policy shared by `BPF_PROG_LOAD` and `BPF_BTF_LOAD`: how big a log buffer, at which
 * level, and when to retry to collect a log for a failure.
 * @module
 */

import { Errno } from './errno.js';

/** Log options of {@link progLoad} and {@link btfLoad}. */
export interface LogOptions {
  /**
   * Verifier log level: 0 none, 1 the path to an error, 2 every instruction and state, 4
   * statistics (bits combine). When absent, the load runs at level 0 and, if it fails, is
   * retried once at level 1 with a {@link RETRY_LOG_SIZE} buffer so that the error carries a log.
   * An explicit 0 means no log and no retry.
   */
  readonly logLevel?: number;
  /** Log buffer size in bytes when `logLevel` > 0 (at least {@link MIN_LOG_SIZE}); {@link RETRY_LOG_SIZE} by default. */
  readonly logSize?: number;
}

/** Smallest log buffer the kernel accepts with a non-zero log level. */
export const MIN_LOG_SIZE = 128;
/** Log buffer size of the retry after a failed level-0 load, and the default size: 16 MiB. */
export const RETRY_LOG_SIZE = 16 << 20;
/** Largest log buffer the kernel accepts (`UINT_MAX >> 2`). */
export const MAX_LOG_SIZE = 0xffffffff >>> 2;
/** How often a load interrupted by a signal (EAGAIN) is repeated. */
const EAGAIN_ATTEMPTS = 5;

/** One load attempt: `level` and `buf` (null at level 0) go into the attr. */
export type LoadAttempt = (level: number, buf: Uint8Array | null) => { readonly ret: number; readonly logTrueSize: number };

/** The outcome of {@link loadWithLog}: the final result (or `-errno`) and its log. */
export interface LoadOutcome {
  /** The fd, or `-errno` of the failure to report. */
  readonly ret: number;
  /** The log buffer of the attempt reported (null when none). */
  readonly buf: Uint8Array | null;
  /** `log_true_size` of the attempt reported (0 when the kernel did not report one). */
  readonly logTrueSize: number;
}

function attemptWithEagain(attempt: LoadAttempt, level: number, buf: Uint8Array | null) {
  let r = attempt(level, buf);
  for (let i = 1; i < EAGAIN_ATTEMPTS && r.ret === -Errno.EAGAIN; i++) r = attempt(level, buf);
  return r;
}

function checkLogOptions(who: string, options: LogOptions): void {
  const { logLevel, logSize } = options;
  if (logLevel !== undefined && (!Number.isInteger(logLevel) || logLevel < 0 || logLevel > 0xffffffff)) throw new RangeError(`${who}: logLevel ${String(logLevel)} is not a u32`);
  if (logSize !== undefined && (!Number.isInteger(logSize) || logSize < MIN_LOG_SIZE || logSize > MAX_LOG_SIZE)) {
    throw new RangeError(`${who}: logSize ${String(logSize)} is not between ${MIN_LOG_SIZE} and ${MAX_LOG_SIZE}`);
  }
}

/**
 * Runs a load under the log policy of {@link LogOptions}. An attempt that fails with ENOSPC
 * because the log did not fit is repeated once with a buffer of `log_true_size` bytes.
 */
export function loadWithLog(who: string, options: LogOptions, attempt: LoadAttempt): LoadOutcome {
  checkLogOptions(who, options);
  const withBuffer = (level: number, size: number): LoadOutcome => {
    let buf = new Uint8Array(size);
    let r = attemptWithEagain(attempt, level, buf);
    if (r.ret === -Errno.ENOSPC && r.logTrueSize > size && r.logTrueSize <= MAX_LOG_SIZE && options.logSize === undefined) {
      buf = new Uint8Array(r.logTrueSize);
      r = attemptWithEagain(attempt, level, buf);
    }
    return { ret: r.ret, buf, logTrueSize: r.logTrueSize };
  };
  if (options.logLevel !== undefined) {
    if (options.logLevel === 0) {
      const r = attemptWithEagain(attempt, 0, null);
      return { ret: r.ret, buf: null, logTrueSize: r.logTrueSize };
    }
    return withBuffer(options.logLevel, options.logSize ?? RETRY_LOG_SIZE);
  }
  const first = attemptWithEagain(attempt, 0, null);
  if (first.ret >= 0) return { ret: first.ret, buf: null, logTrueSize: first.logTrueSize };
  const retry = withBuffer(1, RETRY_LOG_SIZE);
  // A retry that fails only because its log did not fit reports the original errno with the log.
  if (retry.ret === -Errno.ENOSPC && first.ret !== -Errno.ENOSPC) return { ...retry, ret: first.ret };
  return retry;
}
