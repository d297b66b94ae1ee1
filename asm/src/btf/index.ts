/**
 * BTF: the type model, the encoder and the lazy decoder of the kernel's binary format, sizes
 * and member offsets, func_info/line_info records, and C declarations like
 * `bpftool btf dump … format c`. Pure: no `node:` imports.
 * @module
 */

export * from './kind.js';
export * from './btf-error.js';
export * from './types.js';
export * from './btf.js';
export * from './encode.js';
export * from './layout.js';
export * from './ext-info.js';
export * from './dump-c.js';
export * from './btf-ext.js';
export * from './ext-info-decode.js';
export * from './dedup.js';
