/**
 * Random but plausible programs over BTF-id pointers and kfuncs, for differential testing of the
 * offline verifier against the kernel (test/kernel/verifier-btf-id-vs-kernel.test.ts): the
 * current task and the tasks, mm, files, cgroups… it points to, field loads at offsets that are
 * mostly right (member starts, sometimes misaligned or past the end), `bpf_task_acquire`/
 * `bpf_task_from_pid` with and without null checks and releases, RCU sections, open-coded
 * iterator loops (`bpf_iter_num_*`, sometimes never destroyed or unchecked), and random
 * branches on unknown scalars so that paths fork and states are pruned.
 * @module
 */

import fc from 'fast-check';
import {
  Add, Call, Exit, Ja, JEq, JGT, JNE, Label, LoadMem, Mov, R0, R1, R2, R3, R6, R7, R8, R9, R10, Size, findMember, resolve,
  type Btf, type Instruction, type ProgramItem, type Register,
} from 'ebpf-bytecode-utils';

/** A generated program and its program type. */
export interface BtfIdProgram {
  /** `tracepoint` (tasks and kfuncs) or `xdp` (kfuncs, the current task). */
  readonly progType: 'tracepoint' | 'xdp';
  /** The instructions. */
  readonly insns: readonly Instruction[];
}

const SIZES = [Size.B, Size.H, Size.W, Size.DW] as const;

/** The arbitrary of {@link BtfIdProgram}s, with offsets and kfunc ids from `btf` (vmlinux). */
export function plausibleBtfIdProgram(btf: Btf): fc.Arbitrary<BtfIdProgram> {
  const struct = (name: string) => btf.typeById(btf.idsByName(name).find((i) => btf.kindOf(i) === 'struct')!);
  const task = struct('task_struct');
  const off = (name: string) => findMember(task, name)!.bitOffset / 8;
  const fn = (name: string) => btf.idsByName(name).find((i) => btf.kindOf(i) === 'func')!;
  const pointers = ['real_parent', 'parent', 'group_leader', 'mm', 'files', 'cgroups', 'cpus_ptr'].filter((m) => findMember(task, m) !== undefined).map(off);
  const scalars = ['pid', 'tgid', 'flags', 'comm', 'prio', '__state'].filter((m) => findMember(task, m) !== undefined).map(off);
  const acquire = fn('bpf_task_acquire');
  const release = fn('bpf_task_release');
  const fromPid = fn('bpf_task_from_pid');
  const iterNew = fn('bpf_iter_num_new');
  const iterNext = fn('bpf_iter_num_next');
  const iterDestroy = fn('bpf_iter_num_destroy');
  const lock = fn('bpf_rcu_read_lock');
  const unlock = fn('bpf_rcu_read_unlock');
  const reg = fc.constantFrom<Register>(R6, R7, R8, R9);
  const label = (() => {
    let n = 0;
    return () => `l${n++}`;
  })();

  /** One step: a few instructions; `label` gives fresh names for forward jumps. */
  const step: fc.Arbitrary<(() => ProgramItem[])> = fc.oneof(
    fc.constant(() => [Call.helper(158), Mov.reg(R6, R0)]),
    fc.tuple(reg, reg, fc.constantFrom(...pointers)).map(([d, s, o]) => () => [LoadMem(d, s, o, Size.DW)]),
    fc.tuple(reg, fc.constantFrom(...scalars), fc.integer({ min: -2, max: 9 }), fc.constantFrom(...SIZES)).map(([s, o, d, z]) => () => [LoadMem(R1, s, o + (d > 6 ? d : 0), z)]),
    fc.tuple(reg, fc.nat({ max: 3300 }), fc.constantFrom(...SIZES)).map(([s, o, z]) => () => [LoadMem(R1, s, o, z)]),
    fc.tuple(reg, reg, fc.boolean()).map(([d, s, check]) => () => {
      const l = label();
      return [Mov.reg(R1, s), Call.kfunc(acquire), Mov.reg(d, R0), ...(check ? [JEq.imm(R0, 0, l), Mov.reg(R1, R0), Call.kfunc(release), Label(l)] : [])];
    }),
    fc.tuple(reg, fc.integer({ min: 0, max: 2 })).map(([d, how]) => () => {
      const l = label();
      const tail: ProgramItem[] = how === 0 ? [] : [JEq.imm(R0, 0, l), Mov.reg(R1, R0), Call.kfunc(release), Label(l)];
      return [Mov.imm(R1, 1), Call.kfunc(fromPid), Mov.reg(d, R0), ...(how === 2 ? [] : tail), ...(how === 2 ? [JNE.imm(R0, 0, l), Label(l)] : [])];
    }),
    fc.tuple(reg, fc.boolean()).map(([s, unlockToo]) => () => [Call.kfunc(lock), ...(unlockToo ? [LoadMem(R1, s, 0, Size.B), Call.kfunc(unlock)] : [])]),
    fc.tuple(fc.integer({ min: 0, max: 8 })).map(([k]) => () => {
      const l = label();
      return [Call.helper(7), JGT.imm(R0, k, l), Add.imm(R0, 1), Label(l)];
    }),
    fc.tuple(reg, reg).map(([d, s]) => () => [Mov.reg(d, s)]),
    // An open-coded iterator loop over [0, n) with a small body (a counter from 0, element loads,
    // field loads); sometimes unchecked or not destroyed.
    fc.tuple(fc.constantFrom(-8, -16), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 4 }), fc.boolean(), reg, fc.boolean()).map(([slot, n, body, checked, r, destroy]) => () => {
      const loop = label();
      const end = label();
      const it: ProgramItem[] = [Mov.reg(R1, R10), Add.imm(R1, slot)];
      const bodies: ProgramItem[][] = [[Add.imm(r, 1)], [LoadMem(R1, R0, 0, Size.W)], [LoadMem(r, R6, pointers[0], Size.DW)], [Mov.reg(r, R0)], [LoadMem(R1, R0, 4, Size.W)]];
      return [
        ...(body === 0 ? [Mov.imm(r, 0)] : []), ...it, Mov.imm(R2, 0), Mov.imm(R3, n), Call.kfunc(iterNew), Label(loop), ...it, Call.kfunc(iterNext),
        ...(checked ? [JEq.imm(R0, 0, end)] : []), ...bodies[body], ...(checked ? [Ja(loop)] : []), Label(end),
        ...(destroy ? [...it, Call.kfunc(iterDestroy)] : []),
      ];
    }),
    fc.tuple(reg).map(([s]) => () => {
      const l = label();
      return [JEq.imm(s, 0, l), LoadMem(R1, s, 0, Size.W), Label(l)];
    }),
  );
  const rare: fc.Arbitrary<() => ProgramItem[]> = fc.constant(() => [Call.kfunc(unlock)]);
  const anyStep = fc.oneof({ arbitrary: step, weight: 20 }, { arbitrary: rare, weight: 1 });
  return fc.record({ progType: fc.constantFrom<'tracepoint' | 'xdp'>('tracepoint', 'tracepoint', 'xdp'), steps: fc.array(anyStep, { minLength: 1, maxLength: 8 }) }).map(({ progType, steps }) => {
    // R6, R7, R9: the current task (trusted); R8: its real_parent (RCU).
    const items: ProgramItem[] = [Call.helper(158), Mov.reg(R6, R0), Mov.reg(R7, R0), Mov.reg(R9, R0), LoadMem(R8, R6, pointers[0], Size.DW)];
    for (const s of steps) items.push(...s());
    items.push(Mov.imm(R0, 0), Exit());
    return { progType, insns: resolve(items).instructions };
  });
}
