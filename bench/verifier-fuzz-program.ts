/**
 * The random-program generator of the verifier differential (shared by
 * test/kernel/verifier-vs-kernel.test.ts's fixed-seed sample and bench/verifier-differential.ts's
 * long run): mostly plausible programs of ALU, context and stack loads/stores, short forward
 * jumps, map lookups, helper calls and bpf-to-bpf calls, for socket_filter, xdp and sched_cls.
 * Map references use fd_array index 0 (a hash map, key 4 bytes, value 8 bytes) and, in
 * {@link plausibleRingbufProgram}, index 1 (a ring buffer).
 * @module
 */
import fc from 'fast-check';
import {
  Add, And, ArSh, Atomic, Call, Div, Exit, JEq, JGE, JGT, JLE, JLT, JNE, JSet, JSGT, JSLT, LoadMapPtr, LoadMem, LSh, Mod, Mov, Mul, Neg, Or, R0, R1, R2, R3, R4, R5,
  R6, R7, R8, R9, R10, RSh, Size, StoreImm, StoreMem, Sub, Xor, Label, resolve, type Instruction, type ProgramItem,
} from 'ebpf-bytecode-utils';

/** One generated program: its type and instructions. */
export interface FuzzProgram {
  readonly progType: 'socket_filter' | 'xdp' | 'sched_cls';
  readonly insns: Instruction[];
}

const REGS = [R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10];
const ALUS = [Mov, Add, Sub, Mul, And, Or, Xor, LSh, RSh, ArSh, Div, Mod];
const JUMPS = [JEq, JNE, JGT, JGE, JLT, JLE, JSGT, JSLT, JSet];
const SIZES = [Size.B, Size.H, Size.W, Size.DW];

/** Random, mostly plausible programs: ALU, context and stack loads/stores, short forward jumps, helper calls. */
export const fuzzProgram: fc.Arbitrary<FuzzProgram> = (() => {
  const reg = fc.integer({ min: 0, max: 9 }).map((i) => REGS[i]);
  const anyReg = fc.integer({ min: 0, max: 10 }).map((i) => REGS[i]);
  const imm = fc.oneof(fc.integer({ min: -20, max: 20 }), fc.constantFrom(0, 1, 7, 8, 15, 16, 31, 32, 63, 255, 0xffff, -1, 0x7fffffff));
  const size = fc.integer({ min: 0, max: 3 }).map((i) => SIZES[i]);
  const op = fc.integer({ min: 0, max: ALUS.length - 1 }).map((i) => ALUS[i]);
  const jump = fc.integer({ min: 0, max: JUMPS.length - 1 }).map((i) => JUMPS[i]);
  const item: fc.Arbitrary<Instruction[]> = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(op, reg, imm, fc.boolean()).map(([o, d, v, w]) => [w ? o.imm32(d, v) : o.imm(d, v)]) },
    { weight: 3, arbitrary: fc.tuple(op, reg, anyReg, fc.boolean()).map(([o, d, r, w]) => [w ? o.reg32(d, r) : o.reg(d, r)]) },
    { weight: 1, arbitrary: reg.map((d) => [Neg.reg(d)]) },
    { weight: 3, arbitrary: fc.tuple(reg, fc.constantFrom(0, 1, 2, 4, 8, 12, 16, 48, 76, 80, 140), size).map(([d, off, z]) => [LoadMem(d, R1, off, z)]) },
    { weight: 3, arbitrary: fc.tuple(anyReg, fc.constantFrom(-1, -4, -8, -16, -24, 0), size).map(([r, off, z]) => [StoreMem(R10, off, r, z)]) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(-4, -8, -16, -24), imm, size).map(([off, v, z]) => [StoreImm(R10, off, v, z)]) },
    { weight: 3, arbitrary: fc.tuple(reg, fc.constantFrom(-2, -4, -8, -16, -24), size).map(([d, off, z]) => [LoadMem(d, R10, off, z)]) },
    { weight: 2, arbitrary: fc.tuple(reg, reg, fc.integer({ min: -4, max: 24 }), size).map(([d, r, off, z]) => [LoadMem(d, r, off, z)]) },
    { weight: 4, arbitrary: fc.tuple(jump, reg, imm, fc.integer({ min: 0, max: 4 }), fc.boolean()).map(([j, d, v, off, w]) => [w ? j.imm32(d, v, off) : j.imm(d, v, off)]) },
    { weight: 1, arbitrary: fc.tuple(jump, reg, reg, fc.integer({ min: 0, max: 4 })).map(([j, d, r, off]) => [j.reg(d, r, off)]) },
    { weight: 1, arbitrary: fc.tuple(reg, fc.constantFrom(-4, -8, -16)).map(([r, off]) => [Mov.reg(r, R10), Add.imm(r, off)]) },
    { weight: 1, arbitrary: fc.constant<Instruction[]>([StoreImm(R10, -4, 0, Size.W), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapPtr(R1, 0), Call.helper(1)]) },
    { weight: 1, arbitrary: fc.constantFrom(5, 7, 8, 14).map((h) => [Call.helper(h)]) },
    // Calls of the subprogram appended after the main program (offsets fixed up below).
    { weight: 1, arbitrary: fc.constant<Instruction[]>([Mov.reg(R1, R10), Add.imm(R1, -8), Call.subprog(0)]) },
    { weight: 1, arbitrary: fc.constant<Instruction[]>([Call.subprog(0)]) },
  );
  const subprog = [StoreImm(R1, 0, 1, Size.W), Mov.reg(R0, R1), Add.imm(R0, 1), Exit()];
  const withSubprog = (main: Instruction[]): Instruction[] => {
    const start = main.reduce((n, i) => n + (typeof i.imm === 'bigint' ? 2 : 1), 0);
    let slot = 0;
    const fixed = main.map((i) => {
      const here = slot;
      slot += typeof i.imm === 'bigint' ? 2 : 1;
      return i.code === 0x85 && i.src === 1 ? { ...i, imm: start - here - 1 } : i;
    });
    return fixed.some((i) => i.code === 0x85 && i.src === 1) ? [...fixed, ...subprog] : fixed;
  };
  const init = [Mov.imm(R0, 0), Mov.imm(R2, 1), Mov.imm(R3, 2), Mov.imm(R4, 3), Mov.imm(R5, 4), Mov.reg(R6, R1)];
  return fc
    .tuple(fc.array(item, { minLength: 1, maxLength: 14 }), fc.constantFrom<FuzzProgram['progType']>('socket_filter', 'xdp', 'sched_cls'), fc.boolean())
    .map(([items, progType, withInit]) => ({ progType, insns: withSubprog([...(withInit ? init : []), ...items.flat(), Mov.imm(R0, 0), Exit()]) }));
})();

/** A piece of a plausible program; `id` makes its labels unique. */
type Piece = (id: string) => ProgramItem[];

/** Offsets of `data` / `data_end` in the context, for the types with direct packet access. */
const PACKET_FIELDS: Partial<Record<FuzzProgram['progType'], readonly [number, number]>> = { xdp: [0, 4], sched_cls: [76, 80] };
/** Readable scalar context fields (offset, size) per type. */
const SCALAR_FIELDS: Record<FuzzProgram['progType'], readonly (readonly [number, Size])[]> = {
  socket_filter: [[0, Size.W], [4, Size.W], [8, Size.W], [16, Size.W], [0, Size.B], [16, Size.H], [48, Size.W], [52, Size.DW]],
  sched_cls: [[0, Size.W], [8, Size.W], [12, Size.H], [16, Size.W], [32, Size.W], [44, Size.W], [48, Size.DW], [0, Size.B]],
  xdp: [[12, Size.W], [16, Size.W], [12, Size.B]],
};

/**
 * Mostly valid programs with targeted mutations (issue #7): every register starts initialised,
 * context loads use readable fields, map lookups check for null before use, packet reads follow a
 * bounds check, loops are bounded — and about one piece in eight is mutated (a missing null check,
 * an off-by-one bounds check or map offset, an uninitialised stack read, a bad context offset, a
 * pointer returned, an unbounded loop counter, a too-large shift), so both verdicts are common.
 * Scratch registers: r7–r9 (and r0); r6 holds the context.
 */
export const plausibleProgram: fc.Arbitrary<FuzzProgram> = plausiblePrograms(false);

/**
 * {@link plausibleProgram} plus ring buffer records: `bpf_ringbuf_reserve` of a constant size from
 * the map at fd_array index 1 (a ringbuf), a null check, a write, then `bpf_ringbuf_submit` or
 * `bpf_ringbuf_discard`; mutations drop the null check, drop the release (a leaked reference),
 * write past the record, or use the record after releasing it. Needs maps
 * `[hash (4-byte key, 8-byte value), ringbuf]`.
 */
export const plausibleRingbufProgram: fc.Arbitrary<FuzzProgram> = plausiblePrograms(true);

function plausiblePrograms(withRingbuf: boolean): fc.Arbitrary<FuzzProgram> {
  const scratch = fc.constantFrom(R7, R8, R9);
  const operand = fc.constantFrom(R0, R7, R8, R9);
  const small = fc.integer({ min: -40, max: 300 });
  const size = fc.integer({ min: 0, max: 3 }).map((i) => SIZES[i]);
  const mutate = fc.integer({ min: 0, max: 7 }).map((n) => n === 0);
  const progType = fc.constantFrom<FuzzProgram['progType']>('socket_filter', 'xdp', 'sched_cls');
  const pieces = (type: FuzzProgram['progType']): fc.Arbitrary<Piece> => {
    const field = fc.constantFrom(...SCALAR_FIELDS[type]);
    const options: fc.WeightedArbitrary<Piece>[] = [
      { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 0, max: ALUS.length - 1 }), operand, small, fc.boolean()).map(([o, d, v, w]) => () => {
        const op = ALUS[o];
        const value = op === LSh || op === RSh || op === ArSh ? v & 31 : v;
        return [w ? op.imm32(d, value) : op.imm(d, value)];
      }) },
      { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 0, max: ALUS.length - 1 }), operand, operand, fc.boolean()).map(([o, d, s, w]) => () => [w ? ALUS[o].reg32(d, s) : ALUS[o].reg(d, s)]) },
      { weight: 1, arbitrary: fc.tuple(operand, mutate).map(([d, m]) => () => [LSh.imm(d, m ? 64 : 63)]) },
      { weight: 3, arbitrary: fc.tuple(scratch, field, mutate).map(([d, [off, sz], m]) => () => [LoadMem(d, R6, m ? off + 1 : off, sz)]) },
      { weight: 2, arbitrary: fc.tuple(operand, fc.constantFrom(-24, -32), size).map(([r, off, z]) => () => [StoreMem(R10, off, r, z)]) },
      { weight: 2, arbitrary: fc.tuple(scratch, fc.constantFrom(-8, -16, -24, -32), size, mutate).map(([d, off, z, m]) => () => [LoadMem(d, R10, m ? -48 : off, z)]) },
      { weight: 1, arbitrary: fc.tuple(operand, fc.constantFrom(-8, -16)).map(([r, off]) => () => [Atomic.add(R10, off, r, Size.DW)]) },
      { weight: 1, arbitrary: fc.constantFrom(5, 7, 8, 14).map((h) => () => [Call.helper(h)]) },
      {
        weight: 3,
        arbitrary: fc.tuple(fc.integer({ min: 0, max: 3 }), scratch, fc.constantFrom(0, 4), mutate, mutate).map(([key, d, off, noCheck, badOff]) => (id) => [
          StoreImm(R10, -4, key, Size.W), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapPtr(R1, 0), Call.helper(1),
          ...(noCheck ? [] : [JEq.imm(R0, 0, `${id}end`)]),
          LoadMem(R1, R0, badOff ? 8 - off : off, off === 0 ? Size.DW : Size.W), Add.reg(d, R1), StoreMem(R0, 0, d, Size.W),
          Label(`${id}end`), Mov.imm(R0, 0),
        ]),
      },
      {
        weight: 2,
        arbitrary: fc.tuple(fc.integer({ min: 0, max: 3 }), scratch, fc.constantFrom(0, 2)).map(([key, d, flags]) => () => [
          StoreImm(R10, -4, key, Size.W), StoreMem(R10, -16, d, Size.DW), LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -4), Mov.reg(R3, R10), Add.imm(R3, -16), Mov.imm(R4, flags), Call.helper(2),
        ]),
      },
      // Mutated: the counter restarts inside the loop, which the verifier reports as an infinite loop.
      { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 2, max: 20 }), scratch, mutate).map(([n, d, m]) => (id) => (m
        ? [Label(`${id}loop`), Mov.imm(R1, 0), Add.imm(R1, 1), JLT.imm(R1, n, `${id}loop`)]
        : [Mov.imm(R1, 0), Label(`${id}loop`), Add.imm(R1, 1), Add.reg(d, R1), JLT.imm(R1, n, `${id}loop`)])) },
      { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: JUMPS.length - 1 }), operand, small, fc.boolean()).map(([j, r, v, w]) => (id) => [w ? JUMPS[j].imm32(r, v, `${id}skip`) : JUMPS[j].imm(r, v, `${id}skip`), Add.imm(R9, 1), Label(`${id}skip`)]) },
    ];
    if (withRingbuf) {
      options.push({
        weight: 2,
        arbitrary: fc.tuple(fc.constantFrom(8, 16), scratch, fc.boolean(), fc.integer({ min: 0, max: 15 })).map(([size, d, discard, m]) => (id) => [
          LoadMapPtr(R1, 1), Mov.imm(R2, size), Mov.imm(R3, 0), Call.helper(131),
          ...(m === 1 ? [] : [JEq.imm(R0, 0, `${id}end`)]),
          StoreImm(R0, m === 2 ? size : 0, 1, Size.DW),
          ...(m === 3 ? [] : [Mov.reg(d, R0), Mov.reg(R1, R0), Mov.imm(R2, 0), Call.helper(discard ? 133 : 132), ...(m === 4 ? [StoreImm(d, 0, 2, Size.W)] : []), Mov.imm(d, 0)]),
          Label(`${id}end`), Mov.imm(R0, 0),
        ]),
      });
    }
    const packet = PACKET_FIELDS[type];
    if (packet !== undefined) {
      options.push({
        weight: 3,
        arbitrary: fc.tuple(fc.integer({ min: 1, max: 80 }), fc.constantFrom(Size.B, Size.H, Size.W), scratch, mutate).map(([n, sz, d, m]) => (id) => {
          const bytes = sz === Size.B ? 1 : sz === Size.H ? 2 : 4;
          const end = Math.max(n, bytes);
          return [
            LoadMem(R2, R6, packet[0], Size.W), LoadMem(R3, R6, packet[1], Size.W), Mov.reg(R4, R2), Add.imm(R4, end), JGT.reg(R4, R3, `${id}out`),
            LoadMem(d, R2, end - bytes + (m ? 1 : 0), sz), Label(`${id}out`),
          ];
        }),
      });
    }
    return fc.oneof(...options);
  };
  return progType.chain((type) =>
    fc.tuple(fc.array(pieces(type), { minLength: 1, maxLength: 10 }), fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7)).map(([ps, ret]) => {
      const prologue: ProgramItem[] = [Mov.reg(R6, R1), Mov.imm(R0, 0), Mov.imm(R7, 1), Mov.imm(R8, 2), Mov.imm(R9, 3), StoreImm(R10, -8, 0, Size.DW), StoreImm(R10, -16, 0, Size.DW), StoreImm(R10, -24, 0, Size.DW), StoreImm(R10, -32, 0, Size.DW)];
      const epilogue: ProgramItem[] = ret === 0 ? [Mov.reg(R0, R6), Exit()] : ret < 4 ? [Mov.reg(R0, [R7, R8, R9][ret - 1]), Exit()] : [Exit()];
      return { progType: type, insns: resolve([...prologue, ...ps.flatMap((p, i) => p(`p${i}`)), ...epilogue]).instructions };
    }),
  );
}

/** Helpers whose results the interpreter cannot know: time, random numbers, the current CPU. */
const WORLDLY_HELPERS: ReadonlySet<number> = new Set([5, 7, 8]);

/**
 * Whether an accepted generated program's result is a function of its input, so the interpreter
 * must return what BPF_PROG_TEST_RUN returns: it calls no time, random or CPU helper, does not end
 * `r0 = r6; exit` (the context's kernel address), and reads no stack below the 32 bytes
 * {@link plausibleProgram}'s prologue zeroes (root may read uninitialised stack: kernel bytes).
 * `bpf_get_current_pid_tgid` and `_uid_gid` are comparable when the interpreter's environment
 * holds the caller's pid and uid.
 */
export function interpreterComparable(p: FuzzProgram): boolean {
  const insns = p.insns;
  const last = insns[insns.length - 2];
  if (last !== undefined && last.code === 0xbf && last.dst === 0 && last.src === 6) return false;
  return !insns.some((i) => (i.code === 0x85 && i.src === 0 && WORLDLY_HELPERS.has(Number(i.imm))) || ((i.code & 7) === 1 && i.src === 10 && i.off < -32));
}
