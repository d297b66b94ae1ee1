import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Add, Call, Exit, Gotol, Ja, JEq, JGT, JNE, JSGT, JSLT, JSet, Label, LoadFunc, LoadImm64, LoadMapPtr, LoadMem, MayGoto, Mov, R0, R1, R2, R3, R4,
  R6, R7, R8, R9, R10, Size, StoreImm, StoreMem, Sub, helperByName, resolve, type Instruction, type ProgramItem,
} from 'ebpf-bytecode-utils';
import { Interpreter, InterpreterError, MAX_LOOPS, MAY_GOTO_BUDGET, createMap, type ProgArrayMap } from '../../verifier-sim/index.js';

const id = (name: string): number => {
  const h = helperByName(name);
  if (h === undefined) throw new Error(name);
  return h.id;
};
const prog = (items: ProgramItem[]): Instruction[] => resolve(items).instructions;
const r0 = (insns: Instruction[], opts: { maps?: ReturnType<typeof createMap>[]; max?: number } = {}) =>
  new Interpreter(insns, { progType: 'raw_tracepoint', maps: opts.maps, maxInstructions: opts.max }).run().r0;

const jumpRows: [string, Instruction, bigint, boolean][] = [
  ['jeq 64 compares all bits', JEq.imm(R1, -1, 'yes'), 0xffffffffn, false],
  ['jeq imm sign-extends', JEq.imm(R1, -1, 'yes'), 0xffffffffffffffffn, true],
  ['jeq32 compares the low half', JEq.imm32(R1, -1, 'yes'), 0x12345678ffffffffn, true],
  ['jgt unsigned', JGT.imm(R1, 5, 'yes'), 0xffffffffffffffffn, true],
  ['jsgt signed', JSGT.imm(R1, 5, 'yes'), 0xffffffffffffffffn, false],
  ['jslt signed', JSLT.imm(R1, 0, 'yes'), 0x8000000000000000n, true],
  ['jgt32 ignores the high half', JGT.imm32(R1, 5, 'yes'), 0xffffffff00000001n, false],
  ['jsgt32 signed low half', JSGT.imm32(R1, 0, 'yes'), 0x00000000ffffffffn, false],
  ['jset any common bit', JSet.imm(R1, 0x10, 'yes'), 0x30n, true],
  ['jset in the high half (64)', JSet.reg(R1, R2, 'yes'), 0x100000000n, true],
  ['jne', JNE.reg(R1, R2, 'yes'), 0x100000000n, false],
];
for (const [name, jump, value, taken] of jumpRows) {
  test(`jump: ${name}`, () => {
    const r = r0(prog([LoadImm64(R1, value), LoadImm64(R2, 0x100000000n), Mov.imm(R0, 0), jump, Exit(), Label('yes'), Mov.imm(R0, 1), Exit()]));
    assert.is(r, taken ? 1n : 0n);
  });
}

test('ja and gotol jump relative to the next slot (ld_imm64 counts two)', () => {
  assert.is(r0(prog([Mov.imm(R0, 1), Ja('x'), LoadImm64(R0, 5n), Label('x'), Exit()])), 1n);
  assert.is(r0(prog([Mov.imm(R0, 1), Gotol('x'), Mov.imm(R0, 2), Label('x'), Exit()])), 1n);
});

test('a loop counts down', () => {
  assert.is(r0(prog([Mov.imm(R0, 0), Mov.imm(R1, 10), Label('l'), Add.reg(R0, R1), Sub.imm(R1, 1), JNE.imm(R1, 0, 'l'), Exit()])), 55n);
});

test('may_goto falls through BPF_MAX_LOOPS times, then jumps', () => {
  const insns = prog([Mov.imm(R0, 0), Label('l'), MayGoto('done'), Add.imm(R0, 1), Ja('l'), Label('done'), Exit()]);
  assert.is(r0(insns), BigInt(MAY_GOTO_BUDGET));
});

test('the instruction budget stops an endless loop with a limit error', () => {
  try {
    r0(prog([Label('l'), Ja('l'), Exit()]), { max: 1000 });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, InterpreterError);
    assert.is((e as InterpreterError).kind, 'limit');
  }
});

test('falling off the end or jumping into a ld_imm64 is an invalid_insn error', () => {
  for (const insns of [[Mov.imm(R0, 0)], [Ja(1), LoadImm64(R0, 1n), Exit()]]) {
    try {
      r0(insns);
      assert.unreachable();
    } catch (e) {
      assert.instance(e, InterpreterError);
      assert.is((e as InterpreterError).kind, 'invalid_insn');
    }
  }
});

test('bpf-to-bpf call: arguments in R1–R5, result in R0, R6–R9 preserved, separate stack', () => {
  const insns = prog([
    Mov.imm(R6, 6), Mov.imm(R7, 7), Mov.imm(R8, 8), Mov.imm(R9, 9),
    StoreImm(R10, -8, 1000, Size.DW),
    Mov.imm(R1, 5), Mov.imm(R2, 3),
    Call.subprog('f'),
    LoadMem(R1, R10, -8, Size.DW),
    Add.reg(R0, R1), Add.reg(R0, R6), Add.reg(R0, R7), Add.reg(R0, R8), Add.reg(R0, R9),
    Exit(),
    Label('f'),
    StoreImm(R10, -8, 1, Size.DW),
    Mov.imm(R6, 0), Mov.imm(R7, 0), Mov.imm(R8, 0), Mov.imm(R9, 0),
    Mov.reg(R0, R1), Sub.reg(R0, R2),
    Exit(),
  ]);
  assert.is(r0(insns), 2n + 1000n + 30n);
});

test('recursion deeper than 8 frames is a limit error', () => {
  try {
    r0(prog([Label('f'), Call.subprog('f'), Exit()]));
    assert.unreachable();
  } catch (e) {
    assert.is((e as InterpreterError).kind, 'limit');
    assert.match((e as Error).message, /8 frames/);
  }
});

test('bpf_loop calls the callback with (i, ctx) until it returns non-zero', () => {
  const insns = prog([
    StoreImm(R10, -8, 0, Size.DW),
    Mov.imm(R1, 100),
    LoadFunc(R2, 'cb'),
    Mov.reg(R3, R10), Add.imm(R3, -8),
    Mov.imm(R4, 0),
    Mov.imm(R6, 66),
    Call.helper(id('bpf_loop')),
    LoadMem(R1, R10, -8, Size.DW),
    StoreMem(R10, -16, R0, Size.DW),
    Mov.reg(R0, R1), Add.reg(R0, R6),
    LoadMem(R1, R10, -16, Size.DW),
    Label('x'),
    StoreMem(R10, -24, R1, Size.DW),
    Exit(),
    Label('cb'),
    LoadMem(R3, R2, 0, Size.DW), Add.reg(R3, R1), StoreMem(R2, 0, R3, Size.DW),
    Mov.imm(R0, 0), JNE.imm(R1, 9, 'ret'), Mov.imm(R0, 1), Label('ret'), Exit(),
  ]);
  const vm = new Interpreter(insns, { progType: 'raw_tracepoint' });
  assert.is(vm.run().r0, 45n + 66n);
  // flags must be 0; nr_loops above BPF_MAX_LOOPS is E2BIG
  const bad = (nr: number, flags: number) =>
    new Interpreter(prog([Mov.imm(R1, nr), LoadFunc(R2, 'cb'), Mov.imm(R3, 0), Mov.imm(R4, flags), Call.helper(id('bpf_loop')), Exit(), Label('cb'), Mov.imm(R0, 0), Exit()]), { progType: 'raw_tracepoint' }).run().r0;
  assert.is(bad(3, 1), BigInt.asUintN(64, -22n));
  assert.is(bad(MAX_LOOPS + 1, 0), BigInt.asUintN(64, -7n));
  assert.is(bad(3, 0), 3n);
});

test('tail calls: jump to the slot, fall through when empty or out of range, stop after 33', () => {
  const pa = createMap({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 }) as ProgArrayMap;
  const tail = (index: number) => [LoadMapPtr(R2, 0), Mov.imm(R3, index), Call.helper(id('bpf_tail_call'))];
  pa.setProgram(1, [Mov.imm(R0, 42), Exit()]);
  const caller = (index: number) => [Mov.imm(R0, 1), ...tail(index), Mov.imm(R0, 7), Exit()];
  assert.is(r0(caller(1), { maps: [pa] }), 42n);
  assert.is(r0(caller(2), { maps: [pa] }), 7n);
  assert.is(r0(caller(99), { maps: [pa] }), 7n);
  // A program that tail-calls itself and counts in a map value: 33 tail calls, then falls through.
  const counter = createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
  const self = prog([
    Mov.reg(R6, R1),
    StoreImm(R10, -4, 0, Size.W), LoadMapPtr(R1, 1), Mov.reg(R2, R10), Add.imm(R2, -4), Call.helper(id('bpf_map_lookup_elem')),
    JEq.imm(R0, 0, 'out'), Mov.imm(R1, 1), StoreMem(R10, -16, R1, Size.DW), LoadMem(R1, R0, 0, Size.DW), Add.imm(R1, 1), StoreMem(R0, 0, R1, Size.DW),
    Mov.reg(R1, R6), LoadMapPtr(R2, 0), Mov.imm(R3, 0), Call.helper(id('bpf_tail_call')),
    Label('out'), Mov.imm(R0, 0), Exit(),
  ]);
  pa.setProgram(0, self);
  const vm = new Interpreter(self, { progType: 'raw_tracepoint', maps: [pa, counter] });
  const res = vm.run();
  assert.is(res.tailCalls, 33);
  assert.is(new DataView(counter.get(new Uint8Array(4))!.buffer).getBigUint64(0, true), 34n);
  void [R4, R9];
});

test('unknown helpers and kfuncs are typed errors naming them', () => {
  try {
    r0([Call.helper(id('bpf_skb_vlan_push')), Exit()]);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, InterpreterError);
    assert.is((e as InterpreterError).kind, 'unknown_helper');
    assert.is((e as InterpreterError).helper, 'bpf_skb_vlan_push');
    assert.is((e as InterpreterError).insn, 0);
  }
  try {
    r0([Call.kfunc(1234), Exit()]);
    assert.unreachable();
  } catch (e) {
    assert.is((e as InterpreterError).kind, 'unknown_helper');
  }
});

test.run();
