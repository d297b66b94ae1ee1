/**
 * Whether kernel symbols exist (what attaching a kprobe asks): the existence questions of
 * `symbols/kernel-symbols.ts`, which reads `/proc/kallsyms` once per process for them and for the
 * full symbol table alike.
 * @module
 */

export { forgetKernelSymbols, KALLSYMS_PATH, kernelSymbolExists, missingKernelSymbols } from '../symbols/kernel-symbols.js';
