/**
 * Precision tracking in verifier-sim (`mark_chain_precision` and friends): pairs of programs
 * that differ only in whether a scalar's exact value is relied on after two paths join. When it
 * is not, the second path is pruned at the join (the explored state's scalar is imprecise);
 * when it is (pointer arithmetic, a branch decided by it, a fill of a spilled constant used as
 * an offset), backtracking marks it precise in the explored state and the second path is
 * verified too. Each row records the live kernel's processed count;
 * test/kernel/verifier-precision-vs-kernel.test.ts checks every row against the kernel (the
 * processed count and the whole level 2 log, `mark_precise` lines included).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Add, Exit, JEq, JGT, Ja, Label, LoadMem, Mov, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, Size, StoreImm, StoreMem, resolve, type Instruction, type ProgramItem } from 'ebpf-bytecode-utils';
import { verify } from '../../verifier-sim/verifier/index.js';

/** One row: a socket filter, what the kernel says about it, and the precision it shows. */
export interface PrecisionCase {
  readonly name: string;
  readonly insns: readonly Instruction[];
  /** The kernel's processed-instruction count. */
  readonly processed: number;
  /** Whether the second path is pruned at the join (`11: safe`). */
  readonly pruned: boolean;
}

const p = (...items: ProgramItem[]): Instruction[] => resolve(items).instructions;

/**
 * r7 = skb->len; six filler moves (a checkpoint needs 8 instructions and 2 jumps); r6 = 1 or 2
 * depending on r7; then `after` at the join.
 */
const join = (after: ProgramItem[], spill = false): Instruction[] =>
  p(
    LoadMem(R7, R1, 0, Size.W),
    Mov.imm(R2, 0), Mov.imm(R3, 0), Mov.imm(R4, 0), Mov.imm(R5, 0), Mov.imm(R8, 0), Mov.imm(R9, 0),
    JGT.imm(R7, 5, 'two'),
    Mov.imm(R6, 1),
    Ja('join'),
    Label('two'),
    Mov.imm(R6, 2),
    Label('join'),
    ...(spill ? [StoreMem(R10, -16, R6, Size.DW), Mov.imm(R6, 0)] : []),
    ...after,
  );

/** fp-8 + `reg`, one byte written there: `reg` becomes a stack offset, so it must be precise. */
const storeAt = (reg: typeof R6): ProgramItem[] => [Mov.reg(R2, R10), Add.imm(R2, -8), Add.reg(R2, reg), StoreImm(R2, 0, 0, Size.B)];
const ret0: ProgramItem[] = [Mov.imm(R0, 0), Exit()];

export const precisionCases: readonly PrecisionCase[] = [
  {
    name: 'an imprecise constant does not stop pruning at the join',
    insns: join([Mov.reg(R0, R6), Exit()]),
    processed: 14,
    pruned: true,
  },
  {
    name: 'a constant used as a stack offset is precise: both paths are verified',
    insns: join([...storeAt(R6), ...ret0]),
    processed: 23,
    pruned: false,
  },
  {
    name: 'a constant that decides a branch is precise: both paths are verified',
    insns: join([JEq.imm(R6, 1, 'one'), Mov.imm(R0, 2), Exit(), Label('one'), ...ret0]),
    processed: 17,
    pruned: false,
  },
  {
    name: 'a spilled constant is imprecise until a fill of it is used',
    insns: join([LoadMem(R3, R10, -16, Size.DW), Mov.reg(R0, R3), Exit()], true),
    processed: 17,
    pruned: true,
  },
  {
    name: 'a filled constant used as a stack offset makes its stack slot precise',
    insns: join([LoadMem(R3, R10, -16, Size.DW), ...storeAt(R3), ...ret0], true),
    processed: 29,
    pruned: false,
  },
  {
    name: 'a branch decided on a copy makes the original precise',
    insns: join([Mov.reg(R4, R6), JGT.imm(R4, 1, 'big'), Label('big'), ...storeAt(R6), ...ret0]),
    processed: 27,
    pruned: false,
  },
];

for (const c of precisionCases) {
  test(`precision: ${c.name}`, () => {
    const r = verify(c.insns, { progType: 'socket_filter', logLevel: 2 });
    assert.is(r.verdict, 'accept');
    assert.is(r.processed, c.processed, 'processed instructions');
    assert.is(/^11: safe$/m.test(r.log), c.pruned, 'second path pruned at the join');
    // Relying on the value shows up as backtracking and as a P mark in the explored state.
    assert.is(/^mark_precise: frame0: parent state regs=\S* stack=\S*: .* R6=P[12] /m.test(r.log), !c.pruned, 'r6 marked precise in the checkpoint');
  });
}

test('precision: relying on a value costs exactly the second path', () => {
  const [imprecise, offset] = precisionCases;
  const a = verify(imprecise.insns, { progType: 'socket_filter' });
  const b = verify(offset.insns, { progType: 'socket_filter' });
  // The precise variant has 3 more instructions after the join and verifies them on both paths,
  // plus the join instruction itself again on the second path.
  assert.ok(b.processed > a.processed, `${b.processed} > ${a.processed}`);
});

test('precision: the level 2 trace walks back through the jump history to the assignment', () => {
  const r = verify(precisionCases[1].insns, { progType: 'socket_filter', logLevel: 2 });
  const lines = r.log.split('\n').filter((l) => l.startsWith('mark_precise: '));
  assert.equal(lines.slice(0, 3), [
    'mark_precise: frame0: last_idx 13 first_idx 11 subseq_idx -1 ',
    'mark_precise: frame0: regs=r6 stack= before 12: (07) r2 += -8',
    'mark_precise: frame0: regs=r6 stack= before 11: (bf) r2 = r10',
  ]);
  // The first path reached the join through `goto`: backtracking follows it to `r6 = 1`.
  assert.ok(lines.includes('mark_precise: frame0: regs=r6 stack= before 9: (05) goto pc+1'));
  assert.ok(lines.includes('mark_precise: frame0: regs=r6 stack= before 8: (b7) r6 = 1'));
  // The second path (r6 = 2 at insn 10) is not pruned and is backtracked on its own.
  assert.ok(lines.includes('mark_precise: frame0: regs=r6 stack= before 10: (b7) r6 = 2'));
});

test.run();
