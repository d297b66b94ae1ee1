/**
 * fast-check generators of valid instructions: one generator per instruction form, with random
 * registers, offsets and immediates. Shared by the codec, disassembler and assembler properties.
 */
import fc from 'fast-check';
import {
  Add, And, ArSh, Atomic, BSwap, Call, Div, Exit, Gotol, JEq, JGE, JGT, JLE, JLT, JNE, JSet, JSGE, JSGT, JSLE, JSLT, Ja,
  LoadAbs, LoadBtfId, LoadFunc, LoadImm64, LoadInd, LoadMapIdx, LoadMapIdxValue, LoadMapPtr, LoadMapValue, LoadMem, LoadMemSX,
  LSh, MayGoto, Mod, Mov, MovSX, Mul, Neg, Or, RSh, SDiv, SMod, Size, StoreImm, StoreMem, Sub, ToBE, ToLE, Xor,
  type Instruction, type Register,
} from 'ebpf-bytecode-utils';

/** Any register R0–R10. */
export const register = fc.integer({ min: 0, max: 10 }).map((n) => n as Register);
/** Any s32. */
export const s32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
/** Any s16. */
export const s16 = fc.integer({ min: -0x8000, max: 0x7fff });
const anySize = fc.constantFrom(Size.B, Size.H, Size.W, Size.DW);
const wordSize = fc.constantFrom(Size.W, Size.DW);

const aluOps = [Add, Sub, Mul, Div, SDiv, Or, And, LSh, RSh, Mod, SMod, Xor, Mov, ArSh];
const jumpOps = [JEq, JGT, JGE, JSet, JNE, JSGT, JSGE, JLT, JLE, JSLT, JSLE];

/** ISA v1–v3 forms (what LLVM 14 knows). */
export const classicInstruction: fc.Arbitrary<Instruction> = fc.oneof(
  fc.tuple(fc.constantFrom(...aluOps.filter((o) => o !== SDiv && o !== SMod)), fc.constantFrom('imm', 'reg', 'imm32', 'reg32'), register, register, s32).map(([op, form, d, s, imm]) =>
    form === 'imm' ? op.imm(d, imm) : form === 'imm32' ? op.imm32(d, imm) : form === 'reg' ? op.reg(d, s) : op.reg32(d, s),
  ),
  fc.tuple(register, fc.boolean()).map(([d, w]) => (w ? Neg.reg32(d) : Neg.reg(d))),
  fc.tuple(register, fc.constantFrom(16, 32, 64) as fc.Arbitrary<16 | 32 | 64>, fc.boolean()).map(([d, b, be]) => (be ? ToBE(d, b) : ToLE(d, b))),
  fc.tuple(fc.constantFrom(...jumpOps), fc.constantFrom('imm', 'reg', 'imm32', 'reg32'), register, register, s32, s16).map(([op, form, d, s, imm, off]) =>
    form === 'imm' ? op.imm(d, imm, off) : form === 'imm32' ? op.imm32(d, imm, off) : form === 'reg' ? op.reg(d, s, off) : op.reg32(d, s, off),
  ),
  s16.map((off) => Ja(off)),
  fc.integer({ min: 0, max: 211 }).map((id) => Call.helper(id)),
  s32.map((off) => Call.subprog(off)),
  fc.constant(Exit()),
  fc.tuple(register, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })).map(([d, v]) => LoadImm64(d, v)),
  fc.tuple(fc.constantFrom(Size.B, Size.H, Size.W), s32).map(([sz, imm]) => LoadAbs(sz, imm)),
  fc.tuple(fc.constantFrom(Size.B, Size.H, Size.W), register, s32).map(([sz, s, imm]) => LoadInd(sz, s, imm)),
  fc.tuple(register, register, s16, anySize).map(([d, s, off, sz]) => LoadMem(d, s, off, sz)),
  fc.tuple(register, s16, register, anySize).map(([d, off, s, sz]) => StoreMem(d, off, s, sz)),
  fc.tuple(register, s16, s32, anySize).map(([d, off, imm, sz]) => StoreImm(d, off, imm, sz)),
  fc.tuple(fc.constantFrom('add', 'or', 'and', 'xor', 'fetchAdd', 'fetchOr', 'fetchAnd', 'fetchXor', 'xchg', 'cmpxchg') as fc.Arbitrary<keyof typeof Atomic>, register, s16, register, wordSize).map(
    ([op, d, off, s, sz]) => (Atomic[op] as (d: Register, off: number, s: Register, sz: Size) => Instruction)(d, off, s, sz),
  ),
);

/** ISA v4 and newer forms, plus every ld_imm64 pseudo source and kfunc calls. */
export const modernInstruction: fc.Arbitrary<Instruction> = fc.oneof(
  fc.tuple(fc.constantFrom(SDiv, SMod), fc.constantFrom('imm', 'reg', 'imm32', 'reg32'), register, register, s32).map(([op, form, d, s, imm]) =>
    form === 'imm' ? op.imm(d, imm) : form === 'imm32' ? op.imm32(d, imm) : form === 'reg' ? op.reg(d, s) : op.reg32(d, s),
  ),
  fc.tuple(register, register, fc.constantFrom(8, 16, 32) as fc.Arbitrary<8 | 16 | 32>).map(([d, s, b]) => MovSX.reg(d, s, b)),
  fc.tuple(register, register, fc.constantFrom(8, 16) as fc.Arbitrary<8 | 16>).map(([d, s, b]) => MovSX.reg32(d, s, b)),
  fc.tuple(register, fc.constantFrom(16, 32, 64) as fc.Arbitrary<16 | 32 | 64>).map(([d, b]) => BSwap(d, b)),
  fc.tuple(register, register, s16, fc.constantFrom(Size.B, Size.H, Size.W)).map(([d, s, off, sz]) => LoadMemSX(d, s, off, sz)),
  s32.map((imm) => Gotol(imm)),
  s16.map((off) => MayGoto(off)),
  fc.tuple(fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 0, max: 0x7fff })).map(([id, m]) => Call.kfunc(id, m)),
  fc.tuple(register, register, s16, anySize).map(([d, s, off, sz]) => Atomic.loadAcquire(d, s, off, sz)),
  fc.tuple(register, s16, register, anySize).map(([d, off, s, sz]) => Atomic.storeRelease(d, off, s, sz)),
  fc.tuple(register, fc.integer({ min: 0, max: 0x7fffffff })).map(([d, fd]) => LoadMapPtr(d, fd)),
  fc.tuple(register, fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 0, max: 0x7fffffff })).map(([d, fd, off]) => LoadMapValue(d, fd, off)),
  fc.tuple(register, fc.integer({ min: 0, max: 0x7fffffff })).map(([d, i]) => LoadMapIdx(d, i)),
  fc.tuple(register, fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 0, max: 0x7fffffff })).map(([d, i, off]) => LoadMapIdxValue(d, i, off)),
  fc.tuple(register, fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 0, max: 0x7fffffff })).map(([d, id, fd]) => LoadBtfId(d, id, fd)),
  fc.tuple(register, s32).map(([d, off]) => LoadFunc(d, off)),
);

/** Any valid instruction form. */
export const anyInstruction: fc.Arbitrary<Instruction> = fc.oneof(classicInstruction, modernInstruction);
