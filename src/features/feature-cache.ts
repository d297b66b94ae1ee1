/**
 * The probes behind a per-process cache: every feature is probed at most once per process (and
 * again after {@link clearFeatureCache} or a change of probe environment).
 * @module
 */

import type { MapTypeName, ProgramTypeName } from 'ebpf-bytecode-utils';
import type { AttachKind } from './attach-kind.js';
import { probeAttachKind } from './attach-kinds.js';
import { featureKey, resolveFeature, type Feature, type ResolvedFeature } from './feature.js';
import { probeHelper } from './helpers.js';
import { probeMapType } from './map-types.js';
import { onProbeEnvironmentChange } from './probe-environment.js';
import { probeProgramType } from './program-types.js';
import type { ProbeResult } from './probe-result.js';

const cache = new Map<string, ProbeResult>();
onProbeEnvironmentChange(() => cache.clear());

/** Forgets every cached answer (the next question probes the kernel again). */
export function clearFeatureCache(): void {
  cache.clear();
}

/** How many answers are cached (for tests). */
export function cachedFeatureCount(): number {
  return cache.size;
}

function run(f: ResolvedFeature): ProbeResult {
  switch (f.kind) {
    case 'program_type':
      return probeProgramType(f.name);
    case 'map_type':
      return probeMapType(f.name);
    case 'attach':
      return probeAttachKind(f.name);
    case 'helper':
      return probeHelper(f.programType, f.helperId);
  }
}

/**
 * Probes `feature` (once per process; later calls answer from the cache) and returns the full
 * answer: status, reason and errno.
 * @throws RangeError for an unknown type or helper name.
 */
export function probeFeature(feature: Feature): ProbeResult {
  const resolved = resolveFeature(feature);
  const key = featureKey(resolved);
  let r = cache.get(key);
  if (r === undefined) {
    r = run(resolved);
    cache.set(key, r);
  }
  return r;
}

/**
 * Whether programs of `type` can be loaded on this kernel (cached). False also when the probe
 * could not decide (no privileges): {@link probeFeature} tells the two apart. See
 * `probeProgramType` for what the answer means for `tracing`, `lsm`, `ext` and `struct_ops`.
 */
export function programTypeSupported(type: ProgramTypeName | number): boolean {
  return probeFeature({ programType: type }).status === 'supported';
}

/** Whether maps of `type` can be created on this kernel (cached); see {@link programTypeSupported}. */
export function mapTypeSupported(type: MapTypeName | number): boolean {
  return probeFeature({ mapType: type }).status === 'supported';
}

/**
 * Whether programs of `progType` may call helper `helper` (name or id) on this kernel (cached);
 * false when the program type itself is unsupported.
 */
export function helperSupported(progType: ProgramTypeName | number, helper: string | number): boolean {
  return probeFeature({ programType: progType, helper }).status === 'supported';
}

/** Whether attach kind `kind` works on this kernel (cached); see `probeAttachKind` for the checks. */
export function attachKindSupported(kind: AttachKind): boolean {
  return probeFeature({ attach: kind }).status === 'supported';
}
