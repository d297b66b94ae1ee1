// The live kernel as the oracle of the kernel-syntax disassembler: every program below is loaded
// at log_level 2, where the verifier prints each instruction it visits as `N: (op) text`, and
// every instruction of every program must appear in the log with exactly the text
// disassembleKernel() gives for its slot. Together the programs cover every instruction form
// this kernel (6.18) accepts; adding a case is one row of `cases`.
//
// ld_imm64 of a map, map value, fd_array map or BTF variable prints the address the verifier
// resolved it to; those lines are compared with the hex value masked, and map value lines
// check that the addresses differ by the offsets.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Add,
  AddrSpaceCast,
  And,
  ArSh,
  Atomic,
  BSwap,
  Call,
  Div,
  Exit,
  Gotol,
  JEq,
  JGE,
  JGT,
  JLE,
  JLT,
  JNE,
  JSet,
  JSGE,
  JSGT,
  JSLE,
  JSLT,
  Ja,
  LSh,
  Label,
  LoadAbs,
  LoadBtfId,
  LoadFunc,
  LoadImm64,
  LoadInd,
  LoadMapIdx,
  LoadMapIdxValue,
  LoadMapPtr,
  LoadMapValue,
  LoadMem,
  LoadMemSX,
  MayGoto,
  Mod,
  Mov,
  MovSX,
  Mul,
  Neg,
  Or,
  R0,
  R1,
  R10,
  R2,
  R3,
  R4,
  R6,
  R7,
  R8,
  R9,
  RSh,
  SDiv,
  SMod,
  Size,
  StoreImm,
  StoreMem,
  Sub,
  ToBE,
  ToLE,
  Xor,
  disassembleKernel,
  resolve,
  encode,
  type AluBuilder,
  type Instruction,
  type JumpBuilder,
  type ProgramItem,
  type Register,
} from 'ebpf-bytecode-utils';
import { SyscallError, btfLoad, closeFd, mapCreate, progLoad, type MapCreateOptions } from '../../syscalls/index.js';
import { kernelTest } from '../support/kernel.js';
import { arenaMissing, firstMissing, isaV4Missing, kfuncMissing, loadAcquireMissing, mayGotoMissing } from '../support/kernel-lacks.js';
import { BtfKind, vmlinuxBtf } from '../support/mini-btf.js';
import { verifierLogLines } from '../support/verifier-log-lines.js';

const test = suite('kernel-syntax disassembler vs the verifier log');

/** `enum bpf_prog_type` values used here. */
const ProgType = { SOCKET_FILTER: 1, SYSCALL: 31 } as const;
/** `enum bpf_map_type` values used here. */
const MapType = { HASH: 1, ARRAY: 2, PROG_ARRAY: 3, ARENA: 33 } as const;
/** Helper ids used here (`enum bpf_func_id`). */
const Fn = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  ktime_get_ns: 5,
  get_prandom_u32: 7,
  get_smp_processor_id: 8,
  tail_call: 12,
  skb_load_bytes: 26,
  get_socket_cookie: 46,
  get_socket_uid: 47,
  jiffies64: 118,
  ktime_get_boot_ns: 125,
  ktime_get_coarse_ns: 160,
  loop: 181,
  ktime_get_tai_ns: 208,
} as const;
const BPF_F_MMAPABLE = 1 << 10;
const BPF_F_SLEEPABLE = 1 << 4;

/** What a case can ask of the running kernel while it builds its program. */
interface Kernel {
  /** BTF id of a kernel function (a FUNC in vmlinux BTF): a kfunc, or a ld_imm64 BTF_ID target. */
  kfunc(name: string): number;
}

/** One program to load; `maps` are created first and referenced by name (`LoadMapPtr(R1, 'm')`). */
interface Case {
  readonly name: string;
  readonly progType: number;
  readonly maps?: Readonly<Record<string, MapCreateOptions>>;
  /** Maps passed in fd_array, in order (for `LoadMapIdx`). */
  readonly fdArray?: readonly string[];
  /** `BPF_F_*` load flags. */
  readonly progFlags?: number;
  /**
   * Labels of the subprograms: when given, the program is loaded with BTF and func_info (a
   * static `int f(void)` for the main program and each of these), which some forms require.
   */
  readonly funcs?: readonly string[];
  readonly program: (k: Kernel) => ProgramItem[];
  /** Probes the running kernel for what the case needs beyond bpf(): null, or why it skips. */
  readonly lacks?: () => string | null;
}

const ARRAY16: MapCreateOptions = { mapType: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1 };
const HASH8: MapCreateOptions = { mapType: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4 };

/**
 * `dst` = a fresh unknown s32 scalar (from `__sk_buff.len` or `.mark`, sign-extended), so that
 * no branch on it can be decided by the verifier and both sides of every jump are visited.
 */
function unknown(dst: Register, ctxOff = 0): Instruction[] {
  return [LoadMem(dst, R1, ctxOff, Size.W), MovSX.reg(dst, dst, 32)];
}

const ALU: [string, AluBuilder, number][] = [
  ['add', Add, 7],
  ['sub', Sub, -3],
  ['mul', Mul, 5],
  ['div', Div, 3],
  ['sdiv', SDiv, -3],
  ['or', Or, 0x10],
  ['and', And, 0xff],
  ['lsh', LSh, 3],
  ['rsh', RSh, 2],
  ['mod', Mod, 7],
  ['smod', SMod, -7],
  ['xor', Xor, -1],
  ['mov', Mov, -2],
  ['arsh', ArSh, 5],
];

const JUMPS: [string, JumpBuilder][] = [
  ['jeq', JEq],
  ['jgt', JGT],
  ['jge', JGE],
  ['jset', JSet],
  ['jne', JNE],
  ['jsgt', JSGT],
  ['jsge', JSGE],
  ['jlt', JLT],
  ['jle', JLE],
  ['jslt', JSLT],
  ['jsle', JSLE],
];

let labelCounter = 0;
const fresh = (what: string) => `${what}_${labelCounter++}`;

/** `if cond goto L; r0 += 1; L:` with fresh unknown operands in r2 (and r3). */
function branch(make: (to: string) => Instruction): ProgramItem[] {
  const l = fresh('j');
  return [...unknown(R2, 0), ...unknown(R3, 8), make(l), Add.imm(R0, 1), Label(l)];
}

const cases: Case[] = [
  {
    name: 'ALU64 and ALU32, every op with K and X sources',
    lacks: isaV4Missing,
    progType: ProgType.SOCKET_FILTER,
    program: () => [
      ...unknown(R6, 0),
      ...unknown(R7, 8),
      ...ALU.map(([, op, k]) => op.imm(R6, k)),
      ...ALU.map(([, op]) => op.reg(R6, R7)),
      ...ALU.map(([, op, k]) => op.imm32(R6, k)),
      ...ALU.map(([, op]) => op.reg32(R6, R7)),
      Neg.reg(R6),
      Neg.reg32(R6),
      Mov.imm(R0, 0),
      Exit(),
    ],
  },
  {
    name: 'shifts by the largest immediates, mov of 32-bit extremes',
    lacks: isaV4Missing,
    progType: ProgType.SOCKET_FILTER,
    program: () => [
      ...unknown(R6),
      LSh.imm(R6, 63),
      RSh.imm(R6, 63),
      ArSh.imm(R6, 63),
      LSh.imm32(R6, 31),
      RSh.imm32(R6, 31),
      ArSh.imm32(R6, 31),
      Mov.imm(R7, 0x7fffffff),
      Mov.imm(R7, -0x80000000),
      Mov.imm32(R7, -1),
      Add.imm(R6, 0),
      Mov.imm(R0, 0),
      Exit(),
    ],
  },
  {
    name: 'sign-extending moves and byte swaps',
    lacks: isaV4Missing,
    progType: ProgType.SOCKET_FILTER,
    program: () => [
      ...unknown(R6),
      MovSX.reg(R7, R6, 8),
      MovSX.reg(R7, R6, 16),
      MovSX.reg(R7, R6, 32),
      MovSX.reg32(R7, R6, 8),
      MovSX.reg32(R7, R6, 16),
      ToLE(R6, 16),
      ToLE(R6, 32),
      ToLE(R6, 64),
      ToBE(R6, 16),
      ToBE(R6, 32),
      ToBE(R6, 64),
      BSwap(R6, 16),
      BSwap(R6, 32),
      BSwap(R6, 64),
      Mov.imm(R0, 0),
      Exit(),
    ],
  },
  {
    name: 'JMP: every condition with K and X',
    lacks: isaV4Missing,
    progType: ProgType.SOCKET_FILTER,
    program: () => [
      Mov.imm(R0, 0),
      ...JUMPS.flatMap(([, j]) => branch((to) => j.imm(R2, 5, to))),
      ...JUMPS.flatMap(([, j]) => branch((to) => j.imm(R2, -5, to))),
      ...JUMPS.flatMap(([, j]) => branch((to) => j.reg(R2, R3, to))),
      Exit(),
    ],
  },
  {
    name: 'JMP32: every condition with K and X',
    lacks: isaV4Missing,
    progType: ProgType.SOCKET_FILTER,
    program: () => [
      Mov.imm(R0, 0),
      ...JUMPS.flatMap(([, j]) => branch((to) => j.imm32(R2, 0x7ff, to))),
      ...JUMPS.flatMap(([, j]) => branch((to) => j.imm32(R2, -2, to))),
      ...JUMPS.flatMap(([, j]) => branch((to) => j.reg32(R2, R3, to))),
      Exit(),
    ],
  },
  {
    name: 'goto, gotol, may_goto and a backward jump',
    lacks: firstMissing(isaV4Missing, mayGotoMissing),
    progType: ProgType.SOCKET_FILTER,
    program: () => [
      ...unknown(R2),
      Mov.imm(R0, 0),
      JGT.imm(R2, 5, 'else1'),
      Mov.imm(R0, 1),
      Ja('join1'),
      Label('else1'),
      Mov.imm(R0, 2),
      Label('join1'),
      JGT.imm(R2, 7, 'else2'),
      Add.imm(R0, 1),
      Gotol('join2'),
      Label('else2'),
      Add.imm(R0, 2),
      Label('join2'),
      Label('loop'),
      MayGoto('done'),
      Add.imm(R0, 1),
      Ja('loop'),
      Label('done'),
      Ja(0),
      Exit(),
    ],
  },
  {
    name: 'helper calls with several ids, maps, a tail call',
    progType: ProgType.SOCKET_FILTER,
    maps: { h: HASH8, progs: { mapType: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 } },
    program: () => [
      Mov.reg(R6, R1),
      Call.helper(Fn.ktime_get_ns),
      Call.helper(Fn.get_prandom_u32),
      Call.helper(Fn.get_smp_processor_id),
      Call.helper(Fn.jiffies64),
      Call.helper(Fn.ktime_get_boot_ns),
      Call.helper(Fn.ktime_get_coarse_ns),
      Call.helper(Fn.ktime_get_tai_ns),
      Mov.reg(R1, R6),
      Call.helper(Fn.get_socket_cookie),
      Mov.reg(R1, R6),
      Call.helper(Fn.get_socket_uid),
      // skb_load_bytes(skb, 0, fp-16, 8)
      Mov.reg(R1, R6),
      Mov.imm(R2, 0),
      Mov.reg(R3, R10),
      Add.imm(R3, -16),
      Mov.imm(R4, 8),
      Call.helper(Fn.skb_load_bytes),
      // key at fp-4, value at fp-16
      StoreImm(R10, -4, 0, Size.W),
      StoreImm(R10, -16, 0, Size.DW),
      LoadMapPtr(R1, 'h'),
      Mov.reg(R2, R10),
      Add.imm(R2, -4),
      Mov.reg(R3, R10),
      Add.imm(R3, -16),
      Mov.imm(R4, 0),
      Call.helper(Fn.map_update_elem),
      LoadMapPtr(R1, 'h'),
      Mov.reg(R2, R10),
      Add.imm(R2, -4),
      Call.helper(Fn.map_lookup_elem),
      JEq.imm(R0, 0, 'null'),
      LoadMem(R7, R0, 0, Size.DW),
      Label('null'),
      LoadMapPtr(R1, 'h'),
      Mov.reg(R2, R10),
      Add.imm(R2, -4),
      Call.helper(Fn.map_delete_elem),
      Mov.reg(R1, R6),
      LoadMapPtr(R2, 'progs'),
      Mov.imm(R3, 0),
      Call.helper(Fn.tail_call),
      Mov.imm(R0, 0),
      Exit(),
    ],
  },
  {
    name: 'bpf-to-bpf calls',
    progType: ProgType.SOCKET_FILTER,
    program: () => [
      Mov.imm(R1, 1),
      Call.subprog('f'),
      Mov.reg(R6, R0),
      Mov.imm(R1, 2),
      Call.subprog('g'),
      Add.reg(R0, R6),
      Exit(),
      Label('f'),
      Mov.reg(R0, R1),
      Add.imm(R0, 2),
      Exit(),
      Label('g'),
      Call.subprog('f'),
      Add.imm(R0, 1),
      Exit(),
    ],
  },
  {
    name: 'kfunc call (named from BTF)',
    lacks: () => kfuncMissing('bpf_cast_to_kern_ctx'),
    progType: ProgType.SOCKET_FILTER,
    program: (k) => [Call.kfunc(k.kfunc('bpf_cast_to_kern_ctx')), Mov.imm(R0, 0), Exit()],
  },
  {
    name: 'ld_imm64: constants, map fd, map value, fd_array map and value, BTF id',
    lacks: () => kfuncMissing('bpf_cast_to_kern_ctx'),
    progType: ProgType.SOCKET_FILTER,
    maps: { a: ARRAY16, b: ARRAY16 },
    fdArray: ['b'],
    program: (k) => [
      LoadImm64(R2, 0x1122334455667788n),
      LoadImm64(R2, -1n),
      LoadImm64(R2, 0n),
      LoadImm64(R2, 0x80000000n),
      LoadImm64(R2, 0x100000000n),
      LoadMapPtr(R1, 'a'),
      LoadMapValue(R3, 'a', 0),
      LoadMapValue(R3, 'a', 8),
      LoadMapValue(R3, 'a', 15),
      LoadMapIdx(R4, 0),
      LoadMapIdxValue(R4, 0, 4),
      // This kernel has no data symbols in kallsyms, so no BTF VAR resolves; a FUNC does.
      LoadBtfId(R6, k.kfunc('bpf_cast_to_kern_ctx')),
      Mov.imm(R0, 0),
      Exit(),
    ],
  },
  {
    name: 'ld_imm64 of a function (bpf_loop callback)',
    progType: ProgType.SOCKET_FILTER,
    funcs: ['cb'],
    program: () => [
      Mov.imm(R1, 4),
      LoadFunc(R2, 'cb'),
      Mov.imm(R3, 0),
      Mov.imm(R4, 0),
      Call.helper(Fn.loop),
      Mov.imm(R0, 0),
      Exit(),
      Label('cb'),
      Mov.imm(R0, 0),
      Exit(),
    ],
  },
  {
    name: 'LD_ABS and LD_IND, B/H/W (socket filter)',
    progType: ProgType.SOCKET_FILTER,
    program: () => [
      Mov.reg(R6, R1),
      LoadAbs(Size.B, 0),
      LoadAbs(Size.H, 2),
      LoadAbs(Size.W, 4),
      Mov.imm(R7, 1),
      LoadInd(Size.B, R7, 0),
      LoadInd(Size.H, R7, 2),
      LoadInd(Size.W, R7, -1),
      Exit(),
    ],
  },
  {
    name: 'ST, STX, LDX and LDX MEMSX of every size (stack)',
    lacks: isaV4Missing,
    progType: ProgType.SOCKET_FILTER,
    program: () => [
      ...unknown(R6),
      StoreMem(R10, -8, R6, Size.DW),
      StoreMem(R10, -12, R6, Size.W),
      StoreMem(R10, -14, R6, Size.H),
      StoreMem(R10, -15, R6, Size.B),
      StoreImm(R10, -24, -1, Size.DW),
      StoreImm(R10, -28, 0x12345678, Size.W),
      StoreImm(R10, -30, 0x1234, Size.H),
      StoreImm(R10, -31, 0x12, Size.B),
      LoadMem(R0, R10, -8, Size.DW),
      LoadMem(R0, R10, -12, Size.W),
      LoadMem(R0, R10, -14, Size.H),
      LoadMem(R0, R10, -15, Size.B),
      LoadMemSX(R0, R10, -12, Size.W),
      LoadMemSX(R0, R10, -14, Size.H),
      LoadMemSX(R0, R10, -15, Size.B),
      LoadMem(R7, R1, 8, Size.W),
      Mov.imm(R0, 0),
      Exit(),
    ],
  },
  {
    name: 'atomics W and DW: add/or/and/xor with and without fetch, xchg, cmpxchg',
    lacks: isaV4Missing,
    progType: ProgType.SOCKET_FILTER,
    program: () => [
      ...unknown(R6),
      StoreImm(R10, -8, 0, Size.DW),
      StoreImm(R10, -16, 0, Size.W),
      ...(['add', 'or', 'and', 'xor', 'fetchAdd', 'fetchOr', 'fetchAnd', 'fetchXor', 'xchg'] as const).flatMap((op) => [
        Mov.reg(R7, R6),
        Atomic[op](R10, -8, R7, Size.DW),
        Mov.reg(R7, R6),
        Atomic[op](R10, -16, R7, Size.W),
      ]),
      Mov.imm(R0, 0),
      Atomic.cmpxchg(R10, -8, R6, Size.DW),
      Atomic.cmpxchg(R10, -16, R6, Size.W),
      Mov.imm(R0, 0),
      Exit(),
    ],
  },
  {
    name: 'load_acquire and store_release, B/H/W/DW',
    lacks: firstMissing(isaV4Missing, loadAcquireMissing),
    progType: ProgType.SOCKET_FILTER,
    program: () => [
      ...unknown(R6),
      StoreImm(R10, -8, 0, Size.DW),
      Atomic.storeRelease(R10, -8, R6, Size.DW),
      Atomic.storeRelease(R10, -12, R6, Size.W),
      Atomic.storeRelease(R10, -14, R6, Size.H),
      Atomic.storeRelease(R10, -15, R6, Size.B),
      Atomic.loadAcquire(R7, R10, -8, Size.DW),
      Atomic.loadAcquire(R7, R10, -12, Size.W),
      Atomic.loadAcquire(R7, R10, -14, Size.H),
      Atomic.loadAcquire(R7, R10, -15, Size.B),
      Mov.imm(R0, 0),
      Exit(),
    ],
  },
  {
    name: 'addr_space_cast (arena)',
    progType: ProgType.SYSCALL,
    progFlags: BPF_F_SLEEPABLE,
    maps: { arena: { mapType: MapType.ARENA, keySize: 0, valueSize: 0, maxEntries: 1, mapFlags: BPF_F_MMAPABLE, mapExtra: 1n << 32n } },
    lacks: arenaMissing,
    program: () => [
      LoadMapPtr(R1, 'arena'),
      Mov.imm(R2, 0),
      // imm = (first << 16) | second: the kernel reads imm 1 as a cast from address space 1
      // (arena) to 0 (kernel) and prints `addr_space_cast(r2, 0, 1)`.
      AddrSpaceCast(R8, R2, 0, 1),
      AddrSpaceCast(R9, R2, 1, 0),
      Mov.imm(R0, 0),
      Exit(),
    ],
  },
];

/**
 * A BTF blob with `int` and one static `int name(void)` per function (type ids 3, 4, …), and
 * the func_info records placing function i at `slots[i]`.
 */
function funcBtf(slots: readonly number[]): { btf: Uint8Array; funcInfo: Uint8Array } {
  const names = slots.map((_, i) => `f${i}`);
  const strings = new TextEncoder().encode(`\0int\0${names.join('\0')}\0`);
  const typeLen = 16 + 12 + 12 * slots.length;
  const btf = new Uint8Array(24 + typeLen + strings.length);
  const dv = new DataView(btf.buffer);
  dv.setUint16(0, 0xeb9f, true);
  btf[2] = 1;
  dv.setUint32(4, 24, true);
  dv.setUint32(8, 0, true);
  dv.setUint32(12, typeLen, true);
  dv.setUint32(16, typeLen, true);
  dv.setUint32(20, strings.length, true);
  let p = 24;
  const u32s = (...v: number[]) => v.forEach((x) => (dv.setUint32(p, x, true), (p += 4)));
  u32s(1, BtfKind.INT << 24, 4, (1 << 24) | 32); // [1] int
  u32s(0, BtfKind.FUNC_PROTO << 24, 1); // [2] int (void)
  let nameOff = 5;
  for (const n of names) {
    u32s(nameOff, BtfKind.FUNC << 24, 2); // [3+i] static int fi(void)
    nameOff += n.length + 1;
  }
  btf.set(strings, 24 + typeLen);
  const funcInfo = new Uint8Array(8 * slots.length);
  const fv = new DataView(funcInfo.buffer);
  slots.forEach((slot, i) => {
    fv.setUint32(8 * i, slot, true);
    fv.setUint32(8 * i + 4, 3 + i, true);
  });
  return { btf, funcInfo };
}

/** ld_imm64 pseudo sources whose value the verifier replaces with a kernel address. */
const ADDRESS_SOURCES = new Set([1, 2, 3, 5, 6]);
const ADDRESS = /= 0x([0-9a-f]+)$/;

const kernel: Kernel = {
  kfunc(name) {
    const t = vmlinuxBtf().byName(name, BtfKind.FUNC)[0];
    if (t === undefined) throw new Error(`vmlinux BTF has no function ${name}`);
    return t.id;
  },
};

/** Names kfunc calls as the verifier does: the BTF name of the FUNC `imm` refers to. */
const callName = (insn: Instruction) => (insn.src === 2 && typeof insn.imm === 'number' ? vmlinuxBtf().types[insn.imm]?.name : undefined);

/** Compares the kernel's text for each instruction with ours; returns every difference. */
function compare(instructions: readonly Instruction[], log: string): string[] {
  const ours = disassembleKernel(instructions, { callName });
  const seen = verifierLogLines(log);
  const problems: string[] = [];
  const valueBases = new Map<string, Set<bigint>>();
  let slot = 0;
  for (let i = 0; i < instructions.length; i++) {
    const insn = instructions[i];
    const ourText = ours[i].slice(ours[i].indexOf(': ') + 2);
    const texts = seen.get(slot);
    if (texts === undefined) {
      problems.push(`slot ${slot}: not in the kernel log (ours: ${ours[i]})`);
    } else if (texts.size !== 1) {
      problems.push(`slot ${slot}: the kernel printed ${texts.size} texts: ${[...texts].join(' | ')}`);
    } else {
      const kernelText = [...texts][0];
      if (typeof insn.imm === 'bigint' && ADDRESS_SOURCES.has(insn.src)) {
        const km = ADDRESS.exec(kernelText);
        const masked = (s: string) => s.replace(ADDRESS, '= <address>');
        if (km === null || masked(kernelText) !== masked(ourText)) {
          problems.push(`slot ${slot}: kernel '${kernelText}', ours '${ourText}' (address masked)`);
        } else if (insn.src === 2 || insn.src === 6) {
          // A map value's address is the value base + offset: the same base for every offset.
          const base = BigInt(`0x${km[1]}`) - (insn.imm >> 32n);
          const key = `${insn.src === 2 ? 'fd' : 'fd_array index'} ${insn.imm & 0xffffffffn}`;
          let bases = valueBases.get(key);
          if (bases === undefined) valueBases.set(key, (bases = new Set()));
          bases.add(base);
        }
      } else if (kernelText !== ourText) {
        problems.push(`slot ${slot}: kernel '${kernelText}', ours '${ourText}'`);
      }
    }
    slot += typeof insn.imm === 'bigint' ? 2 : 1;
  }
  for (const [map, bases] of valueBases) {
    if (bases.size !== 1) problems.push(`map ${map}: value addresses do not differ by their offsets (${[...bases].map((b) => `0x${b.toString(16)}`).join(', ')})`);
  }
  for (const s of seen.keys()) if (s >= slot) problems.push(`slot ${s}: in the kernel log but beyond the program's ${slot} slots`);
  return problems;
}

/** Loads `c` at log_level 2 and returns every difference between the log and our text. */
function check(c: Case): string[] {
  const maps = new Map<string, number>();
  const owned: number[] = [];
  try {
    for (const [name, opts] of Object.entries(c.maps ?? {})) {
      const fd = mapCreate(opts);
      owned.push(fd);
      maps.set(name, fd);
    }
    const { instructions, labels } = resolve(c.program(kernel), {
      maps: (name) => {
        const fd = maps.get(name);
        return fd === undefined ? undefined : { fd };
      },
    });
    let btfInfo: { progBtfFd: number; funcInfo: { records: Uint8Array; recSize: number } } | undefined;
    if (c.funcs !== undefined) {
      const { btf, funcInfo } = funcBtf([0, ...c.funcs.map((l) => labels.get(l)!)]);
      const btfFd = btfLoad({ btf }).fd;
      owned.push(btfFd);
      btfInfo = { progBtfFd: btfFd, funcInfo: { records: funcInfo, recSize: 8 } };
    }
    let loaded: { fd: number; log: string };
    try {
      loaded = progLoad({
        progType: c.progType,
        insns: encode(instructions),
        logLevel: 2,
        logSize: 16 << 20,
        ...(c.fdArray ? { fdArray: c.fdArray.map((n) => maps.get(n)!) } : {}),
        ...(c.progFlags ? { progFlags: c.progFlags } : {}),
        ...(btfInfo ?? {}),
      });
    } catch (e) {
      if (e instanceof SyscallError) return [`load failed: ${e.message}\n${e.log ?? ''}`];
      throw e;
    }
    closeFd(loaded.fd);
    return compare(instructions, loaded.log);
  } finally {
    for (const fd of owned) closeFd(fd);
  }
}

for (const c of cases) {
  kernelTest(
    test,
    c.name,
    () => {
      const problems = check(c);
      if (problems.length > 0) assert.unreachable(`${c.name}:\n  ${problems.join('\n  ')}`);
    },
    c.lacks,
  );
}

/** Programs the verifier rejects, with the error line its log must contain. */
const rejected: { name: string; progType: number; program: ProgramItem[]; error: string }[] = [
  { name: 'exit without r0', progType: ProgType.SOCKET_FILTER, program: [Exit()], error: 'R0 !read_ok' },
  { name: 'stack write above the frame', progType: ProgType.SOCKET_FILTER, program: [StoreMem(R10, 8, R1, Size.DW), Mov.imm(R0, 0), Exit()], error: 'invalid write to stack R10 off=8 size=8' },
  { name: 'division by zero', progType: ProgType.SOCKET_FILTER, program: [Mov.imm(R0, 1), Div.imm(R0, 0), Exit()], error: 'div by zero' },
  { name: 'jump out of range', progType: ProgType.SOCKET_FILTER, program: [Mov.imm(R0, 0), Ja(5), Exit()], error: 'jump out of range from insn 1 to 7' },
  { name: 'unknown helper', progType: ProgType.SOCKET_FILTER, program: [Call.helper(0x7fff), Exit()], error: 'invalid func unknown#32767' },
];

for (const r of rejected) {
  kernelTest(test, `rejected: ${r.name} → '${r.error}'`, () => {
    try {
      const { fd } = progLoad({ progType: r.progType, insns: encode(resolve(r.program).instructions) });
      closeFd(fd);
      assert.unreachable('the program was accepted');
    } catch (e) {
      if (!(e instanceof SyscallError)) throw e;
      assert.ok(e.log !== undefined, 'a failed load carries the log');
      assert.ok(e.log!.split('\n').includes(r.error), `log has the line '${r.error}':\n${e.log}`);
      assert.ok(e.message.endsWith(`: ${r.error}`), e.message);
    }
  });
}

test.run();
