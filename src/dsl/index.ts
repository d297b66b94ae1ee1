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
 * Probes on kernel and user functions (`kprobe`: kprobes, uprobes and their return probes) read
 * registers by the calling convention, for x86_64 or arm64 (`options.arch`), raw tracepoints
 * their u64 arguments, perf_event programs `bpf_perf_event_data`; BTF-typed programs (fentry,
 * fexit, fmod_ret, tp_btf, lsm) take their argument types from the kernel's BTF; kernel structs
 * are read by field name (CO-RE accesses recorded):
 *
 * ```ts
 * program('ret', 'kprobe', ($, ctx) => { ctx.parm(1); ctx.rc; ctx.syscallParm(2); ctx.readRetIp(); });
 * program('enter', 'raw_tracepoint', ($, ctx) => ctx.arg(1));
 * tracingProgram('fexit', 'do_unlinkat', ($, ctx) => ctx.ret, { args: [s32, u64], ret: s32 });
 * program('ppid', 'raw_tracepoint', ($) => $.currentTask().field('real_parent').field('tgid').value());
 * program('prof', 'perf_event', ($, ctx) => { $.stackTrace('stacks', { maxEntries: 1024 }).getStackId(ctx, StackIdFlag.USER_STACK); });
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
export * from './pt-regs.js';
export * from './kprobe-context.js';
export * from './raw-tracepoint-context.js';
export * from './perf-event-context.js';
export * from './kernel-btf.js';
export * from './tracing-context.js';
export * from './tracing-program.js';
export * from './kernel-ref.js';
export * from './stack-trace-map.js';
export * from './queue-map.js';
export * from './prog-array.js';
export * from './map-of-maps.js';
export * from './source-location.js';
export * from './program-btf.js';
export * from './verify-compiled.js';
export * from './load-one.js';
export * from './object-file.js';
export * from './map-types.js';
export * from './subprogram.js';
export * from './bpf-loop.js';
export * from './ringbuf-reservation.js';
export * from './kfunc.js';
export * from './iter-num.js';
export * from './helper-call.js';
export * from './for-each-map-elem.js';
export * from './read-only-data.js';
export * from './snprintf-format.js';
