// LLVM syntax of the forms LLVM 14 does not know (ISA v4 and later, and the v1 forms LLVM added
// late): builder → text as newer LLVM prints it. Where a newer llvm-objdump (19 or later) is
// installed, it is asked too. The LLVM 14 forms are checked against LLVM 14 in llvm-oracle.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  AddrSpaceCast, Atomic, BSwap, Call, Gotol, JSet, LoadImm64, LoadMem, LoadMemSX, MayGoto, Mod, MovSX, R0, R1, R2, R3, R10,
  SDiv, SMod, Size, StoreImm, decode, encode, makeInstruction, type Instruction,
} from 'ebpf-bytecode-utils';
import { disassembleLlvm, formatLlvm, LLVM_UNKNOWN } from '../../asm/src/llvm-syntax.js';
import { assembleLlvm, llvmMajor, llvmTools, objdumpLlvmVariants, type LlvmTools } from '../support/llvm.js';

/** [builder result, text, first LLVM version that prints it]. */
type Row = readonly [insn: Instruction, text: string, since: number];

const rows: readonly Row[] = [
  [SDiv.imm(R1, -3), 'r1 s/= -3', 18],
  [SDiv.reg(R1, R2), 'r1 s/= r2', 18],
  [SDiv.imm32(R1, 3), 'w1 s/= 3', 18],
  [SDiv.reg32(R1, R2), 'w1 s/= w2', 18],
  [SMod.imm(R1, 3), 'r1 s%= 3', 18],
  [SMod.reg(R1, R2), 'r1 s%= r2', 18],
  [SMod.imm32(R1, -1), 'w1 s%= -1', 18],
  [SMod.reg32(R1, R2), 'w1 s%= w2', 18],
  // Unsigned modulo is ISA v1, but LLVM 14 can neither print nor parse `%=`.
  [Mod.imm(R1, 3), 'r1 %= 3', 18],
  [Mod.reg(R1, R2), 'r1 %= r2', 18],
  [Mod.imm32(R1, 3), 'w1 %= 3', 18],
  [Mod.reg32(R1, R2), 'w1 %= w2', 18],
  [MovSX.reg(R1, R2, 8), 'r1 = (s8)r2', 18],
  [MovSX.reg(R1, R2, 16), 'r1 = (s16)r2', 18],
  [MovSX.reg(R1, R2, 32), 'r1 = (s32)r2', 18],
  [MovSX.reg32(R1, R2, 8), 'w1 = (s8)w2', 18],
  [MovSX.reg32(R1, R2, 16), 'w1 = (s16)w2', 18],
  [BSwap(R1, 16), 'r1 = bswap16 r1', 18],
  [BSwap(R1, 32), 'r1 = bswap32 r1', 18],
  [BSwap(R1, 64), 'r1 = bswap64 r1', 18],
  [LoadMemSX(R0, R1, 1, Size.B), 'r0 = *(s8 *)(r1 + 1)', 18],
  [LoadMemSX(R0, R1, 2, Size.H), 'r0 = *(s16 *)(r1 + 2)', 18],
  [LoadMemSX(R0, R1, -4, Size.W), 'r0 = *(s32 *)(r1 - 4)', 18],
  // BPF_ST is ISA v1; LLVM 14 prints <unknown>.
  [StoreImm(R10, -8, 5, Size.W), '*(u32 *)(r10 - 8) = 5', 18],
  [StoreImm(R10, -2, -1, Size.H), '*(u16 *)(r10 - 2) = -1', 18],
  [StoreImm(R1, 0, 255, Size.B), '*(u8 *)(r1 + 0) = 255', 18],
  [StoreImm(R10, -32768, -2147483648, Size.DW), '*(u64 *)(r10 - 32768) = -2147483648', 18],
  // JSET is ISA v1; LLVM 14 prints <unknown>.
  [JSet.imm(R1, 5, 3), 'if r1 & 5 goto +3', 18],
  [JSet.reg(R1, R2, -1), 'if r1 & r2 goto -1', 18],
  [JSet.imm32(R1, 0x80000000, 0), 'if w1 & -2147483648 goto +0', 18],
  [JSet.reg32(R1, R2, 32767), 'if w1 & w2 goto +32767', 18],
  [Gotol(70000), 'gotol +70000', 18],
  [Gotol(-5), 'gotol -5', 18],
  [Gotol(0), 'gotol +0', 18],
  [MayGoto(4), 'may_goto +4', 19],
  [MayGoto(-1), 'may_goto -1', 19],
  [AddrSpaceCast(R1, R2, 0, 1), 'r1 = addr_space_cast(r2, 0, 1)', 19],
  [AddrSpaceCast(R3, R3, 1, 0), 'r3 = addr_space_cast(r3, 1, 0)', 19],
  [Call.kfunc(12345, 3), 'call 12345', 14],
  [Atomic.loadAcquire(R0, R1, 0, Size.B), 'w0 = load_acquire((u8 *)(r1 + 0))', 21],
  [Atomic.loadAcquire(R0, R1, -2, Size.H), 'w0 = load_acquire((u16 *)(r1 - 2))', 21],
  [Atomic.loadAcquire(R2, R1, 4, Size.W), 'w2 = load_acquire((u32 *)(r1 + 4))', 21],
  [Atomic.loadAcquire(R0, R1, 8, Size.DW), 'r0 = load_acquire((u64 *)(r1 + 8))', 21],
  [Atomic.storeRelease(R1, 0, R2, Size.B), 'store_release((u8 *)(r1 + 0), w2)', 21],
  [Atomic.storeRelease(R1, 0, R2, Size.H), 'store_release((u16 *)(r1 + 0), w2)', 21],
  [Atomic.storeRelease(R1, -8, R2, Size.W), 'store_release((u32 *)(r1 - 8), w2)', 21],
  [Atomic.storeRelease(R1, -8, R2, Size.DW), 'store_release((u64 *)(r1 - 8), r2)', 21],
  [makeInstruction(0x0d, 2, 0, 0, 0), 'gotox r2', 22],
];

test('v4 and newer forms: builder → newer LLVM text', () => {
  for (const [insn, text] of rows) {
    assert.is(formatLlvm(insn), text, Buffer.from(encode([insn])).toString('hex'));
  }
  assert.equal(disassembleLlvm(rows.map(([insn]) => insn)), rows.map(([, text]) => text));
});

test('fields that newer LLVM checks make these forms <unknown>', () => {
  const unknown: Instruction[] = [
    makeInstruction(0x9f, 1, 2, 2, 0), // modulo with off 2
    makeInstruction(0x99, 1, 2, 0, 0), // sign-extending 64-bit load
    makeInstruction(0xd7, 1, 0, 0, 8), // bswap8
    makeInstruction(0xdf, 1, 0, 0, 16), // bswap with the X bit
    makeInstruction(0xed, 0, 0, 3, 0), // JCOND | X
    makeInstruction(0xcb, 1, 2, 0, 0x00), // 16-bit atomic add
    makeInstruction(0xdb, 1, 2, 0, 0x120), // unknown atomic op
    makeInstruction(0x82, 1, 0, 0, 0), // ST with mode ABS
  ];
  for (const insn of unknown) assert.is(formatLlvm(insn), LLVM_UNKNOWN, Buffer.from(encode([insn])).toString('hex'));
});

test('text details: offsets, immediates, registers', () => {
  const cases: [Instruction, string][] = [
    [LoadMem(R1, R10, -32768, Size.DW), 'r1 = *(u64 *)(r10 - 32768)'],
    [LoadMem(R1, R10, 0, Size.B), 'r1 = *(u8 *)(r10 + 0)'],
    [LoadImm64(R1, 1n << 63n), 'r1 = -9223372036854775808 ll'],
    [LoadImm64(R1, (1n << 63n) - 1n), 'r1 = 9223372036854775807 ll'],
    [makeInstruction(0x18, 1, 6, 0, 0xffffffffn | (8n << 32n)), 'ld_pseudo\tr1, 6, 4294967295'],
    [makeInstruction(0x18, 1, 0, 1, 5n), LLVM_UNKNOWN], // ld_imm64 with off ≠ 0
    [makeInstruction(0x18, 1, 0, 0, 5), LLVM_UNKNOWN], // a lone first half, on its own
    [makeInstruction(0x07, 1, 0, 0, 0xffffffff), 'r1 += -1'],
    [makeInstruction(0xbc, 11, 11, 0, 0), 'w11 = w11'],
    [makeInstruction(0xbc, 12, 1, 0, 0), LLVM_UNKNOWN],
    [makeInstruction(0xbc, 1, 2, 32, 0), 'w1 = w2'], // LLVM 14 ignores off (no 32-bit movsx from 32 bits)
    [makeInstruction(0x37, 1, 0, 2, 5), 'r1 /= 5'], // LLVM 14 ignores off other than 1
    [makeInstruction(0x7, 1, 0, 0, 5n), LLVM_UNKNOWN], // a 64-bit immediate on a one-slot opcode
  ];
  for (const [insn, text] of cases) assert.is(formatLlvm(insn), text, text);
});

test('slot boundaries: lone ld_imm64 halves and undecodable pairs split as llvm-objdump does', () => {
  const lines = (hex: string) => disassembleLlvm(decode(Buffer.from(hex.replace(/\s+/g, ''), 'hex')));
  // A first half whose next slot has a non-zero header still takes that slot as its high half.
  assert.equal(lines('1801000005000000 9500000007000000'), ['r1 = 30064771077 ll']);
  // … and when the next slot starts a ld_imm64 pair, that pair's second slot stands alone.
  assert.equal(lines('1801000005000000 1802000007000000 0000000009000000'), ['r1 = 30064771077 ll', LLVM_UNKNOWN]);
  // At the very end, llvm-objdump gives up byte by byte.
  assert.equal(lines('b700000000000000 1801000005000000'), ['r0 = 0', ...Array(8).fill(LLVM_UNKNOWN)]);
  // A pair LLVM cannot decode is two <unknown> slots.
  assert.equal(lines('180c000005000000 0000000001000000'), [LLVM_UNKNOWN, LLVM_UNKNOWN]);
  // A lone first half LLVM cannot decode is one <unknown>, and the next slot is read on its own.
  assert.equal(lines('18010100050000009500000000000000'), [LLVM_UNKNOWN, 'exit']);
});

// ---- Optional: a newer LLVM, where installed, prints and reads these forms the same way ----

function newerLlvm(): LlvmTools | string {
  for (let v = 30; v >= 19; v--) {
    const t = llvmTools(`llvm-mc-${v}`, `llvm-objdump-${v}`);
    if (typeof t !== 'string') return t;
  }
  return 'no llvm-objdump-19 or later installed (apt-get install llvm-19)';
}

const newer = newerLlvm();
if (typeof newer === 'string') console.log(`llvm-syntax: newer-LLVM check skipped: ${newer}`);
(typeof newer === 'string' ? test.skip : test)('a newer llvm-objdump prints these forms as we do, and its llvm-mc reads them back', () => {
  const t = newer as LlvmTools;
  const major = llvmMajor(t);
  const known = rows.filter(([, , since]) => since <= major);
  const insns = known.map(([insn]) => insn);
  const [plain] = objdumpLlvmVariants(t, encode(insns), [['--no-print-imm-hex']]);
  known.forEach(([insn, text], i) => assert.is(plain[i].text, text, `llvm-objdump-${major}: ${Buffer.from(encode([insn])).toString('hex')}`));
  // `call N` drops the kfunc src; llvm-mc 19 reads numeric gotol targets only up to 16 bits.
  const asm = known.filter(([insn]) => insn.code !== 0x85 && !(insn.code === 0x06 && ((insn.imm as number) << 16) >> 16 !== insn.imm));
  const encodings = assembleLlvm(t, asm.map(([, text]) => text), { mattr: '+alu32' });
  asm.forEach(([insn, text], i) => assert.is(Buffer.from(encodings[i]).toString('hex'), Buffer.from(encode([insn])).toString('hex'), `llvm-mc-${major}: ${text}`));
});

test.run();
