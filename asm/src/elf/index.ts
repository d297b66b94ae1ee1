/**
 * ELF objects: a writer of ELF64 little-endian relocatable files and, over it, BPF objects as
 * clang writes them and libbpf loads them (program sections, `.maps`, `license`, `.BTF`,
 * `.BTF.ext`, relocations). Pure: no `node:` imports.
 * @module
 */

export * from './elf-write-error.js';
export * from './elf-writer.js';
export * from './core-local-types.js';
export * from './bpf-object.js';
export * from './extern-func-types.js';
