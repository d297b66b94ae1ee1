// Table-driven: builder → encoding → kernel text (→ LLVM text, in llvm-syntax tests).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decode, describe, encode, formatKernel } from 'ebpf-bytecode-utils';
import { rows } from './instruction-table.js';

test('every row: builder encodes to the bytes, the bytes decode to the builder, kernel text matches', () => {
  for (const [insn, hex, kernel] of rows) {
    const bytes = encode([insn]);
    assert.is(Buffer.from(bytes).toString('hex'), hex, kernel);
    const [back] = decode(bytes);
    assert.equal({ ...back }, { code: insn.code, dst: insn.dst, src: insn.src, off: insn.off, imm: insn.imm }, kernel);
    assert.is(formatKernel(back), kernel);
    assert.is.not(describe(back).kind, 'invalid', kernel);
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
