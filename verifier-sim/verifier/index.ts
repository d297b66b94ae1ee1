/**
 * The offline verifier: abstract interpretation of an eBPF program that decides and speaks
 * like the Linux 6.18 verifier for a root (CAP_BPF + CAP_PERFMON) loader.
 *
 * ```ts
 * const r = verify(program, { progType: 'xdp', maps: [{ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16 }], logLevel: 1 });
 * r.verdict; // 'accept' | 'reject'
 * r.error;   // the kernel's first error line, e.g. "R0 invalid mem access 'map_value_or_null'"
 * r.log;     // the kernel's level-1 log (instruction lines with state tails, error, statistics)
 * ```
 *
 * Modelled: the structural checks (opcodes, reserved fields, jumps, subprogram bounds,
 * unreachable code, `ld_imm64`), path exploration with pruning and infinite-loop detection,
 * scalar ranges (tnum + signed/unsigned 64/32-bit bounds, branch narrowing, linked registers),
 * stack slots with spill/fill, context access for socket_filter, sched_cls/act, cgroup_skb, xdp,
 * kprobe, tracepoint and raw_tracepoint, map values, packets, helper calls (availability, GPL,
 * map/key/value/memory/size/context arguments, return values, map compatibility), static
 * bpf-to-bpf calls, atomics, `LD_ABS`/`LD_IND`, return-value ranges, the complexity limit,
 * `may_goto`, 6.18's loop tracking, the level-2 log (register states, live-register table), and
 * acquired references for ring buffer records: `bpf_ringbuf_reserve` (constant size, result
 * `ringbuf_mem_or_null(id=N,ref_obj_id=N,sz=S)`, null checks resolving every copy),
 * `bpf_ringbuf_submit`/`discard` (zero offset, invalidating every copy in registers and stack
 * spills), `Unreleased reference id=N alloc_insn=M` at the main program's exit, `bpf_tail_call`
 * and `LD_ABS`/`LD_IND`, the ` refs=N` state tail, and references in state equivalence (`refsafe`).
 *
 * Not modelled yet (rejected with a "… is not simulated" error or approximated): kfuncs, BTF
 * (global functions, `BPF_PSEUDO_BTF_ID`, BTF-typed pointers), callbacks (`bpf_loop`, timers),
 * dynptrs, iterators, spin locks, other acquired references (sockets, kptrs), arenas,
 * unprivileged (non-root) rules, precision tracking (all scalars are treated as precise, so the
 * kernel sometimes prunes earlier and processes fewer instructions; `mark_precise` lines are not
 * printed).
 * @module
 */

export { verify, COMPLEXITY_LIMIT } from './verify.js';
export type { MapSpec, VerifyOptions, VerifyResult } from './types.js';
export * from './tnum.js';
