/**
 * Kernel maps: {@link BpfMap} over raw bytes, and typed maps over {@link Codec}s.
 * @module
 */

export * from './map-spec.js';
export * from './map-size-error.js';
export * from '../system/possible-cpus.js';
export * from './leak-tracker.js';
export * from './codec.js';
export * from './bpf-map.js';
export * from './typed-map.js';
export * from './hash-map.js';
export * from './array-map.js';
export * from './per-cpu-map.js';
export * from './lpm-trie.js';
export * from './queue-stack.js';
export * from './bloom-filter.js';
export * from './fd-maps.js';
export * from './stack-trace.js';
export * from './ring-buf.js';
export * from './mapped-array.js';
export * from './bpffs.js';
export * from './pin-by-name.js';
