import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { decode, describe, disassembleKernel, encode, EncodeError, LoadImm64, Mov, R0, R1, type Instruction } from 'ebpf-bytecode-utils';
import { anyInstruction } from '../support/arbitrary.js';

const plain = (i: Instruction) => ({ code: i.code, dst: i.dst, src: i.src, off: i.off, imm: i.imm });

test('decode(encode(program)) = program, little and big endian', () => {
  fc.assert(
    fc.property(fc.array(anyInstruction, { maxLength: 40 }), fc.constantFrom('little', 'big') as fc.Arbitrary<'little' | 'big'>, (insns, byteOrder) => {
      const bytes = encode(insns, { byteOrder });
      assert.equal(decode(bytes, { byteOrder }).map(plain), insns.map(plain));
    }),
    { numRuns: 2000 },
  );
});

test('encode(decode(bytes)) = bytes for arbitrary bytes, and nothing throws', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }).map((b) => b.subarray(0, b.length - (b.length % 8))), (bytes) => {
      const insns = decode(bytes);
      assert.equal(encode(insns), bytes);
      for (const insn of insns) describe(insn);
      assert.is(disassembleKernel(insns).length, insns.length);
    }),
    { numRuns: 3000 },
  );
});

test('little-endian layout matches struct bpf_insn', () => {
  // r1 = 0x1122334455667788: opcode 0x18, dst 1, imm low half first, second slot holds the high half.
  assert.equal(Buffer.from(encode([LoadImm64(R1, 0x1122334455667788n)])).toString('hex'), '18010000887766550000000044332211');
  // w0 = w1 (0xbc): src nibble high, dst nibble low.
  assert.equal(Buffer.from(encode([Mov.reg32(R0, R1)])).toString('hex'), 'bc10000000000000');
  assert.equal(Buffer.from(encode([Mov.reg32(R0, R1)], { byteOrder: 'big' })).toString('hex'), 'bc01000000000000');
});

test('encode rejects fields that do not fit, naming the instruction', () => {
  const bad: [Instruction, RegExp][] = [
    [{ code: 256, dst: 0, src: 0, off: 0, imm: 0 }, /instruction 0: opcode 256 does not fit in 8 bits/],
    [{ code: 0xb7, dst: 16, src: 0, off: 0, imm: 0 }, /dst register 16/],
    [{ code: 0xb7, dst: 0, src: 0, off: 40000, imm: 0 }, /offset 40000 does not fit in s16/],
    [{ code: 0xb7, dst: 0, src: 0, off: 0, imm: 2 ** 32 }, /immediate 4294967296 does not fit in 32 bits/],
    [{ code: 0xb7, dst: 0, src: 0, off: 0, imm: 1n }, /64-bit immediate is only valid for ld_imm64/],
    [{ code: 0x18, dst: 0, src: 0, off: 0, imm: 1n << 64n }, /does not fit in 64 bits/],
  ];
  for (const [insn, message] of bad) {
    assert.throws(() => encode([insn]), (e: unknown) => e instanceof EncodeError && message.test((e as Error).message));
  }
});

test('decode: a ld_imm64 without a valid second half stays one slot', () => {
  const bytes = new Uint8Array(16);
  bytes[0] = 0x18;
  bytes[8] = 0xb7; // second slot is a real instruction, not the ld_imm64 tail
  const insns = decode(bytes);
  assert.is(insns.length, 2);
  assert.is(typeof insns[0].imm, 'number');
  assert.equal(describe(insns[0]), { kind: 'invalid', reason: 'ld_imm64 without its second half' });
  assert.throws(() => decode(new Uint8Array(7)), /not a multiple of 8/);
});

test.run();
