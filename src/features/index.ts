/**
 * Feature probes, like `bpftool feature probe` and cilium/ebpf's `features` package: which
 * program types, map types, helpers (per program type) and attach kinds the running kernel
 * supports, each probed once per process; {@link assertSupported} and
 * {@link NotSupportedError} for code that needs a feature; {@link probeKernel} for everything at
 * once (`tsbpf probe`).
 * @module
 */

export * from './probe-result.js';
export * from './not-supported-error.js';
export * from './attach-kind.js';
export * from './minimum-kernel.js';
export * from './probe-environment.js';
export * from './feature.js';
export { probeProgramType, classifyProgramLoad, programTypeFeature, EPERM_AS_ROOT, NEEDS_PRIVILEGES } from './program-types.js';
export { probeMapType, classifyMapCreate, mapTypeFeature } from './map-types.js';
export { probeHelper, classifyHelperLoad, helperFeature, HELPERS_NOT_PROBED } from './helpers.js';
export { probeAttachKind, attachKindFeature } from './attach-kinds.js';
export * from './feature-cache.js';
export * from './assert-supported.js';
export * from './kernel-report.js';
