// The assembler: LLVM and kernel syntax → instructions, table-driven (text, builder), then
// errors with exact line:column, then whole pasted llvm-objdump listings, clang -S output and
// verifier logs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Add, AddrSpaceCast, And, ArSh, AsmSyntaxError, Atomic, BSwap, Call, Exit, Gotol, JEq, JGT, JNE, JSet, JSGT, JSLT, Ja, Label,
  LoadAbs, LoadBtfId, LoadFunc, LoadImm64, LoadInd, LoadMapIdx, LoadMapIdxValue, LoadMapPtr, LoadMapValue, LoadMem, LoadMemSX,
  LSh, MayGoto, Mov, MovSX, Neg, R0, R1, R2, R3, R6, R10, RSh, SDiv, SMod, Size, StoreImm, StoreMem, Sub, ToBE, ToLE,
  assemble, disassembleKernel, encode, makeInstruction, parseAssembly, pseudoImmName, type Instruction,
} from 'ebpf-bytecode-utils';
import { rows } from './instruction-table.js';

const hex = (insns: readonly Instruction[]) => Buffer.from(encode(insns)).toString('hex');

/** Assembles `text` and returns the hex of its bytes. */
function asmHex(text: string, options?: Parameters<typeof assemble>[1]): string {
  return hex(assemble(text, options).instructions);
}

// [text, expected instruction]: every form, in the spellings each syntax uses.
const table: readonly (readonly [string, Instruction])[] = [
  // ALU, LLVM and kernel spell them alike
  ['r0 = 1', Mov.imm(R0, 1)],
  ['r0 = -2147483648', Mov.imm(R0, -0x80000000)],
  ['w1 += w2', Add.reg32(R1, R2)],
  ['r1 -= 0x10', Sub.imm(R1, 16)],
  ['r1 += 0xffffffff', Add.imm(R1, -1)], // u32 written unsigned, as llvm-mc accepts
  ['r1 <<= 32', LSh.imm(R1, 32)],
  ['w1 >>= w2', RSh.reg32(R1, R2)],
  ['r1 s>>= 63', ArSh.imm(R1, 63)],
  ['r1 &= r2', And.reg(R1, R2)],
  ['r1 = -r1', Neg.reg(R1)],
  ['w1 = -w1', Neg.reg32(R1)],
  ['r1 = r10', Mov.reg(R1, R10)],
  ['r1 = w2', Mov.reg32(R1, R2)], // LLVM's zero-extending MOV_32_64
  ['w1 = 0xffffffff', Mov.imm32(R1, -1)],
  // ISA v4 ALU
  ['r1 s/= r2', SDiv.reg(R1, R2)],
  ['w1 s/= -3', SDiv.imm32(R1, -3)],
  ['r1 s%= r2', SMod.reg(R1, R2)],
  ['r1 = (s8)r2', MovSX.reg(R1, R2, 8)],
  ['r1 = (s16)r2', MovSX.reg(R1, R2, 16)],
  ['r1 = (s32)r2', MovSX.reg(R1, R2, 32)],
  ['w1 = (s8)w2', MovSX.reg32(R1, R2, 8)],
  ['w1 = (s16)w2', MovSX.reg32(R1, R2, 16)],
  ['r1 = addr_space_cast(r2, 0, 1)', AddrSpaceCast(R1, R2, 0, 1)],
  ['r1 = addr_space_cast(r2, 1, 0)', AddrSpaceCast(R1, R2, 1, 0)],
  // byte order
  ['r1 = be16 r1', ToBE(R1, 16)],
  ['r1 = be64 r1', ToBE(R1, 64)],
  ['r1 = le16 r1', ToLE(R1, 16)],
  ['r1 = le32 r1', ToLE(R1, 32)],
  ['r1 = bswap16 r1', BSwap(R1, 16)],
  ['r1 = bswap32 r1', BSwap(R1, 32)],
  ['r1 = bswap64 r1', BSwap(R1, 64)],
  // ld_imm64
  ['r1 = 0x1122334455667788 ll', LoadImm64(R1, 0x1122334455667788n)],
  ['r1 = 1234605616436508552 ll', LoadImm64(R1, 0x1122334455667788n)],
  ['r1 = -1 ll', LoadImm64(R1, -1)],
  ['r1 = -0x1 ll', LoadImm64(R1, -1)],
  ['r1 = 5 ll', LoadImm64(R1, 5)],
  ['r1 = 0x1122334455667788', LoadImm64(R1, 0x1122334455667788n)], // kernel: no `ll`
  ['r1 = 0xffffffffffffffff', LoadImm64(R1, -1)],
  ['r1 = 0x80000000', LoadImm64(R1, 0x80000000)], // does not fit s32: ld_imm64
  ['r1 = 0x7fffffff', Mov.imm(R1, 0x7fffffff)], // fits: mov
  ['(18) r1 = 0x4', LoadImm64(R1, 4)], // the opcode prefix wins
  ['(b7) r1 = 0xffffffff', Mov.imm(R1, -1)],
  ['ld_pseudo\tr1, 1, 4', LoadMapPtr(R1, 4)], // llvm-objdump's pseudo ld_imm64
  ['ld_pseudo r2, 4, 6', LoadFunc(R2, 6)],
  ['r1 = map[id:4]', LoadMapPtr(R1, 4)], // bpftool's names (pseudoImmName)
  ['r1 = map[id:4][0]+16', LoadMapValue(R1, 4, 16)],
  ['r1 = map[fd:4]', LoadMapPtr(R1, 4)], // raw bytecode holds fds: our name for the same form
  ['r1 = map[fd:4][0]+16', LoadMapValue(R1, 4, 16)],
  ['r1 = ksym[id:100]', LoadBtfId(R1, 100)],
  ['r1 = ksym[id:100][fd:3]', LoadBtfId(R1, 100, 3)],
  ['r2 = subprog[+6]', LoadFunc(R2, 6)],
  ['r2 = subprog[-6]', LoadFunc(R2, -6)],
  ['r1 = map[idx:0]', LoadMapIdx(R1, 0)],
  ['r1 = map[idx:1]+8', LoadMapIdxValue(R1, 1, 8)],
  // loads and stores: LLVM `(r1 + 4)`, kernel `(r1 +4)`
  ['r0 = *(u8 *)(r1 + 4)', LoadMem(R0, R1, 4, Size.B)],
  ['r0 = *(u8 *)(r1 +4)', LoadMem(R0, R1, 4, Size.B)],
  ['w0 = *(u16 *)(r1 + 2)', LoadMem(R0, R1, 2, Size.H)], // LLVM alu32 spelling
  ['r0 = *(u64 *)(r10 - 8)', LoadMem(R0, R10, -8, Size.DW)],
  ['r0 = *(u64 *)(r10 -8)', LoadMem(R0, R10, -8, Size.DW)],
  ['r0 = *(u64 *)(r10 - 0x8)', LoadMem(R0, R10, -8, Size.DW)], // --print-imm-hex
  ['r0 = *(u32 *)(r1)', LoadMem(R0, R1, 0, Size.W)],
  ['r1 = *(s8 *)(r2 + 4)', LoadMemSX(R1, R2, 4, Size.B)],
  ['r0 = *(s16 *)(r1 +2)', LoadMemSX(R0, R1, 2, Size.H)],
  ['r0 = *(s32 *)(r1 -4)', LoadMemSX(R0, R1, -4, Size.W)],
  ['*(u32 *)(r10 - 8) = r1', StoreMem(R10, -8, R1, Size.W)],
  ['*(u32 *)(r10 -8) = r1', StoreMem(R10, -8, R1, Size.W)],
  ['*(u8 *)(r10 - 1) = w1', StoreMem(R10, -1, R1, Size.B)],
  ['*(u64 *)(r10 -8) = 5', StoreImm(R10, -8, 5, Size.DW)],
  ['*(u32 *)(r10 - 4) = -7', StoreImm(R10, -4, -7, Size.W)],
  // legacy packet loads
  ['r0 = *(u16 *)skb[12]', LoadAbs(Size.H, 12)],
  ['r0 = *(u32 *)skb[r1 + 4]', LoadInd(Size.W, R1, 4)],
  ['r0 = *(u8 *)skb[r1]', LoadInd(Size.B, R1, 0)],
  // atomics: LLVM and kernel spellings
  ['lock *(u64 *)(r1 + 0) += r2', Atomic.add(R1, 0, R2, Size.DW)],
  ['lock *(u32 *)(r1 +8) += w2', Atomic.add(R1, 8, R2, Size.W)],
  ['lock *(u64 *)(r1 +0) |= r2', Atomic.or(R1, 0, R2, Size.DW)],
  ['lock *(u64 *)(r1 +0) &= r2', Atomic.and(R1, 0, R2, Size.DW)],
  ['lock *(u32 *)(r1 + 0) ^= w2', Atomic.xor(R1, 0, R2, Size.W)],
  ['r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)', Atomic.fetchAdd(R1, 0, R2, Size.DW)],
  ['r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)', Atomic.fetchAdd(R1, 0, R2, Size.DW)],
  ['w2 = atomic_fetch_and((u32 *)(r1 + 0), w2)', Atomic.fetchAnd(R1, 0, R2, Size.W)],
  ['r2 = atomic_fetch_or((u32 *)(r1 +0), r2)', Atomic.fetchOr(R1, 0, R2, Size.W)],
  ['r2 = atomic64_fetch_xor((u64 *)(r1 -8), r2)', Atomic.fetchXor(R1, -8, R2, Size.DW)],
  ['r2 = xchg_64(r1 + 0, r2)', Atomic.xchg(R1, 0, R2, Size.DW)],
  ['w2 = xchg32_32(r1 + 4, w2)', Atomic.xchg(R1, 4, R2, Size.W)],
  ['r2 = atomic64_xchg((u64 *)(r1 +0), r2)', Atomic.xchg(R1, 0, R2, Size.DW)],
  ['r2 = atomic_xchg((u32 *)(r1 +0), r2)', Atomic.xchg(R1, 0, R2, Size.W)],
  ['r0 = cmpxchg_64(r1 + 0, r0, r2)', Atomic.cmpxchg(R1, 0, R2, Size.DW)],
  ['w0 = cmpxchg32_32(r1 + 0, w0, w2)', Atomic.cmpxchg(R1, 0, R2, Size.W)],
  ['r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)', Atomic.cmpxchg(R1, 0, R2, Size.DW)],
  ['r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r2)', Atomic.cmpxchg(R1, 0, R2, Size.W)],
  ['r0 = load_acquire((u64 *)(r1 + 0))', Atomic.loadAcquire(R0, R1, 0, Size.DW)],
  ['w0 = load_acquire((u8 *)(r1 + 0))', Atomic.loadAcquire(R0, R1, 0, Size.B)],
  ['r0 = load_acquire((u16 *)(r1 +8))', Atomic.loadAcquire(R0, R1, 8, Size.H)],
  ['store_release((u64 *)(r1 + 0), r2)', Atomic.storeRelease(R1, 0, R2, Size.DW)],
  ['store_release((u8 *)(r1 +0), r2)', Atomic.storeRelease(R1, 0, R2, Size.B)],
  ['store_release((u32 *)(r1 - 8), w2)', Atomic.storeRelease(R1, -8, R2, Size.W)],
  // jumps: numeric offsets are encoded as written
  ['if r1 > 5 goto +3', JGT.imm(R1, 5, 3)],
  ['if r1 > 0x5 goto pc+3', JGT.imm(R1, 5, 3)],
  ['if r1 > 0x5 goto +0x3', JGT.imm(R1, 5, 3)],
  ['if r1 != 0xffffffff goto pc+1', JNE.imm(R1, -1, 1)],
  ['if r1 != -1 goto +1', JNE.imm(R1, -1, 1)],
  ['if w1 s< w2 goto -2', JSLT.reg32(R1, R2, -2)],
  ['if w1 s> 0xfffffffb goto pc+1', JSGT.imm32(R1, -5, 1)],
  ['if r1 & 8 goto +1', JSet.imm(R1, 8, 1)],
  ['if r1 == r2 goto 2', JEq.reg(R1, R2, 2)],
  ['goto +1', Ja(1)],
  ['goto pc-2', Ja(-2)],
  ['gotol +70000', Gotol(70000)],
  ['gotol pc+5', Gotol(5)],
  ['may_goto +2', MayGoto(2)],
  ['may_goto pc+2', MayGoto(2)],
  ['gotox r2', makeInstruction(0x0d, 2, 0, 0, 0)],
  // calls
  ['call 1', Call.helper(1)],
  ['call bpf_map_lookup_elem', Call.helper(1)], // by name, from the helper table
  ['call bpf_map_lookup_elem#1', Call.helper(1)],
  ['call unknown#500', Call.helper(500)],
  ['call bpf_new_helper#212', Call.helper(212)], // a helper our table does not know yet
  ['call pc+5', Call.subprog(5)],
  ['call pc-3', Call.subprog(-3)],
  ['call kernel-function#1234', Call.kfunc(1234)],
  ['call bpf_obj_new_impl#56789', Call.kfunc(56789)], // the verifier names kfuncs from BTF
  ['callx r2', makeInstruction(0x8d, 2, 0, 0, 0)],
  ['exit', Exit()],
  // kernel-internal forms of xlated dumps
  ['r1 = &(void __percpu *)(r2)', makeInstruction(0xbf, 1, 2, -1, 0)],
  ['nospec', makeInstruction(0xc2, 0, 0, 0, 0)],
];

test('every form assembles to the builder’s encoding', () => {
  for (const [text, insn] of table) {
    const got = assemble(text).instructions;
    assert.is(got.length, 1, text);
    assert.is(hex(got), hex([insn]), text);
  }
});

test('the same with the kernel prefix `N: (op) ` and a `; state` tail, and with llvm-objdump’s address and bytes', () => {
  for (const [text, insn] of table) {
    const code = insn.code.toString(16).padStart(2, '0');
    if (!text.startsWith('(')) assert.is(asmHex(`0: (${code}) ${text}        ; R0_w=0 R1=ctx()`), hex([insn]), text);
    const bytes = hex([insn]).replace(/(..)(?!$)/g, '$1 ');
    assert.is(asmHex(`      0:\t${bytes}\t${text} <LBB0_2>`), hex([insn]), text);
  }
});

test('the shared instruction table: kernel text and LLVM text give the builder’s bytes', () => {
  for (const [insn, bytes, kernel, llvm] of rows) {
    // The kernel prints a pseudo ld_imm64's value, not its source (src 0 comes back).
    const kernelWant = insn.code === 0x18 && insn.src !== 0 ? hex([{ ...insn, src: 0 }]) : bytes;
    assert.is(asmHex(`7: ${kernel}`), kernelWant, kernel);
    if (llvm === null) continue;
    // LLVM prints `call N` whatever the source, and `ld_pseudo rD, SRC, IMM` without the high half.
    let llvmWant = bytes;
    if (insn.code === 0x85) llvmWant = hex([{ ...insn, src: 0 }]);
    if (insn.code === 0x18 && insn.src !== 0) llvmWant = hex([{ ...insn, imm: BigInt.asUintN(32, insn.imm as bigint) }]);
    if ((insn.code & 0xe7) === 0x40) llvmWant = hex([{ ...insn, imm: 0 }]); // `skb[r1]`: LLVM does not show imm
    assert.is(asmHex(llvm), llvmWant, llvm);
  }
});

test('blanks, comments and directives', () => {
  const text = [
    '\t.text',
    '\t.globl\tprog // a directive',
    '\t.p2align\t3',
    '\t.section\t"xdp","ax",@progbits',
    'prog:                                   # @prog',
    '# %bb.0:',
    '  r0 = 0   # trailing comment',
    '; a kernel source-line comment',
    '// a line comment',
    '  /* a block',
    '     comment */ r0 += 1 /* inline */',
    '  exit ; done',
    '.Lfunc_end0:',
    '\t.size\tprog, .Lfunc_end0-prog',
    '\t.section\t"license","aw",@progbits',
    '_license:',
    '\t.asciz\t"GPL"',
    '\t.addrsig',
  ].join('\r\n');
  assert.is(asmHex(text), hex([Mov.imm(R0, 0), Add.imm(R0, 1), Exit()]));
});

test('labels: LLVM `LBB0_2:`/`.LBB0_2:`, label-only and same-line, forward and backward; the slots come back', () => {
  const { instructions, labels } = assemble(['start:', '  if r1 == 0 goto .LBB0_2', '  r0 = 1 ll', 'LBB0_1: r0 += 1', '  goto LBB0_1', '.LBB0_2:', '  exit'].join('\n'));
  assert.is(hex(instructions), hex([JEq.imm(R1, 0, 4), LoadImm64(R0, 1), Add.imm(R0, 1), Ja(-2), Exit()]));
  assert.equal([...labels], [['start', 0], ['LBB0_1', 3], ['.LBB0_2', 5]]);
});

test('parse keeps labels as markers and references for resolve()', () => {
  const items = parseAssembly('goto out\nr0 = 0\nout:\nexit');
  assert.equal(items, [makeInstruction(0x05, 0, 0, 0, 0, { kind: 'jump', label: 'out' }), Mov.imm(R0, 0), Label('out'), Exit()]);
});

test('symbols: `call NAME` is a subprogram when NAME is a label, else a helper, else a kfunc; `rN = NAME ll` a map or a function address', () => {
  const text = ['call sub', 'call bpf_map_lookup_elem', 'call bpf_obj_new_impl', 'r1 = events ll', 'r2 = sub ll', 'exit', 'sub:', 'exit'].join('\n');
  const items = parseAssembly(text);
  assert.equal(items.slice(0, 5), [
    makeInstruction(0x85, 0, 1, 0, -1, { kind: 'call', label: 'sub' }),
    Call.helper(1),
    makeInstruction(0x85, 0, 2, 0, 0, { kind: 'kfunc', name: 'bpf_obj_new_impl' }),
    makeInstruction(0x18, 1, 1, 0, 0n, { kind: 'map', name: 'events' }),
    makeInstruction(0x18, 2, 4, 0, 0n, { kind: 'func', label: 'sub' }),
  ]);
  const { instructions } = assemble(text, { maps: { events: 7 }, kfuncs: { bpf_obj_new_impl: 56789 } });
  assert.is(hex(instructions), hex([Call.subprog(7), Call.helper(1), Call.kfunc(56789), LoadMapPtr(R1, 7), LoadFunc(R2, 2), Exit(), Exit()]));
});

// [text, expected "line:column: message"]
const errors: readonly (readonly [string, string])[] = [
  ['r0 = 0\nexit\n  r1 = r11', "3:8: expected a register, found 'r11'"],
  ['r0 = *(u32 *)(r11 + 0)', "1:15: expected a register, found 'r11'"],
  ['r1 += w2', "1:7: expected an r register like r1, found 'w2'"],
  ['w1 = r2', "1:6: expected a w register like w2, found 'r2'"],
  ['if w1 > r2 goto +1', "1:9: expected a w register like w1, found 'r2'"],
  ['r1 == 2', "1:4: expected an operator ('=', '+=', '-=', '*=', '/=', 's/=', '%=', 's%=', '|=', '&=', '^=', '<<=', '>>=', 's>>='), found '='"],
  ['if r1 >> 3 goto +1', "1:8: expected a register or a number, found '>'"],
  ['if r1 > 3 goto', '1:15: expected a jump target (+N, pc+N or a label), found end of line'],
  ['if r1 > 3 goto +1 now', "1:19: unexpected 'now' after the instruction"],
  ['goto +40000', '1:6: jump offset 40000 does not fit in 16 bits (gotol takes 32)'],
  ['\n\n   goto nowhere', "3:9: unknown label 'nowhere'"],
  ['exti', "1:1: unknown instruction 'exti'"],
  ['r1 = 0x1ffffffffffffffff', '1:6: immediate 36893488147419103231 does not fit in 64 bits'],
  ['w1 = 0x100000000', '1:6: immediate 4294967296 does not fit in 32 bits'],
  ['r1 += 0x100000000', '1:7: immediate 4294967296 does not fit in 32 bits'],
  ['w1 = 1 ll', '1:1: ld_imm64 loads a 64-bit register: write r1, not w1'],
  ['r1 = -r2', '1:7: negation takes the same register on both sides (r1 = -r1)'],
  ['r1 = be16 r2', '1:11: be16 takes the same register on both sides (r1 = be16 r1)'],
  ['*(s8 *)(r1 + 0) = 1', '1:1: a store takes u8, u16, u32 or u64'],
  ['r0 = *(u128 *)(r1 + 0)', "1:8: expected a type (u8, u16, u32, u64, s8, s16, s32), found 'u128'"],
  ['r0 = *(u8 *)(w1 + 0)', "1:14: a memory operand's base is an r register: write r1, not w1"],
  ['r0 = *(u8 *)(r1 + 40000)', '1:19: offset 40000 does not fit in 16 bits'],
  ['r1 = foo', "1:6: expected a register, a number or 'SYMBOL ll', found 'foo'"],
  ['r1 = events ll', "1:6: unknown map 'events' (bind it in options.maps)"],
  ['call foo', "1:6: unknown function 'foo': not a label, a helper, or a kfunc bound in options.kfuncs"],
  ['call bpf_map_lookup_elem#2', "1:6: 'bpf_map_lookup_elem' is helper #1, not #2"],
  ['lock *(u64 *)(r1 + 0) -= r2', "1:23: expected '+=', '&=', '|=' or '^=', found '-'"],
  ['r3 = atomic_fetch_add((u64 *)(r1 + 0), r2)', '1:40: the result register is the source register: r3 = …(…, r3)'],
  ['r1 = cmpxchg_64(r1 + 0, r0, r2)', '1:1: compare-and-exchange always writes r0, not r1'],
  ['r0 = *(u16 *)skb[r1 + 4] + 1', "1:26: unexpected '+' after the instruction"],
  ['r1 = *(u16 *)skb[12]', '1:1: packet loads (skb[…]) always write r0, not r1'],
  ['(b7) r1 = 0x100000000', '1:1: opcode (b7) does not match the instruction, which encodes as (18)'],
  ['0: (bf) r1 = r2\n1: (07) r1 += 1\n2: (b7) r0 = 0\n3: (95) exit\n0: (bf) r1 = r3', '5:9: instruction 0 differs from the one at line 1'],
  ['0: (b7) r0 = 0\n2: (95) exit', '2:9: instruction 1 is missing (the listing goes from 0 to 2)'],
  ['0: (18) r1 = 0x1\n1: (95) exit', '2:9: instruction 1 is the second half of the ld_imm64 before it'],
  ['a:\nexit\n a:\nexit', "3:2: label 'a' is defined twice (first at line 1)"],
  ['r0 = 08x', "1:6: invalid number '08x'"],
  ['.byte 1', '1:1: data directive .byte in a code section is not supported'],
  ['BUG_ld_00', "1:1: 'BUG_ld_00' is the kernel's mark of an invalid encoding; it cannot be assembled"],
  ['   1:\t18 00\t<unknown>', "1:13: '<unknown>' needs the instruction's 8 raw bytes before it"],
  ['r1 = map[fdx:3]', "1:10: expected 'fd', 'id' or 'idx', found 'fdx'"],
  ['exit\nr0 = 1 ll\ngoto +2\nfoo bar', "4:1: unknown instruction 'foo'"],
];

test('errors: AsmSyntaxError with 1-based line and column', () => {
  for (const [text, message] of errors) {
    try {
      assemble(text);
      assert.unreachable(`no error for ${JSON.stringify(text)}`);
    } catch (e) {
      if (!(e instanceof AsmSyntaxError)) throw e;
      assert.is(e.message, message, JSON.stringify(text));
      assert.is(`${e.line}:${e.column}`, message.slice(0, message.indexOf(':', message.indexOf(':') + 1)));
    }
  }
});

test('a jump out of range for its label is an AsmSyntaxError at the jump', () => {
  const text = `goto far\n${'r0 = 0\n'.repeat(40000)}far:\nexit`;
  try {
    assemble(text);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, AsmSyntaxError);
    assert.is((e as AsmSyntaxError).message, "1:6: jump to 'far' is out of range: offset 40000 does not fit in s16 (use Gotol for long jumps)");
  }
});

// Made by: llvm-mc -triple bpfel -mattr=+alu32 -filetype=obj prog.s && llvm-objdump -dr prog.o (LLVM 14).
const objdump = `
prog.o:	file format elf64-bpf

Disassembly of section xdp:

0000000000000000 <xdp_prog>:
       0:	bf 16 00 00 00 00 00 00	r6 = r1
       1:	18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00	r1 = 0 ll
		0000000000000008:  R_BPF_64_64	events
       3:	63 1a fc ff 00 00 00 00	*(u32 *)(r10 - 4) = r1
       4:	bf a2 00 00 00 00 00 00	r2 = r10
       5:	07 02 00 00 fc ff ff ff	r2 += -4
       6:	85 00 00 00 01 00 00 00	call 1
       7:	15 00 02 00 00 00 00 00	if r0 == 0 goto +2 <LBB0_2>
       8:	b7 01 00 00 01 00 00 00	r1 = 1
       9:	db 10 00 00 00 00 00 00	lock *(u64 *)(r0 + 0) += r1

0000000000000050 <LBB0_2>:
      10:	b4 00 00 00 02 00 00 00	w0 = 2
      11:	18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11	r1 = 1234605616436508552 ll
      13:	66 00 fc ff 05 00 00 00	if w0 s> 5 goto -4 <LBB0_2>
      14:	95 00 00 00 00 00 00 00	exit

Disassembly of section tc:

0000000000000000 <tc_prog>:
       0:	28 00 00 00 0c 00 00 00	r0 = *(u16 *)skb[12]
       1:	dc 00 00 00 10 00 00 00	r0 = be16 r0
       2:	95 00 00 00 00 00 00 00	exit
`;

test('a pasted llvm-objdump -dr listing gives back its own bytes (sections one after the other)', () => {
  const listed = [...objdump.matchAll(/^\s+\d+:\t((?:[0-9a-f]{2} )*[0-9a-f]{2})\t/gm)].map((m) => m[1].replace(/ /g, '')).join('');
  assert.is(listed.length, 18 * 16);
  assert.is(asmHex(objdump), listed);
});

test('the same listing without raw bytes (--no-show-raw-insn), and an <unknown> line decoded from its bytes', () => {
  const bare = objdump.replace(/\t(?:[0-9a-f]{2} )*[0-9a-f]{2}\t/g, '\t');
  assert.is(asmHex(bare), asmHex(objdump));
  assert.is(asmHex('      3:\t9f 21 01 00 00 00 00 00\t<unknown>'), hex([SMod.reg(R1, R2)]));
});

// clang -S style (LLVM 14's BPF printer: tab-indented, `# @name` and `# %bb.N:` comments).
const clangS = `	.text
	.file	"prog.c"
	.section	xdp,"ax",@progbits
	.globl	xdp_prog                        # -- Begin function xdp_prog
	.p2align	3
	.type	xdp_prog,@function
xdp_prog:                               # @xdp_prog
# %bb.0:
	r6 = r1
	r1 = events ll
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	call 1
	if r0 == 0 goto LBB0_2
# %bb.1:
	r1 = 1
	lock *(u64 *)(r0 + 0) += r1
LBB0_2:
	w0 = 2
	exit
.Lfunc_end0:
	.size	xdp_prog, .Lfunc_end0-xdp_prog
                                        # -- End function
	.type	events,@object                  # @events
	.section	.maps,"aw",@progbits
	.globl	events
	.p2align	3
events:
	.zero	32
	.size	events, 32

	.type	_license,@object                # @_license
	.section	license,"aw",@progbits
	.globl	_license
_license:
	.asciz	"GPL"
	.size	_license, 4

	.addrsig
	.addrsig_sym events
`;

test('pasted clang -S output, with its map bound by name; data sections are skipped whole', () => {
  const { instructions, labels } = assemble(clangS, { maps: { events: 5 } });
  assert.is(
    hex(instructions),
    hex([Mov.reg(R6, R1), LoadMapPtr(R1, 5), StoreMem(R10, -4, R1, Size.W), Mov.reg(R2, R10), Add.imm(R2, -4), Call.helper(1), JEq.imm(R0, 0, 2), Mov.imm(R1, 1), Atomic.add(R0, 0, R1, Size.DW), Mov.imm32(R0, 2), Exit()]),
  );
  assert.equal([...labels.keys()], ['xdp_prog', 'LBB0_2', '.Lfunc_end0']);
});

// A verifier log at log_level 2 as libbpf prints it (kernel 6.x format): register state,
// precision backtracking, the second path through 5 → 7 repeating instructions 7 and 8.
const verifierLog = `libbpf: prog 'xdp_prog': BPF program load failed: Permission denied
libbpf: prog 'xdp_prog': -- BEGIN PROG LOAD LOG --
func#0 @0
0: R1=ctx() R10=fp0
; int xdp_prog(struct xdp_md *ctx) @ prog.c:12
0: (b7) r6 = 0                        ; R6_w=0
1: (61) r2 = *(u32 *)(r1 +4)          ; R1=ctx() R2_w=pkt_end()
2: (61) r1 = *(u32 *)(r1 +0)          ; R1_w=pkt(r=0)
3: (bf) r3 = r1                       ; R1_w=pkt(r=0) R3_w=pkt(r=0)
4: (07) r3 += 14                      ; R3_w=pkt(off=14,r=0)
5: (2d) if r3 > r2 goto pc+1          ; R2_w=pkt_end() R3_w=pkt(off=14,r=14)
6: (71) r6 = *(u8 *)(r1 +12)          ; R1_w=pkt(r=14) R6_w=scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))
7: (bf) r0 = r6                       ; R0_w=scalar(id=1) R6_w=scalar(id=1)
8: (95) exit
mark_precise: frame0: last_idx 8 first_idx 0 subseq_idx -1
mark_precise: frame0: regs=r0 stack= before 7: (bf) r0 = r6
from 5 to 7: R0=ctx() R1=pkt(r=0) R2=pkt_end() R3=pkt(off=14,r=0) R6=0 R10=fp0
; return val; @ prog.c:20
7: (bf) r0 = r6                       ; R0_w=0 R6=0
8: (95) exit
9: (18) r1 = 0xffff888003e2c000       ; R1_w=map_ptr(ks=4,vs=8)
11: (85) call bpf_map_lookup_elem#1    ; R0_w=map_value_or_null(id=2,off=0,ks=4,vs=8,imm=0)
12: (05) goto pc-13
processed 12 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 1
R0 invalid mem access 'scalar'
invalid access to packet, off=12 size=1, R1(id=0,off=12,r=0)
R1 offset is outside of the packet
-- END PROG LOAD LOG --
libbpf: prog 'xdp_prog': failed to load: -13
`;

test('a pasted verifier log: log text skipped, repeated instructions kept once, placed by slot number', () => {
  assert.is(
    asmHex(verifierLog),
    hex([
      Mov.imm(R6, 0), LoadMem(R2, R1, 4, Size.W), LoadMem(R1, R1, 0, Size.W), Mov.reg(R3, R1), Add.imm(R3, 14), JGT.reg(R3, R2, 1),
      LoadMem(R6, R1, 12, Size.B), Mov.reg(R0, R6), Exit(), LoadImm64(R1, 0xffff888003e2c000n), Call.helper(1), Ja(-13),
    ]),
  );
});

// Real logs: Linux 6.18, BPF_PROG_LOAD of a socket filter at log_level 2 (progLoad from
// syscalls/, logLevel 2), copied verbatim. The first program was assembled from
//   r6 = r1; r0 = 0; r2 = *(u32 *)(r6 + 0); if r2 > 10 goto skip; r0 = 1; r0 += r2;
//   skip: r1 = r0; call sub; r0 = 0; exit; sub: r0 = r1; r0 &= 3; if r0 == 2 goto two; exit;
//   two: r0 = 7; exit
// and the second, rejected, from `r1 = 0; r0 = *(u64 *)(r1 + 0); exit`.
const realLog = `func#0 @0
func#1 @10
Live regs before insn:
      0: .1.345.... (bf) r6 = r1
      1: ...3456... (b7) r0 = 0
      2: 0..3456... (61) r2 = *(u32 *)(r6 +0)
      3: 0.2345.... (25) if r2 > 0xa goto pc+2
      4: ..2345.... (b7) r0 = 1
      5: 0.2345.... (0f) r0 += r2
      6: 0.2345.... (bf) r1 = r0
      7: .12345.... (85) call pc+2
      8: .......... (b7) r0 = 0
      9: 0......... (95) exit
     10: .1........ (bf) r0 = r1
     11: 0......... (57) r0 &= 3
     12: 0......... (15) if r0 == 0x2 goto pc+1
     13: 0......... (95) exit
     14: .......... (b7) r0 = 7
     15: 0......... (95) exit
0: R1=ctx() R10=fp0
0: (bf) r6 = r1                       ; R1=ctx() R6=ctx()
1: (b7) r0 = 0                        ; R0=0
2: (61) r2 = *(u32 *)(r6 +0)          ; R2=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R6=ctx()
3: (25) if r2 > 0xa goto pc+2         ; R2=scalar(smin=smin32=0,smax=umax=smax32=umax32=10,var_off=(0x0; 0xf))
4: (b7) r0 = 1                        ; R0=1
5: (0f) r0 += r2                      ; R0=scalar(smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=11,var_off=(0x0; 0xf)) R2=scalar(smin=smin32=0,smax=umax=smax32=umax32=10,var_off=(0x0; 0xf))
6: (bf) r1 = r0                       ; R0=scalar(id=1,smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=11,var_off=(0x0; 0xf)) R1=scalar(id=1,smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=11,var_off=(0x0; 0xf))
7: (85) call pc+2
caller:
 R6=ctx() R10=fp0
callee:
 frame1: R1=scalar(id=1,smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=11,var_off=(0x0; 0xf)) R2=scalar(smin=smin32=0,smax=umax=smax32=umax32=10,var_off=(0x0; 0xf)) R10=fp0
10: frame1: R1=scalar(id=1,smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=11,var_off=(0x0; 0xf)) R2=scalar(smin=smin32=0,smax=umax=smax32=umax32=10,var_off=(0x0; 0xf)) R10=fp0
10: (bf) r0 = r1                      ; frame1: R0=scalar(id=1,smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=11,var_off=(0x0; 0xf)) R1=scalar(id=1,smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=11,var_off=(0x0; 0xf))
11: (57) r0 &= 3                      ; frame1: R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=3,var_off=(0x0; 0x3))
12: (15) if r0 == 0x2 goto pc+1       ; frame1: R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=3,var_off=(0x0; 0x3))
13: (95) exit
returning from callee:
 frame1: R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=3,var_off=(0x0; 0x3)) R1=scalar(id=1,smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=11,var_off=(0x0; 0xf)) R2=scalar(smin=smin32=0,smax=umax=smax32=umax32=10,var_off=(0x0; 0xf)) R10=fp0
to caller at 8:
 R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=3,var_off=(0x0; 0x3)) R6=ctx() R10=fp0

from 13 to 8: R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=3,var_off=(0x0; 0x3)) R6=ctx() R10=fp0
8: (b7) r0 = 0                        ; R0=0
9: (95) exit

from 12 to 14: frame1: R0=2 R1=scalar(id=1,smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=11,var_off=(0x0; 0xf)) R2=scalar(smin=smin32=0,smax=umax=smax32=umax32=10,var_off=(0x0; 0xf)) R10=fp0
14: frame1: R0=2 R1=scalar(id=1,smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=11,var_off=(0x0; 0xf)) R2=scalar(smin=smin32=0,smax=umax=smax32=umax32=10,var_off=(0x0; 0xf)) R10=fp0
14: (b7) r0 = 7                       ; frame1: R0=7
15: (95) exit
returning from callee:
 frame1: R0=7 R1=scalar(id=1,smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=11,var_off=(0x0; 0xf)) R2=scalar(smin=smin32=0,smax=umax=smax32=umax32=10,var_off=(0x0; 0xf)) R10=fp0
to caller at 8:
 R0=7 R6=ctx() R10=fp0

from 15 to 8: R0=7 R6=ctx() R10=fp0
8: (b7) r0 = 0                        ; R0=0
9: (95) exit

from 3 to 6: R0=0 R1=ctx() R2=scalar(smin=umin=umin32=11,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R6=ctx() R10=fp0
6: R0=0 R1=ctx() R2=scalar(smin=umin=umin32=11,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R6=ctx() R10=fp0
6: (bf) r1 = r0                       ; R0=0 R1=0
7: (85) call pc+2
caller:
 R6=ctx() R10=fp0
callee:
 frame1: R1=0 R2=scalar(smin=umin=umin32=11,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R10=fp0
10: safe
processed 21 insns (limit 1000000) max_states_per_insn 0 total_states 2 peak_states 2 mark_read 0`;

const realRejectedLog = `func#0 @0
Live regs before insn:
      0: .......... (b7) r1 = 0
      1: .1........ (79) r0 = *(u64 *)(r1 +0)
      2: 0......... (95) exit
0: R1=ctx() R10=fp0
0: (b7) r1 = 0                        ; R1=0
1: (79) r0 = *(u64 *)(r1 +0)
R1 invalid mem access 'scalar'
processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0`;

test('a real 6.18 log_level 2 log (liveness listing, caller/callee frames, revisits, `N: safe`) gives the program back', () => {
  assert.is(
    asmHex(realLog),
    hex([
      Mov.reg(R6, R1), Mov.imm(R0, 0), LoadMem(R2, R6, 0, Size.W), JGT.imm(R2, 10, 2), Mov.imm(R0, 1), Add.reg(R0, R2), Mov.reg(R1, R0), Call.subprog(2),
      Mov.imm(R0, 0), Exit(), Mov.reg(R0, R1), And.imm(R0, 3), JEq.imm(R0, 2, 1), Exit(), Mov.imm(R0, 7), Exit(),
    ]),
  );
  // The rejected program's log shows instruction 2 only in the liveness listing.
  assert.is(asmHex(realRejectedLog), hex([Mov.imm(R1, 0), LoadMem(R0, R1, 0, Size.DW), Exit()]));
});

test('log_level 2 liveness listings (`Live regs before insn:`), with and without an SCC column', () => {
  const text = ['Live regs before insn:', '      0: .1........ (b7) r0 = 1', '  1   1: 01........ (07) r0 += 1', '      2: 0......... (95) exit'].join('\n');
  assert.is(asmHex(text), hex([Mov.imm(R0, 1), Add.imm(R0, 1), Exit()]));
});

test('a pasted bpftool prog dump xlated (function headings, source comments, map names)', () => {
  const text = ['int xdp_prog(struct xdp_md * ctx):', '; int xdp_prog(struct xdp_md *ctx)', '   0: (18) r1 = map[id:12]', '   2: (b7) r0 = 2', '   3: (95) exit'].join('\n');
  assert.is(asmHex(text), hex([LoadMapPtr(R1, 12), Mov.imm(R0, 2), Exit()]));
});

test('a verifier log fragment may start at any instruction; jumps stay relative', () => {
  assert.is(asmHex('5: (2d) if r3 > r2 goto pc+1\n6: (71) r6 = *(u8 *)(r1 +12)\n7: (95) exit'), hex([JGT.reg(R3, R2, 1), LoadMem(R6, R1, 12, Size.B), Exit()]));
});

test('kernel and LLVM lines mix freely', () => {
  const text = ['r1 = 0x1122334455667788 ll', '(18) r2 = 0x5', 'if r1 > 0x5 goto pc+1', 'if w1 s< w2 goto +0', 'call bpf_map_lookup_elem#1', 'call 1', 'exit'].join('\n');
  assert.is(asmHex(text), hex([LoadImm64(R1, 0x1122334455667788n), LoadImm64(R2, 5), JGT.imm(R1, 5, 1), JSLT.reg32(R1, R2, 0), Call.helper(1), Call.helper(1), Exit()]));
});

test('pseudoImmName gives the kernel disassembler names that assemble back to every ld_imm64 pseudo source', () => {
  const insns = [LoadMapPtr(R1, 4), LoadMapValue(R1, 4, 16), LoadBtfId(R1, 100, 3), LoadBtfId(R1, 100), LoadFunc(R2, -6), LoadMapIdx(R1, 1), LoadMapIdxValue(R1, 1, 8), LoadImm64(R3, 7)];
  const lines = disassembleKernel(insns, { immName: pseudoImmName });
  assert.equal(lines, [
    '0: (18) r1 = map[fd:4]',
    '2: (18) r1 = map[fd:4][0]+16',
    '4: (18) r1 = ksym[id:100][fd:3]',
    '6: (18) r1 = ksym[id:100]',
    '8: (18) r2 = subprog[-6]',
    '10: (18) r1 = map[idx:1]',
    '12: (18) r1 = map[idx:1]+8',
    '14: (18) r3 = 0x7',
  ]);
  assert.is(asmHex(lines.join('\n')), hex(insns));
});

test('a byte-order mark and no-break spaces from a paste are blanks', () => {
  assert.is(asmHex('\ufeffr0 = 0\n\u00a0exit'), hex([Mov.imm(R0, 0), Exit()]));
});

test('an empty text, and text with nothing but comments, is an empty program', () => {
  assert.equal(assemble('').instructions, []);
  assert.equal(assemble('\n# nothing\n; here\n/* at\nall */\n').instructions, []);
});

test.run();
