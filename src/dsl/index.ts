/**
 * The eDSL: write BPF programs in TypeScript. Build with {@link program}, compile with
 * {@link compile} (instructions with symbolic map references + map specs), inspect with
 * {@link dump}, run offline with {@link simulate}, load with {@link loadCompiled}.
 *
 * ```ts
 * import { struct, char } from '../types/index.js';
 * import { program, compile, dump, simulate, u32, u64 } from './index.js';
 *
 * const Event = struct('event', { pid: u32, ts: u64, comm: char(16) });
 * const prog = program('count', 'xdp', ($, ctx) => {
 *   const counts = $.hash('counts', u32, u64, { maxEntries: 256 });   // BPF_HASH
 *   const events = $.perfEventArray('events');                        // BPF_PERF_OUTPUT
 *   $.ifPacket(ctx, 14, 20, (ip) => {                                 // data + 34 <= data_end
 *     const proto = ip.u8(9).cast(u32);
 *     $.ifSome(counts.lookup(proto),                                  // NULL check
 *       (n) => n.atomicAdd(1n),                                       // lock *(u64 *)(r +0) += r
 *       () => { counts.update(proto, 1n); });
 *   });
 *   const ev = $.struct(Event, { pid: $.getCurrentPidTgid().shr(32n).cast(u32), ts: $.ktimeGetNs() });
 *   $.getCurrentComm(ev.field('comm'));
 *   events.output(ev);                                                // perf_submit
 *   return 2;                                                         // XDP_PASS
 * });
 * const out = compile(prog);      // { name, progType, license, insns, maps, stackBytes }
 * console.log(dump(out));          // 0: (bf) r6 = r1 …
 * simulate(out).run({ data });     // the interpreter
 * ```
 *
 * Tracepoint programs (BCC's `TRACEPOINT_PROBE`) take their context from the tracefs format:
 *
 * ```ts
 * const snoop = tracepointProgram('syscalls', 'sys_enter_openat', ($, ctx) => {
 *   const ev = $.struct(Event, { pid: $.getCurrentPidTgid().shr(32n).cast(u32) });
 *   $.probeReadUserStr(ev.field('fname'), ctx.args.filename);   // args->filename: a u64 user address
 *   $.perfEventArray('events').output(ev);
 * });
 * ```
 *
 * Expressions carry C types (`Expr<U32>`): operators pick signed/unsigned and 32/64-bit
 * instructions, constants fold, and mixing types, arithmetic on bools, dereferencing an
 * unchecked lookup or reading packets without a bounds check do not compile.
 * @module
 */

export * from './c-types.js';
export * from './errors.js';
export * from './expr.js';
export * from './nodes.js';
export * from './context.js';
export * from './maps.js';
export { valueArg, type FieldName, type FieldType, type ValueArg } from './ref.js';
export * from './program.js';
export * from './compile.js';
export * from './dump.js';
export * from './simulate.js';
export type { Emitter } from './emitter.js';
export type { Location, Allocation } from './regalloc.js';
export { allocate, VAR_REGISTERS } from './regalloc.js';
export { liveRanges, type LiveRange } from './liveness.js';
export * from './kernel-load.js';
export * from './tracepoint-context.js';
export * from './tracepoint-program.js';
export * from './load-programs.js';
