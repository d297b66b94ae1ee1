/**
 * The verifier's case table: each row a program (asm builders), the program type and maps,
 * the verdict of the Linux 6.18 verifier for a root loader and its first error line.
 * `verifier.test.ts` checks the offline verifier against every row;
 * `test/kernel/verifier-vs-kernel.test.ts` checks every row against the live kernel. This file
 * checks the table itself (unique names, enough rows, both verdicts well represented).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Add, And, ArSh, Atomic, Call, Div, Exit, JEq, JGE, JGT, JLE, JLT, JNE, JSet, JSGT, JSLT, Ja, Label, LoadAbs, LoadImm64, LoadInd, LoadMapPtr, LoadMapValue, LoadMem,
  LoadFunc, LSh, MayGoto, Mod, Mov, MovSX, Mul, Neg, Or, R0, R1, R2, R3, R4, R5, R6, R7, R8, R10, RSh, Size, StoreImm, StoreMem, Sub, ToBE, Xor, makeInstruction, resolve,
  type Instruction, type ProgramItem,
} from 'ebpf-bytecode-utils';
import type { MapSpec } from '../../verifier-sim/verifier/index.js';

/** One row: a program and what the kernel says about it. */
export interface VerifierCase {
  /** Unique row name. */
  readonly name: string;
  /** Program type name. */
  readonly progType: string;
  /** Expected attach type name, if any. */
  readonly expectedAttachType?: string;
  /** License (default GPL). */
  readonly license?: string;
  /** Maps; `ld_imm64` map references use their index. */
  readonly maps?: readonly MapSpec[];
  /** The program. */
  readonly insns: readonly Instruction[];
  /** The kernel's verdict. */
  readonly verdict: 'accept' | 'reject';
  /** The kernel's first error line (null when accepted). */
  readonly error: string | null;
  /** The kernel's processed-instruction count, where the simulator counts the same. */
  readonly processed?: number;
}

const p = (...items: ProgramItem[]): Instruction[] => resolve(items).instructions;
const raw = (code: number, dst: number, src: number, off: number, imm: number): Instruction => makeInstruction(code, dst, src, off, imm);

const HASH8: MapSpec = { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16 };
const HASH16: MapSpec = { type: 'hash', keySize: 4, valueSize: 16, maxEntries: 16 };
const ARRAY8: MapSpec = { type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 };
const ARRAY1: MapSpec = { type: 'array', keySize: 4, valueSize: 16, maxEntries: 1 };
const PERF: MapSpec = { type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 2 };
const PROGS: MapSpec = { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 };
const RINGBUF: MapSpec = { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 };

/** `*(u32 *)(fp-4) = 0; r2 = fp-4; r1 = map[0]; call bpf_map_lookup_elem` */
const lookup = (key = 0): ProgramItem[] => [StoreImm(R10, -4, key, Size.W), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapPtr(R1, 0), Call.helper(1)];
const ret0: ProgramItem[] = [Mov.imm(R0, 0), Exit()];
/** `r1 = map[0]; r2 = size; r3 = 0; call bpf_ringbuf_reserve` */
const reserve = (size = 16): ProgramItem[] => [LoadMapPtr(R1, 0), Mov.imm(R2, size), Mov.imm(R3, 0), Call.helper(131)];

/** The rows. */
export const verifierCases: readonly VerifierCase[] = [
  // --- structure ---
  { name: 'return 0', progType: 'socket_filter', insns: p(...ret0), verdict: 'accept', error: null, processed: 2 },
  { name: 'unknown opcode', progType: 'socket_filter', insns: p(raw(0xe7, 0, 0, 0, 0), ...ret0), verdict: 'reject', error: 'unknown opcode e7' },
  { name: 'ldx reserved imm', progType: 'socket_filter', insns: p(raw(0x61, 0, 1, 0, 1), Exit()), verdict: 'reject', error: 'BPF_LDX uses reserved fields' },
  { name: 'ld_imm64 without second half', progType: 'socket_filter', insns: p(raw(0x18, 0, 0, 0, 1), ...ret0), verdict: 'reject', error: 'invalid bpf_ld_imm64 insn' },
  { name: 'jump out of range', progType: 'socket_filter', insns: p(Mov.imm(R0, 0), Ja(5), Exit()), verdict: 'reject', error: 'jump out of range from insn 1 to 7' },
  { name: 'jump backwards out of range', progType: 'socket_filter', insns: p(Mov.imm(R0, 0), JEq.imm(R1, 0, -3), Exit()), verdict: 'reject', error: 'jump out of range from insn 1 to -1' },
  { name: 'last insn not exit', progType: 'socket_filter', insns: p(Mov.imm(R0, 0)), verdict: 'reject', error: 'last insn is not an exit or jmp' },
  { name: 'unreachable insn', progType: 'socket_filter', insns: p(...ret0, Exit()), verdict: 'reject', error: 'unreachable insn 2' },
  { name: 'jump into ld_imm64', progType: 'socket_filter', insns: p(JEq.imm(R1, 0, 1), LoadImm64(R0, 1), Mov.imm(R0, 0), Exit()), verdict: 'reject', error: 'jump into the middle of ldimm64 insn 1' },
  { name: 'invalid register', progType: 'socket_filter', insns: p(raw(0xb7, 11, 0, 0, 0), ...ret0), verdict: 'reject', error: 'R11 is invalid' },
  { name: 'write frame pointer', progType: 'socket_filter', insns: p(Mov.imm(R10, 0), ...ret0), verdict: 'reject', error: 'frame pointer is read only' },
  { name: 'alu reserved src', progType: 'socket_filter', insns: p(raw(0x07, 0, 1, 0, 1), ...ret0), verdict: 'reject', error: 'BPF_ALU uses reserved fields' },
  { name: 'mov reserved off', progType: 'socket_filter', insns: p(raw(0xb7, 0, 0, 1, 0), Exit()), verdict: 'reject', error: 'BPF_MOV uses reserved fields' },
  { name: 'neg reserved imm', progType: 'socket_filter', insns: p(Mov.imm(R0, 1), raw(0x87, 0, 0, 0, 1), Exit()), verdict: 'reject', error: 'BPF_NEG uses reserved fields' },
  { name: 'stx reserved imm', progType: 'socket_filter', insns: p(raw(0x7b, 10, 1, -8, 1), ...ret0), verdict: 'reject', error: 'BPF_STX uses reserved fields' },
  { name: 'st reserved src', progType: 'socket_filter', insns: p(raw(0x7a, 10, 1, -8, 0), ...ret0), verdict: 'reject', error: 'BPF_ST uses reserved fields' },
  { name: 'jmp reserved src', progType: 'socket_filter', insns: p(Mov.imm(R0, 0), raw(0x15, 1, 2, 0, 0), Exit()), verdict: 'reject', error: 'BPF_JMP/JMP32 uses reserved fields' },
  { name: 'exit reserved imm', progType: 'socket_filter', insns: p(Mov.imm(R0, 0), raw(0x95, 0, 0, 0, 1)), verdict: 'reject', error: 'BPF_EXIT uses reserved fields' },
  { name: 'call reserved dst', progType: 'socket_filter', insns: p(raw(0x85, 1, 0, 0, 5), Exit()), verdict: 'reject', error: 'BPF_CALL uses reserved fields' },
  { name: 'div by zero', progType: 'socket_filter', insns: p(Mov.imm(R0, 1), Div.imm(R0, 0), Exit()), verdict: 'reject', error: 'div by zero' },
  { name: 'invalid shift', progType: 'socket_filter', insns: p(Mov.imm(R0, 1), LSh.imm(R0, 64), Exit()), verdict: 'reject', error: 'invalid shift 64' },
  { name: 'call to invalid destination', progType: 'socket_filter', insns: p(Call.subprog(10), ...ret0), verdict: 'reject', error: 'call to invalid destination' },
  { name: 'subprog does not end in exit', progType: 'socket_filter', insns: p(Call.subprog(1), Exit(), Mov.imm(R0, 0)), verdict: 'reject', error: 'last insn is not an exit or jmp' },
  { name: 'jump into another subprog', progType: 'socket_filter', insns: p(Call.subprog(2), JEq.imm(R0, 0, 1), Exit(), ...ret0), verdict: 'reject', error: 'jump out of range from insn 1 to 3' },
  // --- registers and scalar arithmetic ---
  { name: 'R0 not initialised at exit', progType: 'socket_filter', insns: p(Exit()), verdict: 'reject', error: 'R0 !read_ok', processed: 1 },
  { name: 'read uninitialised register', progType: 'socket_filter', insns: p(Mov.reg(R0, R2), Exit()), verdict: 'reject', error: 'R2 !read_ok' },
  {
    name: 'scalar arithmetic chain',
    progType: 'socket_filter',
    insns: p(Mov.imm(R0, 3), Add.imm(R0, 4), Sub.imm(R0, 1), Mul.imm(R0, 6), And.imm(R0, 0xff), Or.imm(R0, 0x100), Xor.imm(R0, 1), LSh.imm(R0, 2), RSh.imm(R0, 1), ArSh.imm(R0, 1), Neg.reg(R0), Exit()),
    verdict: 'accept',
    error: null,
    processed: 12,
  },
  { name: '32-bit ops zero-extend', progType: 'socket_filter', insns: p(Mov.imm32(R0, -1), RSh.imm(R0, 32), Exit()), verdict: 'accept', error: null, processed: 3 },
  // --- pointers ---
  { name: 'deref scalar', progType: 'socket_filter', insns: p(Mov.imm(R1, 0), LoadMem(R0, R1, 0, Size.DW), Exit()), verdict: 'reject', error: "R1 invalid mem access 'scalar'" },
  { name: 'bitwise op on pointer', progType: 'socket_filter', insns: p(And.imm(R1, 1), ...ret0), verdict: 'reject', error: 'R1 bitwise operator &= on pointer prohibited' },
  { name: 'multiply pointer', progType: 'socket_filter', insns: p(Mul.imm(R1, 2), ...ret0), verdict: 'reject', error: 'R1 pointer arithmetic with *= operator prohibited' },
  { name: '32-bit pointer arithmetic', progType: 'socket_filter', insns: p(Add.imm32(R1, 1), ...ret0), verdict: 'reject', error: 'R1 32-bit pointer arithmetic prohibited' },
  { name: 'subtract from stack pointer', progType: 'socket_filter', insns: p(Mov.reg(R2, R10), Sub.imm(R2, 8), ...ret0), verdict: 'reject', error: 'R2 subtraction from stack pointer prohibited' },
  { name: 'modified ctx dereference', progType: 'socket_filter', insns: p(Add.imm(R1, 4), LoadMem(R0, R1, 0, Size.W), Exit()), verdict: 'reject', error: 'dereference of modified ctx ptr R1 off=4 disallowed' },
  { name: 'pointer minus pointer is a scalar', progType: 'socket_filter', insns: p(Mov.reg(R0, R10), Sub.reg(R0, R1), Exit()), verdict: 'accept', error: null },
  // --- stack ---
  { name: 'spill and fill ctx pointer', progType: 'socket_filter', insns: p(StoreMem(R10, -8, R1, Size.DW), LoadMem(R2, R10, -8, Size.DW), LoadMem(R0, R2, 0, Size.W), Exit()), verdict: 'accept', error: null, processed: 4 },
  { name: 'stack write above frame', progType: 'socket_filter', insns: p(StoreMem(R10, 8, R1, Size.DW), ...ret0), verdict: 'reject', error: 'invalid write to stack R10 off=8 size=8' },
  { name: 'stack write below 512', progType: 'socket_filter', insns: p(StoreImm(R10, -520, 0, Size.DW), ...ret0), verdict: 'reject', error: 'invalid write to stack R10 off=-520 size=8' },
  { name: 'stack read above frame', progType: 'socket_filter', insns: p(LoadMem(R0, R10, 0, Size.DW), Exit()), verdict: 'reject', error: 'invalid read from stack R10 off=0 size=8' },
  { name: 'misaligned stack access', progType: 'socket_filter', insns: p(StoreImm(R10, -4, 0, Size.DW), ...ret0), verdict: 'reject', error: 'misaligned stack access off 0+0+-4 size 8' },
  { name: 'read uninitialised stack as root', progType: 'socket_filter', insns: p(LoadMem(R0, R10, -8, Size.DW), Exit()), verdict: 'accept', error: null, processed: 2 },
  { name: 'partial fill of spilled pointer', progType: 'socket_filter', insns: p(StoreMem(R10, -8, R1, Size.DW), LoadMem(R0, R10, -8, Size.W), Exit()), verdict: 'reject', error: 'invalid size of register fill' },
  { name: 'filled scalar is not a pointer', progType: 'socket_filter', insns: p(StoreImm(R10, -8, 0, Size.DW), LoadMem(R2, R10, -8, Size.DW), LoadMem(R0, R2, 0, Size.W), Exit()), verdict: 'reject', error: "R2 invalid mem access 'scalar'" },
  { name: 'partial spill of pointer', progType: 'socket_filter', insns: p(StoreMem(R10, -8, R1, Size.W), ...ret0), verdict: 'reject', error: 'invalid size of register spill' },
  // --- maps ---
  { name: 'map lookup with null check', progType: 'socket_filter', maps: [HASH8], insns: p(...lookup(), JEq.imm(R0, 0, 1), LoadMem(R0, R0, 0, Size.DW), ...ret0), verdict: 'accept', error: null, processed: 10 },
  { name: 'map lookup without null check', progType: 'socket_filter', maps: [HASH8], insns: p(...lookup(), LoadMem(R0, R0, 0, Size.DW), ...ret0), verdict: 'reject', error: "R0 invalid mem access 'map_value_or_null'" },
  { name: 'map value out of bounds', progType: 'socket_filter', maps: [HASH8], insns: p(...lookup(), JEq.imm(R0, 0, 1), LoadMem(R0, R0, 8, Size.DW), ...ret0), verdict: 'reject', error: 'invalid access to map value, value_size=8 off=8 size=8' },
  { name: 'map value store out of bounds', progType: 'socket_filter', maps: [HASH8], insns: p(...lookup(), JEq.imm(R0, 0, 1), StoreImm(R0, 4, 1, Size.DW), ...ret0), verdict: 'reject', error: 'invalid access to map value, value_size=8 off=4 size=8' },
  { name: 'pointer arithmetic before null check', progType: 'socket_filter', maps: [HASH8], insns: p(...lookup(), Add.imm(R0, 1), ...ret0), verdict: 'reject', error: 'R0 pointer arithmetic on map_value_or_null prohibited, null-check it first' },
  {
    name: 'null check marks every copy',
    progType: 'socket_filter',
    maps: [HASH8],
    insns: p(...lookup(), Mov.reg(R6, R0), StoreMem(R10, -16, R0, Size.DW), JEq.imm(R6, 0, 'out'), LoadMem(R7, R10, -16, Size.DW), LoadMem(R0, R7, 0, Size.DW), Label('out'), ...ret0),
    verdict: 'accept',
    error: null,
  },
  {
    name: 'bounded variable map index',
    progType: 'socket_filter',
    maps: [HASH16],
    insns: p(LoadMem(R6, R1, 0, Size.W), ...lookup(), JEq.imm(R0, 0, 'out'), And.imm(R6, 7), Add.reg(R0, R6), LoadMem(R0, R0, 0, Size.DW), Label('out'), ...ret0),
    verdict: 'accept',
    error: null,
  },
  {
    name: 'variable map index too large',
    progType: 'socket_filter',
    maps: [HASH8],
    insns: p(LoadMem(R6, R1, 0, Size.W), ...lookup(), JEq.imm(R0, 0, 'out'), And.imm(R6, 15), Add.reg(R0, R6), LoadMem(R0, R0, 0, Size.DW), Label('out'), ...ret0),
    verdict: 'reject',
    error: 'invalid access to map value, value_size=8 off=15 size=8',
  },
  {
    name: 'unbounded map index',
    progType: 'socket_filter',
    maps: [HASH8],
    insns: p(LoadMem(R6, R1, 0, Size.W), ...lookup(), JEq.imm(R0, 0, 'out'), Add.reg(R0, R6), LoadMem(R0, R0, 0, Size.DW), Label('out'), ...ret0),
    verdict: 'reject',
    error: 'R0 unbounded memory access, make sure to bounds check any such access',
  },
  {
    name: 'negative map index',
    progType: 'socket_filter',
    maps: [HASH8],
    insns: p(LoadMem(R6, R1, 0, Size.W), Neg.reg(R6), JSLT.imm(R6, -4, 'out0'), ...lookup(), JEq.imm(R0, 0, 'out'), Add.reg(R0, R6), LoadMem(R0, R0, 0, Size.B), Label('out'), Label('out0'), ...ret0),
    verdict: 'reject',
    error: 'R0 min value is negative, either use unsigned index or do a if (index >=0) check.',
  },
  {
    name: 'index narrowed by jgt',
    progType: 'socket_filter',
    maps: [HASH16],
    insns: p(LoadMem(R6, R1, 0, Size.W), ...lookup(), JEq.imm(R0, 0, 'out'), JGT.imm(R6, 8, 'out'), Add.reg(R0, R6), LoadMem(R0, R0, 0, Size.DW), Label('out'), ...ret0),
    verdict: 'accept',
    error: null,
  },
  {
    name: 'index narrowed by jgt off by one',
    progType: 'socket_filter',
    maps: [HASH16],
    insns: p(LoadMem(R6, R1, 0, Size.W), ...lookup(), JEq.imm(R0, 0, 'out'), JGT.imm(R6, 9, 'out'), Add.reg(R0, R6), LoadMem(R0, R0, 0, Size.DW), Label('out'), ...ret0),
    verdict: 'reject',
    error: 'invalid access to map value, value_size=16 off=9 size=8',
  },
  {
    name: 'index narrowed by jmp32',
    progType: 'socket_filter',
    maps: [HASH16],
    insns: p(LoadMem(R6, R1, 0, Size.W), ...lookup(), JEq.imm(R0, 0, 'out'), JGE.imm32(R6, 9, 'out'), Add.reg(R0, R6), LoadMem(R0, R0, 0, Size.DW), Label('out'), ...ret0),
    verdict: 'accept',
    error: null,
  },
  {
    name: 'array lookup with constant key needs no null check',
    progType: 'socket_filter',
    maps: [ARRAY8],
    insns: p(StoreImm(R10, -8, 1, Size.W), Mov.reg(R2, R10), Add.imm(R2, -8), LoadMapPtr(R1, 0), Call.helper(1), LoadMem(R0, R0, 0, Size.DW), ...ret0),
    verdict: 'accept',
    error: null,
  },
  { name: 'array key written unaligned is not constant', progType: 'socket_filter', maps: [ARRAY8], insns: p(...lookup(1), LoadMem(R0, R0, 0, Size.DW), ...ret0), verdict: 'reject', error: "R0 invalid mem access 'map_value_or_null'" },
  { name: 'array lookup with key out of range', progType: 'socket_filter', maps: [ARRAY8], insns: p(...lookup(4), LoadMem(R0, R0, 0, Size.DW), ...ret0), verdict: 'reject', error: "R0 invalid mem access 'map_value_or_null'" },
  { name: 'direct map value access', progType: 'socket_filter', maps: [ARRAY1], insns: p(LoadMapValue(R1, 0, 8), LoadMem(R0, R1, 0, Size.DW), Exit()), verdict: 'accept', error: null },
  { name: 'direct map value access out of bounds', progType: 'socket_filter', maps: [ARRAY1], insns: p(LoadMapValue(R1, 0, 8), LoadMem(R0, R1, 4, Size.DW), Exit()), verdict: 'reject', error: 'invalid access to map value, value_size=16 off=12 size=8' },
  { name: 'map fd out of range', progType: 'socket_filter', maps: [HASH8], insns: p(LoadMapPtr(R1, 1), ...ret0), verdict: 'reject', error: 'fd 1 is not pointing to valid bpf_map' },
  // --- helpers ---
  { name: 'helper returns scalar', progType: 'socket_filter', insns: p(Call.helper(5), Exit()), verdict: 'accept', error: null, processed: 2 },
  { name: 'invalid helper id', progType: 'socket_filter', insns: p(Call.helper(999), Exit()), verdict: 'reject', error: 'invalid func unknown#999' },
  { name: 'helper not for this program type', progType: 'socket_filter', insns: p(Mov.imm(R1, 0), Mov.imm(R2, 0), Call.helper(23), Exit()), verdict: 'reject', error: 'program of this type cannot use helper bpf_redirect#23' },
  { name: 'gpl-only helper from non-gpl program', progType: 'socket_filter', license: 'Proprietary', insns: p(Call.helper(6), Exit()), verdict: 'reject', error: 'cannot call GPL-restricted function from non-GPL compatible program' },
  { name: 'caller-saved registers clobbered', progType: 'socket_filter', insns: p(Call.helper(5), Mov.reg(R0, R1), Exit()), verdict: 'reject', error: 'R1 !read_ok' },
  { name: 'map pointer argument of wrong type', progType: 'socket_filter', maps: [HASH8], insns: p(Mov.reg(R1, R10), Mov.reg(R2, R10), Add.imm(R2, -8), Call.helper(1), ...ret0), verdict: 'reject', error: 'R1 type=fp expected=map_ptr' },
  { name: 'map key as scalar', progType: 'socket_filter', maps: [HASH8], insns: p(LoadMapPtr(R1, 0), Mov.imm(R2, 0), Call.helper(1), ...ret0), verdict: 'reject', error: 'R2 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_' },
  { name: 'map key beyond stack', progType: 'socket_filter', maps: [{ type: 'hash', keySize: 8, valueSize: 8, maxEntries: 4 }], insns: p(LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -4), Call.helper(1), ...ret0), verdict: 'reject', error: 'invalid read from stack R2 off=-4 size=8' },
  { name: 'map key uninitialised', progType: 'socket_filter', maps: [HASH8], insns: p(LoadMapPtr(R1, 0), Call.helper(1), ...ret0), verdict: 'reject', error: 'R2 !read_ok' },
  {
    name: 'map update from stack',
    progType: 'socket_filter',
    maps: [HASH8],
    insns: p(StoreImm(R10, -4, 1, Size.W), StoreImm(R10, -16, 7, Size.DW), LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -4), Mov.reg(R3, R10), Add.imm(R3, -16), Mov.imm(R4, 0), Call.helper(2), Exit()),
    verdict: 'accept',
    error: null,
  },
  {
    name: 'map update value beyond stack',
    progType: 'socket_filter',
    maps: [HASH16],
    insns: p(StoreImm(R10, -4, 1, Size.W), LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -4), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 0), Call.helper(2), Exit()),
    verdict: 'reject',
    error: 'invalid read from stack R3 off=-8 size=16',
  },
  { name: 'skb_load_bytes to stack', progType: 'socket_filter', insns: p(Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 8), Call.helper(26), Exit()), verdict: 'accept', error: null, processed: 6 },
  { name: 'skb_load_bytes offset uninitialised', progType: 'socket_filter', insns: p(Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 8), Call.helper(26), Exit()), verdict: 'reject', error: 'R2 !read_ok' },
  { name: 'skb_load_bytes zero size', progType: 'socket_filter', insns: p(Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 0), Call.helper(26), Exit()), verdict: 'reject', error: 'R4 invalid zero-sized read: u64=[0,0]' },
  { name: 'skb_load_bytes too big for stack', progType: 'socket_filter', insns: p(Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 16), Call.helper(26), Exit()), verdict: 'reject', error: 'invalid write to stack R3 off=-8 size=16' },
  {
    name: 'skb_load_bytes unbounded size',
    progType: 'socket_filter',
    insns: p(LoadMem(R4, R1, 0, Size.W), Or.imm(R4, 1), Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -8), Call.helper(26), Exit()),
    verdict: 'reject',
    error: "R4 unbounded memory access, use 'var &= const' or 'if (var < const)'",
  },
  {
    name: 'skb_load_bytes size maybe zero',
    progType: 'socket_filter',
    insns: p(LoadMem(R4, R1, 0, Size.W), Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -8), Call.helper(26), Exit()),
    verdict: 'reject',
    error: 'R4 invalid zero-sized read: u64=[0,4294967295]',
  },
  {
    name: 'skb_load_bytes bounded size',
    progType: 'socket_filter',
    insns: p(LoadMem(R4, R1, 0, Size.W), And.imm(R4, 7), Add.imm(R4, 1), Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -8), Call.helper(26), Exit()),
    verdict: 'accept',
    error: null,
  },
  { name: 'context argument of wrong type', progType: 'socket_filter', insns: p(Mov.reg(R1, R10), Call.helper(47), Exit()), verdict: 'reject', error: 'R1 type=fp expected=ctx' },
  {
    name: 'map of wrong type for helper',
    progType: 'socket_filter',
    maps: [HASH8],
    insns: p(LoadMapPtr(R2, 0), Mov.imm(R3, 0), Mov.reg(R4, R10), Add.imm(R4, -8), StoreImm(R10, -8, 0, Size.DW), Mov.imm(R5, 8), Call.helper(25), ...ret0),
    verdict: 'reject',
    error: 'cannot pass map_type 1 into func bpf_perf_event_output#25',
  },
  {
    name: 'perf_event_output',
    progType: 'socket_filter',
    maps: [PERF],
    insns: p(LoadMapPtr(R2, 0), Mov.imm(R3, 0), Mov.reg(R4, R10), Add.imm(R4, -8), StoreImm(R10, -8, 0, Size.DW), Mov.imm(R5, 8), Call.helper(25), ...ret0),
    verdict: 'accept',
    error: null,
  },
  // --- context and packets ---
  { name: 'socket filter reads skb->len', progType: 'socket_filter', insns: p(LoadMem(R0, R1, 0, Size.W), Exit()), verdict: 'accept', error: null, processed: 2 },
  { name: 'socket filter cannot read skb->data', progType: 'socket_filter', insns: p(LoadMem(R0, R1, 76, Size.W), Exit()), verdict: 'reject', error: 'invalid bpf_context access off=76 size=4' },
  { name: 'socket filter cannot write skb->mark', progType: 'socket_filter', insns: p(StoreImm(R1, 8, 1, Size.W), ...ret0), verdict: 'reject', error: 'invalid bpf_context access off=8 size=4' },
  { name: 'socket filter writes skb->cb', progType: 'socket_filter', insns: p(StoreImm(R1, 48, 1, Size.W), ...ret0), verdict: 'accept', error: null, processed: 3 },
  { name: 'narrow ctx read', progType: 'socket_filter', insns: p(LoadMem(R0, R1, 2, Size.H), Exit()), verdict: 'accept', error: null },
  { name: 'ctx read past the end', progType: 'socket_filter', insns: p(LoadMem(R0, R1, 192, Size.W), Exit()), verdict: 'reject', error: 'invalid bpf_context access off=192 size=4' },
  { name: 'tc writes skb->mark', progType: 'sched_cls', insns: p(StoreImm(R1, 8, 1, Size.W), ...ret0), verdict: 'accept', error: null },
  { name: 'xdp cannot write ctx', progType: 'xdp', insns: p(StoreImm(R1, 0, 1, Size.W), ...ret0), verdict: 'reject', error: 'invalid bpf_context access off=0 size=4' },
  { name: 'xdp packet read without bounds check', progType: 'xdp', insns: p(LoadMem(R2, R1, 0, Size.W), LoadMem(R0, R2, 0, Size.B), ...ret0), verdict: 'reject', error: 'invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)' },
  {
    name: 'xdp packet read after bounds check',
    progType: 'xdp',
    insns: p(LoadMem(R2, R1, 0, Size.W), LoadMem(R3, R1, 4, Size.W), Mov.reg(R4, R2), Add.imm(R4, 14), JGT.reg(R4, R3, 'out'), LoadMem(R0, R2, 12, Size.H), Label('out'), Mov.imm(R0, 2), Exit()),
    verdict: 'accept',
    error: null,
    processed: 10,
  },
  {
    name: 'xdp packet read past checked range',
    progType: 'xdp',
    insns: p(LoadMem(R2, R1, 0, Size.W), LoadMem(R3, R1, 4, Size.W), Mov.reg(R4, R2), Add.imm(R4, 14), JGT.reg(R4, R3, 'out'), LoadMem(R0, R2, 13, Size.H), Label('out'), Mov.imm(R0, 2), Exit()),
    verdict: 'reject',
    error: 'invalid access to packet, off=13 size=2, R2(id=0,off=13,r=14)',
  },
  {
    name: 'xdp bounds check with pkt_end on the left',
    progType: 'xdp',
    insns: p(LoadMem(R2, R1, 0, Size.W), LoadMem(R3, R1, 4, Size.W), Mov.reg(R4, R2), Add.imm(R4, 8), JLT.reg(R3, R4, 'out'), LoadMem(R0, R2, 0, Size.DW), Label('out'), Mov.imm(R0, 2), Exit()),
    verdict: 'accept',
    error: null,
  },
  {
    name: 'tc packet write after bounds check',
    progType: 'sched_cls',
    insns: p(LoadMem(R2, R1, 76, Size.W), LoadMem(R3, R1, 80, Size.W), Mov.reg(R4, R2), Add.imm(R4, 4), JGT.reg(R4, R3, 'out'), StoreImm(R2, 0, 0, Size.W), Label('out'), ...ret0),
    verdict: 'accept',
    error: null,
  },
  { name: 'tc data must be read with 4 bytes', progType: 'sched_cls', insns: p(LoadMem(R2, R1, 76, Size.DW), ...ret0), verdict: 'reject', error: 'invalid bpf_context access off=76 size=8' },
  // --- branches ---
  { name: 'dead branch is not explored', progType: 'socket_filter', insns: p(Mov.imm(R0, 5), JGT.imm(R0, 10, 'bad'), Exit(), Label('bad'), Mov.reg(R0, R5), Exit()), verdict: 'accept', error: null, processed: 3 },
  { name: 'live branch is explored', progType: 'socket_filter', insns: p(LoadMem(R0, R1, 0, Size.W), JGT.imm(R0, 10, 'bad'), Exit(), Label('bad'), Mov.reg(R0, R5), Exit()), verdict: 'reject', error: 'R5 !read_ok' },
  { name: 'signed compare narrows', progType: 'socket_filter', insns: p(LoadMem(R0, R1, 0, Size.W), JSGT.imm(R0, 0, 'pos'), Mov.imm(R0, 0), Label('pos'), Exit()), verdict: 'accept', error: null },
  { name: 'jne on constant', progType: 'socket_filter', insns: p(Mov.imm(R0, 0), JNE.imm(R0, 0, 'bad'), Exit(), Label('bad'), Mov.reg(R0, R5), Exit()), verdict: 'accept', error: null, processed: 3 },
  // --- exit values ---
  { name: 'cgroup_skb returns 1', progType: 'cgroup_skb', expectedAttachType: 'cgroup_inet_ingress', insns: p(Mov.imm(R0, 1), Exit()), verdict: 'accept', error: null },
  { name: 'cgroup_skb returns 2', progType: 'cgroup_skb', expectedAttachType: 'cgroup_inet_ingress', insns: p(Mov.imm(R0, 2), Exit()), verdict: 'reject', error: 'At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]' },
  { name: 'cgroup_skb returns unknown', progType: 'cgroup_skb', expectedAttachType: 'cgroup_inet_ingress', insns: p(Call.helper(5), Exit()), verdict: 'reject', error: 'At program exit the register R0 has unknown scalar value should have been in [0, 1]' },
  { name: 'cgroup_skb returns a pointer', progType: 'cgroup_skb', expectedAttachType: 'cgroup_inet_ingress', insns: p(Mov.reg(R0, R1), Exit()), verdict: 'reject', error: 'At program exit the register R0 is not a known value (ctx)' },
  { name: 'cgroup_skb egress may return 3', progType: 'cgroup_skb', expectedAttachType: 'cgroup_inet_egress', insns: p(Mov.imm(R0, 3), Exit()), verdict: 'accept', error: null },
  { name: 'socket filter may return a pointer as root', progType: 'socket_filter', insns: p(Mov.reg(R0, R10), Exit()), verdict: 'accept', error: null },
  // --- loops ---
  { name: 'bounded loop', progType: 'socket_filter', insns: p(Mov.imm(R0, 0), Label('loop'), Add.imm(R0, 1), JGT.imm(R0, 100, 'out'), Ja('loop'), Label('out'), ...ret0), verdict: 'accept', error: null, processed: 305 },
  { name: 'infinite loop', progType: 'socket_filter', insns: p(Mov.imm(R0, 0), Label('loop'), Mov.imm(R1, 0), JEq.imm(R0, 0, 'loop'), Exit()), verdict: 'reject', error: 'infinite loop detected at insn 1' },
  { name: 'callback address without BTF func_info', progType: 'socket_filter', insns: p(Mov.imm(R1, 10), LoadFunc(R2, 'cb'), Mov.imm(R3, 0), Mov.imm(R4, 0), Call.helper(181), Mov.imm(R0, 0), Exit(), Label('cb'), Mov.imm(R0, 0), Exit()), verdict: 'reject', error: 'missing btf func_info' },
  // --- may_goto (Linux 6.9+): the fall-through is explored with widened scalars until a state repeats ---
  { name: 'may_goto loop', progType: 'socket_filter', insns: p(Mov.imm(R0, 0), Label('l'), MayGoto('out'), Add.imm(R0, 1), Ja('l'), Label('out'), Exit()), verdict: 'accept', error: null, processed: 14 },
  { name: 'may_goto +0', progType: 'socket_filter', insns: p(Mov.imm(R0, 1), MayGoto('o'), Label('o'), Exit()), verdict: 'accept', error: null, processed: 4 },
  { name: 'may_goto exit path reads an uninitialised register', progType: 'socket_filter', insns: p(Mov.imm(R0, 0), Label('l'), MayGoto('out'), Add.imm(R0, 1), Ja('l'), Label('out'), Mov.reg(R0, R2), Exit()), verdict: 'reject', error: 'R2 !read_ok' },
  { name: 'nested may_goto loops', progType: 'socket_filter', insns: p(Mov.imm(R0, 0), Mov.imm(R6, 0), Label('o'), MayGoto('out'), Mov.imm(R7, 0), Label('i'), MayGoto('next'), Add.imm(R7, 1), Add.imm(R0, 2), Ja('i'), Label('next'), Add.imm(R6, 1), Ja('o'), Label('out'), Exit()), verdict: 'accept', error: null, processed: 53 },
  { name: 'may_goto loop over a spilled counter', progType: 'socket_filter', insns: p(Mov.imm(R0, 0), StoreImm(R10, -8, 0, Size.DW), Label('l'), MayGoto('out'), LoadMem(R6, R10, -8, Size.DW), Add.imm(R6, 1), StoreMem(R10, -8, R6, Size.DW), Ja('l'), Label('out'), LoadMem(R0, R10, -8, Size.DW), Exit()), verdict: 'accept', error: null, processed: 24 },
  { name: 'may_goto loop walks a stack pointer out of bounds', progType: 'socket_filter', insns: p(StoreImm(R10, -8, 0, Size.DW), Mov.reg(R6, R10), Add.imm(R6, -8), Label('l'), MayGoto('out'), Add.imm(R6, 1), Ja('l'), Label('out'), LoadMem(R0, R6, 0, Size.B), Exit()), verdict: 'reject', error: 'invalid read from stack R6 off=0 size=1', processed: 45 },
  { name: 'two may_goto in one loop', progType: 'socket_filter', insns: p(Mov.imm(R0, 0), Label('l'), MayGoto('out'), MayGoto('out'), Add.imm(R0, 1), Ja('l'), Label('out'), Exit()), verdict: 'accept', error: null, processed: 16 },
  { name: 'may_goto loop with a branch on context data', progType: 'socket_filter', insns: p(LoadMem(R6, R1, 0, Size.W), Mov.imm(R0, 0), Label('l'), MayGoto('out'), JGT.imm(R6, 5, 'a'), Add.imm(R0, 1), Label('a'), Add.imm(R6, 1), Ja('l'), Label('out'), Mov.imm(R0, 0), Exit()), verdict: 'accept', error: null, processed: 51 },
  { name: 'loop too long', progType: 'socket_filter', insns: p(Mov.imm(R0, 0), Label('loop'), Add.imm(R0, 1), JLT.imm(R0, 1000000, 'loop'), ...ret0), verdict: 'reject', error: 'BPF program is too large. Processed 1000001 insn' },
  // --- atomics and legacy packet loads ---
  { name: 'atomic add on stack', progType: 'socket_filter', insns: p(StoreImm(R10, -8, 0, Size.DW), Mov.imm(R1, 1), Atomic.add(R10, -8, R1, Size.DW), ...ret0), verdict: 'accept', error: null },
  { name: 'atomic on ctx', progType: 'socket_filter', insns: p(Mov.imm(R2, 1), Atomic.add(R1, 0, R2, Size.W), ...ret0), verdict: 'reject', error: 'BPF_ATOMIC stores into R1 ctx is not allowed' },
  { name: 'ld_abs with ctx in r6', progType: 'socket_filter', insns: p(Mov.reg(R6, R1), LoadAbs(Size.B, 0), Exit()), verdict: 'accept', error: null },
  { name: 'ld_abs without r6', progType: 'socket_filter', insns: p(LoadAbs(Size.B, 0), Exit()), verdict: 'reject', error: 'R6 !read_ok' },
  { name: 'ld_abs in xdp', progType: 'xdp', insns: p(Mov.reg(R6, R1), LoadAbs(Size.B, 0), Exit()), verdict: 'reject', error: 'BPF_LD_[ABS|IND] instructions not allowed for this program type' },
  // --- more accepted programs ---
  { name: 'xdp returns XDP_PASS', progType: 'xdp', insns: p(Mov.imm(R0, 2), Exit()), verdict: 'accept', error: null, processed: 2 },
  { name: 'tc reads len, mark and priority', progType: 'sched_cls', insns: p(LoadMem(R2, R1, 0, Size.W), LoadMem(R3, R1, 8, Size.W), LoadMem(R4, R1, 32, Size.W), Add.reg(R2, R3), Add.reg(R2, R4), Mov.reg(R0, R2), Exit()), verdict: 'accept', error: null, processed: 7 },
  { name: 'tc reads data_meta', progType: 'sched_cls', insns: p(LoadMem(R2, R1, 140, Size.W), ...ret0), verdict: 'accept', error: null },
  { name: 'tracepoint reads its record', progType: 'tracepoint', insns: p(LoadMem(R0, R1, 8, Size.DW), Exit()), verdict: 'accept', error: null },
  { name: 'tracepoint cannot read the common header', progType: 'tracepoint', insns: p(LoadMem(R0, R1, 0, Size.DW), Exit()), verdict: 'reject', error: 'invalid bpf_context access off=0 size=8' },
  { name: 'store through map value', progType: 'socket_filter', maps: [HASH16], insns: p(...lookup(), JEq.imm(R0, 0, 'out'), StoreImm(R0, 8, 42, Size.DW), Mov.imm(R1, 7), StoreMem(R0, 0, R1, Size.W), Label('out'), ...ret0), verdict: 'accept', error: null },
  { name: 'map delete', progType: 'socket_filter', maps: [HASH8], insns: p(StoreImm(R10, -4, 0, Size.W), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapPtr(R1, 0), Call.helper(3), Exit()), verdict: 'accept', error: null },
  { name: 'random, cpu and pid helpers', progType: 'socket_filter', insns: p(Call.helper(7), Mov.reg(R6, R0), Call.helper(8), Add.reg(R6, R0), Call.helper(14), Add.reg(R0, R6), Exit()), verdict: 'accept', error: null },
  { name: 'trace_printk from stack', progType: 'socket_filter', insns: p(StoreImm(R10, -8, 0x6968, Size.DW), Mov.reg(R1, R10), Add.imm(R1, -8), Mov.imm(R2, 8), Call.helper(6), ...ret0), verdict: 'accept', error: null },
  { name: 'csum_diff with a null buffer', progType: 'sched_cls', insns: p(StoreImm(R10, -8, 0, Size.DW), Mov.imm(R1, 0), Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 8), Mov.imm(R5, 0), Call.helper(28), ...ret0), verdict: 'accept', error: null },
  { name: 'tail call', progType: 'socket_filter', maps: [PROGS], insns: p(LoadMapPtr(R2, 0), Mov.imm(R3, 0), Call.helper(12), ...ret0), verdict: 'accept', error: null },
  { name: 'ringbuf output', progType: 'socket_filter', maps: [RINGBUF], insns: p(StoreImm(R10, -8, 1, Size.DW), LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -8), Mov.imm(R3, 8), Mov.imm(R4, 0), Call.helper(130), ...ret0), verdict: 'accept', error: null },
  { name: 'ringbuf output from uninitialised register', progType: 'socket_filter', maps: [RINGBUF], insns: p(LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -8), Mov.imm(R3, 8), Call.helper(130), ...ret0), verdict: 'reject', error: 'R4 !read_ok' },
  {
    name: 'sum loop',
    progType: 'socket_filter',
    insns: p(Mov.imm(R0, 0), Mov.imm(R1, 0), Label('loop'), Add.reg(R0, R1), Add.imm(R1, 1), JLT.imm(R1, 16, 'loop'), Exit()),
    verdict: 'accept',
    error: null,
  },
  { name: 'jset narrows nothing harmful', progType: 'socket_filter', insns: p(LoadMem(R0, R1, 0, Size.W), JSet.imm(R0, 1, 'odd'), Mov.imm(R0, 0), Label('odd'), Exit()), verdict: 'accept', error: null },
  { name: 'sign-extending move', progType: 'socket_filter', insns: p(LoadMem(R2, R1, 0, Size.W), MovSX.reg(R0, R2, 8), Exit()), verdict: 'accept', error: null },
  { name: 'byte swap', progType: 'socket_filter', insns: p(LoadMem(R0, R1, 0, Size.W), ToBE(R0, 16), Exit()), verdict: 'accept', error: null },
  {
    name: 'atomic fetch add on map value',
    progType: 'socket_filter',
    maps: [HASH8],
    insns: p(...lookup(), JEq.imm(R0, 0, 'out'), Mov.imm(R1, 1), Atomic.fetchAdd(R0, 0, R1, Size.DW), Label('out'), ...ret0),
    verdict: 'accept',
    error: null,
  },
  { name: 'xchg and cmpxchg on stack', progType: 'socket_filter', insns: p(StoreImm(R10, -8, 0, Size.DW), Mov.imm(R1, 5), Atomic.xchg(R10, -8, R1, Size.DW), Mov.imm(R0, 5), Mov.imm(R2, 6), Atomic.cmpxchg(R10, -8, R2, Size.DW), Exit()), verdict: 'accept', error: null },
  { name: 'division by register', progType: 'socket_filter', insns: p(LoadMem(R0, R1, 0, Size.W), LoadMem(R2, R1, 4, Size.W), Div.reg(R0, R2), Mod.reg(R0, R2), Exit()), verdict: 'accept', error: null },
  { name: '64-bit constant', progType: 'socket_filter', insns: p(LoadImm64(R0, 0x1122334455667788n), RSh.imm(R0, 60), Exit()), verdict: 'accept', error: null, processed: 3 },
  { name: 'word store and load on stack', progType: 'socket_filter', insns: p(StoreImm(R10, -4, 9, Size.W), LoadMem(R0, R10, -4, Size.W), Exit()), verdict: 'accept', error: null },
  {
    name: 'spilled index keeps its bounds',
    progType: 'socket_filter',
    maps: [HASH16],
    insns: p(LoadMem(R6, R1, 0, Size.W), And.imm(R6, 7), StoreMem(R10, -16, R6, Size.DW), ...lookup(), JEq.imm(R0, 0, 'out'), LoadMem(R6, R10, -16, Size.DW), Add.reg(R0, R6), LoadMem(R0, R0, 0, Size.DW), Label('out'), ...ret0),
    verdict: 'accept',
    error: null,
  },
  { name: 'jmp32 signed compare', progType: 'socket_filter', insns: p(LoadMem(R0, R1, 0, Size.W), JSLT.imm32(R0, 0, 'neg'), Exit(), Label('neg'), Mov.imm(R0, 0), Exit()), verdict: 'accept', error: null },
  {
    name: 'xdp variable packet offset checked',
    progType: 'xdp',
    insns: p(LoadMem(R2, R1, 0, Size.W), LoadMem(R3, R1, 4, Size.W), LoadMem(R5, R1, 16, Size.W), And.imm(R5, 0xff), Add.reg(R2, R5), Mov.reg(R4, R2), Add.imm(R4, 4), JGT.reg(R4, R3, 'out'), LoadMem(R0, R2, 0, Size.W), Label('out'), Mov.imm(R0, 2), Exit()),
    verdict: 'accept',
    error: null,
  },
  { name: 'register compare narrows both', progType: 'socket_filter', insns: p(LoadMem(R2, R1, 0, Size.W), LoadMem(R3, R1, 4, Size.W), JLT.reg(R2, R3, 'lt'), Mov.imm(R0, 0), Exit(), Label('lt'), Mov.imm(R0, 1), Exit()), verdict: 'accept', error: null },
  { name: 'sched_act program', progType: 'sched_act', insns: p(LoadMem(R0, R1, 0, Size.W), Mov.imm(R0, 0), Exit()), verdict: 'accept', error: null },
  { name: 'cgroup_skb returns masked value', progType: 'cgroup_skb', expectedAttachType: 'cgroup_inet_ingress', insns: p(LoadMem(R0, R1, 0, Size.W), And.imm(R0, 1), Exit()), verdict: 'accept', error: null },
  { name: 'cgroup_skb returns value above range', progType: 'cgroup_skb', expectedAttachType: 'cgroup_inet_ingress', insns: p(LoadMem(R0, R1, 0, Size.W), And.imm(R0, 3), Exit()), verdict: 'reject', error: 'At program exit the register R0 has smin=0 smax=3 should have been in [0, 1]' },
  { name: 'ld_ind with ctx in r6', progType: 'socket_filter', insns: p(Mov.reg(R6, R1), Mov.imm(R7, 2), LoadInd(Size.H, R7, 12), Exit()), verdict: 'accept', error: null },
  { name: 'nested branches', progType: 'socket_filter', insns: p(LoadMem(R2, R1, 0, Size.W), Mov.imm(R0, 0), JGT.imm(R2, 100, 'a'), JLE.imm(R2, 10, 'b'), Mov.imm(R0, 1), Label('b'), Add.imm(R0, 1), Label('a'), Exit()), verdict: 'accept', error: null },
  {
    name: 'packet pointers invalid after adjust_head',
    progType: 'xdp',
    insns: p(Mov.reg(R6, R1), LoadMem(R7, R1, 0, Size.W), LoadMem(R8, R1, 4, Size.W), Mov.reg(R2, R7), Add.imm(R2, 8), JGT.reg(R2, R8, 'out'), Mov.reg(R1, R6), Mov.imm(R2, 4), Call.helper(44), LoadMem(R0, R7, 0, Size.B), Label('out'), Mov.imm(R0, 2), Exit()),
    verdict: 'reject',
    error: "R7 invalid mem access 'scalar'",
  },
  { name: 'uninitialised stack as helper key as root', progType: 'socket_filter', maps: [HASH8], insns: p(Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapPtr(R1, 0), Call.helper(1), ...ret0), verdict: 'accept', error: null },
  { name: 'copy of scalar keeps bounds', progType: 'socket_filter', maps: [HASH16], insns: p(LoadMem(R6, R1, 0, Size.W), Mov.reg(R7, R6), JGT.imm(R6, 8, 'out0'), ...lookup(), JEq.imm(R0, 0, 'out0'), Add.reg(R0, R7), LoadMem(R0, R0, 0, Size.DW), Label('out0'), ...ret0), verdict: 'accept', error: null },
  { name: 'xdp returns XDP_DROP after reading ifindex', progType: 'xdp', insns: p(LoadMem(R2, R1, 12, Size.W), Mov.imm(R0, 1), Exit()), verdict: 'accept', error: null, processed: 3 },
  { name: 'tc returns TC_ACT_SHOT', progType: 'sched_cls', insns: p(Mov.imm(R0, 2), Exit()), verdict: 'accept', error: null, processed: 2 },
  { name: 'kprobe reads pt_regs', progType: 'kprobe', insns: p(LoadMem(R0, R1, 112, Size.DW), Exit()), verdict: 'accept', error: null },
  { name: 'kprobe read past pt_regs', progType: 'kprobe', insns: p(LoadMem(R0, R1, 168, Size.DW), Exit()), verdict: 'reject', error: 'invalid bpf_context access off=168 size=8' },
  { name: 'raw tracepoint reads an argument', progType: 'raw_tracepoint', insns: p(LoadMem(R0, R1, 8, Size.DW), Exit()), verdict: 'accept', error: null },
  { name: 'linked copy narrowed through an offset', progType: 'socket_filter', maps: [HASH16], insns: p(LoadMem(R6, R1, 0, Size.W), Mov.reg(R7, R6), Add.imm(R7, 4), JGT.imm(R7, 12, 'out0'), ...lookup(), JEq.imm(R0, 0, 'out0'), Add.reg(R0, R6), LoadMem(R0, R0, 0, Size.DW), Label('out0'), ...ret0), verdict: 'accept', error: null },
  { name: 'spill of a constant then use as size', progType: 'socket_filter', insns: p(StoreImm(R10, -16, 8, Size.DW), LoadMem(R4, R10, -16, Size.DW), Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -8), Call.helper(26), Exit()), verdict: 'accept', error: null },
  { name: 'two lookups and two null checks', progType: 'socket_filter', maps: [HASH8], insns: p(...lookup(), Mov.reg(R6, R0), ...lookup(1), JEq.imm(R0, 0, 'out'), JEq.imm(R6, 0, 'out'), LoadMem(R1, R6, 0, Size.DW), StoreMem(R0, 0, R1, Size.DW), Label('out'), ...ret0), verdict: 'accept', error: null },
  { name: 'second lookup not null-checked', progType: 'socket_filter', maps: [HASH8], insns: p(...lookup(), Mov.reg(R6, R0), ...lookup(1), JEq.imm(R0, 0, 'out'), LoadMem(R1, R6, 0, Size.DW), Label('out'), ...ret0), verdict: 'reject', error: "R6 invalid mem access 'map_value_or_null'" },
  { name: 'stack buffer zeroed and passed to a helper', progType: 'socket_filter', insns: p(StoreImm(R10, -8, 0, Size.DW), StoreImm(R10, -16, 0, Size.DW), Mov.reg(R1, R10), Add.imm(R1, -16), Mov.imm(R2, 16), Call.helper(6), ...ret0), verdict: 'accept', error: null },
  { name: 'cgroup_skb reads the packet', progType: 'cgroup_skb', expectedAttachType: 'cgroup_inet_ingress', insns: p(LoadMem(R2, R1, 76, Size.W), LoadMem(R3, R1, 80, Size.W), Mov.reg(R4, R2), Add.imm(R4, 1), JGT.reg(R4, R3, 'out'), LoadMem(R0, R2, 0, Size.B), Label('out'), Mov.imm(R0, 1), Exit()), verdict: 'accept', error: null },
  { name: 'cgroup_skb cannot write the packet', progType: 'cgroup_skb', expectedAttachType: 'cgroup_inet_ingress', insns: p(LoadMem(R2, R1, 76, Size.W), LoadMem(R3, R1, 80, Size.W), Mov.reg(R4, R2), Add.imm(R4, 1), JGT.reg(R4, R3, 'out'), StoreImm(R2, 0, 0, Size.B), Label('out'), Mov.imm(R0, 1), Exit()), verdict: 'reject', error: 'cannot write into packet' },
  { name: 'xdp reads rx_queue_index', progType: 'xdp', insns: p(LoadMem(R0, R1, 16, Size.W), Exit()), verdict: 'accept', error: null, processed: 2 },
  { name: 'tc reads the socket pointer and checks it', progType: 'sched_cls', insns: p(LoadMem(R2, R1, 168, Size.DW), JEq.imm(R2, 0, 'out'), Label('out'), ...ret0), verdict: 'accept', error: null },
  { name: 'tc socket pointer without null check', progType: 'sched_cls', insns: p(LoadMem(R2, R1, 168, Size.DW), Add.imm(R2, 4), ...ret0), verdict: 'reject', error: 'R2 pointer arithmetic on sock_common_or_null prohibited, null-check it first' },
  { name: 'ktime difference', progType: 'socket_filter', insns: p(Call.helper(5), Mov.reg(R6, R0), Call.helper(5), Sub.reg(R0, R6), Exit()), verdict: 'accept', error: null, processed: 5 },
  { name: 'shift by register in range', progType: 'socket_filter', insns: p(LoadMem(R2, R1, 0, Size.W), And.imm(R2, 31), Mov.imm(R0, 1), LSh.reg(R0, R2), Exit()), verdict: 'accept', error: null },
  { name: 'or of two loads', progType: 'socket_filter', insns: p(LoadMem(R0, R1, 0, Size.B), LoadMem(R2, R1, 4, Size.H), LSh.imm(R2, 8), Or.reg(R0, R2), Exit()), verdict: 'accept', error: null },
  { name: 'map value pointer spilled across a helper call', progType: 'socket_filter', maps: [HASH8], insns: p(...lookup(), JEq.imm(R0, 0, 'out'), StoreMem(R10, -16, R0, Size.DW), Call.helper(5), LoadMem(R1, R10, -16, Size.DW), StoreMem(R1, 0, R0, Size.DW), Label('out'), ...ret0), verdict: 'accept', error: null },
  { name: 'callee-saved registers survive a call', progType: 'socket_filter', insns: p(Mov.imm(R6, 7), Mov.reg(R7, R1), Call.helper(5), Mov.reg(R0, R6), LoadMem(R2, R7, 0, Size.W), Exit()), verdict: 'accept', error: null },
  { name: 'loop over the stack', progType: 'socket_filter', insns: p(Mov.imm(R1, 0), Label('l'), Mov.reg(R2, R10), Add.imm(R2, -64), Add.reg(R2, R1), StoreImm(R2, 0, 0, Size.DW), Add.imm(R1, 8), JLT.imm(R1, 64, 'l'), ...ret0), verdict: 'accept', error: null },
  { name: 'xdp meta data before data', progType: 'xdp', insns: p(LoadMem(R2, R1, 8, Size.W), LoadMem(R3, R1, 0, Size.W), Mov.reg(R4, R2), Add.imm(R4, 4), JGT.reg(R4, R3, 'out'), LoadMem(R0, R2, 0, Size.W), Label('out'), Mov.imm(R0, 2), Exit()), verdict: 'accept', error: null },
  { name: 'pointer compared with itself explores both branches', progType: 'xdp', insns: p(Mov.imm(R0, 0), Mov.reg(R6, R1), JEq.reg(R6, R6, 'out'), Mov.imm(R2, 5), Label('out'), Mov.imm(R0, 0), Exit()), verdict: 'accept', error: null },
  // reg_not_null: only map, map value, mem and socket pointers are known non-NULL to a comparison with 0.
  { name: 'ctx compared with 0 explores both branches', progType: 'socket_filter', insns: p(Mov.imm(R0, 0), JNE.imm(R1, 0, 'out'), Mov.imm(R0, 1), Label('out'), Exit()), verdict: 'accept', error: null, processed: 5 },
  { name: 'stack pointer compared with a register holding 0 explores both branches', progType: 'socket_filter', insns: p(Mov.imm(R0, 0), Mov.reg(R2, R10), Add.imm(R2, -8), JEq.reg(R0, R2, 'out'), Mov.imm(R0, 1), Label('out'), Exit()), verdict: 'accept', error: null, processed: 7 },
  { name: 'packet pointer compared with 0 explores both branches', progType: 'xdp', insns: p(Mov.imm(R0, 0), LoadMem(R2, R1, 0, Size.W), JEq.imm(R2, 0, 'out'), Mov.imm(R0, 1), Label('out'), Exit()), verdict: 'accept', error: null, processed: 6 },
  { name: 'map pointer compared with 0 is never equal', progType: 'socket_filter', maps: [HASH8], insns: p(Mov.imm(R0, 0), LoadMapPtr(R2, 0), JEq.imm(R2, 0, 'out'), Mov.imm(R0, 1), Label('out'), Exit()), verdict: 'accept', error: null, processed: 5 },
  // --- acquired references: ring buffer records ---
  { name: 'ringbuf reserve, null check, write, submit', progType: 'socket_filter', maps: [RINGBUF], insns: p(...reserve(), JEq.imm(R0, 0, 'out'), StoreImm(R0, 0, 1, Size.DW), Mov.reg(R1, R0), Mov.imm(R2, 0), Call.helper(132), Label('out'), ...ret0), verdict: 'accept', error: null, processed: 12 },
  { name: 'ringbuf reserve then discard', progType: 'socket_filter', maps: [RINGBUF], insns: p(...reserve(), JEq.imm(R0, 0, 'out'), Mov.reg(R1, R0), Mov.imm(R2, 0), Call.helper(133), Label('out'), ...ret0), verdict: 'accept', error: null, processed: 11 },
  { name: 'ringbuf reserve of zero bytes', progType: 'socket_filter', maps: [RINGBUF], insns: p(...reserve(0), JEq.imm(R0, 0, 'out'), Mov.reg(R1, R0), Mov.imm(R2, 0), Call.helper(132), Label('out'), ...ret0), verdict: 'accept', error: null, processed: 11 },
  { name: 'ringbuf submit without null check', progType: 'socket_filter', maps: [RINGBUF], insns: p(...reserve(), Mov.reg(R1, R0), Mov.imm(R2, 0), Call.helper(132), ...ret0), verdict: 'reject', error: 'R1 type=ringbuf_mem_or_null expected=ringbuf_mem', processed: 7 },
  { name: 'ringbuf write without null check', progType: 'socket_filter', maps: [RINGBUF], insns: p(...reserve(), StoreImm(R0, 0, 1, Size.DW), ...ret0), verdict: 'reject', error: "R0 invalid mem access 'ringbuf_mem_or_null'", processed: 5 },
  { name: 'ringbuf pointer arithmetic before null check', progType: 'socket_filter', maps: [RINGBUF], insns: p(...reserve(), Add.imm(R0, 8), ...ret0), verdict: 'reject', error: 'R0 pointer arithmetic on ringbuf_mem_or_null prohibited, null-check it first', processed: 5 },
  { name: 'ringbuf record leaked at exit', progType: 'socket_filter', maps: [RINGBUF], insns: p(...reserve(), JEq.imm(R0, 0, 'out'), StoreImm(R0, 0, 1, Size.DW), Label('out'), ...ret0), verdict: 'reject', error: 'Unreleased reference id=2 alloc_insn=4', processed: 8 },
  { name: 'ringbuf record returned unchecked', progType: 'socket_filter', maps: [RINGBUF], insns: p(...reserve(), Exit()), verdict: 'reject', error: 'Unreleased reference id=2 alloc_insn=4', processed: 5 },
  { name: 'ringbuf record leaked by a subprogram', progType: 'socket_filter', maps: [RINGBUF], insns: p(Call.subprog('f'), ...ret0, Label('f'), ...reserve(), Exit()), verdict: 'reject', error: 'Unreleased reference id=2 alloc_insn=7', processed: 8 },
  { name: 'ringbuf record submitted by a subprogram', progType: 'socket_filter', maps: [RINGBUF], insns: p(...reserve(), JEq.imm(R0, 0, 'out'), Mov.reg(R1, R0), Call.subprog('f'), Label('out'), ...ret0, Label('f'), Mov.imm(R2, 0), Call.helper(132), Mov.imm(R0, 0), Exit()), verdict: 'accept', error: null, processed: 15 },
  { name: 'ringbuf record held across a tail call', progType: 'socket_filter', maps: [RINGBUF, PROGS], insns: p(Mov.reg(R6, R1), ...reserve(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), Mov.reg(R1, R6), LoadMapPtr(R2, 1), Mov.imm(R3, 0), Call.helper(12), Mov.reg(R1, R7), Mov.imm(R2, 0), Call.helper(133), Label('out'), ...ret0), verdict: 'reject', error: 'Unreleased reference id=2 alloc_insn=5', processed: 11 },
  { name: 'ringbuf record held across ld_abs', progType: 'socket_filter', maps: [RINGBUF], insns: p(Mov.reg(R6, R1), ...reserve(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), LoadAbs(Size.B, 0), Mov.reg(R1, R7), Mov.imm(R2, 0), Call.helper(133), Label('out'), ...ret0), verdict: 'reject', error: 'Unreleased reference id=2 alloc_insn=5', processed: 8 },
  { name: 'ringbuf record used after submit', progType: 'socket_filter', maps: [RINGBUF], insns: p(...reserve(), JEq.imm(R0, 0, 'out'), Mov.reg(R6, R0), Mov.reg(R1, R0), Mov.imm(R2, 0), Call.helper(132), StoreImm(R6, 0, 1, Size.DW), Label('out'), ...ret0), verdict: 'reject', error: "R6 invalid mem access 'scalar'", processed: 10 },
  { name: 'spilled ringbuf record used after submit', progType: 'socket_filter', maps: [RINGBUF], insns: p(...reserve(), JEq.imm(R0, 0, 'out'), StoreMem(R10, -8, R0, Size.DW), Mov.reg(R1, R0), Mov.imm(R2, 0), Call.helper(132), LoadMem(R1, R10, -8, Size.DW), StoreImm(R1, 0, 1, Size.DW), Label('out'), ...ret0), verdict: 'reject', error: "R1 invalid mem access 'scalar'", processed: 11 },
  { name: 'ringbuf record submitted twice', progType: 'socket_filter', maps: [RINGBUF], insns: p(...reserve(), JEq.imm(R0, 0, 'out'), Mov.reg(R6, R0), Mov.reg(R1, R0), Mov.imm(R2, 0), Call.helper(132), Mov.reg(R1, R6), Mov.imm(R2, 0), Call.helper(132), Label('out'), ...ret0), verdict: 'reject', error: 'R1 type=scalar expected=ringbuf_mem', processed: 12 },
  { name: 'ringbuf reserve with a non-constant size', progType: 'socket_filter', maps: [RINGBUF], insns: p(LoadMem(R2, R1, 0, Size.W), LoadMapPtr(R1, 0), Mov.imm(R3, 0), Call.helper(131), JEq.imm(R0, 0, 'out'), Mov.reg(R1, R0), Mov.imm(R2, 0), Call.helper(132), Label('out'), ...ret0), verdict: 'reject', error: "R2 is not a known constant'", processed: 4 },
  { name: 'ringbuf submit at a non-zero offset', progType: 'socket_filter', maps: [RINGBUF], insns: p(...reserve(), JEq.imm(R0, 0, 'out'), Mov.reg(R1, R0), Add.imm(R1, 8), Mov.imm(R2, 0), Call.helper(132), Label('out'), ...ret0), verdict: 'reject', error: 'R1 must have zero offset when passed to release func or trusted arg to kfunc', processed: 9 },
  { name: 'ringbuf submit of a scalar', progType: 'socket_filter', insns: p(Mov.imm(R1, 0), Mov.imm(R2, 0), Call.helper(132), ...ret0), verdict: 'reject', error: 'R1 type=scalar expected=ringbuf_mem', processed: 3 },
  { name: 'ringbuf submit of a stack pointer', progType: 'socket_filter', insns: p(StoreImm(R10, -8, 0, Size.DW), Mov.reg(R1, R10), Add.imm(R1, -8), Mov.imm(R2, 0), Call.helper(132), ...ret0), verdict: 'reject', error: 'R1 type=fp expected=ringbuf_mem', processed: 5 },
  { name: 'ringbuf record written past its size', progType: 'socket_filter', maps: [RINGBUF], insns: p(...reserve(), JEq.imm(R0, 0, 'out'), StoreImm(R0, 16, 1, Size.DW), Mov.reg(R1, R0), Mov.imm(R2, 0), Call.helper(132), Label('out'), ...ret0), verdict: 'reject', error: 'invalid access to memory, mem_size=16 off=16 size=8', processed: 6 },
  { name: 'ringbuf record passed to ringbuf_output', progType: 'socket_filter', maps: [RINGBUF], insns: p(...reserve(), JEq.imm(R0, 0, 'out'), Mov.reg(R6, R0), StoreImm(R6, 0, 1, Size.DW), LoadMapPtr(R1, 0), Mov.reg(R2, R6), Mov.imm(R3, 8), Mov.imm(R4, 0), Call.helper(130), Mov.reg(R1, R6), Mov.imm(R2, 0), Call.helper(133), Label('out'), ...ret0), verdict: 'accept', error: null, processed: 19 },
  { name: 'two ringbuf records held at once', progType: 'socket_filter', maps: [RINGBUF], insns: p(...reserve(), Mov.reg(R6, R0), ...reserve(), Mov.reg(R7, R0), JEq.imm(R6, 0, 'a'), Mov.reg(R1, R6), Mov.imm(R2, 0), Call.helper(132), Label('a'), JEq.imm(R7, 0, 'b'), Mov.reg(R1, R7), Mov.imm(R2, 0), Call.helper(133), Label('b'), ...ret0), verdict: 'accept', error: null, processed: 27 },
  { name: 'ringbuf reserve and submit in a loop', progType: 'socket_filter', maps: [RINGBUF], insns: p(Mov.imm(R7, 0), Label('top'), ...reserve(), JEq.imm(R0, 0, 'next'), StoreMem(R0, 0, R7, Size.DW), Mov.reg(R1, R0), Mov.imm(R2, 0), Call.helper(132), Label('next'), Add.imm(R7, 1), JNE.imm(R7, 4, 'top'), ...ret0), verdict: 'accept', error: null, processed: 57 },
  { name: 'ringbuf record held across a join is pruned', progType: 'socket_filter', maps: [RINGBUF], insns: p(LoadMem(R6, R1, 0, Size.W), ...reserve(), JEq.imm(R0, 0, 'out'), JGT.imm(R6, 5, 'join'), StoreImm(R0, 0, 1, Size.DW), Label('join'), Mov.reg(R1, R0), Mov.imm(R2, 0), Call.helper(132), Label('out'), ...ret0), verdict: 'accept', error: null },
  { name: 'ringbuf record leaked in a loop', progType: 'socket_filter', maps: [RINGBUF], insns: p(Mov.imm(R7, 0), Label('top'), ...reserve(), JEq.imm(R0, 0, 'next'), StoreMem(R0, 0, R7, Size.DW), Label('next'), Add.imm(R7, 1), JNE.imm(R7, 4, 'top'), ...ret0), verdict: 'reject', error: 'Unreleased reference id=2 alloc_insn=5' },
  // --- bpf-to-bpf calls ---
  { name: 'call a subprogram', progType: 'socket_filter', insns: p(Mov.imm(R1, 3), Call.subprog('f'), Add.imm(R0, 1), Exit(), Label('f'), Mov.reg(R0, R1), Exit()), verdict: 'accept', error: null, processed: 6 },
  { name: 'subprogram writes the caller stack', progType: 'socket_filter', insns: p(StoreImm(R10, -8, 0, Size.DW), Mov.reg(R1, R10), Add.imm(R1, -8), Call.subprog('f'), LoadMem(R0, R10, -8, Size.DW), Exit(), Label('f'), StoreImm(R1, 0, 7, Size.DW), Mov.imm(R0, 0), Exit()), verdict: 'accept', error: null, processed: 9 },
  { name: 'subprogram reads a callee-saved register', progType: 'socket_filter', insns: p(Mov.imm(R6, 1), Call.subprog('f'), Exit(), Label('f'), Mov.reg(R0, R6), Exit()), verdict: 'reject', error: 'R6 !read_ok' },
  { name: 'subprogram returns a stack pointer', progType: 'socket_filter', insns: p(Call.subprog('f'), Mov.imm(R0, 0), Exit(), Label('f'), Mov.reg(R0, R10), Exit()), verdict: 'reject', error: 'cannot return stack pointer to the caller' },
  { name: 'subprogram reads the context', progType: 'socket_filter', insns: p(Call.subprog('f'), Exit(), Label('f'), LoadMem(R0, R1, 0, Size.W), Exit()), verdict: 'accept', error: null },
  { name: 'argument registers are clobbered after a call', progType: 'socket_filter', insns: p(Mov.imm(R1, 1), Call.subprog('f'), Mov.reg(R0, R1), Exit(), Label('f'), Mov.imm(R0, 0), Exit()), verdict: 'reject', error: 'R1 !read_ok' },
  { name: 'branch inside a subprogram', progType: 'socket_filter', insns: p(LoadMem(R1, R1, 0, Size.W), Call.subprog('f'), Exit(), Label('f'), Mov.imm(R0, 0), JEq.imm(R1, 0, 'z'), Mov.imm(R0, 1), Label('z'), Exit()), verdict: 'accept', error: null, processed: 9 },
  { name: 'nested subprogram calls', progType: 'socket_filter', insns: p(Call.subprog('f'), Exit(), Label('f'), Call.subprog('g'), Add.imm(R0, 1), Exit(), Label('g'), Mov.imm(R0, 1), Exit()), verdict: 'accept', error: null },
  { name: 'map value pointer returned from a subprogram', progType: 'socket_filter', maps: [HASH8], insns: p(Call.subprog('f'), JEq.imm(R0, 0, 'out'), LoadMem(R0, R0, 0, Size.DW), Label('out'), Mov.imm(R0, 0), Exit(), Label('f'), ...lookup(), Exit()), verdict: 'accept', error: null },
  { name: 'unchecked map value from a subprogram', progType: 'socket_filter', maps: [HASH8], insns: p(Call.subprog('f'), LoadMem(R0, R0, 0, Size.DW), Mov.imm(R0, 0), Exit(), Label('f'), ...lookup(), Exit()), verdict: 'reject', error: "R0 invalid mem access 'map_value_or_null'" },
];

test('the case table has at least 60 rows with unique names', () => {
  assert.ok(verifierCases.length >= 60, `${verifierCases.length} rows`);
  assert.is(new Set(verifierCases.map((c) => c.name)).size, verifierCases.length);
});

test('at least 40% of the rows are accepted and 40% rejected', () => {
  const accepted = verifierCases.filter((c) => c.verdict === 'accept').length;
  assert.ok(accepted >= verifierCases.length * 0.4, `${accepted} accepted`);
  assert.ok(verifierCases.length - accepted >= verifierCases.length * 0.4, `${verifierCases.length - accepted} rejected`);
});

test('rejected rows carry an error line and accepted rows none', () => {
  for (const c of verifierCases) assert.is(c.verdict === 'reject', c.error !== null, c.name);
});

test.run();
