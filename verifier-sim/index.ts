/**
 * verifier-sim: offline checking and execution of eBPF programs without a kernel: the verifier
 * (`verify`, deciding and logging like Linux 6.18's) and the interpreter (`Interpreter`,
 * simulated maps and helpers).
 * Depends only on `ebpf-bytecode-utils`; no `node:` imports.
 * @module
 */

export * from './interpreter/index.js';
export * from './verifier/index.js';
