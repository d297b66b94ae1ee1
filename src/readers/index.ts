/**
 * Event readers: perf buffers ({@link PerfBuffer}) and ring buffers ({@link RingBuffer}), over
 * ring parsers ({@link PerfRing}, {@link RingBufferRing}) that also run on plain ArrayBuffers.
 * @module
 */

export * from './reader-errors.js';
export * from './positions.js';
export * from './perf-ring.js';
export * from './ring-buffer-ring.js';
export * from '../system/possible-cpus.js';
export * from './event-record.js';
export * from './event-reader.js';
export * from './perf-buffer.js';
export * from './ring-buffer.js';
export * from './map-update.js';
