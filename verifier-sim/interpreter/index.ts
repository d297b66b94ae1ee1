/**
 * The interpreter: concrete execution of eBPF programs with simulated memory, maps and helpers.
 * @module
 */

export * from './interpreter.js';
export * from './errors.js';
export * from './errno.js';
export * from './environment.js';
export * from './region.js';
export * from './memory.js';
export * from './decoded-program.js';
export { compileProgram, type CompiledProgram } from './compiler.js';
export type { RunInput, BuiltContext } from './context/program-context.js';
export type { PacketState } from './context/packet-state.js';
export { SkBuff } from './context/skb-context.js';
export { XdpMd, XDP_HEADROOM } from './context/xdp-context.js';
export type { HelperContext, HelperFn } from './helpers/helper-context.js';
export { helperFunctions } from './helpers/helper-registry.js';
export { MAX_LOOPS } from './helpers/loop-helpers.js';
export { kfuncsByName, kfuncNamesFromBtf, type KfuncNames } from './helpers/kfuncs.js';
export * from './maps/sim-map.js';
export * from './maps/hash-map.js';
export * from './maps/array-map.js';
export * from './maps/lpm-trie-map.js';
export * from './maps/queue-stack-map.js';
export * from './maps/prog-array-map.js';
export * from './maps/ringbuf-map.js';
export * from './maps/perf-event-array-map.js';
export * from './maps/stack-trace-map.js';
export * from './maps/create-map.js';
export * from './from-spec.js';
