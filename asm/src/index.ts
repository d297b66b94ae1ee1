/**
 * ebpf-bytecode-utils: eBPF instructions, builders, encoder/decoder, kernel and LLVM text
 * syntax, the helper table and kernel constants. Pure and isomorphic: no `node:` imports.
 * @module
 */

export * from './opcode.js';
export * from './register.js';
export * from './errors.js';
export * from './instruction.js';
export * from './codec.js';
export * from './alu.js';
export * from './jump.js';
export * from './memory.js';
export * from './load.js';
export * from './resolve.js';
export * from './helpers.js';
export * from './kernel-syntax.js';
export * from './operation.js';
export * from './kernel-types.js';
export * from './llvm-syntax.js';
export * from './assembler.js';
export * from './btf/index.js';
export * from './elf/index.js';
export * from './helper-signature.js';
