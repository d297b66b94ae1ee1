import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  Add, And, ArSh, Atomic, BSwap, Call, Div, Exit, JEq, JGE, JGT, JLE, JLT, JNE, JSet, JSGE, JSGT, JSLE, JSLT, Label, LoadAbs, LoadFunc,
  LoadImm64, LoadMapPtr, LoadMem, LoadMemSX, LSh, MayGoto, Mod, Mov, MovSX, Mul, Neg, Or, R0, R1, R2, R3, R4, R6, R8, R9, R10, RSh, SDiv, SMod,
  Size, StoreImm, StoreMem, Sub, ToBE, ToLE, Xor, Ja, helperByName, resolve,
  type AluBuilder, type Instruction, type JumpBuilder, type ProgramItem, type Register,
} from 'ebpf-bytecode-utils';
import { Interpreter, InterpreterError, compileProgram, createMap, decodeProgram, type ProgArrayMap, type SimMap } from '../../verifier-sim/index.js';

const id = (name: string): number => helperByName(name)!.id;
const prog = (items: ProgramItem[]): Instruction[] => resolve(items).instructions;

type Outcome = { r0: string; insns: number; data: string } | { error: string; kind: string; insn: number };

function outcome(insns: Instruction[], compile: boolean, opts: { type?: string; maps?: () => SimMap[]; data?: Uint8Array } = {}): Outcome {
  try {
    const r = new Interpreter(insns, { progType: opts.type ?? 'xdp', maps: opts.maps?.(), compile, maxInstructions: 200_000 }).run({ data: opts.data ?? new Uint8Array(64) });
    return { r0: r.r0.toString(16), insns: r.instructions, data: Buffer.from(r.dataOut).toString('hex') };
  } catch (e) {
    if (!(e instanceof InterpreterError)) throw e;
    // The instruction count at a budget error is per block when compiled; compare kind and message otherwise.
    return e.kind === 'limit' ? { error: 'limit', kind: e.kind, insn: -1 } : { error: e.message, kind: e.kind, insn: e.insn };
  }
}

function same(insns: Instruction[], opts: Parameters<typeof outcome>[2] = {}): Outcome {
  const a = outcome(insns, false, opts);
  const b = outcome(insns, true, opts);
  assert.equal(b, a);
  return a;
}

// ---- a differential property over random programs: loops, calls, stack, atomics, errors ----

const alu: AluBuilder[] = [Add, Sub, Mul, Div, SDiv, Or, And, LSh, RSh, Mod, SMod, Xor, Mov, ArSh];
const jumps: JumpBuilder[] = [JEq, JGT, JGE, JSet, JNE, JSGT, JSGE, JLT, JLE, JSLT, JSLE];
const work = fc.integer({ min: 0, max: 7 }).map((n) => n as Register);
const imm32 = fc.oneof(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.constantFrom(0, 1, -1, 31, 32, 63, 64, 0x7fffffff, -0x80000000));
const sizes = [Size.B, Size.H, Size.W, Size.DW] as const;
const aluInsn: fc.Arbitrary<Instruction> = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: alu.length - 1 }), fc.constantFrom('imm', 'reg', 'imm32', 'reg32'), work, work, imm32).map(([i, form, d, s, imm]) =>
    form === 'imm' ? alu[i].imm(d, imm) : form === 'imm32' ? alu[i].imm32(d, imm) : form === 'reg' ? alu[i].reg(d, s) : alu[i].reg32(d, s),
  ),
  fc.tuple(work, fc.boolean()).map(([d, w]) => (w ? Neg.reg32(d) : Neg.reg(d))),
  fc.tuple(work, work, fc.constantFrom(8, 16, 32) as fc.Arbitrary<8 | 16 | 32>, fc.boolean()).map(([d, s, bits, w]) => (w && bits !== 32 ? MovSX.reg32(d, s, bits) : MovSX.reg(d, s, bits))),
  fc.tuple(work, fc.constantFrom(16, 32, 64) as fc.Arbitrary<16 | 32 | 64>, fc.constantFrom(0, 1, 2)).map(([d, bits, k]) => (k === 0 ? ToLE(d, bits) : k === 1 ? ToBE(d, bits) : BSwap(d, bits))),
);
const memInsn: fc.Arbitrary<Instruction> = fc.oneof(
  fc.tuple(fc.constantFrom(...sizes), fc.integer({ min: -72, max: 4 }), work).map(([sz, off, r]) => StoreMem(R10, off, r, sz)),
  fc.tuple(fc.constantFrom(...sizes), fc.integer({ min: -72, max: 4 }), imm32).map(([sz, off, v]) => StoreImm(R10, off, v, sz)),
  fc.tuple(fc.constantFrom(...sizes), fc.integer({ min: -72, max: 4 }), work).map(([sz, off, r]) => LoadMem(r, R10, off, sz)),
  fc.tuple(fc.constantFrom(Size.B, Size.H, Size.W), fc.integer({ min: -72, max: 4 }), work).map(([sz, off, r]) => LoadMemSX(r, R10, off, sz)),
  fc.tuple(fc.constantFrom(Size.W, Size.DW), fc.constantFrom('add', 'fetchOr', 'fetchXor', 'xchg', 'cmpxchg') as fc.Arbitrary<'add' | 'fetchOr' | 'fetchXor' | 'xchg' | 'cmpxchg'>, fc.integer({ min: 1, max: 8 }), work).map(([sz, op, k, r]) => Atomic[op](R10, -8 * k, r, sz)),
  fc.tuple(work, work).map(([d, s]) => LoadMem(d, s, 0, Size.W)), // usually a scalar dereference
);
const jumpInsn = fc.tuple(fc.integer({ min: 0, max: jumps.length - 1 }), fc.constantFrom('imm', 'reg', 'imm32', 'reg32'), work, work, imm32).map(([i, form, d, s, imm]) =>
  form === 'imm' ? jumps[i].imm(d, imm, 1) : form === 'imm32' ? jumps[i].imm32(d, imm, 1) : form === 'reg' ? jumps[i].reg(d, s, 1) : jumps[i].reg32(d, s, 1),
);
const step = fc.oneof({ arbitrary: aluInsn.map((x) => [x]), weight: 4 }, { arbitrary: memInsn.map((x) => [x]), weight: 2 }, { arbitrary: fc.tuple(jumpInsn, aluInsn), weight: 1 });
const body = fc.array(step, { minLength: 1, maxLength: 16 }).map((s) => s.flat());
const inits = fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 8, maxLength: 8 });

const program: fc.Arbitrary<Instruction[]> = fc.tuple(inits, body, fc.constantFrom('straight', 'loop', 'may_goto', 'call'), fc.integer({ min: 1, max: 12 })).map(([init, b, shape, n]) => {
  const pre: ProgramItem[] = [];
  init.forEach((v, r) => pre.push(LoadImm64(r as Register, v)));
  for (let off = -8; off >= -64; off -= 8) pre.push(StoreImm(R10, off, off, Size.DW));
  const dump: ProgramItem[] = [LoadMem(R8, R10, -8, Size.DW), Xor.reg(R0, R8), LoadMem(R8, R10, -40, Size.DW), Add.reg(R0, R8), Exit()];
  if (shape === 'straight') return prog([...pre, ...b, ...dump]);
  if (shape === 'loop') return prog([...pre, Mov.imm(R9, n), Label('l'), ...b, Sub.imm(R9, 1), JNE.imm(R9, 0, 'l'), ...dump]);
  if (shape === 'may_goto') return prog([...pre, Label('l'), MayGoto('out'), ...b, Ja('l'), Label('out'), ...dump]);
  return prog([...pre, Call.subprog('f'), Call.subprog('f'), ...dump, Label('f'), ...b, StoreImm(R10, -8, 5, Size.DW), Exit()]);
});

test('compiled and interpreted runs agree on random programs (values, instruction counts, errors)', () => {
  fc.assert(
    fc.property(program, (insns) => {
      same(insns);
    }),
    { numRuns: 300 },
  );
});

test('compiled: bpf_loop callbacks, tail calls, maps and LD_ABS behave as interpreted', () => {
  const loop = prog([
    StoreImm(R10, -8, 0, Size.DW), Mov.imm(R1, 100), LoadFunc(R2, 'cb'), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 0), Mov.imm(R6, 66),
    Call.helper(id('bpf_loop')), LoadMem(R1, R10, -8, Size.DW), Add.reg(R0, R1), Add.reg(R0, R6), Exit(),
    Label('cb'), LoadMem(R3, R2, 0, Size.DW), Add.reg(R3, R1), StoreMem(R2, 0, R3, Size.DW), Mov.imm(R0, 0), JNE.imm(R1, 9, 'ret'), Mov.imm(R0, 1), Label('ret'), Exit(),
  ]);
  assert.is((same(loop) as { r0: string }).r0, (10 + 45 + 66).toString(16));

  const tailMaps = () => {
    const pa = createMap({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 2 }) as ProgArrayMap;
    pa.setProgram(1, [Mov.imm(R0, 42), Exit()]);
    return [pa];
  };
  for (const index of [0, 1, 5]) same([Mov.imm(R0, 1), LoadMapPtr(R2, 0), Mov.imm(R3, index), Call.helper(id('bpf_tail_call')), Mov.imm(R0, 7), Exit()], { maps: tailMaps });

  const counter = () => [createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8 })];
  const maps = prog([
    Mov.imm(R6, 20), Label('l'), Mov.reg(R1, R6), And.imm(R1, 3), StoreMem(R10, -4, R1, Size.W), LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -4),
    Call.helper(id('bpf_map_lookup_elem')), JEq.imm(R0, 0, 'ins'), Mov.imm(R1, 1), Atomic.add(R0, 0, R1, Size.DW), Ja('next'),
    Label('ins'), StoreImm(R10, -16, 100, Size.DW), LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -4), Mov.reg(R3, R10), Add.imm(R3, -16), Mov.imm(R4, 0), Call.helper(id('bpf_map_update_elem')),
    Label('next'), Sub.imm(R6, 1), JNE.imm(R6, 0, 'l'), StoreImm(R10, -4, 2, Size.W), LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -4), Call.helper(id('bpf_map_lookup_elem')),
    JEq.imm(R0, 0, 'out'), LoadMem(R0, R0, 0, Size.DW), Label('out'), Exit(),
  ]);
  assert.is((same(maps, { maps: counter }) as { r0: string }).r0, (104).toString(16));

  const frame = new Uint8Array(40).map((_, i) => i);
  for (const k of [0, 10, 30, -0x200000 + 12]) same([Mov.reg(R6, R1), LoadAbs(Size.H, k), Mov.reg(R1, R0), Mov.imm(R0, 1), Add.reg(R0, R1), Exit()], { type: 'socket_filter', data: frame });
});

test('compiled: budget exhaustion, unknown helpers and invalid slots are the same errors', () => {
  const spin = prog([Label('l'), Ja('l'), Exit()]);
  assert.equal(same(spin), { error: 'limit', kind: 'limit', insn: -1 });
  same([Call.helper(id('bpf_skb_vlan_push')), Exit()]);
  same([Ja(1), LoadImm64(R0, 1n), Exit()]);
  same([Mov.imm(R0, 1)]);
});

test('compiled code is cached per program', () => {
  const p = decodeProgram([Mov.imm(R0, 1), Exit()]);
  assert.is(compileProgram(p), compileProgram(p));
  void [R4];
});

test.run();
