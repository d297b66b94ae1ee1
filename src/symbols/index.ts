/**
 * Symbols: kernel ({@link kernelSymbols}, from /proc/kallsyms), user space per process
 * ({@link userSymbols}: mapped ELF files and perf maps), and stack traces ({@link resolveStack}).
 * @module
 */

export * from './resolved-symbol.js';
export * from './kernel-symbols.js';
export * from './elf-symbol-table.js';
export * from './process-maps.js';
export * from './perf-map.js';
export * from './user-symbols.js';
export * from './resolve-stack.js';
