// Table-driven: builder → encoding → kernel text → LLVM text, one row per instruction form.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assemble, decode, describe, encode, formatKernel, formatLlvm, pseudoImmName } from 'ebpf-bytecode-utils';
import { rows } from './instruction-table.js';

test('every row: builder encodes to the bytes, the bytes decode to the builder, both texts match', () => {
  for (const [insn, hex, kernel, llvm] of rows) {
    const bytes = encode([insn]);
    assert.is(Buffer.from(bytes).toString('hex'), hex, kernel);
    const [back] = decode(bytes);
    assert.equal({ ...back }, { code: insn.code, dst: insn.dst, src: insn.src, off: insn.off, imm: insn.imm }, kernel);
    assert.is(formatKernel(back), kernel);
    assert.is(formatLlvm(back), llvm, kernel);
    assert.is.not(describe(back).kind, 'invalid', kernel);
  }
});

test('every row: the kernel text assembles back to the bytes; so does the LLVM text where LLVM keeps every field', () => {
  for (const [insn, hex, kernel, llvm] of rows) {
    // The kernel prints a ld_imm64's value without its pseudo source; bpftool's names keep it.
    const named = formatKernel(insn, { immName: pseudoImmName });
    assert.is(Buffer.from(encode(assemble(named).instructions)).toString('hex'), hex, named);
    // LLVM's text drops LD_IND's immediate, ld_pseudo's high half and the source register of a
    // call (`call 5` for helper, subprogram and kfunc alike): those texts cannot round-trip.
    const lossy = (insn.code & 0xe0) === 0x40 || (insn.code === 0x18 && insn.src !== 0 && BigInt(insn.imm) >> 32n !== 0n) || (insn.code === 0x85 && insn.src !== 0);
    if (!lossy) assert.is(Buffer.from(encode(assemble(llvm).instructions)).toString('hex'), hex, llvm);
  }
});

test('the table covers every valid opcode', () => {
  const seen = new Set(rows.map(([insn]) => insn.code));
  // Every ALU/ALU64 op × K/X, every jump op × K/X, every load/store size and mode.
  const expected = [
    ...[0x04, 0x07].flatMap((cls) => [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0].flatMap((op) => [cls | op, cls | op | 0x08])),
    0x84, 0x87, 0xd4, 0xdc, 0xd7,
    ...[0x05, 0x06].flatMap((cls) => [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0].flatMap((op) => [cls | op, cls | op | 0x08])),
    0x05, 0x06, 0x85, 0x95, 0xe5, 0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50,
    0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xcb, 0xd3, 0xdb,
  ];
  assert.equal(expected.filter((c) => !seen.has(c)).map((c) => c.toString(16)), []);
});

test.run();
