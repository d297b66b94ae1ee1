/**
 * {@link assertSupported}: the check other modules make before using a kernel feature, so a
 * user reads `kprobe attach is not supported by this kernel (requires Linux 4.17 with
 * CONFIG_KPROBE_EVENTS)` instead of an errno.
 * @module
 */

import { programTypeMinimumKernel, mapTypeMinimumKernel, attachKindMinimumKernel, type KernelRequirement } from './minimum-kernel.js';
import { probeFeature } from './feature-cache.js';
import { resolveFeature, type Feature, type ResolvedFeature } from './feature.js';
import { NotSupportedError } from './not-supported-error.js';

/** The minimum kernel of a resolved feature (helpers: that of their program type). */
export function requirementOf(f: ResolvedFeature): KernelRequirement | undefined {
  switch (f.kind) {
    case 'program_type':
      return programTypeMinimumKernel[f.name];
    case 'map_type':
      return mapTypeMinimumKernel[f.name];
    case 'attach':
      return attachKindMinimumKernel[f.name];
    case 'helper':
      return undefined;
  }
}

/**
 * Throws a {@link NotSupportedError} when the probe of `feature` says `unsupported` (cached per
 * process). An `unknown` answer (the process lacks the privileges to probe) does not throw: the
 * operation that follows will report the missing privilege itself.
 * @throws RangeError for an unknown type or helper name.
 */
export function assertSupported(feature: Feature): void {
  const r = probeFeature(feature);
  if (r.status !== 'unsupported') return;
  throw new NotSupportedError(r.feature, requirementOf(resolveFeature(feature)), r.reason);
}
