import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  Add, And, ArSh, BSwap, Div, Exit, LoadImm64, LSh, Mod, Mov, MovSX, Mul, Neg, Or, R0, R1, RSh, SDiv, SMod, Sub, ToBE, ToLE, Xor,
  type AluBuilder, type Instruction,
} from 'ebpf-bytecode-utils';
import { Interpreter } from '../../verifier-sim/index.js';

const M64 = (1n << 64n) - 1n;
const u64 = (x: bigint) => BigInt.asUintN(64, x);
const s64 = (x: bigint) => BigInt.asIntN(64, x);
const u32 = (x: bigint) => BigInt.asUintN(32, x);
const s32 = (x: bigint) => BigInt.asIntN(32, x);

function run(insns: Instruction[]): bigint {
  return new Interpreter(insns, { progType: 'raw_tracepoint' }).run().r0;
}

/** r0 = a; r1 = b; <op>; exit */
function binary(a: bigint, b: bigint, op: Instruction): bigint {
  return run([LoadImm64(R0, u64(a)), LoadImm64(R1, u64(b)), op, Exit()]);
}

const MIN64 = 1n << 63n;
const rows: [string, bigint, bigint, Instruction, bigint][] = [
  ['add wraps', M64, 2n, Add.reg(R0, R1), 1n],
  ['add carry into high half', 0xffffffffn, 1n, Add.reg(R0, R1), 0x100000000n],
  ['add imm sign-extends', 5n, 0n, Add.imm(R0, -6), M64],
  ['sub borrow', 0x100000000n, 1n, Sub.reg(R0, R1), 0xffffffffn],
  ['sub imm', 0n, 0n, Sub.imm(R0, 1), M64],
  ['mul overflow keeps low 64 bits', 0x123456789abcdefn, 0xfedcba987654321n, Mul.reg(R0, R1), u64(0x123456789abcdefn * 0xfedcba987654321n)],
  ['mul by -1', 7n, 0n, Mul.imm(R0, -1), u64(-7n)],
  ['div by zero is 0', 1234n, 0n, Div.reg(R0, R1), 0n],
  ['div unsigned 64', M64, 2n, Div.reg(R0, R1), M64 >> 1n],
  ['mod by zero leaves dst', 1234n, 0n, Mod.reg(R0, R1), 1234n],
  ['mod unsigned 64', M64, 10n, Mod.reg(R0, R1), M64 % 10n],
  ['sdiv negative', u64(-7n), 2n, SDiv.reg(R0, R1), u64(-3n)],
  ['sdiv INT_MIN / -1 wraps', MIN64, M64, SDiv.reg(R0, R1), MIN64],
  ['sdiv by zero is 0', u64(-7n), 0n, SDiv.reg(R0, R1), 0n],
  ['smod sign follows dividend', u64(-7n), 2n, SMod.reg(R0, R1), u64(-1n)],
  ['smod INT_MIN % -1 is 0', MIN64, M64, SMod.reg(R0, R1), 0n],
  ['smod by zero leaves dst', u64(-7n), 0n, SMod.reg(R0, R1), u64(-7n)],
  ['div32 by zero is 0 (upper half cleared)', 0xffffffff00000005n, 0n, Div.reg32(R0, R1), 0n],
  ['mod32 by zero keeps low half, zero-extends', 0xffffffff00000005n, 0n, Mod.reg32(R0, R1), 5n],
  ['sdiv32 INT_MIN / -1', 0x80000000n, 0xffffffffn, SDiv.reg32(R0, R1), 0x80000000n],
  ['smod32 negative', 0xfffffff9n, 2n, SMod.reg32(R0, R1), 0xffffffffn],
  ['lsh masks the amount to 63', 1n, 65n, LSh.reg(R0, R1), 2n],
  ['rsh masks the amount to 63', MIN64, 127n, RSh.reg(R0, R1), 1n],
  ['arsh sign-fills', MIN64, 63n, ArSh.reg(R0, R1), M64],
  ['lsh32 masks to 31', 1n, 33n, LSh.reg32(R0, R1), 2n],
  ['arsh32 sign-fills within 32 bits', 0x80000000n, 31n, ArSh.reg32(R0, R1), 0xffffffffn],
  ['alu32 add zero-extends', 0xffffffffffffffffn, 1n, Add.reg32(R0, R1), 0n],
  ['mov32 zero-extends', 0n, M64, Mov.reg32(R0, R1), 0xffffffffn],
  ['mov imm sign-extends', 0n, 0n, Mov.imm(R0, -1), M64],
  ['mov32 imm zero-extends', 0n, 0n, Mov.imm32(R0, -1), 0xffffffffn],
  ['neg', 1n, 0n, Neg.reg(R0), M64],
  ['neg32', 1n, 0n, Neg.reg32(R0), 0xffffffffn],
  ['neg of INT_MIN', MIN64, 0n, Neg.reg(R0), MIN64],
  ['movsx s8', 0n, 0x80n, MovSX.reg(R0, R1, 8), u64(-128n)],
  ['movsx s16', 0n, 0x18000n, MovSX.reg(R0, R1, 16), u64(-32768n)],
  ['movsx s32', 0n, 0x80000000n, MovSX.reg(R0, R1, 32), u64(-0x80000000n)],
  ['movsx32 s8 zero-extends the result', 0n, 0xffn, MovSX.reg32(R0, R1, 8), 0xffffffffn],
  ['le16 truncates', 0x1122334455667788n, 0n, ToLE(R0, 16), 0x7788n],
  ['le32 truncates', 0x1122334455667788n, 0n, ToLE(R0, 32), 0x55667788n],
  ['le64 is a no-op', 0x1122334455667788n, 0n, ToLE(R0, 64), 0x1122334455667788n],
  ['be16 swaps and truncates', 0x1122334455667788n, 0n, ToBE(R0, 16), 0x8877n],
  ['be32', 0x1122334455667788n, 0n, ToBE(R0, 32), 0x88776655n],
  ['be64', 0x1122334455667788n, 0n, ToBE(R0, 64), 0x8877665544332211n],
  ['bswap64', 0x1122334455667788n, 0n, BSwap(R0, 64), 0x8877665544332211n],
  ['bswap16', 0x1122334455667788n, 0n, BSwap(R0, 16), 0x8877n],
  ['and imm sign-extends', 0x123456789abcdef0n, 0n, And.imm(R0, -0x10000), 0x123456789abc0000n],
  ['or imm', 0n, 0n, Or.imm(R0, -0x80000000), 0xffffffff80000000n],
  ['xor32 imm', 0xffffffff00000000n, 0n, Xor.imm32(R0, 1), 1n],
];

for (const [name, a, b, op, want] of rows) {
  test(`alu: ${name}`, () => {
    assert.is(binary(a, b, op).toString(16), want.toString(16));
  });
}

// Reference semantics on bigint, written from the kernel's definitions.
type Ref = (a: bigint, b: bigint) => bigint;
const ref64: Record<string, Ref> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => (b === 0n ? 0n : a / b),
  mod: (a, b) => (b === 0n ? a : a % b),
  sdiv: (a, b) => (b === 0n ? 0n : s64(a) / s64(b)),
  smod: (a, b) => (b === 0n ? a : s64(a) % s64(b)),
  or: (a, b) => a | b,
  and: (a, b) => a & b,
  xor: (a, b) => a ^ b,
  lsh: (a, b) => a << (b & 63n),
  rsh: (a, b) => a >> (b & 63n),
  arsh: (a, b) => s64(a) >> (b & 63n),
};
const ref32: Record<string, Ref> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => (b === 0n ? 0n : a / b),
  mod: (a, b) => (b === 0n ? a : a % b),
  sdiv: (a, b) => (b === 0n ? 0n : s32(a) / s32(b)),
  smod: (a, b) => (b === 0n ? a : s32(a) % s32(b)),
  or: (a, b) => a | b,
  and: (a, b) => a & b,
  xor: (a, b) => a ^ b,
  lsh: (a, b) => a << (b & 31n),
  rsh: (a, b) => a >> (b & 31n),
  arsh: (a, b) => s32(a) >> (b & 31n),
};
const builders: Record<string, AluBuilder> = { add: Add, sub: Sub, mul: Mul, div: Div, mod: Mod, sdiv: SDiv, smod: SMod, or: Or, and: And, xor: Xor, lsh: LSh, rsh: RSh, arsh: ArSh };

const interesting = fc.oneof(
  fc.bigInt({ min: 0n, max: M64 }),
  fc.constantFrom(0n, 1n, 2n, 31n, 32n, 63n, 64n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, MIN64, M64, u64(-2n)),
  fc.integer().map((n) => u64(BigInt(n))),
);

test('alu: every binary operation matches a bigint reference (64 and 32 bits, reg and imm)', () => {
  fc.assert(
    fc.property(fc.constantFrom(...Object.keys(builders)), interesting, interesting, fc.boolean(), fc.boolean(), (name, a, b, wide, useImm) => {
      const bImm = useImm ? Number(BigInt.asIntN(32, b)) : 0;
      const bVal = useImm ? (wide ? u64(BigInt(bImm)) : u32(BigInt(bImm))) : wide ? b : u32(b);
      const builder = builders[name];
      const op = useImm ? (wide ? builder.imm(R0, bImm) : builder.imm32(R0, bImm)) : wide ? builder.reg(R0, R1) : builder.reg32(R0, R1);
      const want = wide ? u64(ref64[name](a, bVal)) : u32(ref32[name](u32(a), bVal));
      const got = binary(a, b, op);
      if (got !== want) throw new Error(`${name}${wide ? '' : '32'} ${useImm ? `imm ${bImm}` : 'reg'}: a=0x${a.toString(16)} b=0x${bVal.toString(16)}: got 0x${got.toString(16)}, want 0x${want.toString(16)}`);
    }),
    { numRuns: 3000 },
  );
});

test.run();
