/**
 * {@link NotSupportedError}: a feature the running kernel does not offer.
 * @module
 */

import type { KernelRequirement } from './minimum-kernel.js';

/**
 * The running kernel lacks a feature (or refuses it). The message reads
 * `kprobe attach is not supported by this kernel (requires Linux 4.17 with CONFIG_KPROBE_EVENTS)`,
 * followed by what the probe found (`: no kprobe PMU …`).
 */
export class NotSupportedError extends Error {
  override name = 'NotSupportedError';
  /** The feature as written in the message: `kprobe attach`, `ringbuf map type`. */
  readonly feature: string;
  /** The first Linux version that has the feature (`'4.17'`), or null when not known. */
  readonly minimumKernel: string | null;
  /** Kernel configuration the feature also needs (`'CONFIG_KPROBE_EVENTS'`), or null. */
  readonly config: string | null;
  /** What the probe found, or null. */
  readonly reason: string | null;

  constructor(feature: string, requirement: KernelRequirement | undefined, reason: string | null = null) {
    const minimumKernel = requirement?.version ?? null;
    const config = requirement?.config ?? null;
    const needs = minimumKernel === null ? (config === null ? '' : ` (requires ${config})`) : ` (requires Linux ${minimumKernel}${config === null ? '' : ` with ${config}`})`;
    super(`${feature} is not supported by this kernel${needs}${reason === null ? '' : `: ${reason}`}`);
    this.feature = feature;
    this.minimumKernel = minimumKernel;
    this.config = config;
    this.reason = reason;
  }
}
