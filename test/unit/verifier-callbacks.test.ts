/**
 * Callbacks in the offline verifier: `bpf_loop` and `bpf_for_each_map_elem` with their callback
 * subprograms, `ld_imm64` of a subprogram address (`BPF_PSEUDO_FUNC`), BTF func_info and its
 * structural checks. Each row carries the Linux 6.18 verifier's verdict, first error line and
 * (where the simulator counts the same) processed-instruction count;
 * `test/kernel/verifier-callbacks-vs-kernel.test.ts` loads every row into the live kernel with
 * the same func_info and compares. This file checks `verify()` against the rows, and the
 * interpreter on accepted rows that say what they return.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Add, And, Call, Exit, JEq, JGT, Label, LoadFunc, LoadMapPtr, LoadMem, Mov, R0, R1, R2, R3, R4, R5, R6, R10, Size, StoreImm, StoreMem, resolve, type Instruction, type ProgramItem,
} from 'ebpf-bytecode-utils';
import { verify, type FuncInfo, type MapSpec } from '../../verifier-sim/verifier/index.js';
import { toSlots } from '../../verifier-sim/verifier/program-slots.js';
import { Interpreter } from '../../verifier-sim/interpreter/index.js';
import { createMap } from '../../verifier-sim/interpreter/maps/create-map.js';

/** One row: a program with callbacks and what the kernel says about it. */
export interface CallbackCase {
  /** Unique row name. */
  readonly name: string;
  /** Program type name. */
  readonly progType: string;
  /** Maps; `ld_imm64` map references use their index. */
  readonly maps?: readonly MapSpec[];
  /** The program. */
  readonly insns: readonly Instruction[];
  /** func_info records; by default one static `FUNC` per subprogram ({@link defaultFuncInfo}). */
  readonly funcInfo?: readonly FuncInfo[];
  /** Map contents before a run: [map index, key bytes, value bytes]. */
  readonly mapInit?: readonly (readonly [number, readonly number[], readonly number[]])[];
  /** The kernel's verdict. */
  readonly verdict: 'accept' | 'reject';
  /** The kernel's first error line (null when accepted). */
  readonly error: string | null;
  /** The kernel's processed-instruction count, where the simulator counts the same. */
  readonly processed?: number;
  /** For accepted rows: what a run on a 64-byte zero packet returns (BPF_PROG_TEST_RUN's retval). */
  readonly returns?: number;
}

/** Subprogram starts of a program (slot indexes): 0 and every bpf-to-bpf call or `ld_imm64` of a subprogram target. */
export function subprogStarts(insns: readonly Instruction[]): number[] {
  const slots = toSlots(insns);
  const starts = new Set([0]);
  slots.forEach((s, i) => {
    if ((s.code === 0x85 && s.src === 1) || (s.code === 0x18 && s.src === 4)) starts.add(i + s.imm + 1);
  });
  return [...starts].sort((a, b) => a - b);
}

/** One static `FUNC` per subprogram, type ids 4, 5, … (as the kernel test's BTF numbers them). */
export function defaultFuncInfo(insns: readonly Instruction[]): FuncInfo[] {
  return subprogStarts(insns).map((insnOff, i) => ({ insnOff, typeId: 4 + i, linkage: 'static' }));
}

const p = (...items: ProgramItem[]): Instruction[] => resolve(items).instructions;
const ARRAY8: MapSpec = { type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 };
const HASH8: MapSpec = { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8 };
const RINGBUF: MapSpec = { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 };

/** `bpf_loop(n, cb, ctx, 0)` with ctx = NULL, or fp-8 when `stackCtx`. */
const loop = (n: number, stackCtx = false): ProgramItem[] => [
  Mov.imm(R1, n),
  LoadFunc(R2, 'cb'),
  ...(stackCtx ? [Mov.reg(R3, R10), Add.imm(R3, -8)] : [Mov.imm(R3, 0)]),
  Mov.imm(R4, 0),
  Call.helper(181),
];
/** `bpf_for_each_map_elem(map[0], cb, NULL, 0)`. */
const forEach = (): ProgramItem[] => [LoadMapPtr(R1, 0), LoadFunc(R2, 'cb'), Mov.imm(R3, 0), Mov.imm(R4, 0), Call.helper(164)];
const ret0: ProgramItem[] = [Mov.imm(R0, 0), Exit()];
const cb = (...body: ProgramItem[]): ProgramItem[] => [Label('cb'), ...body];

/** The rows. */
export const callbackCases: readonly CallbackCase[] = [
  // --- bpf_loop ---
  { name: 'bpf_loop with a callback returning 0', progType: 'socket_filter', insns: p(...loop(4), ...ret0, ...cb(...ret0)), verdict: 'accept', error: null, processed: 10, returns: 0 },
  { name: 'bpf_loop returns the iteration count', progType: 'socket_filter', insns: p(...loop(7), Exit(), ...cb(...ret0)), verdict: 'accept', error: null, processed: 9, returns: 7 },
  { name: 'bpf_loop callback returning 1 stops early', progType: 'socket_filter', insns: p(...loop(7), Exit(), ...cb(Mov.imm(R0, 1), Exit())), verdict: 'accept', error: null, processed: 9, returns: 1 },
  { name: 'bpf_loop callback returning 2', progType: 'socket_filter', insns: p(...loop(4), ...ret0, ...cb(Mov.imm(R0, 2), Exit())), verdict: 'reject', error: 'At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]', processed: 9 },
  { name: 'bpf_loop callback returning -1', progType: 'socket_filter', insns: p(...loop(4), ...ret0, ...cb(Mov.imm(R0, -1), Exit())), verdict: 'reject', error: 'At callback return the register R0 has smin=-1 smax=-1 should have been in [0, 1]', processed: 9 },
  { name: 'bpf_loop callback returning a random number', progType: 'socket_filter', insns: p(...loop(4), ...ret0, ...cb(Call.helper(7), Exit())), verdict: 'reject', error: 'At callback return the register R0 has unknown scalar value should have been in [0, 1]', processed: 9 },
  { name: 'bpf_loop callback returning its index', progType: 'socket_filter', insns: p(...loop(4), ...ret0, ...cb(Mov.reg(R0, R1), Exit())), verdict: 'reject', error: 'At callback return the register R0 has unknown scalar value should have been in [0, 1]', processed: 9 },
  { name: 'bpf_loop callback returning a stack pointer', progType: 'socket_filter', insns: p(...loop(4), ...ret0, ...cb(Mov.reg(R0, R10), Exit())), verdict: 'reject', error: 'cannot return stack pointer to the caller', processed: 9 },
  { name: 'bpf_loop callback returning its ctx pointer', progType: 'socket_filter', insns: p(StoreImm(R10, -8, 0, Size.DW), ...loop(4, true), ...ret0, ...cb(Mov.reg(R0, R2), Exit())), verdict: 'reject', error: 'cannot return stack pointer to the caller', processed: 11 },
  { name: 'bpf_loop callback without R0', progType: 'socket_filter', insns: p(...loop(4), ...ret0, ...cb(Exit())), verdict: 'reject', error: 'R0 not a scalar value', processed: 8 },
  { name: 'bpf_loop callback reading the NULL ctx', progType: 'socket_filter', insns: p(...loop(4), ...ret0, ...cb(LoadMem(R0, R2, 0, Size.DW), ...ret0)), verdict: 'reject', error: "R2 invalid mem access 'scalar'", processed: 8 },
  { name: 'bpf_loop callback reading R3', progType: 'socket_filter', insns: p(...loop(4), ...ret0, ...cb(Mov.reg(R0, R3), Exit())), verdict: 'reject', error: 'R3 !read_ok', processed: 8 },
  { name: 'bpf_loop callback reading R6', progType: 'socket_filter', insns: p(Mov.imm(R6, 0), ...loop(4), ...ret0, ...cb(Mov.reg(R0, R6), Exit())), verdict: 'reject', error: 'R6 !read_ok', processed: 9 },
  {
    name: 'bpf_loop callback counting in a stack ctx',
    progType: 'socket_filter',
    insns: p(StoreImm(R10, -8, 0, Size.DW), ...loop(5, true), LoadMem(R0, R10, -8, Size.DW), Exit(), ...cb(LoadMem(R3, R2, 0, Size.DW), Add.imm(R3, 1), StoreMem(R2, 0, R3, Size.DW), ...ret0)),
    verdict: 'accept',
    error: null, processed: 23,
    returns: 5,
  },
  {
    // A root loader may read uninitialised stack (allow_uninit_stack).
    name: 'bpf_loop callback reading an uninitialised stack ctx',
    progType: 'socket_filter',
    insns: p(...loop(5, true), ...ret0, ...cb(LoadMem(R3, R2, 0, Size.DW), ...ret0)),
    verdict: 'accept',
    error: null, processed: 12,
    returns: 0,
  },
  {
    name: 'bpf_loop callback storing its index in the ctx',
    progType: 'socket_filter',
    insns: p(StoreImm(R10, -8, 0, Size.DW), ...loop(6, true), LoadMem(R0, R10, -8, Size.DW), Exit(), ...cb(StoreMem(R2, 0, R1, Size.DW), ...ret0)),
    verdict: 'accept',
    error: null, processed: 19,
    returns: 5,
  },
  { name: 'bpf_loop with an unknown count', progType: 'socket_filter', insns: p(LoadMem(R1, R1, 0, Size.W), LoadFunc(R2, 'cb'), Mov.imm(R3, 0), Mov.imm(R4, 0), Call.helper(181), ...ret0, ...cb(...ret0)), verdict: 'accept', error: null, processed: 10, returns: 0 },
  { name: 'bpf_loop with zero iterations', progType: 'socket_filter', insns: p(...loop(0), Exit(), ...cb(Mov.imm(R0, 3), Exit())), verdict: 'accept', error: null, processed: 6, returns: 0 },
  { name: 'bpf_loop with a scalar instead of a callback', progType: 'socket_filter', insns: p(Mov.imm(R1, 4), Mov.imm(R2, 0), Mov.imm(R3, 0), Mov.imm(R4, 0), Call.helper(181), ...ret0), verdict: 'reject', error: 'R2 type=scalar expected=func', processed: 5 },
  { name: 'bpf_loop with a map value ctx', progType: 'socket_filter', maps: [ARRAY8], insns: p(StoreImm(R10, -4, 0, Size.W), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapPtr(R1, 0), Call.helper(1), JGT.imm(R0, 0, 'ok'), ...ret0, Label('ok'), Mov.reg(R3, R0), Mov.imm(R1, 2), LoadFunc(R2, 'cb'), Mov.imm(R4, 0), Call.helper(181), ...ret0, ...cb(...ret0)), verdict: 'reject', error: 'R3 type=map_value expected=fp', processed: 13 },
  {
    name: 'nested bpf_loop',
    progType: 'socket_filter',
    insns: p(...loop(3), ...ret0, Label('cb'), Mov.imm(R1, 2), LoadFunc(R2, 'inner'), Mov.imm(R3, 0), Mov.imm(R4, 0), Call.helper(181), ...ret0, Label('inner'), ...ret0),
    verdict: 'accept',
    error: null, processed: 18,
    returns: 0,
  },
  { name: 'bpf_loop callback branching on its index', progType: 'socket_filter', insns: p(...loop(8), Exit(), ...cb(Mov.imm(R0, 0), JGT.imm(R1, 5, 'stop'), Exit(), Label('stop'), Mov.imm(R0, 1), Exit())), verdict: 'accept', error: null, processed: 13, returns: 7 },
  // skb->len of a 64-byte test run packet is 50 (the Ethernet header is pulled): 50 & 7 = 2 iterations.
  { name: 'bpf_loop with a masked count', progType: 'socket_filter', insns: p(LoadMem(R1, R1, 0, Size.W), And.imm(R1, 7), LoadFunc(R2, 'cb'), Mov.imm(R3, 0), Mov.imm(R4, 0), Call.helper(181), Exit(), ...cb(...ret0)), verdict: 'accept', error: null, processed: 10, returns: 2 },
  {
    name: 'bpf_loop callback calling a subprogram',
    progType: 'socket_filter',
    insns: p(...loop(3), Exit(), ...cb(Mov.reg(R1, R1), Call.subprog('half'), Exit()), Label('half'), Mov.imm(R0, 0), Exit()),
    verdict: 'accept',
    error: null, processed: 12,
    returns: 3,
  },
  {
    name: 'bpf_loop callback with a map lookup',
    progType: 'socket_filter',
    maps: [ARRAY8],
    insns: p(...loop(3), ...ret0, ...cb(StoreImm(R10, -4, 1, Size.W), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapPtr(R1, 0), Call.helper(1), JEq.imm(R0, 0, 'none'), LoadMem(R0, R0, 0, Size.DW), Label('none'), ...ret0)),
    verdict: 'accept',
    error: null, processed: 20,
    returns: 0,
  },
  {
    name: 'bpf_loop callback without a null check',
    progType: 'socket_filter',
    maps: [ARRAY8],
    insns: p(...loop(3), ...ret0, ...cb(Mov.reg(R2, R10), Add.imm(R2, -4), StoreImm(R10, -4, 9, Size.W), LoadMapPtr(R1, 0), Call.helper(1), LoadMem(R0, R0, 0, Size.DW), ...ret0)),
    verdict: 'reject',
    error: "R0 invalid mem access 'map_value_or_null'", processed: 13,
  },
  {
    // The counter stays precise (it feeds pointer arithmetic), so the callback is visited 7 times.
    name: 'bpf_loop counter bounded in the callback',
    progType: 'socket_filter',
    insns: p(StoreImm(R10, -8, 0, Size.DW), StoreImm(R10, -16, 0, Size.DW), ...loop(20, true), ...ret0, ...cb(LoadMem(R3, R2, 0, Size.DW), JGT.imm(R3, 6, 'stop'), Add.imm(R3, 1), StoreMem(R2, 0, R3, Size.DW), Mov.reg(R4, R2), Add.imm(R4, -8), Add.reg(R4, R3), StoreImm(R4, 0, 1, Size.B), ...ret0, Label('stop'), Mov.imm(R0, 1), Exit())),
    verdict: 'accept',
    error: null, processed: 106,
    returns: 0,
  },
  {
    name: 'for_each with a stack ctx counting elements',
    progType: 'socket_filter',
    maps: [ARRAY8],
    insns: p(StoreImm(R10, -8, 0, Size.DW), LoadMapPtr(R1, 0), LoadFunc(R2, 'cb'), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 0), Call.helper(164), LoadMem(R0, R10, -8, Size.DW), Exit(), ...cb(LoadMem(R1, R4, 0, Size.DW), Add.imm(R1, 1), StoreMem(R4, 0, R1, Size.DW), ...ret0)),
    verdict: 'accept',
    error: null, processed: 23,
    returns: 4,
  },
  // --- bpf_for_each_map_elem ---
  { name: 'for_each over an array with a callback returning 0', progType: 'socket_filter', maps: [ARRAY8], insns: p(...forEach(), Exit(), ...cb(...ret0)), verdict: 'accept', error: null, processed: 9, returns: 4 },
  { name: 'for_each callback reading key and value', progType: 'socket_filter', maps: [ARRAY8], insns: p(...forEach(), ...ret0, ...cb(LoadMem(R0, R2, 0, Size.W), LoadMem(R0, R3, 0, Size.DW), ...ret0)), verdict: 'accept', error: null, processed: 12, returns: 0 },
  { name: 'for_each callback writing the value', progType: 'socket_filter', maps: [ARRAY8], insns: p(...forEach(), ...ret0, ...cb(StoreImm(R3, 0, 7, Size.DW), ...ret0)), verdict: 'accept', error: null, processed: 11, returns: 0 },
  { name: 'for_each callback writing the key', progType: 'socket_filter', maps: [ARRAY8], insns: p(...forEach(), ...ret0, ...cb(StoreImm(R2, 0, 7, Size.W), ...ret0)), verdict: 'reject', error: 'write to change key R2 not allowed', processed: 8 },
  { name: 'for_each callback reading past the key', progType: 'socket_filter', maps: [ARRAY8], insns: p(...forEach(), ...ret0, ...cb(LoadMem(R0, R2, 0, Size.DW), ...ret0)), verdict: 'reject', error: 'invalid access to map key, key_size=4 off=0 size=8', processed: 8 },
  { name: 'for_each callback reading past the value', progType: 'socket_filter', maps: [ARRAY8], insns: p(...forEach(), ...ret0, ...cb(LoadMem(R0, R3, 4, Size.DW), ...ret0)), verdict: 'reject', error: 'invalid access to map value, value_size=8 off=4 size=8', processed: 8 },
  { name: 'for_each callback looking up its key', progType: 'socket_filter', maps: [HASH8], insns: p(...forEach(), ...ret0, ...cb(LoadMapPtr(R1, 0), Call.helper(1), ...ret0)), verdict: 'accept', error: null, processed: 12, returns: 0 },
  { name: 'for_each callback returning 2', progType: 'socket_filter', maps: [HASH8], insns: p(...forEach(), ...ret0, ...cb(Mov.imm(R0, 2), Exit())), verdict: 'reject', error: 'At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]', processed: 9 },
  { name: 'for_each over a hash map counts its elements', progType: 'socket_filter', maps: [HASH8], mapInit: [[0, [1, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0]], [0, [2, 0, 0, 0], [2, 0, 0, 0, 0, 0, 0, 0]]], insns: p(...forEach(), Exit(), ...cb(...ret0)), verdict: 'accept', error: null, processed: 9, returns: 2 },
  { name: 'for_each over a ring buffer', progType: 'socket_filter', maps: [RINGBUF], insns: p(...forEach(), ...ret0, ...cb(...ret0)), verdict: 'reject', error: 'callback function not allowed for map', processed: 5 },
  // --- BPF_PSEUDO_FUNC and func_info ---
  { name: 'callback address without func_info', progType: 'socket_filter', funcInfo: [], insns: p(...loop(4), ...ret0, ...cb(...ret0)), verdict: 'reject', error: 'missing btf func_info', processed: 2 },
  { name: 'global callback', progType: 'socket_filter', funcInfo: [{ insnOff: 0, typeId: 4, linkage: 'global' }, { insnOff: 8, typeId: 5, linkage: 'global' }], insns: p(...loop(4), ...ret0, ...cb(...ret0)), verdict: 'reject', error: 'callback function not static', processed: 2 },
  { name: 'func_info not starting at 0', progType: 'socket_filter', funcInfo: [{ insnOff: 1, typeId: 4 }, { insnOff: 8, typeId: 5 }], insns: p(...loop(4), ...ret0, ...cb(...ret0)), verdict: 'reject', error: 'nonzero insn_off 1 for the first func info record' },
  { name: 'func_info offsets not ascending', progType: 'socket_filter', funcInfo: [{ insnOff: 0, typeId: 4 }, { insnOff: 0, typeId: 5 }], insns: p(...loop(4), ...ret0, ...cb(...ret0)), verdict: 'reject', error: 'same or smaller insn offset (0) than previous func info record (0)' },
  { name: 'func_info with too few records', progType: 'socket_filter', funcInfo: [{ insnOff: 0, typeId: 4 }], insns: p(...loop(4), ...ret0, ...cb(...ret0)), verdict: 'reject', error: "number of funcs in func_info doesn't match number of subprogs" },
  { name: 'func_info off the subprogram layout', progType: 'socket_filter', funcInfo: [{ insnOff: 0, typeId: 4 }, { insnOff: 9, typeId: 5 }], insns: p(...loop(4), ...ret0, ...cb(...ret0)), verdict: 'reject', error: "func_info BTF section doesn't match subprog layout in BPF program" },
  { name: 'plain subprogram call with func_info', progType: 'socket_filter', insns: p(Mov.imm(R1, 3), Call.subprog('f'), Exit(), Label('f'), Mov.reg(R0, R1), Exit()), verdict: 'accept', error: null, processed: 5, returns: 3 },
];

/** The func_info a row is loaded with. */
export function caseFuncInfo(c: CallbackCase): readonly FuncInfo[] {
  return c.funcInfo ?? defaultFuncInfo(c.insns);
}

test('case names are unique and both verdicts are represented', () => {
  const names = new Set(callbackCases.map((c) => c.name));
  assert.is(names.size, callbackCases.length);
  assert.ok(callbackCases.filter((c) => c.verdict === 'accept').length >= 10);
  assert.ok(callbackCases.filter((c) => c.verdict === 'reject').length >= 10);
});

for (const c of callbackCases) {
  test(`callback case: ${c.name}`, () => {
    const r = verify(c.insns, { progType: c.progType, maps: c.maps, funcInfo: caseFuncInfo(c) });
    assert.is(r.error, c.error, 'error line');
    assert.is(r.verdict, c.verdict, 'verdict');
    if (c.processed !== undefined) assert.is(r.processed, c.processed, 'processed');
  });
}

for (const c of callbackCases.filter((r) => r.returns !== undefined)) {
  // `returns` is checked against BPF_PROG_TEST_RUN by the kernel test; here both interpreter tiers run the row.
  test(`interpreter runs callback case: ${c.name}`, () => {
    for (const compile of [false, true]) {
      const maps = (c.maps ?? []).map((m) => createMap(m));
      for (const [m, key, value] of c.mapInit ?? []) maps[m].set(Uint8Array.from(key), Uint8Array.from(value));
      const run = new Interpreter(c.insns, { progType: c.progType, maps, compile }).run({ data: new Uint8Array(64) });
      assert.is(Number(run.retval), c.returns, `compile=${compile}`);
    }
  });
}

test('bpf_loop calls the callback with its index and ctx, in both tiers', () => {
  // ctx = fp-8; the callback adds its index to *ctx: 0 + 1 + … + 9 = 45.
  const insns = p(StoreImm(R10, -8, 0, Size.DW), ...loop(10, true), LoadMem(R0, R10, -8, Size.DW), Exit(), ...cb(LoadMem(R3, R2, 0, Size.DW), Add.reg(R3, R1), StoreMem(R2, 0, R3, Size.DW), ...ret0));
  assert.is(verify(insns, { progType: 'socket_filter', funcInfo: defaultFuncInfo(insns) }).verdict, 'accept');
  for (const compile of [false, true]) assert.is(new Interpreter(insns, { progType: 'socket_filter', compile }).run({ data: new Uint8Array(64) }).retval, 45n, `compile=${compile}`);
});

test('bpf_for_each_map_elem passes key, value and ctx, and stores through the value change the map', () => {
  // The callback adds *key to *ctx and sets *value = *key * 2.
  const insns = p(
    StoreImm(R10, -8, 0, Size.DW), LoadMapPtr(R1, 0), LoadFunc(R2, 'cb'), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 0), Call.helper(164), LoadMem(R0, R10, -8, Size.DW), Exit(),
    ...cb(LoadMem(R1, R2, 0, Size.W), LoadMem(R5, R4, 0, Size.DW), Add.reg(R5, R1), StoreMem(R4, 0, R5, Size.DW), Add.reg(R1, R1), StoreMem(R3, 0, R1, Size.DW), ...ret0),
  );
  assert.is(verify(insns, { progType: 'socket_filter', maps: [ARRAY8], funcInfo: defaultFuncInfo(insns) }).verdict, 'accept');
  for (const compile of [false, true]) {
    const map = createMap(ARRAY8);
    assert.is(new Interpreter(insns, { progType: 'socket_filter', maps: [map], compile }).run({ data: new Uint8Array(64) }).retval, 6n, `compile=${compile}`);
    assert.equal([...map.entries()].map(([, v]) => new DataView(v.buffer).getBigUint64(0, true)), [0n, 2n, 4n, 6n]);
  }
});

test('verify() rejects func_info that does not match the program with the kernel\'s messages', () => {
  const insns = p(Mov.imm(R1, 3), Call.subprog('f'), Exit(), Label('f'), Mov.reg(R0, R1), Exit());
  assert.is(verify(insns, { progType: 'socket_filter', funcInfo: [{ insnOff: 0, typeId: 0 }, { insnOff: 3, typeId: 5 }] }).error, 'invalid type id 0 in func info');
  assert.is(verify(insns, { progType: 'socket_filter', funcInfo: [{ insnOff: 0, typeId: 4 }, { insnOff: 3, typeId: 5 }, { insnOff: 4, typeId: 6 }] }).error, "number of funcs in func_info doesn't match number of subprogs");
  assert.is(verify(insns, { progType: 'socket_filter', funcInfo: defaultFuncInfo(insns) }).verdict, 'accept');
  // The kernel verifies a global function on its own ("Func#1 ('f1') is global and assumed valid."): not modelled, said so.
  assert.is(verify(insns, { progType: 'socket_filter', funcInfo: [{ insnOff: 0, typeId: 4 }, { insnOff: 3, typeId: 5, linkage: 'global' }] }).error, 'calls of global functions are not simulated');
});

test.run();
