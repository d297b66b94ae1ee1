/**
 * The eDSL's stack peephole passes (src/dsl/stack-dead-store.ts, src/dsl/direct-result-store.ts):
 * a table of cases where a store must go or must stay, and a property test with the interpreter
 * as oracle: random programs of stack stores and loads, calls, escaping frame pointers and
 * branches return the same value before and after the passes (stored values are random and
 * non-zero, so a store wrongly removed or moved shows in the result).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  Add, Call, Exit, JGT, Label, LoadMem, Mov, R0, R1, R10, R6, R7, R8, R9, Size, StoreImm, StoreMem, Xor, resolve, isLabel,
  type ProgramItem, type Register,
} from 'ebpf-bytecode-utils';
import { Interpreter } from '../../verifier-sim/index.js';
import { removeDeadStackStores } from '../../src/dsl/stack-dead-store.js';
import { storeResultsDirectly } from '../../src/dsl/direct-result-store.js';
import { peephole } from '../../src/dsl/peephole.js';
import { numRuns } from '../support/num-runs.js';

const KTIME = 5;

/** Which of `items` survive (by identity), as indices. */
function kept(before: readonly ProgramItem[], after: readonly ProgramItem[]): number[] {
  return before.flatMap((item, i) => (after.includes(item) ? [i] : []));
}

test('dead stack stores: removed when every byte is rewritten first or the function exits; kept when a byte may be read', () => {
  const zero = () => StoreImm(R10, -8, 0, Size.DW);
  const rows: [string, ProgramItem[], number[]][] = [
    ['rewritten by one store', [zero(), StoreMem(R10, -8, R6, Size.DW), LoadMem(R0, R10, -8, Size.DW), Exit()], [1, 2, 3]],
    ['rewritten by two halves', [zero(), StoreImm(R10, -8, 1, Size.W), StoreImm(R10, -4, 2, Size.W), LoadMem(R0, R10, -8, Size.DW), Exit()], [1, 2, 3, 4]],
    ['half rewritten (padding kept)', [zero(), StoreImm(R10, -8, 1, Size.W), LoadMem(R0, R10, -8, Size.DW), Exit()], [0, 1, 2, 3]],
    ['read before rewritten', [zero(), LoadMem(R0, R10, -8, Size.B), StoreMem(R10, -8, R6, Size.DW), LoadMem(R0, R10, -8, Size.DW), Exit()], [0, 1, 2, 3, 4]],
    ['a call in between may read it', [zero(), Mov.reg(R1, R10), Add.imm(R1, -8), Call.helper(KTIME), StoreMem(R10, -8, R6, Size.DW), LoadMem(R0, R10, -8, Size.DW), Exit()], [0, 1, 2, 3, 4, 5, 6]],
    ['a load through an escaped frame pointer', [zero(), Mov.reg(R7, R10), LoadMem(R0, R7, -8, Size.DW), StoreMem(R10, -8, R6, Size.DW), LoadMem(R0, R10, -8, Size.DW), Exit()], [0, 1, 2, 3, 4, 5]],
    ['a store never read before exit goes too', [StoreMem(R10, -8, R6, Size.DW), Mov.imm(R0, 0), Exit()], [1, 2]],
    ['a load through another pointer is no read of the stack', [zero(), LoadMem(R0, R6, 0, Size.DW), StoreMem(R10, -8, R6, Size.DW), LoadMem(R0, R10, -8, Size.DW), Exit()], [1, 2, 3, 4]],
    ['a jump ends the search', [zero(), JGT.imm(R6, 1, 'L'), StoreMem(R10, -8, R6, Size.DW), Label('L'), LoadMem(R0, R10, -8, Size.DW), Exit()], [0, 1, 2, 3, 4, 5]],
    ['never read before exit', [zero(), Mov.imm(R0, 0), Exit()], [1, 2]],
  ];
  for (const [name, items, survivors] of rows) assert.equal(kept(items, removeDeadStackStores(items)), survivors, name);
});

test('direct result stores: `rX = r0 … *(r10 +off) = rX` becomes a store of r0 when rX dies there and nothing touches the bytes in between', () => {
  const rows: [string, ProgramItem[], boolean][] = [
    ['only use', [Call.helper(KTIME), Mov.reg(R7, R0), Call.helper(KTIME), StoreMem(R10, -8, R7, Size.DW), LoadMem(R0, R10, -8, Size.DW), Exit()], true],
    ['read again later', [Call.helper(KTIME), Mov.reg(R7, R0), StoreMem(R10, -8, R7, Size.DW), Mov.reg(R0, R7), Exit()], false],
    ['bytes written in between', [Call.helper(KTIME), Mov.reg(R7, R0), StoreImm(R10, -4, 1, Size.W), StoreMem(R10, -8, R7, Size.DW), LoadMem(R0, R10, -8, Size.DW), Exit()], false],
    ['bytes read in between', [Call.helper(KTIME), Mov.reg(R7, R0), LoadMem(R6, R10, -8, Size.B), StoreMem(R10, -8, R7, Size.DW), LoadMem(R0, R10, -8, Size.DW), Exit()], false],
    ['a call gets a frame pointer in between', [Call.helper(KTIME), Mov.reg(R7, R0), Mov.reg(R1, R10), Add.imm(R1, -8), Call.helper(KTIME), StoreMem(R10, -8, R7, Size.DW), LoadMem(R0, R10, -8, Size.DW), Exit()], false],
    ['a label in between (another path reaches the store)', [Call.helper(KTIME), Mov.reg(R7, R0), Label('L'), StoreMem(R10, -8, R7, Size.DW), LoadMem(R0, R10, -8, Size.DW), Exit()], false],
  ];
  for (const [name, items, rewritten] of rows) {
    const out = storeResultsDirectly(items);
    assert.is(out.length === items.length - 1, rewritten, name);
    if (rewritten) assert.ok(out.some((i) => !isLabel(i) && i.code === StoreMem(R10, -8, R0, Size.DW).code && i.src === 0 && i.dst === 10), name);
  }
});

// ---- property: same results in the interpreter ----

const VARS: readonly Register[] = [R6, R7, R8, R9];
const slot = fc.record({ base: fc.constantFrom(-8, -16, -24, -32), size: fc.constantFrom(1, 2, 4, 8) }).chain(({ base, size }) =>
  fc.integer({ min: 0, max: 8 / size - 1 }).map((k) => ({ off: base + k * size, size })));
const sizeOf = (n: number) => (n === 1 ? Size.B : n === 2 ? Size.H : n === 4 ? Size.W : Size.DW);
const nonZero = fc.integer({ min: 1, max: 0x7fffffff });

type Op =
  | { k: 'storeImm'; off: number; size: number; imm: number }
  | { k: 'storeReg'; off: number; size: number; src: Register }
  | { k: 'load'; off: number; size: number; dst: Register }
  | { k: 'call' }
  | { k: 'movR0'; dst: Register }
  | { k: 'escapeLoad'; off: number; dst: Register }
  | { k: 'branch'; reg: Register; imm: number; skip: number }
  | { k: 'add'; dst: Register; imm: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(slot, nonZero).map(([s, imm]): Op => ({ k: 'storeImm', ...s, imm })) },
  { weight: 3, arbitrary: fc.tuple(slot, fc.constantFrom(...VARS, R0)).map(([s, src]): Op => ({ k: 'storeReg', ...s, src })) },
  { weight: 2, arbitrary: fc.tuple(slot, fc.constantFrom(...VARS)).map(([s, dst]): Op => ({ k: 'load', ...s, dst })) },
  { weight: 2, arbitrary: fc.constant<Op>({ k: 'call' }) },
  { weight: 2, arbitrary: fc.constantFrom(...VARS).map((dst): Op => ({ k: 'movR0', dst })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(-8, -16, -24, -32), fc.constantFrom(...VARS)).map(([off, dst]): Op => ({ k: 'escapeLoad', off, dst })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...VARS), nonZero, fc.integer({ min: 1, max: 4 })).map(([reg, imm, skip]): Op => ({ k: 'branch', reg, imm, skip })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...VARS), nonZero).map(([dst, imm]): Op => ({ k: 'add', dst, imm })) },
);

/** A program of `ops`; at the end, when `observe`, every slot is folded into r0. */
function build(ops: readonly Op[], observe: boolean): ProgramItem[] {
  const items: ProgramItem[] = [];
  VARS.forEach((r, i) => items.push(Mov.imm(r, 0x1000 + i)));
  items.push(Mov.imm(R0, 0x77));
  for (const s of [-8, -16, -24, -32]) items.push(StoreImm(R10, s, 0x5a5a5a5a, Size.DW));
  const pending: { label: string; at: number }[] = [];
  ops.forEach((o, i) => {
    for (const p of pending.filter((x) => x.at === i)) items.push(Label(p.label));
    switch (o.k) {
      case 'storeImm': items.push(StoreImm(R10, o.off, o.imm, sizeOf(o.size))); break;
      case 'storeReg': items.push(StoreMem(R10, o.off, o.src, sizeOf(o.size))); break;
      case 'load': items.push(LoadMem(o.dst, R10, o.off, sizeOf(o.size))); break;
      case 'call': items.push(Call.helper(KTIME)); break;
      case 'movR0': items.push(Mov.reg(o.dst, R0)); break;
      case 'escapeLoad': items.push(Mov.reg(R1, R10), Add.imm(R1, o.off), LoadMem(o.dst, R1, 0, Size.DW)); break;
      case 'branch': { const label = `L${i}`; pending.push({ label, at: Math.min(ops.length, i + o.skip) }); items.push(JGT.imm(o.reg, o.imm, label)); break; }
      case 'add': items.push(Add.imm(o.dst, o.imm)); break;
    }
  });
  for (const p of pending.filter((x) => x.at === ops.length)) items.push(Label(p.label));
  items.push(Mov.reg(R0, R6), Xor.reg(R0, R7), Xor.reg(R0, R8), Xor.reg(R0, R9));
  if (observe) for (const s of [-8, -16, -24, -32]) items.push(LoadMem(R1, R10, s, Size.DW), Add.reg(R0, R1));
  items.push(Exit());
  return items;
}

function runItems(items: readonly ProgramItem[]): bigint {
  const insns = resolve(items, { maps: () => ({ fd: 0 }) }).instructions;
  return new Interpreter(insns, { progType: 'xdp' }).run({ data: new Uint8Array(64) }).r0;
}

test('the passes never change what a program computes (interpreter oracle, property)', () => {
  let removed = 0;
  fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 30 }), fc.boolean(), (ops, observe) => {
    const items = build(ops, observe);
    const after = peephole(items);
    removed += items.length - after.length;
    assert.is(runItems(after), runItems(items));
  }), { numRuns: numRuns(300) });
  assert.ok(removed > 0, 'the passes removed something in some program');
});

test.run();
