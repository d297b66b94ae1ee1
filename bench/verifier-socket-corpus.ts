/**
 * The socket corpus of the verifier differential (bench/verifier-differential.ts with
 * `CORPUS=sockets`, and a fixed-seed sample in test/kernel/verifier-sockets-vs-kernel.test.ts):
 * plausible `sched_cls` and `xdp` programs that look sockets up (`bpf_sk_lookup_tcp`/`_udp`,
 * `bpf_skc_lookup_tcp`), null-check them, read their fields, cast them (`bpf_sk_fullsock`,
 * `bpf_tcp_sock`) and release them, or read `__sk_buff->sk`, between scalar ALU, stack and jump
 * pieces. About one socket piece in four is mutated: no null check, a bad field offset or size,
 * a write, pointer arithmetic, no release (a leaked reference), a release of a pointer that holds
 * no reference, or a use after release. Uses no maps; r6 holds the context, r7–r9 are scratch.
 * @module
 */
import fc from 'fast-check';
import {
  Add, And, Call, Exit, JEq, JGT, JNE, Label, LoadMem, LSh, Mov, Or, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, RSh, Size, StoreImm, StoreMem, Sub, Xor, resolve,
  type ProgramItem,
} from 'ebpf-bytecode-utils';
import type { FuzzProgram } from './verifier-fuzz-program.js';

type Piece = (id: string) => ProgramItem[];

const SK_LOOKUP_TCP = 84;
const SK_LOOKUP_UDP = 85;
const SK_RELEASE = 86;
const SK_FULLSOCK = 95;
const TCP_SOCK = 96;
const GET_LISTENER_SOCK = 98;
const SKC_LOOKUP_TCP = 99;
/** `offsetof(struct __sk_buff, sk)`. */
const SKB_SK = 168;

/** Reads of `struct bpf_sock` ([offset, size]): the allowed ones first, then rejected ones. */
const SOCK_READS: readonly (readonly [number, Size])[] = [[4, Size.W], [0, Size.W], [44, Size.W], [48, Size.H], [72, Size.B], [24, Size.B], [60, Size.W], [76, Size.W]];
const BAD_SOCK_READS: readonly (readonly [number, Size])[] = [[80, Size.W], [0, Size.DW], [73, Size.B], [50, Size.H], [16, Size.H], [-4, Size.W]];
/** Reads of `struct bpf_tcp_sock`. */
const TCP_READS: readonly (readonly [number, Size])[] = [[0, Size.W], [80, Size.DW], [88, Size.DW], [108, Size.W]];
const BAD_TCP_READS: readonly (readonly [number, Size])[] = [[88, Size.W], [112, Size.W], [2, Size.H]];

/**
 * A zeroed IPv4 tuple at fp-48, then `helper(ctx, fp-48, 12, netns, 0)`; netns is -1 (the
 * caller's) or 0.
 */
const lookupCall = (helper: number, netns: number): ProgramItem[] => [
  StoreImm(R10, -48, 0, Size.DW), StoreImm(R10, -40, 0, Size.W), Mov.reg(R1, R6), Mov.reg(R2, R10), Add.imm(R2, -48), Mov.imm(R3, 12), Mov.imm(R4, netns), Mov.imm(R5, 0), Call.helper(helper),
];

const SCRATCH = [R7, R8, R9];
const OPERANDS = [R0, R7, R8, R9];

function socketPrograms(): fc.Arbitrary<FuzzProgram> {
  const progType = fc.constantFrom<FuzzProgram['progType']>('sched_cls', 'sched_cls', 'xdp');
  const scratch = fc.constantFrom(...SCRATCH);
  const mutation = fc.integer({ min: 0, max: 27 }); // 0–6: a mutation (one in four), otherwise none
  const pieces = (type: FuzzProgram['progType']): fc.Arbitrary<Piece> => {
    const options: fc.WeightedArbitrary<Piece>[] = [
      {
        weight: 2,
        arbitrary: fc.tuple(fc.constantFrom(Add, Sub, And, Or, Xor, LSh, RSh, Mov), fc.constantFrom(...OPERANDS), fc.integer({ min: -20, max: 200 })).map(([op, d, v]) => () => [op.imm(d, op === LSh || op === RSh ? v & 31 : v)]),
      },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...OPERANDS), fc.constantFrom(...OPERANDS)).map(([d, s]) => () => [Add.reg(d, s)]) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom(JEq, JNE, JGT), fc.constantFrom(...OPERANDS), fc.integer({ min: 0, max: 100 })).map(([j, r, v]) => (id) => [j.imm(r, v, `${id}skip`), Add.imm(R9, 1), Label(`${id}skip`)]) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...OPERANDS), fc.constantFrom(-24, -32)).map(([r, off]) => () => [StoreMem(R10, off, r, Size.DW)]) },
      // A lookup: null check, a field read into a scratch register, maybe a cast, then a release.
      {
        weight: 4,
        arbitrary: fc.tuple(
          fc.constantFrom(SK_LOOKUP_TCP, SK_LOOKUP_UDP, SKC_LOOKUP_TCP), fc.constantFrom(-1, 0), scratch, fc.nat(SOCK_READS.length - 1), fc.nat(BAD_SOCK_READS.length - 1),
          fc.boolean(), mutation,
        ).map(([helper, netns, d, read, bad, cast, m]) => (id) => {
          const [off, sz] = m === 1 ? BAD_SOCK_READS[bad] : SOCK_READS[read];
          const common = helper === SKC_LOOKUP_TCP;
          const body: ProgramItem[] = [];
          // A sock_common (skc_lookup_tcp) reads only its common fields; cast it to a full socket first.
          if (common && (cast || type === 'xdp')) body.push(Mov.reg(R1, R0));
          if (common && type !== 'xdp' && cast) {
            body.push(Mov.reg(d, R0), Call.helper(SK_FULLSOCK), JEq.imm(R0, 0, `${id}cast`), LoadMem(R1, R0, off, sz), Label(`${id}cast`), Mov.reg(R0, d));
          } else {
            body.push(LoadMem(d, R0, common && m !== 1 ? 4 : off, sz));
          }
          if (m === 2) body.push(StoreImm(R0, 16, 1, Size.W));
          if (m === 3) body.push(Add.imm(R0, 8));
          const release: ProgramItem[] = m === 4 ? [] : [Mov.reg(d, R0), Mov.reg(R1, R0), Call.helper(SK_RELEASE)];
          if (m === 5) release.push(Mov.reg(R1, d), Call.helper(SK_RELEASE));
          if (m === 6) release.push(LoadMem(R1, d, 4, Size.W));
          return [...lookupCall(helper, netns), ...(m === 0 ? [] : [JEq.imm(R0, 0, `${id}end`)]), ...body, ...release, Mov.imm(d, 0), Label(`${id}end`), Mov.imm(R0, 0)];
        }),
      },
    ];
    if (type === 'sched_cls') {
      // __sk_buff->sk, maybe cast with bpf_sk_fullsock / bpf_tcp_sock / bpf_get_listener_sock.
      options.push({
        weight: 3,
        arbitrary: fc.tuple(fc.constantFrom(0, SK_FULLSOCK, TCP_SOCK, GET_LISTENER_SOCK), scratch, fc.nat(TCP_READS.length - 1), fc.nat(BAD_TCP_READS.length - 1), fc.nat(BAD_SOCK_READS.length - 1), mutation).map(
          ([cast, d, read, badTcp, bad, m]) => (id) => {
            const tcp = cast === TCP_SOCK;
            const [off, sz] = tcp ? (m === 1 ? BAD_TCP_READS[badTcp] : TCP_READS[read]) : m === 1 ? BAD_SOCK_READS[bad] : cast === 0 ? [4, Size.W] : SOCK_READS[read % SOCK_READS.length];
            const out: ProgramItem[] = [LoadMem(R1, R6, SKB_SK, Size.DW), ...(m === 0 && cast === 0 ? [] : [JEq.imm(R1, 0, `${id}end`)])];
            if (cast !== 0) out.push(Call.helper(cast), ...(m === 0 ? [] : [JEq.imm(R0, 0, `${id}end`)]), Mov.reg(R1, R0));
            if (m === 2) out.push(StoreImm(R1, 0, 1, Size.W));
            if (m === 3) out.push(Add.imm(R1, 4));
            out.push(LoadMem(d, R1, off, sz));
            if (m === 4) out.push(Call.helper(SK_RELEASE));
            return [...out, Label(`${id}end`), Mov.imm(R0, 0)];
          },
        ),
      });
    }
    return fc.oneof(...options);
  };
  return progType.chain((type) =>
    fc.tuple(fc.array(pieces(type), { minLength: 1, maxLength: 6 }), fc.constantFrom(1, 2, 3, 4)).map(([ps, ret]) => {
      const prologue: ProgramItem[] = [Mov.reg(R6, R1), Mov.imm(R0, 0), Mov.imm(R7, 1), Mov.imm(R8, 2), Mov.imm(R9, 3), StoreImm(R10, -24, 0, Size.DW), StoreImm(R10, -32, 0, Size.DW)];
      const epilogue: ProgramItem[] = ret < 4 ? [Mov.reg(R0, SCRATCH[ret - 1]), Exit()] : [Exit()];
      return { progType: type, insns: resolve([...prologue, ...ps.flatMap((p, i) => p(`s${i}`)), ...epilogue]).instructions };
    }),
  );
}

/** Plausible socket programs with mutations (see the module comment). */
export const plausibleSocketProgram: fc.Arbitrary<FuzzProgram> = socketPrograms();

/**
 * Whether the interpreter can be held to BPF_PROG_TEST_RUN's result on an accepted program of
 * this corpus: not when it looks a socket up in the caller's netns (the machine's real sockets
 * may match a tuple; the interpreter's socket table is empty). `__sk_buff->sk` is comparable:
 * the interpreter models the test run's socket.
 */
export function socketInterpreterComparable(p: FuzzProgram): boolean {
  return !p.insns.some((i, k) => i.code === 0x85 && i.src === 0 && [SK_LOOKUP_TCP, SK_LOOKUP_UDP, SKC_LOOKUP_TCP].includes(Number(i.imm)) && p.insns[k - 2]?.code === 0xb7 && p.insns[k - 2]?.imm === -1);
}
