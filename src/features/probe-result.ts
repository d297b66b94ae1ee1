/**
 * {@link ProbeResult}: the answer of one feature probe.
 * @module
 */

/**
 * What a probe found out:
 * - `supported`: the kernel offers the feature (a program of the type loaded, a map of the type
 *   was created, the attach mechanism exists);
 * - `unsupported`: the kernel lacks it or refuses it, for the reason given (even as root);
 * - `unknown`: the probe could not decide, nearly always because the process lacks the
 *   privileges the probe needs (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN or root).
 */
export type FeatureStatus = 'supported' | 'unsupported' | 'unknown';

/** The answer of one feature probe. */
export interface ProbeResult {
  /** The feature as written in messages: `xdp program type`, `ringbuf map type`, `kprobe attach`. */
  readonly feature: string;
  /** The verdict. */
  readonly status: FeatureStatus;
  /** Why it is unsupported or unknown, lower-case (null when supported). */
  readonly reason: string | null;
  /** The errno that decided, when a system call decided (0 otherwise). */
  readonly errno: number;
}

/** A `supported` result for `feature`. */
export function supported(feature: string): ProbeResult {
  return { feature, status: 'supported', reason: null, errno: 0 };
}

/** An `unsupported` result for `feature`, saying why. */
export function unsupported(feature: string, reason: string, errno = 0): ProbeResult {
  return { feature, status: 'unsupported', reason, errno };
}

/** An `unknown` result for `feature` (the probe could not run), saying why. */
export function unknown(feature: string, reason: string, errno = 0): ProbeResult {
  return { feature, status: 'unknown', reason, errno };
}
