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
 * With the kernel's BTF (`options.btf`: decoded, bytes, or a lazy provider): BTF-id pointers
 * (`bpf_get_current_task_btf` → `trusted_ptr_task_struct`, loads walking kernel structs with the
 * trusted/RCU/untrusted rules and the `__safe_rcu` allow-lists, `ARG_PTR_TO_BTF_ID` helper
 * arguments) and kfunc calls (`bpf_task_acquire`/`release`/`from_pid`, `bpf_rcu_read_lock`/
 * `unlock`, `bpf_cast_to_kern_ctx`, `bpf_rdonly_cast`, the open-coded `bpf_iter_num_new`/
 * `next`/`destroy` with iterator stack slots and loop convergence; availability per program
 * type, references, RCU sections, the kernel's load-time kfunc errors), and `tp_btf` programs
 * (`tracing` + `trace_raw_tp` with `options.attachBtfId`: typed tracepoint arguments, trusted
 * and maybe-NULL pointers).
 *
 * Not modelled yet (rejected with a "… is not simulated" error or approximated): other kfuncs,
 * BTF (global functions, `BPF_PSEUDO_BTF_ID`, fentry/fexit/LSM/iterator programs), callbacks (`bpf_loop`, timers),
 * dynptrs, iterators, spin locks, other acquired references (sockets, kptrs), arenas,
 * unprivileged (non-root) rules.
 *
 * Precision tracking is modelled as in 6.18 (jump history per state, `mark_precise` backtracking
 * through registers, stack spills and fills, linked scalars, subprogram and callback frames,
 * `propagate_precision` on pruning and over loop backedges, the level 2 `mark_precise:` lines):
 * explored states compare only the scalars they relied on.
 * @module
 */

export { verify, COMPLEXITY_LIMIT } from './verify.js';
export type { MapSpec, VerifyOptions, VerifyResult } from './types.js';
export * from './tnum.js';
export type { FuncInfo, FuncLinkage } from './func-info.js';
export type { KernelBtfSource } from './kernel-btf.js';
export { socketFieldReadable, socketFieldConvertible, BPF_SOCK, BPF_TCP_SOCK } from './socket-access.js';
