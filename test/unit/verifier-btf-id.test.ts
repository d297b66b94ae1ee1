/**
 * BTF-id pointers and kfunc calls in the offline verifier: a case table (each row a program,
 * the Linux 6.18 verifier's verdict and first error line for a root loader), built from a kernel
 * BTF so that field offsets and kfunc ids come from the BTF at hand. The rows run here against
 * the machine's vmlinux BTF when it exists and always against a small hand-built BTF with the
 * same names; `test/kernel/verifier-btf-id-vs-kernel.test.ts` checks every row against the live
 * kernel (the messages were taken from it). Also: the `btf` option's forms (decoded, bytes,
 * lazy provider called only when needed) and the kernel's answers without BTF.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import {
  Add, Call, Exit, JEq, Ja, Label, LoadMem, Mov, R0, R1, R2, R3, R4, R6, R7, R10, Size, StoreImm, StoreMem, And, Sub, decodeBtf, findMember, makeInstruction, resolve,
  type Btf, type Instruction, type ProgramItem,
} from 'ebpf-bytecode-utils';
import { verify } from '../../verifier-sim/verifier/index.js';
import { miniKernelBtf } from '../support/mini-kernel-btf.js';

/** One row: a program and what the kernel says about it. */
export interface BtfIdCase {
  /** Unique row name. */
  readonly name: string;
  /** Program type name. */
  readonly progType: string;
  /** License (default GPL). */
  readonly license?: string;
  /** Expected attach type (tp_btf rows: `trace_raw_tp`). */
  readonly expectedAttachType?: string;
  /** `attach_btf_id` (tp_btf rows: the `btf_trace_<tracepoint>` typedef). */
  readonly attachBtfId?: number;
  /** The program. */
  readonly insns: readonly Instruction[];
  /** The kernel's verdict. */
  readonly verdict: 'accept' | 'reject';
  /** The kernel's first error line (null when accepted). */
  readonly error: string | null;
  /** The row's answer depends on the verifier trusting `task_struct` members as RCU pointers (`struct task_struct__safe_rcu` in vmlinux BTF, Linux 6.4+). */
  readonly needsSafeRcu?: boolean;
}

const p = (...items: ProgramItem[]): Instruction[] => resolve(items).instructions;
const ret0: ProgramItem[] = [Mov.imm(R0, 0), Exit()];
/** `call bpf_get_current_task_btf; r6 = r0` */
const task: ProgramItem[] = [Call.helper(158), Mov.reg(R6, R0)];

/** The byte offset of `member` in `struct name` of `btf`. */
function offsetIn(btf: Btf, name: string, member: string): number {
  const id = btf.idsByName(name).find((i) => btf.kindOf(i) === 'struct');
  if (id === undefined) throw new Error(`no struct ${name} in the BTF`);
  const m = findMember(btf.typeById(id), member);
  if (m === undefined) throw new Error(`no member ${member} in struct ${name}`);
  return m.bitOffset / 8;
}

/** The id of FUNC `name`. */
function funcId(btf: Btf, name: string): number {
  const id = btf.idsByName(name).find((i) => btf.kindOf(i) === 'func');
  if (id === undefined) throw new Error(`no function ${name} in the BTF`);
  return id;
}

/** Kfunc ids at and above this stand for kfuncs the BTF lacks: {@link MISSING_KFUNC_ID} + their index in {@link missingKfuncs}. */
const MISSING_KFUNC_ID = 0x40000000;
/** Names of kfuncs some BTF given to {@link btfIdCases} lacked (older kernels: 6.1 has no `bpf_task_from_pid`). */
const missingKfuncs: string[] = [];

/** The id of FUNC `name` in `btf`, or a placeholder id that {@link btfIdRowLacks} recognises. */
function kfuncIdOrPlaceholder(btf: Btf, name: string): number {
  const id = btf.idsByName(name).find((i) => btf.kindOf(i) === 'func');
  if (id !== undefined) return id;
  if (!missingKfuncs.includes(name)) missingKfuncs.push(name);
  return MISSING_KFUNC_ID + missingKfuncs.indexOf(name);
}

/**
 * Null when every kfunc that `row` calls exists in `btf` (the BTF it was built from) and the
 * row's answer does not hang on RCU trust rules `btf` lacks, else why not (`the BTF has no
 * kfunc bpf_task_from_pid`): such a row cannot be checked against that kernel.
 */
export function btfIdRowLacks(row: BtfIdCase, btf: Btf): string | null {
  if (row.needsSafeRcu && !btf.idsByName('task_struct__safe_rcu').some((i) => btf.kindOf(i) === 'struct')) return 'the BTF has no struct task_struct__safe_rcu (Linux 6.4+)';
  const names = row.insns.filter((i) => i.code === 0x85 && i.src === 2 && typeof i.imm === 'number' && i.imm >= MISSING_KFUNC_ID).map((i) => missingKfuncs[(i.imm as number) - MISSING_KFUNC_ID]);
  return names.length === 0 ? null : `the BTF has no kfunc ${[...new Set(names)].join(', ')}`;
}

/** The rows, with offsets and kfunc ids taken from `btf`; rows calling a kfunc the BTF lacks are marked ({@link btfIdRowLacks}). */
export function btfIdCases(btf: Btf): BtfIdCase[] {
  const o = (member: string, struct = 'task_struct') => offsetIn(btf, struct, member);
  const kf = (name: string) => Call.kfunc(kfuncIdOrPlaceholder(btf, name));
  const pid = o('pid');
  const realParent = o('real_parent');
  const parent = o('parent');
  const stack = (r: ProgramItem[]): ProgramItem[] => [...r, Mov.reg(R2, R10), Add.imm(R2, -64), Mov.imm(R3, 64), Mov.imm(R4, 0), Call.helper(141)];
  const fromPid: ProgramItem[] = [Mov.imm(R1, 1), kf('bpf_task_from_pid')];
  const it: ProgramItem[] = [Mov.reg(R1, R10), Add.imm(R1, -8)];
  const it16: ProgramItem[] = [Mov.reg(R1, R10), Add.imm(R1, -16)];
  const convId = btf.idsByName('bpf_ctx_convert').find((i) => btf.kindOf(i) === 'struct')!;
  const conv = btf.typeById(convId);
  const tpKern = conv.kind === 'struct' ? conv.members.find((m) => m.name === 'BPF_PROG_TYPE_TRACEPOINT_kern')!.type : undefined;
  const tpKernId = tpKern === undefined ? 0 : btf.idOf(tpKern)!;
  const taskId = btf.idsByName('task_struct').find((i) => btf.kindOf(i) === 'struct')!;
  const traceId = (tp: string) => btf.idsByName(`btf_trace_${tp}`).find((i) => btf.kindOf(i) === 'typedef')!;
  const u64Id = btf.idsByName('u64').find((i) => btf.kindOf(i) === 'typedef')!;
  const tpBtf = (name: string, tp: string, items: ProgramItem[], error: string | null, attachBtfId = traceId(tp)): BtfIdCase => ({
    name: `tp_btf: ${name}`, progType: 'tracing', expectedAttachType: 'trace_raw_tp', attachBtfId, insns: p(...items), verdict: error === null ? 'accept' : 'reject', error,
  });
  return [
    // --- bpf_get_current_task_btf and loads through the pointer ---
    { name: 'task: read pid', progType: 'tracepoint', insns: p(...task, LoadMem(R1, R6, pid, Size.W), ...ret0), verdict: 'accept', error: null },
    { name: 'task: return the pointer', progType: 'tracepoint', insns: p(Call.helper(158), Exit()), verdict: 'accept', error: null },
    { name: 'task: read u64 at 0', progType: 'raw_tracepoint', insns: p(...task, LoadMem(R1, R6, 0, Size.DW), ...ret0), verdict: 'accept', error: null },
    { name: 'task: socket filter reads pid', progType: 'socket_filter', insns: p(...task, LoadMem(R1, R6, pid, Size.W), ...ret0), verdict: 'accept', error: null },
    { name: 'task: xdp reads pid', progType: 'xdp', insns: p(...task, LoadMem(R1, R6, pid, Size.W), ...ret0), verdict: 'accept', error: null },
    { name: 'task: read inside comm', progType: 'tracepoint', insns: p(...task, LoadMem(R1, R6, o('comm') + 3, Size.W), ...ret0), verdict: 'accept', error: null },
    { name: 'task: 8 bytes over the 4-byte pid', progType: 'tracepoint', insns: p(...task, LoadMem(R1, R6, pid, Size.DW), ...ret0), verdict: 'reject', error: `access beyond the end of member pid (mend:${pid + 4}) in struct task_struct with off ${pid} size 8` },
    { name: 'task: half a pointer member', progType: 'tracepoint', insns: p(...task, LoadMem(R1, R6, realParent, Size.W), ...ret0), verdict: 'reject', error: `cannot access ptr member real_parent with moff ${realParent} in struct task_struct with off ${realParent} size 4` },
    { name: 'task: beyond the struct', progType: 'tracepoint', insns: p(...task, LoadMem(R1, R6, 30000, Size.W), ...ret0), verdict: 'reject', error: 'access beyond struct task_struct at off 30000 size 4' },
    { name: 'task: negative offset', progType: 'tracepoint', insns: p(...task, LoadMem(R1, R6, -8, Size.DW), ...ret0), verdict: 'reject', error: 'R6 is ptr_task_struct invalid negative access: off=-8' },
    { name: 'task: store immediate', progType: 'tracepoint', insns: p(...task, StoreImm(R6, 0, 1, Size.W), ...ret0), verdict: 'reject', error: 'only read is supported' },
    { name: 'task: store register', progType: 'tracepoint', insns: p(...task, StoreMem(R6, 0, R6, Size.DW), ...ret0), verdict: 'reject', error: 'only read is supported' },
    { name: 'task: constant offset added', progType: 'tracepoint', insns: p(...task, Add.imm(R6, pid), LoadMem(R1, R6, 0, Size.W), ...ret0), verdict: 'accept', error: null },
    { name: 'task: unbounded variable offset', progType: 'tracepoint', insns: p(...task, Call.helper(7), Add.reg(R6, R0), LoadMem(R1, R6, 0, Size.DW), ...ret0), verdict: 'reject', error: 'math between trusted_ptr_ pointer and register with unbounded min value is not allowed' },
    { name: 'task: bounded variable offset', progType: 'tracepoint', insns: p(...task, Call.helper(7), And.imm(R0, 8), Add.reg(R6, R0), LoadMem(R1, R6, 0, Size.DW), ...ret0), verdict: 'reject', error: 'R6 is ptr_task_struct invalid variable offset: off=0, var_off=(0x0; 0x8)' },
    { name: 'task: pointer minus pointer', progType: 'tracepoint', insns: p(...task, Sub.reg(R6, R6), ...ret0), verdict: 'accept', error: null },
    { name: 'task: bitwise and on the pointer', progType: 'tracepoint', insns: p(...task, And.imm(R6, 8), ...ret0), verdict: 'reject', error: 'R6 bitwise operator &= on pointer prohibited' },
    { name: 'task: null check is decided', progType: 'tracepoint', insns: p(...task, JEq.imm(R6, 0, 'out'), LoadMem(R1, R6, pid, Size.W), Label('out'), ...ret0), verdict: 'accept', error: null },
    { name: 'task: spilled and filled', progType: 'tracepoint', insns: p(...task, StoreMem(R10, -8, R6, Size.DW), LoadMem(R7, R10, -8, Size.DW), LoadMem(R1, R7, pid, Size.W), ...ret0), verdict: 'accept', error: null },
    { name: 'task: real_parent is rcu, readable', progType: 'tracepoint', insns: p(...task, LoadMem(R1, R6, realParent, Size.DW), LoadMem(R2, R1, pid, Size.W), ...ret0), verdict: 'accept', error: null },
    { name: 'task: parent is untrusted, readable', progType: 'tracepoint', insns: p(...task, LoadMem(R1, R6, parent, Size.DW), LoadMem(R2, R1, parent, Size.DW), LoadMem(R3, R2, pid, Size.W), ...ret0), verdict: 'accept', error: null },
    { name: 'task: mm starts with a nested struct', progType: 'tracepoint', insns: p(...task, LoadMem(R1, R6, o('mm'), Size.DW), LoadMem(R2, R1, 0, Size.DW), ...ret0), verdict: 'reject', error: 'access beyond struct (anon) at off 0 size 8' },
    { name: 'task: cgroups, half a pointer array element', progType: 'tracepoint', insns: p(...task, LoadMem(R1, R6, o('cgroups'), Size.DW), LoadMem(R2, R1, 0, Size.W), ...ret0), verdict: 'reject', error: 'cannot access ptr member subsys with moff 0 in struct css_set with off 0 size 4' },
    // --- ARG_PTR_TO_BTF_ID helper arguments (bpf_get_task_stack) ---
    { name: 'task stack: trusted task', progType: 'tracepoint', insns: p(...task, ...stack([Mov.reg(R1, R6)]), ...ret0), verdict: 'accept', error: null },
    { name: 'task stack: rcu task', progType: 'tracepoint', insns: p(...task, ...stack([LoadMem(R1, R6, realParent, Size.DW)]), ...ret0), verdict: 'accept', error: null, needsSafeRcu: true },
    { name: 'task stack: untrusted task', progType: 'tracepoint', insns: p(...task, ...stack([LoadMem(R1, R6, parent, Size.DW)]), ...ret0), verdict: 'reject', error: 'R1 type=untrusted_ptr_ expected=ptr_, trusted_ptr_, rcu_ptr_' },
    { name: 'task stack: ctx', progType: 'tracepoint', insns: p(...stack([]), ...ret0), verdict: 'reject', error: 'R1 type=ctx expected=ptr_, trusted_ptr_, rcu_ptr_' },
    { name: 'task stack: other struct', progType: 'tracepoint', insns: p(...task, ...stack([LoadMem(R1, R6, o('cpus_ptr'), Size.DW)]), ...ret0), verdict: 'reject', error: 'R1 is of type cpumask but task_struct is expected', needsSafeRcu: true },
    { name: 'task stack: offset pointer', progType: 'tracepoint', insns: p(...task, ...stack([Mov.reg(R1, R6), Add.imm(R1, pid)]), ...ret0), verdict: 'reject', error: 'R1 is of type task_struct but task_struct is expected' },
    // --- kfuncs: loading ---
    { name: 'kfunc: non-GPL program', progType: 'xdp', license: 'MIT', insns: p(kf('bpf_rcu_read_lock'), kf('bpf_rcu_read_unlock'), ...ret0), verdict: 'reject', error: 'cannot call kernel function from non-GPL compatible program' },
    { name: 'kfunc: id of a struct', progType: 'xdp', insns: p(Call.kfunc(taskId), ...ret0), verdict: 'reject', error: `kernel btf_id ${taskId} is not a function` },
    { name: 'kfunc: id out of range', progType: 'xdp', insns: p(Call.kfunc(9999999), ...ret0), verdict: 'reject', error: 'kernel btf_id 9999999 is not a function' },
    { name: 'kfunc: id 0 reached', progType: 'xdp', insns: p(Call.kfunc(0), ...ret0), verdict: 'reject', error: 'invalid kernel function call not eliminated in verifier pass' },
    { name: 'kfunc: module index without fd_array', progType: 'xdp', insns: p(makeInstruction(0x85, 0, 2, 1, kfuncIdOrPlaceholder(btf, 'bpf_rcu_read_lock')), ...ret0), verdict: 'reject', error: 'kfunc offset > 0 without fd_array is invalid' },
    { name: 'kfunc: a kernel function that is no kfunc', progType: 'xdp', insns: p(kf('schedule'), ...ret0), verdict: 'reject', error: 'calling kernel function schedule is not allowed' },
    // --- kfuncs: program types ---
    { name: 'kfunc: task_from_pid in xdp', progType: 'xdp', insns: p(...fromPid, JEq.imm(R0, 0, 'out'), Mov.reg(R1, R0), kf('bpf_task_release'), Label('out'), ...ret0), verdict: 'accept', error: null },
    { name: 'kfunc: task_from_pid in cgroup_skb', progType: 'cgroup_skb', insns: p(...fromPid, JEq.imm(R0, 0, 'out'), Mov.reg(R1, R0), kf('bpf_task_release'), Label('out'), Mov.imm(R0, 1), Exit()), verdict: 'accept', error: null },
    { name: 'kfunc: task_from_pid in socket_filter', progType: 'socket_filter', insns: p(...fromPid, ...ret0), verdict: 'reject', error: 'calling kernel function bpf_task_from_pid is not allowed' },
    { name: 'kfunc: task_from_pid in kprobe', progType: 'kprobe', insns: p(...fromPid, ...ret0), verdict: 'reject', error: 'calling kernel function bpf_task_from_pid is not allowed' },
    { name: 'kfunc: task_from_pid in raw_tracepoint', progType: 'raw_tracepoint', insns: p(...fromPid, ...ret0), verdict: 'reject', error: 'calling kernel function bpf_task_from_pid is not allowed' },
    { name: 'kfunc: rcu lock in raw_tracepoint', progType: 'raw_tracepoint', insns: p(kf('bpf_rcu_read_lock'), kf('bpf_rcu_read_unlock'), ...ret0), verdict: 'accept', error: null },
    // --- kfuncs: arguments ---
    { name: 'kfunc: scalar argument is a pointer', progType: 'xdp', insns: p(Mov.reg(R1, R10), kf('bpf_task_from_pid'), ...ret0), verdict: 'reject', error: 'R1 is not a scalar' },
    { name: 'kfunc: scalar argument not initialised', progType: 'xdp', insns: p(kf('bpf_task_from_pid'), ...ret0), verdict: 'reject', error: 'R1 is not a scalar' },
    { name: 'kfunc: acquire an rcu task', progType: 'tracepoint', insns: p(...task, LoadMem(R1, R6, realParent, Size.DW), kf('bpf_task_acquire'), JEq.imm(R0, 0, 'out'), Mov.reg(R1, R0), kf('bpf_task_release'), Label('out'), ...ret0), verdict: 'accept', error: null },
    { name: 'kfunc: acquire an untrusted task', progType: 'tracepoint', insns: p(...task, LoadMem(R1, R6, parent, Size.DW), kf('bpf_task_acquire'), ...ret0), verdict: 'reject', error: 'R1 must be a rcu pointer' },
    { name: 'kfunc: acquire NULL', progType: 'tracepoint', insns: p(Mov.imm(R1, 0), kf('bpf_task_acquire'), ...ret0), verdict: 'reject', error: 'Possibly NULL pointer passed to trusted arg0' },
    { name: 'kfunc: acquire a scalar', progType: 'tracepoint', insns: p(Mov.imm(R1, 5), kf('bpf_task_acquire'), ...ret0), verdict: 'reject', error: 'arg#0 pointer type STRUCT task_struct must point to scalar, or struct with scalar' },
    { name: 'kfunc: acquire the ctx', progType: 'tracepoint', insns: p(kf('bpf_task_acquire'), ...ret0), verdict: 'reject', error: 'arg#0 pointer type STRUCT task_struct must point to scalar, or struct with scalar' },
    { name: 'kfunc: acquire at an offset', progType: 'tracepoint', insns: p(...task, Mov.reg(R1, R6), Add.imm(R1, pid), kf('bpf_task_acquire'), ...ret0), verdict: 'reject', error: 'kernel function bpf_task_acquire args#0 expected pointer to STRUCT task_struct but R1 has a pointer to STRUCT task_struct' },
    { name: 'kfunc: acquire another struct, walked first', progType: 'tracepoint', insns: p(...task, LoadMem(R1, R6, o('cgroups'), Size.DW), kf('bpf_task_acquire'), ...ret0), verdict: 'reject', error: 'cannot access ptr member subsys with moff 0 in struct css_set with off 0 size 1' },
    { name: 'kfunc: acquire a maybe-null task', progType: 'tracepoint', insns: p(...task, Mov.reg(R1, R6), kf('bpf_task_acquire'), Mov.reg(R1, R0), kf('bpf_task_acquire'), ...ret0), verdict: 'reject', error: 'Possibly NULL pointer passed to trusted arg0' },
    { name: 'kfunc: acquired and never released', progType: 'sched_cls', insns: p(Call.helper(158), Mov.reg(R1, R0), kf('bpf_task_acquire'), ...ret0), verdict: 'reject', error: 'Unreleased reference id=2 alloc_insn=2' },
    { name: 'kfunc: task_from_pid never released', progType: 'xdp', insns: p(...fromPid, ...ret0), verdict: 'reject', error: 'Unreleased reference id=2 alloc_insn=1' },
    { name: 'kfunc: release a trusted, unreferenced task', progType: 'tracepoint', insns: p(...task, Mov.reg(R1, R6), kf('bpf_task_release'), ...ret0), verdict: 'reject', error: 'release kernel function bpf_task_release expects refcounted PTR_TO_BTF_ID' },
    { name: 'kfunc: release twice', progType: 'xdp', insns: p(...fromPid, JEq.imm(R0, 0, 'out'), Mov.reg(R6, R0), Mov.reg(R1, R0), kf('bpf_task_release'), Mov.reg(R1, R6), kf('bpf_task_release'), Label('out'), ...ret0), verdict: 'reject', error: 'arg#0 pointer type STRUCT task_struct must point to scalar, or struct with scalar' },
    { name: 'kfunc: release before the null check', progType: 'xdp', insns: p(...fromPid, Mov.reg(R1, R0), kf('bpf_task_release'), ...ret0), verdict: 'reject', error: 'Possibly NULL pointer passed to trusted arg0' },
    { name: 'kfunc: release at an offset', progType: 'xdp', insns: p(...fromPid, JEq.imm(R0, 0, 'out'), Mov.reg(R1, R0), Add.imm(R1, 8), kf('bpf_task_release'), Label('out'), ...ret0), verdict: 'reject', error: 'R1 must have zero offset when passed to release func or trusted arg to kfunc' },
    { name: 'kfunc: use after release', progType: 'xdp', insns: p(...fromPid, JEq.imm(R0, 0, 'out'), Mov.reg(R6, R0), Mov.reg(R1, R0), kf('bpf_task_release'), LoadMem(R2, R6, pid, Size.W), Label('out'), ...ret0), verdict: 'reject', error: "R6 invalid mem access 'scalar'" },
    { name: 'kfunc: read fields of an acquired task', progType: 'xdp', insns: p(...fromPid, JEq.imm(R0, 0, 'out'), Mov.reg(R6, R0), LoadMem(R2, R6, pid, Size.W), LoadMem(R3, R6, realParent, Size.DW), LoadMem(R3, R6, parent, Size.DW), Mov.reg(R1, R6), kf('bpf_task_release'), Label('out'), ...ret0), verdict: 'accept', error: null },
    // --- kfuncs: RCU read-side sections ---
    { name: 'rcu: nested lock', progType: 'xdp', insns: p(kf('bpf_rcu_read_lock'), kf('bpf_rcu_read_lock'), kf('bpf_rcu_read_unlock'), ...ret0), verdict: 'reject', error: 'nested rcu read lock (kernel function bpf_rcu_read_lock)' },
    { name: 'rcu: unmatched unlock', progType: 'xdp', insns: p(kf('bpf_rcu_read_unlock'), ...ret0), verdict: 'reject', error: 'unmatched rcu read unlock (kernel function bpf_rcu_read_unlock)' },
    { name: 'rcu: exit inside the section', progType: 'xdp', insns: p(kf('bpf_rcu_read_lock'), ...ret0), verdict: 'reject', error: 'BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region' },
    { name: 'rcu: helper inside the section', progType: 'xdp', insns: p(kf('bpf_rcu_read_lock'), Call.helper(5), kf('bpf_rcu_read_unlock'), ...ret0), verdict: 'accept', error: null },
    { name: 'rcu: pointer read after unlock', progType: 'tracepoint', insns: p(kf('bpf_rcu_read_lock'), ...task, LoadMem(R7, R6, realParent, Size.DW), kf('bpf_rcu_read_unlock'), LoadMem(R2, R7, pid, Size.W), ...ret0), verdict: 'accept', error: null },
    { name: 'rcu: untrusted after unlock', progType: 'tracepoint', insns: p(kf('bpf_rcu_read_lock'), ...task, LoadMem(R7, R6, realParent, Size.DW), kf('bpf_rcu_read_unlock'), Mov.reg(R1, R7), kf('bpf_task_acquire'), ...ret0), verdict: 'reject', error: 'R1 must be a rcu pointer' },
    // --- kfuncs: casts ---
    { name: 'cast: kern ctx of sched_cls', progType: 'sched_cls', insns: p(kf('bpf_cast_to_kern_ctx'), LoadMem(R2, R0, 0, Size.DW), ...ret0), verdict: 'accept', error: null },
    { name: 'cast: kern ctx of xdp', progType: 'xdp', insns: p(kf('bpf_cast_to_kern_ctx'), LoadMem(R2, R0, 0, Size.DW), ...ret0), verdict: 'accept', error: null },
    { name: 'cast: kern ctx of socket_filter', progType: 'socket_filter', insns: p(kf('bpf_cast_to_kern_ctx'), ...ret0), verdict: 'accept', error: null },
    { name: 'cast: kern ctx of tracepoint', progType: 'tracepoint', insns: p(kf('bpf_cast_to_kern_ctx'), ...ret0), verdict: 'reject', error: `kern ctx type id ${tpKernId} is not a struct` },
    { name: 'cast: kern ctx of the stack', progType: 'xdp', insns: p(Mov.reg(R1, R10), kf('bpf_cast_to_kern_ctx'), ...ret0), verdict: 'reject', error: 'arg#0 expected pointer to ctx, but got fp' },
    { name: 'cast: kern ctx of a moved ctx', progType: 'xdp', insns: p(Add.imm(R1, 8), kf('bpf_cast_to_kern_ctx'), ...ret0), verdict: 'reject', error: 'dereference of modified ctx ptr R1 off=8 disallowed' },
    { name: 'cast: rdonly_cast to task_struct', progType: 'xdp', insns: p(...task, Mov.reg(R1, R6), Mov.imm(R2, taskId), kf('bpf_rdonly_cast'), LoadMem(R2, R0, pid, Size.W), ...ret0), verdict: 'accept', error: null },
    // --- tp_btf: typed tracepoint arguments (sched_switch(bool preempt, prev, next, prev_state)) ---
    tpBtf('read prev->pid', 'sched_switch', [LoadMem(R2, R1, 8, Size.DW), LoadMem(R3, R2, pid, Size.W), ...ret0], null),
    tpBtf('read the bool as u64', 'sched_switch', [LoadMem(R2, R1, 0, Size.DW), ...ret0], null),
    tpBtf('read the bool as u32', 'sched_switch', [LoadMem(R2, R1, 0, Size.W), ...ret0], null),
    tpBtf('read prev_state', 'sched_switch', [LoadMem(R2, R1, 24, Size.DW), ...ret0], null),
    tpBtf('pointer argument read with 4 bytes', 'sched_switch', [LoadMem(R2, R1, 8, Size.W), ...ret0], "func 'sched_switch' size 4 must be 8"),
    tpBtf('offset inside an argument', 'sched_switch', [LoadMem(R2, R1, 12, Size.W), ...ret0], "func 'sched_switch' offset 12 is not multiple of 8"),
    tpBtf('the return value slot', 'sched_switch', [LoadMem(R2, R1, 32, Size.DW), ...ret0], "func 'sched_switch' doesn't have 5-th argument"),
    tpBtf('past the arguments', 'sched_switch', [LoadMem(R2, R1, 40, Size.DW), ...ret0], "func 'sched_switch' doesn't have 7-th argument"),
    tpBtf('past the 12 argument slots', 'sched_switch', [LoadMem(R2, R1, 96, Size.DW), ...ret0], 'invalid bpf_context access off=96 size=8'),
    tpBtf('context write', 'sched_switch', [StoreImm(R1, 0, 0, Size.DW), ...ret0], 'invalid bpf_context access off=0 size=8'),
    tpBtf('write through next', 'sched_switch', [LoadMem(R2, R1, 16, Size.DW), StoreMem(R2, 0, R1, Size.DW), ...ret0], 'only read is supported'),
    tpBtf('trusted prev to bpf_get_task_stack', 'sched_switch', [LoadMem(R1, R1, 8, Size.DW), ...stack([]), ...ret0], null),
    tpBtf('nullable argument used unchecked', 'sched_pi_setprio', [LoadMem(R2, R1, 8, Size.DW), LoadMem(R3, R2, 0, Size.DW), ...ret0], "R2 invalid mem access 'trusted_ptr_or_null_'"),
    tpBtf('nullable argument checked', 'sched_pi_setprio', [LoadMem(R2, R1, 8, Size.DW), JEq.imm(R2, 0, 'out'), LoadMem(R3, R2, 0, Size.DW), Label('out'), ...ret0], null),
    tpBtf('R0 not set', 'sched_switch', [Exit()], 'R0 !read_ok'),
    tpBtf('any return value', 'sched_switch', [Mov.imm(R0, 5), Exit()], null),
    tpBtf('no attach_btf_id', 'sched_switch', [...ret0], 'Tracing programs must provide btf_id', 0),
    tpBtf('attach_btf_id of a struct', 'sched_switch', [...ret0], `attach_btf_id ${taskId} is not a typedef`, taskId),
    tpBtf('attach_btf_id of another typedef', 'sched_switch', [...ret0], `attach_btf_id ${u64Id} points to wrong type name u64`, u64Id),
    // --- open-coded iterators (bpf_iter_num_*) ---
    { name: 'iter: loop reading elements', progType: 'xdp', insns: p(...it, Mov.imm(R2, 0), Mov.imm(R3, 10), kf('bpf_iter_num_new'), Label('loop'), ...it, kf('bpf_iter_num_next'), JEq.imm(R0, 0, 'end'), LoadMem(R6, R0, 0, Size.W), Ja('loop'), Label('end'), ...it, kf('bpf_iter_num_destroy'), ...ret0), verdict: 'accept', error: null },
    { name: 'iter: loop counting (widened)', progType: 'xdp', insns: p(Mov.imm(R7, 0), ...it, Mov.imm(R2, 0), Mov.imm(R3, 10), kf('bpf_iter_num_new'), Label('loop'), ...it, kf('bpf_iter_num_next'), JEq.imm(R0, 0, 'end'), Add.imm(R7, 1), Ja('loop'), Label('end'), ...it, kf('bpf_iter_num_destroy'), Mov.reg(R0, R7), Exit()), verdict: 'accept', error: null },
    { name: 'iter: nested loops', progType: 'xdp', insns: p(...it, Mov.imm(R2, 0), Mov.imm(R3, 3), kf('bpf_iter_num_new'), Label('o'), ...it, kf('bpf_iter_num_next'), JEq.imm(R0, 0, 'oe'), ...it16, Mov.imm(R2, 0), Mov.imm(R3, 3), kf('bpf_iter_num_new'), Label('i'), ...it16, kf('bpf_iter_num_next'), JEq.imm(R0, 0, 'ie'), Ja('i'), Label('ie'), ...it16, kf('bpf_iter_num_destroy'), Ja('o'), Label('oe'), ...it, kf('bpf_iter_num_destroy'), ...ret0), verdict: 'accept', error: null },
    { name: 'iter: never destroyed', progType: 'xdp', insns: p(...it, Mov.imm(R2, 0), Mov.imm(R3, 10), kf('bpf_iter_num_new'), ...ret0), verdict: 'reject', error: 'Unreleased reference id=1 alloc_insn=4' },
    { name: 'iter: next before new', progType: 'xdp', insns: p(...it, kf('bpf_iter_num_next'), ...ret0), verdict: 'reject', error: 'expected an initialized iter_num as arg #0' },
    { name: 'iter: new twice', progType: 'xdp', insns: p(...it, Mov.imm(R2, 0), Mov.imm(R3, 10), kf('bpf_iter_num_new'), ...it, Mov.imm(R2, 0), Mov.imm(R3, 10), kf('bpf_iter_num_new'), ...ret0), verdict: 'reject', error: 'expected uninitialized iter_num as arg #0' },
    { name: 'iter: destroy twice', progType: 'xdp', insns: p(...it, Mov.imm(R2, 0), Mov.imm(R3, 10), kf('bpf_iter_num_new'), ...it, kf('bpf_iter_num_destroy'), ...it, kf('bpf_iter_num_destroy'), ...ret0), verdict: 'reject', error: 'expected an initialized iter_num as arg #0' },
    { name: 'iter: element used without a null check', progType: 'xdp', insns: p(...it, Mov.imm(R2, 0), Mov.imm(R3, 10), kf('bpf_iter_num_new'), ...it, kf('bpf_iter_num_next'), LoadMem(R6, R0, 0, Size.W), ...it, kf('bpf_iter_num_destroy'), ...ret0), verdict: 'reject', error: "R0 invalid mem access 'scalar'" },
    { name: 'iter: read past the element', progType: 'xdp', insns: p(...it, Mov.imm(R2, 0), Mov.imm(R3, 10), kf('bpf_iter_num_new'), ...it, kf('bpf_iter_num_next'), JEq.imm(R0, 0, 'end'), LoadMem(R6, R0, 4, Size.W), Label('end'), ...it, kf('bpf_iter_num_destroy'), ...ret0), verdict: 'reject', error: 'invalid access to memory, mem_size=4 off=4 size=4' },
    { name: 'iter: write to the element', progType: 'xdp', insns: p(...it, Mov.imm(R2, 0), Mov.imm(R3, 10), kf('bpf_iter_num_new'), ...it, kf('bpf_iter_num_next'), JEq.imm(R0, 0, 'end'), StoreImm(R0, 0, 1, Size.W), Label('end'), ...it, kf('bpf_iter_num_destroy'), ...ret0), verdict: 'reject', error: 'R0 cannot write into rdonly_mem' },
    { name: 'iter: element used after destroy', progType: 'xdp', insns: p(...it, Mov.imm(R2, 0), Mov.imm(R3, 10), kf('bpf_iter_num_new'), ...it, kf('bpf_iter_num_next'), Mov.reg(R6, R0), ...it, kf('bpf_iter_num_destroy'), JEq.imm(R6, 0, 'end'), LoadMem(R2, R6, 0, Size.W), Label('end'), ...ret0), verdict: 'reject', error: "R6 invalid mem access 'scalar'" },
    { name: 'iter: misaligned slot', progType: 'xdp', insns: p(Mov.reg(R1, R10), Add.imm(R1, -12), Mov.imm(R2, 0), Mov.imm(R3, 10), kf('bpf_iter_num_new'), ...ret0), verdict: 'reject', error: 'cannot pass in iter at an offset=-12' },
    { name: 'iter: NULL iterator', progType: 'xdp', insns: p(Mov.imm(R1, 0), kf('bpf_iter_num_next'), ...ret0), verdict: 'reject', error: 'Possibly NULL pointer passed to trusted arg0' },
    { name: 'iter: scalar iterator', progType: 'xdp', insns: p(Mov.imm(R1, 5), kf('bpf_iter_num_next'), ...ret0), verdict: 'reject', error: 'arg#0 expected pointer to an iterator on stack' },
    { name: 'iter: pointer as the start', progType: 'xdp', insns: p(...it, Mov.reg(R2, R10), Mov.imm(R3, 10), kf('bpf_iter_num_new'), ...ret0), verdict: 'reject', error: 'R2 is not a scalar' },
    { name: 'iter: slot read as data', progType: 'xdp', insns: p(...it, Mov.imm(R2, 0), Mov.imm(R3, 3), kf('bpf_iter_num_new'), LoadMem(R6, R10, -4, Size.W), ...it, kf('bpf_iter_num_destroy'), ...ret0), verdict: 'reject', error: 'invalid read from stack off -4+0 size 4' },
    { name: 'iter: slot partly overwritten', progType: 'xdp', insns: p(...it, Mov.imm(R2, 0), Mov.imm(R3, 3), kf('bpf_iter_num_new'), StoreImm(R10, -4, 0, Size.W), ...it, kf('bpf_iter_num_destroy'), ...ret0), verdict: 'reject', error: 'expected an initialized iter_num as arg #0' },
    { name: 'iter: slot overwritten by a spill', progType: 'xdp', insns: p(...it, Mov.imm(R2, 0), Mov.imm(R3, 3), kf('bpf_iter_num_new'), Mov.imm(R6, 1), StoreMem(R10, -8, R6, Size.DW), ...it, kf('bpf_iter_num_destroy'), ...ret0), verdict: 'reject', error: 'expected an initialized iter_num as arg #0' },
    { name: 'iter: reference leaked inside the loop', progType: 'xdp', insns: p(...it, Mov.imm(R2, 0), Mov.imm(R3, 10), kf('bpf_iter_num_new'), Label('loop'), ...it, kf('bpf_iter_num_next'), JEq.imm(R0, 0, 'end'), ...fromPid, Ja('loop'), Label('end'), ...it, kf('bpf_iter_num_destroy'), ...ret0), verdict: 'reject', error: 'Unreleased reference id=4 alloc_insn=10' },
    { name: 'cast: rdonly_cast result is read-only', progType: 'xdp', insns: p(...task, Mov.reg(R1, R6), Mov.imm(R2, taskId), kf('bpf_rdonly_cast'), StoreImm(R0, pid, 0, Size.W), ...ret0), verdict: 'reject', error: 'only read is supported' },
  ];
}

const VMLINUX = '/sys/kernel/btf/vmlinux';
const kernels: { label: string; btf: Btf }[] = [{ label: 'hand-built BTF', btf: decodeBtf(miniKernelBtf()) }];
if (existsSync(VMLINUX)) kernels.push({ label: 'vmlinux', btf: decodeBtf(readFileSync(VMLINUX)) });
else console.log(`skip: verifier btf-id rows against vmlinux: ${VMLINUX} does not exist`);

const suite = test;

suite('verifier btf-id: the table has unique names and both verdicts', () => {
  const rows = btfIdCases(kernels[0].btf);
  assert.is(new Set(rows.map((r) => r.name)).size, rows.length);
  assert.ok(rows.filter((r) => r.verdict === 'accept').length >= 20);
  assert.ok(rows.filter((r) => r.verdict === 'reject').length >= 35);
});

for (const { label, btf } of kernels) {
  suite(`verifier btf-id: every row against ${label}`, () => {
    const wrong: string[] = [];
    const rows = btfIdCases(btf);
    const lacking = rows.map((r) => btfIdRowLacks(r, btf)).filter((r): r is string => r !== null);
    if (lacking.length > 0) console.log(`skip: verifier btf-id: ${lacking.length} of ${rows.length} rows against ${label}: ${[...new Set(lacking)].join('; ')}`);
    for (const row of rows) {
      if (btfIdRowLacks(row, btf) !== null) continue;
      const r = verify(row.insns, { progType: row.progType, license: row.license ?? 'GPL', btf, expectedAttachType: row.expectedAttachType, attachBtfId: row.attachBtfId });
      if (r.verdict !== row.verdict || r.error !== row.error) wrong.push(`${row.name}: want ${row.verdict} ${row.error ?? ''}, got ${r.verdict} ${r.error ?? ''}`);
    }
    assert.equal(wrong, []);
  });
}

const mini = kernels[0].btf;
const readPid = p(...task, LoadMem(R1, R6, offsetIn(mini, 'task_struct', 'pid'), Size.W), ...ret0);

suite('verifier btf-id: the log names BTF-id pointers and kfuncs as the kernel does', () => {
  const realParent = offsetIn(mini, 'task_struct', 'real_parent');
  const parent = offsetIn(mini, 'task_struct', 'parent');
  const prog = p(...task, LoadMem(R1, R6, realParent, Size.DW), LoadMem(R2, R6, parent, Size.DW), Mov.reg(R1, R6), Call.kfunc(funcId(mini, 'bpf_task_acquire')), ...ret0);
  const log = verify(prog, { progType: 'tracepoint', btf: mini, logLevel: 1 }).log;
  assert.match(log, '0: (85) call bpf_get_current_task_btf#158     ; R0=trusted_ptr_task_struct()');
  assert.match(log, 'R1=rcu_ptr_task_struct()');
  assert.match(log, 'R2=untrusted_ptr_task_struct()');
  assert.match(log, `call bpf_task_acquire#${funcId(mini, 'bpf_task_acquire')}`);
  assert.match(log, 'R0=ptr_or_null_task_struct(id=2,ref_obj_id=2) refs=2');
});

suite('verifier btf-id: the btf option takes bytes or a lazy provider, called only when needed', () => {
  const bytes = miniKernelBtf();
  assert.is(verify(readPid, { progType: 'tracepoint', btf: bytes }).verdict, 'accept');
  let calls = 0;
  const provider = () => {
    calls++;
    return bytes;
  };
  assert.is(verify(p(...ret0), { progType: 'tracepoint', btf: provider }).verdict, 'accept');
  assert.is(calls, 0);
  assert.is(verify(readPid, { progType: 'tracepoint', btf: provider }).verdict, 'accept');
  assert.is(calls, 1);
  assert.is(verify(readPid, { progType: 'tracepoint', btf: () => undefined }).error, 'invalid return type 1048584 of func bpf_get_current_task_btf#158');
});

suite('verifier btf-id: without BTF, as a kernel without CONFIG_DEBUG_INFO_BTF', () => {
  const r = verify(readPid, { progType: 'tracepoint' });
  assert.equal([r.verdict, r.error, r.insn], ['reject', 'invalid return type 1048584 of func bpf_get_current_task_btf#158', 0]);
  const k = verify(p(Call.kfunc(funcId(mini, 'bpf_rcu_read_lock')), ...ret0), { progType: 'xdp', logLevel: 1 });
  assert.equal([k.verdict, k.error, k.processed], ['reject', 'calling kernel function is not supported without CONFIG_DEBUG_INFO_BTF', 0]);
});

suite('verifier btf-id: kfuncs without a table entry are reported as not simulated', () => {
  const btf = kernels[kernels.length - 1].btf;
  // verifier-sim knows a kfunc by its `bpf_kfunc` decl tag (pahole 1.26+ emits them); without
  // one it answers as the kernel does for any other kernel function ("is not allowed").
  const tagged = new Set(btf.idsByName('bpf_kfunc').filter((t) => btf.kindOf(t) === 'decl_tag').map((t) => btf.referencedIds(t)[0]));
  const name = ['bpf_cgroup_acquire', 'bpf_cpumask_create', 'bpf_dynptr_adjust'].find((n) => btf.idsByName(n).some((i) => btf.kindOf(i) === 'func' && tagged.has(i)));
  if (name === undefined) {
    console.log(`skip: verifier btf-id: untabled kfuncs: this BTF has none of the probed kfuncs with a bpf_kfunc decl tag (${tagged.size} tagged functions: BTF from pahole before 1.26)`);
    return;
  }
  const r = verify(p(Call.kfunc(funcId(btf, name)), ...ret0), { progType: 'tracepoint', btf });
  assert.equal([r.verdict, r.error], ['reject', `kfunc ${name} is not simulated`]);
});

test.run();
