/**
 * verifier-sim: offline checking and execution of eBPF programs without a kernel. This release
 * holds the interpreter (`Interpreter`, simulated maps and helpers); the verifier comes later.
 * Depends only on `ebpf-bytecode-utils`; no `node:` imports.
 * @module
 */

export * from './interpreter/index.js';
