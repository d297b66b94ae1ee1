// The LLVM disassembler against LLVM 14 itself: llvm-objdump prints the same text for the same
// bytes, and llvm-mc assembles our text back to the same bytes. Skipped (with the reason printed)
// only where llvm-mc or llvm-objdump is missing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  Add, And, ArSh, Atomic, Call, Div, Exit, JEq, JGE, JGT, JLE, JLT, JNE, JSet, JSGE, JSGT, JSLE, JSLT, Ja,
  LoadAbs, LoadBtfId, LoadFunc, LoadImm64, LoadInd, LoadMapIdx, LoadMapIdxValue, LoadMapPtr, LoadMapValue, LoadMem,
  LSh, Mod, Mov, Mul, Neg, Or, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, RSh, Size, StoreImm, StoreMem, Sub, ToBE, ToLE, Xor,
  decode, encode, makeInstruction, type Instruction, type Register,
} from 'ebpf-bytecode-utils';
import { disassembleLlvm, formatLlvm, LLVM_UNKNOWN } from '../../asm/src/llvm-syntax.js';
import { assembleLlvm, llvmMajor, llvmTools, objdumpLlvmVariants, type LlvmTools, type ObjdumpLine } from '../support/llvm.js';

const found = llvmTools();
const tools: LlvmTools | undefined = typeof found === 'string' ? undefined : found;
const skipReason = typeof found === 'string' ? found : llvmMajor(found) !== 14 ? `the oracle is LLVM 14, found ${found.version}` : undefined;
if (skipReason !== undefined) console.log(`llvm-oracle: skipped: ${skipReason}`);
const oracle = skipReason === undefined ? test : test.skip;

/**
 * How llvm-objdump 14 shows a form:
 * - `llvm14`: `llvm-objdump -d` prints our text;
 * - `alu32`: only `llvm-objdump -d --mattr=+alu32` does (32-bit atomics other than a plain add;
 *   without alu32 they are `<unknown>`, or a fetch-add looks like a plain add).
 */
type Kind = 'llvm14' | 'alu32';

/** A form: its instruction, how LLVM 14 shows it, and whether llvm-mc 14 can parse the text. */
interface Form {
  readonly insn: Instruction;
  readonly kind: Kind;
  /**
   * False where llvm-mc 14 cannot read what llvm-objdump 14 prints: `atomic_fetch_*`, `xchg*`,
   * `cmpxchg*` and `ld_pseudo` (its parser stops at the comma), `callx` ("invalid register");
   * and where the text does not show every field: `skb[rN]` for LD_IND with a non-zero imm, and
   * `call N` for bpf-to-bpf and kfunc calls (src 1 and 2 are not printed).
   */
  readonly asm: boolean;
}

const form = (insn: Instruction, kind: Kind = 'llvm14', asm = true): Form => ({ insn, kind, asm });

const aluOps = [Add, Sub, Mul, Div, Or, And, LSh, RSh, Xor, Mov, ArSh];
const jumpOps = [JEq, JGT, JGE, JNE, JSGT, JSGE, JLT, JLE, JSLT, JSLE];
const sizes = [Size.B, Size.H, Size.W, Size.DW];
const plainAtomics = ['add', 'or', 'and', 'xor'] as const;
const fetchAtomics = ['fetchAdd', 'fetchOr', 'fetchAnd', 'fetchXor', 'xchg', 'cmpxchg'] as const;

/** Every ISA v1–v3 form that LLVM 14 decodes, with awkward operands. */
const table: readonly Form[] = [
  ...aluOps.flatMap((op) => [
    form(op.imm(R1, 22)), form(op.imm(R9, -1)), form(op.imm(R0, -0x80000000)), form(op.imm(R10, 0x7fffffff)),
    form(op.reg(R1, R2)), form(op.reg(R10, R0)),
    form(op.imm32(R1, 22)), form(op.imm32(R3, 0xffffffff)), form(op.reg32(R1, R2)), form(op.reg32(R0, R10)),
  ]),
  form(Neg.reg(R1)), form(Neg.reg32(R7)),
  ...([16, 32, 64] as const).flatMap((b) => [form(ToLE(R1, b)), form(ToBE(R9, b))]),
  ...jumpOps.flatMap((op) => [
    form(op.imm(R1, 5, 3)), form(op.imm(R9, -0x80000000, -0x8000)), form(op.reg(R1, R2, -1)), form(op.reg(R10, R0, 0x7fff)),
    form(op.imm32(R1, 5, 0)), form(op.imm32(R2, 0xffffffff, -3)), form(op.reg32(R1, R2, 7)), form(op.reg32(R0, R10, -0x8000)),
  ]),
  form(Ja(0)), form(Ja(-1)), form(Ja(0x7fff)), form(Ja(-0x8000)),
  form(Call.helper(1)), form(Call.helper(0x7fffffff)),
  // `call -1` whatever src says: llvm-mc reads it back as a helper call (src 0).
  form(Call.subprog(-1), 'llvm14', false), form(Call.subprog(12), 'llvm14', false), form(Call.kfunc(12345, 3), 'llvm14', false),
  form(makeInstruction(0x8d, 0, 0, 0, 2), 'llvm14', false), // callx r2 (LLVM 14 reads the register from imm)
  form(Exit()),
  form(LoadImm64(R1, 0x1122334455667788n)), form(LoadImm64(R0, 0)), form(LoadImm64(R9, -1)), form(LoadImm64(R10, 1n << 63n)),
  form(LoadImm64(R2, 0xffffffff)), form(LoadImm64(R3, 0x100000000n)),
  form(LoadMapPtr(R1, 4), 'llvm14', false), form(LoadMapValue(R2, 5, 16), 'llvm14', false), form(LoadBtfId(R3, 100, 2), 'llvm14', false),
  form(LoadFunc(R4, 6), 'llvm14', false), form(LoadMapIdx(R5, 0), 'llvm14', false), form(LoadMapIdxValue(R6, 1, 8), 'llvm14', false),
  form(LoadMapPtr(R7, -1), 'llvm14', false),
  ...[Size.B, Size.H, Size.W].flatMap((sz) => [form(LoadAbs(sz, 12)), form(LoadAbs(sz, -1)), form(LoadInd(sz, R1, 0)), form(LoadInd(sz, R9, 4), 'llvm14', false)]),
  ...sizes.flatMap((sz) => [
    form(LoadMem(R0, R1, 0, sz)), form(LoadMem(R9, R10, -0x8000, sz)), form(LoadMem(R1, R2, 0x7fff, sz)),
    form(StoreMem(R10, -8, R1, sz)), form(StoreMem(R1, 0x7fff, R0, sz)),
  ]),
  ...[Size.W, Size.DW].flatMap((sz) => [
    form(Atomic.add(R1, 0, R2, sz)), form(Atomic.add(R10, -8, R9, sz)),
    ...plainAtomics.filter((op) => op !== 'add').map((op) => form(Atomic[op](R1, -8, R2, sz), sz === Size.W ? 'alu32' : 'llvm14')),
    ...fetchAtomics.map((op) => form(Atomic[op](R3, 16, R4, sz), sz === Size.W ? 'alu32' : 'llvm14', false)),
  ]),
];

/** The expected text of a form: what the llvm-objdump variant for its kind printed. */
function expected(kind: Kind, plain: ObjdumpLine, alu32: ObjdumpLine): string {
  return kind === 'alu32' ? alu32.text : plain.text;
}

/** Checks `forms` against LLVM 14 both ways; returns nothing, asserts on the first difference. */
function checkForms(t: LlvmTools, forms: readonly Form[]): void {
  const insns = forms.map((f) => f.insn);
  const bytes = encode(insns);
  const [plain, alu32] = objdumpLlvmVariants(t, bytes, [[], ['--mattr=+alu32']]);
  const ours = disassembleLlvm(insns);
  assert.is(plain.length, forms.length, 'llvm-objdump prints one line per form');
  assert.is(ours.length, forms.length, 'disassembleLlvm prints one line per form');
  for (let i = 0; i < forms.length; i++) {
    const want = expected(forms[i].kind, plain[i], alu32[i]);
    const hex = Buffer.from(encode([insns[i]])).toString('hex');
    assert.is(ours[i], want, `${hex}: llvm-objdump${forms[i].kind === 'alu32' ? ' --mattr=+alu32' : ''} prints ${JSON.stringify(want)}`);
    assert.is(formatLlvm(insns[i]), want, hex);
    if (forms[i].kind === 'alu32') assert.is.not(plain[i].text, want, `${hex}: alu32-only form printed without alu32`);
  }
  const asm = forms.filter((f) => f.asm);
  const encodings = assembleLlvm(t, asm.map((f) => formatLlvm(f.insn)));
  for (let i = 0; i < asm.length; i++) {
    assert.is(Buffer.from(encodings[i]).toString('hex'), Buffer.from(encode([asm[i].insn])).toString('hex'), `llvm-mc assembles ${JSON.stringify(formatLlvm(asm[i].insn))}`);
  }
}

oracle('every v1–v3 form: llvm-objdump 14 prints our text, llvm-mc 14 assembles it back', () => {
  checkForms(tools!, table);
});

oracle('LLVM 14 quirks we reproduce', () => {
  const t = tools!;
  const cases: [Instruction, string][] = [
    [LoadImm64(R1, 0x1122334455667788n), 'r1 = 1234605616436508552 ll'], // decimal, not hex
    [LoadImm64(R1, -1), 'r1 = -1 ll'],
    [LoadMapValue(R1, 7, 16), 'ld_pseudo\tr1, 2, 7'], // the offset in the high half is not shown
    [LoadMapPtr(R1, -1), 'ld_pseudo\tr1, 1, 4294967295'],
    [LoadInd(Size.W, R2, 8), 'r0 = *(u32 *)skb[r2]'], // the imm is not shown
    [LoadMem(R1, R2, 4, Size.W), 'r1 = *(u32 *)(r2 + 4)'], // r, not w, without alu32
    [makeInstruction(0x07, 1, 7, 3, 5), 'r1 += 5'], // src and off ignored
    [makeInstruction(0x95, 3, 4, 5, 0), 'exit'], // registers and off ignored
    [makeInstruction(0x95, 0, 0, 0, 1), LLVM_UNKNOWN], // but not imm
    [makeInstruction(0xbf, 11, 11, 0, 0), 'r11 = r11'], // r11 is a register
    [makeInstruction(0xbf, 12, 1, 0, 0), LLVM_UNKNOWN],
    [makeInstruction(0xd4, 1, 0, 0, 8), LLVM_UNKNOWN], // le/be need 16, 32 or 64
    [makeInstruction(0xdb, 1, 2, 0, 0x1e1), 'r2 = xchg_64(r1 + 0, r2)'], // atomics: low 8 bits of imm only
    [makeInstruction(0x85, 0, 2, 0, 77), 'call 77'], // kfunc call: src not shown
    [makeInstruction(0x8d, 5, 0, 0, 3), 'callx r3'], // callx reads imm
  ];
  const insns = cases.map(([i]) => i);
  const [plain] = objdumpLlvmVariants(t, encode(insns), [[]]);
  cases.forEach(([insn, want], i) => {
    assert.is(plain[i].text, want, `llvm-objdump 14 still prints ${JSON.stringify(want)}`);
    assert.is(formatLlvm(insn), want);
  });
});

oracle('forms LLVM 14 does not know, or knows as something else, print as newer LLVM', () => {
  const t = tools!;
  // [instruction, what llvm-objdump 14 prints, what we print]
  const cases: [Instruction, string, string][] = [
    [Mod.imm(R1, 3), LLVM_UNKNOWN, 'r1 %= 3'],
    [Mod.reg32(R1, R2), LLVM_UNKNOWN, 'w1 %= w2'],
    [JSet.imm(R1, 5, 3), LLVM_UNKNOWN, 'if r1 & 5 goto +3'],
    [JSet.reg32(R1, R2, -1), LLVM_UNKNOWN, 'if w1 & w2 goto -1'],
    [StoreImm(R10, -8, 5, Size.W), LLVM_UNKNOWN, '*(u32 *)(r10 - 8) = 5'],
    [StoreImm(R1, 0, -1, Size.DW), LLVM_UNKNOWN, '*(u64 *)(r1 + 0) = -1'],
    [makeInstruction(0x3f, 1, 2, 1, 0), 'r1 /= r2', 'r1 s/= r2'],
    [makeInstruction(0xbf, 1, 2, 8, 0), 'r1 = r2', 'r1 = (s8)r2'],
    [makeInstruction(0xbf, 1, 2, 1, 1), 'r1 = r2', 'r1 = addr_space_cast(r2, 0, 1)'],
    [makeInstruction(0xdb, 1, 2, 0, 0x100), 'lock *(u64 *)(r1 + 0) += r2', 'r1 = load_acquire((u64 *)(r2 + 0))'],
    [Atomic.fetchAdd(R1, 0, R2, Size.W), 'lock *(u32 *)(r1 + 0) += r2', 'w2 = atomic_fetch_add((u32 *)(r1 + 0), w2)'], // as with alu32
    [Atomic.or(R1, 0, R2, Size.W), LLVM_UNKNOWN, 'lock *(u32 *)(r1 + 0) |= w2'], // as with alu32
    // LLVM 14 decodes its codegen-only `lea` pseudo here (8 bytes, operands left over from the
    // previous instruction); LLVM 19 prints ld_pseudo.
    [LoadMapValue(R0, 0, 8), 'lea\t', 'ld_pseudo\tr0, 2, 0'],
  ];
  const insns = cases.map(([i]) => i);
  const [plain] = objdumpLlvmVariants(t, encode(insns), [[]]);
  const ours = disassembleLlvm(insns);
  let line = 0;
  cases.forEach(([, llvm14, want]) => {
    if (llvm14 === 'lea\t') assert.ok(plain[line].text.startsWith(llvm14), plain[line].text);
    else assert.is(plain[line].text, llvm14, `llvm-objdump 14 prints ${JSON.stringify(llvm14)}`);
    assert.is(ours[line], want);
    line += 1;
    if (llvm14.startsWith('lea')) {
      assert.is(plain[line].text, LLVM_UNKNOWN, 'the second slot of the lea quirk');
      line += 1; // llvm-objdump prints the second slot on its own line
    }
  });
});

// ---- Property: random valid v1–v3 instructions, in batches ----

const reg = fc.integer({ min: 0, max: 10 }).map((n) => n as Register);
const s32 = fc.oneof(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.constantFrom(0, 1, -1, 16, 32, 64, 0x7fffffff, -0x80000000));
const s16 = fc.oneof(fc.integer({ min: -0x8000, max: 0x7fff }), fc.constantFrom(0, 1, -1, 0x7fff, -0x8000));
const size = fc.constantFrom(...sizes);

const randomForm: fc.Arbitrary<Form> = fc.oneof(
  fc.tuple(fc.constantFrom(...aluOps), fc.constantFrom('imm', 'reg', 'imm32', 'reg32'), reg, reg, s32).map(([op, f, d, s, imm]) =>
    form(f === 'imm' ? op.imm(d, imm) : f === 'imm32' ? op.imm32(d, imm) : f === 'reg' ? op.reg(d, s) : op.reg32(d, s)),
  ),
  fc.tuple(reg, fc.boolean()).map(([d, w]) => form(w ? Neg.reg32(d) : Neg.reg(d))),
  fc.tuple(reg, fc.constantFrom(16, 32, 64) as fc.Arbitrary<16 | 32 | 64>, fc.boolean()).map(([d, b, be]) => form(be ? ToBE(d, b) : ToLE(d, b))),
  fc.tuple(fc.constantFrom(...jumpOps), fc.constantFrom('imm', 'reg', 'imm32', 'reg32'), reg, reg, s32, s16).map(([op, f, d, s, imm, off]) =>
    form(f === 'imm' ? op.imm(d, imm, off) : f === 'imm32' ? op.imm32(d, imm, off) : f === 'reg' ? op.reg(d, s, off) : op.reg32(d, s, off)),
  ),
  s16.map((off) => form(Ja(off))),
  fc.integer({ min: 0, max: 0x7fffffff }).map((id) => form(Call.helper(id))),
  s32.map((off) => form(Call.subprog(off), 'llvm14', false)),
  fc.constant(form(Exit())),
  fc.tuple(reg, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })).map(([d, v]) => form(LoadImm64(d, v))),
  fc.tuple(fc.constantFrom(Size.B, Size.H, Size.W), s32).map(([sz, imm]) => form(LoadAbs(sz, imm))),
  fc.tuple(fc.constantFrom(Size.B, Size.H, Size.W), reg).map(([sz, s]) => form(LoadInd(sz, s, 0))),
  fc.tuple(reg, reg, s16, size).map(([d, s, off, sz]) => form(LoadMem(d, s, off, sz))),
  fc.tuple(reg, s16, reg, size).map(([d, off, s, sz]) => form(StoreMem(d, off, s, sz))),
  fc.tuple(fc.constantFrom(...plainAtomics), reg, s16, reg, fc.constantFrom(Size.W, Size.DW)).map(([op, d, off, s, sz]) =>
    form(Atomic[op](d, off, s, sz), sz === Size.W && op !== 'add' ? 'alu32' : 'llvm14'),
  ),
  fc.tuple(fc.constantFrom(...fetchAtomics), reg, s16, reg, fc.constantFrom(Size.W, Size.DW)).map(([op, d, off, s, sz]) =>
    form(Atomic[op](d, off, s, sz), sz === Size.W ? 'alu32' : 'llvm14', false),
  ),
);

oracle('property: random v1–v3 programs read the same in llvm-objdump 14, and llvm-mc 14 reads our text back', () => {
  fc.assert(fc.property(fc.array(randomForm, { minLength: 1, maxLength: 400 }), (forms) => checkForms(tools!, forms)), { numRuns: 6 });
});

// ---- Arbitrary slots: where LLVM 14 and we differ, the difference is one the module documents ----

/** Encodings whose LLVM 14 text we deliberately replace (see llvm-syntax.ts). */
function documentedDifference(b: Uint8Array, llvm14: string, alu32: string, ours: string): boolean {
  const code = b[0];
  const off = (b[2] | (b[3] << 8)) << 16 >> 16;
  const imm = b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24);
  const cls = code & 7;
  const op = code & 0xf0;
  const alu = cls === 4 || cls === 7;
  if (llvm14 === LLVM_UNKNOWN) {
    if (alu && op === 0x90 && (off === 0 || off === 1)) return true; // modulo
    if ((cls === 5 || cls === 6) && op === 0x40) return true; // JSET
    if (cls === 2 && (code & 0xe0) === 0x60) return true; // BPF_ST
    if (code === 0x81 || code === 0x89 || code === 0x91) return true; // sign-extending loads
    if (code === 0xd7 || code === 0x06 || code === 0xe5 || code === 0x0d) return true; // bswap, gotol, may_goto, gotox
    if (code === 0xc3 && alu32 === ours) return true; // 32-bit atomics as with alu32
  }
  if (cls === 3 && (code & 0xe0) === 0xc0 && (imm === 0x100 || imm === 0x110)) return true; // load-acquire, store-release
  if (alu && op === 0x30 && off === 1) return true; // sdiv
  if (code === 0xbf && (off === 1 || off === 8 || off === 16 || off === 32)) return true; // addr_space_cast, movsx
  if (code === 0xbc && (off === 8 || off === 16)) return true; // movsx (32-bit)
  if (code === 0xc3 && alu32 === ours && alu32 !== llvm14) return true; // 32-bit fetch-add
  return false;
}

const slot = fc.tuple(
  fc.integer({ min: 0, max: 255 }).filter((c) => c !== 0x18),
  fc.oneof(fc.integer({ min: 0, max: 11 }), fc.integer({ min: 0, max: 15 })),
  fc.oneof(fc.integer({ min: 0, max: 11 }), fc.integer({ min: 0, max: 15 })),
  fc.oneof(fc.constantFrom(0, 1, -1, 8, 16, 32, 2), s16),
  fc.oneof(fc.constantFrom(0, 1, 16, 32, 64, 0x100, 0x110, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 11, 12, -1), s32),
).map(([code, dst, src, off, imm]) => makeInstruction(code, dst, src, off, imm));

oracle('property: arbitrary one-slot encodings read as in llvm-objdump 14, or differ only as documented', () => {
  fc.assert(
    fc.property(fc.array(slot, { minLength: 1, maxLength: 2000 }), (insns) => {
      const bytes = encode(insns);
      const [plain, alu32] = objdumpLlvmVariants(tools!, bytes, [[], ['--mattr=+alu32']]);
      const ours = disassembleLlvm(insns);
      assert.is(plain.length, insns.length);
      assert.is(ours.length, insns.length);
      for (let i = 0; i < insns.length; i++) {
        if (ours[i] === plain[i].text) continue;
        const b = bytes.subarray(i * 8, i * 8 + 8);
        assert.ok(documentedDifference(b, plain[i].text, alu32[i].text, ours[i]), `${Buffer.from(b).toString('hex')}: ours ${JSON.stringify(ours[i])}, llvm-objdump 14 ${JSON.stringify(plain[i].text)}`);
      }
    }),
    { numRuns: 4 },
  );
});

oracle('ld_imm64 slot boundaries follow llvm-objdump: lone first halves, truncation, undecodable pairs', () => {
  const t = tools!;
  const programs: string[] = [
    '1801000005000000' + '9500000000000000', // first half + a slot with a non-zero opcode: one line
    '1801000005000000' + '0021000007000000', // … with registers set
    '1801000005000000' + '1802000007000000' + '0000000009000000', // … followed by a wide ld_imm64
    'b700000000000000' + '1801000005000000', // lone first half at the end: eight <unknown>
    '180c000005000000' + '0000000001000000', // dst 12: two <unknown>
    '1801030005000000' + '0000000001000000', // off 3: two <unknown>
    '1811000005000000' + '0100000002000000', // pseudo source, lone
  ];
  for (const hex of programs) {
    const bytes = Buffer.from(hex, 'hex');
    const [plain] = objdumpLlvmVariants(t, bytes, [[]]);
    assert.equal(disassembleLlvm(decode(bytes)), plain.map((l) => l.text), hex);
  }
});

test('arbitrary bytes and arbitrary records never make the disassembler throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (raw) => {
      const bytes = raw.subarray(0, raw.length - (raw.length % 8));
      for (const line of disassembleLlvm(decode(bytes))) assert.type(line, 'string');
    }),
    { numRuns: 300 },
  );
  const field = fc.oneof(fc.integer(), fc.double(), fc.bigInt(), fc.constant(undefined), fc.constant(null), fc.string());
  fc.assert(
    fc.property(fc.array(fc.record({ code: field, dst: field, src: field, off: field, imm: field })), (records) => {
      const insns = records as unknown as Instruction[];
      for (const insn of insns) assert.type(formatLlvm(insn), 'string');
      for (const line of disassembleLlvm(insns)) assert.type(line, 'string');
    }),
    { numRuns: 300 },
  );
});

test.run();
