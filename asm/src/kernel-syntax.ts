/**
 * Disassembler in the kernel's syntax: the text `print_bpf_insn()` (kernel/bpf/disasm.c)
 * writes into the verifier log, e.g. `0: (b7) r0 = 0` or `5: (25) if r1 > 0x5 goto pc+3`.
 * Invalid encodings print the kernel's `BUG_…` text; nothing here throws on odd input.
 * @module
 */

import { helperById } from './helpers.js';
import type { Instruction } from './instruction.js';
import { AluOp, AtomicOp, CallKind, Class, JmpOp, LD_IMM64, MAY_GOTO, Mode, Size, Source } from './opcode.js';

/** Callbacks that name what the raw bytes cannot (the kernel's `bpf_insn_cbs`). */
export interface KernelSyntaxOptions {
  /**
   * Text for a `ld_imm64` value (the kernel's `cb_imm`); return undefined for the default
   * `0x…`. The verifier itself installs none, so its log prints the (resolved) value in hex.
   */
  readonly immName?: (insn: Instruction, fullImm: bigint) => string | undefined;
  /**
   * Name of a call target that is not a known helper (the kernel's `cb_call`): the verifier
   * names kfuncs from BTF this way (`call bpf_rcu_read_lock#12345`). Return undefined for the
   * default (`pc+N` for subprograms, `kernel-function` for kfuncs, `unknown` otherwise).
   */
  readonly callName?: (insn: Instruction) => string | undefined;
}

const hex2 = (n: number) => (n < 16 ? '0' : '') + n.toString(16);
/** `(xx) ` for every opcode. */
const PREFIX: readonly string[] = Array.from({ length: 256 }, (_, c) => `(${hex2(c)}) `);

// A NULL `%s` argument prints as "(null)" in the kernel's vsnprintf.
const NULL = '(null)';
const ALU_OPS: readonly string[] = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian', NULL, NULL];
const JMP_OPS: readonly string[] = ['jmp', '==', '>', '>=', '&', '!=', 's>', 's>=', 'call', 'exit', '<', '<=', 's<', 's<=', NULL, NULL];
const LDST: readonly string[] = ['u32', 'u16', 'u8', 'u64'];
const LDSX: readonly string[] = ['s32', 's16', 's8', NULL];
const ATOMIC_ALU: Readonly<Record<number, string>> = { [AtomicOp.ADD]: 'add', [AtomicOp.AND]: 'and', [AtomicOp.OR]: 'or', [AtomicOp.XOR]: 'xor' };
const ATOMIC_ALU_ASSIGN: Readonly<Record<number, string>> = { [AtomicOp.ADD]: '+=', [AtomicOp.AND]: '&=', [AtomicOp.OR]: '|=', [AtomicOp.XOR]: '^=' };

/** `%+d` */
function signed(n: number): string {
  return n < 0 ? String(n) : `+${n}`;
}

function helperName(id: number): string | undefined {
  return helperById(id)?.name;
}

function fullImm(insn: Instruction, next: Instruction | undefined): bigint {
  if (typeof insn.imm === 'bigint') return BigInt.asUintN(64, insn.imm);
  // A lone first half: the kernel reads insn[1].imm whatever insn[1] is.
  const hi = next === undefined ? 0 : typeof next.imm === 'bigint' ? Number(BigInt.asIntN(32, next.imm)) : next.imm;
  return (BigInt(hi >>> 0) << 32n) | BigInt((insn.imm as number) >>> 0);
}

function imm32Of(insn: Instruction): number {
  return typeof insn.imm === 'bigint' ? Number(BigInt.asIntN(32, insn.imm)) : insn.imm;
}

function formatAlu(insn: Instruction, cls: number): string {
  const code = insn.code;
  const op = code & 0xf0;
  const r = cls === Class.ALU ? 'w' : 'r';
  const p = PREFIX[code];
  const imm = imm32Of(insn);
  if (op === AluOp.END) {
    if (cls === Class.ALU64) return `${p}r${insn.dst} = bswap${imm} r${insn.dst}`;
    return `${p}r${insn.dst} = ${(code & Source.X) !== 0 ? 'be' : 'le'}${imm} r${insn.dst}`;
  }
  if (op === AluOp.NEG) return `${p}${r}${insn.dst} = -${r}${insn.dst}`;
  if (code === (Class.ALU64 | AluOp.MOV | Source.X)) {
    if (insn.off === 1) return `${p}r${insn.dst} = addr_space_cast(r${insn.src}, ${(imm >>> 16) & 0xffff}, ${imm & 0xffff})`;
    if (insn.off === -1) return `${p}r${insn.dst} = &(void __percpu *)(r${insn.src})`;
  }
  const sdivSmod = (op === AluOp.DIV || op === AluOp.MOD) && insn.off === 1;
  const opText = sdivSmod ? (op === AluOp.DIV ? 's/=' : 's%=') : ALU_OPS[op >> 4];
  if ((code & Source.X) !== 0) {
    const off = insn.off;
    const sx = op === AluOp.MOV && (off === 8 || off === 16 || off === 32) ? (off === 8 ? '(s8)' : off === 16 ? '(s16)' : '(s32)') : '';
    return `${p}${r}${insn.dst} ${opText} ${sx}${r}${insn.src}`;
  }
  return `${p}${r}${insn.dst} ${opText} ${imm}`;
}

function formatStx(insn: Instruction): string {
  const code = insn.code;
  const mode = code & 0xe0;
  const size = (code & 0x18) >> 3;
  const p = PREFIX[code];
  const mem = `(${LDST[size]} *)(r${insn.dst} ${signed(insn.off)})`;
  if (mode === Mode.MEM) return `${p}*${mem} = r${insn.src}`;
  if (mode === Mode.ATOMIC) {
    const imm = imm32Of(insn);
    const w64 = (code & 0x18) === Size.DW ? '64' : '';
    const alu = ATOMIC_ALU_ASSIGN[imm];
    if (alu !== undefined) return `${p}lock *${mem} ${alu} r${insn.src}`;
    const fetch = (imm & AtomicOp.FETCH) !== 0 ? ATOMIC_ALU[imm & ~AtomicOp.FETCH] : undefined;
    if (fetch !== undefined && imm !== AtomicOp.XCHG && imm !== AtomicOp.CMPXCHG) return `${p}r${insn.src} = atomic${w64}_fetch_${fetch}(${mem}, r${insn.src})`;
    if (imm === AtomicOp.CMPXCHG) return `${p}r0 = atomic${w64}_cmpxchg(${mem}, r0, r${insn.src})`;
    if (imm === AtomicOp.XCHG) return `${p}r${insn.src} = atomic${w64}_xchg(${mem}, r${insn.src})`;
    if (imm === AtomicOp.LOAD_ACQ) return `${p}r${insn.dst} = load_acquire((${LDST[size]} *)(r${insn.src} ${signed(insn.off)}))`;
    if (imm === AtomicOp.STORE_REL) return `${p}store_release(${mem}, r${insn.src})`;
  }
  return `BUG_${hex2(code)}`;
}

function formatLd(insn: Instruction, next: Instruction | undefined, options: KernelSyntaxOptions | undefined): string {
  const code = insn.code;
  const mode = code & 0xe0;
  const size = LDST[(code & 0x18) >> 3];
  const p = PREFIX[code];
  if (mode === Mode.ABS) return `${p}r0 = *(${size} *)skb[${imm32Of(insn)}]`;
  if (mode === Mode.IND) return `${p}r0 = *(${size} *)skb[r${insn.src} + ${imm32Of(insn)}]`;
  if (code === LD_IMM64) {
    const value = fullImm(insn, next);
    const named = options?.immName?.(insn, value);
    return `${p}r${insn.dst} = ${named ?? `0x${value.toString(16)}`}`;
  }
  return `BUG_ld_${hex2(code)}`;
}

function formatJmp(insn: Instruction, cls: number, options: KernelSyntaxOptions | undefined): string {
  const code = insn.code;
  const op = code & 0xf0;
  const p = PREFIX[code];
  const imm = imm32Of(insn);
  if (op === JmpOp.CALL) {
    let name: string | undefined;
    if (insn.src === CallKind.HELPER && imm >= 0) name = helperName(imm);
    name ??= options?.callName?.(insn);
    if (insn.src === CallKind.SUBPROG) return `${p}call pc${name ?? signed(imm)}`;
    name ??= insn.src === CallKind.KFUNC ? 'kernel-function' : 'unknown';
    return `${p}call ${name}#${imm}`;
  }
  if (code === (Class.JMP | JmpOp.JA)) return `${p}goto pc${signed(insn.off)}`;
  if (code === (Class.JMP | JmpOp.JCOND) && insn.src === MAY_GOTO) return `${p}may_goto pc${signed(insn.off)}`;
  if (code === (Class.JMP32 | JmpOp.JA)) return `${p}gotol pc${signed(imm)}`;
  if (code === (Class.JMP | JmpOp.EXIT)) return `${p}exit`;
  const r = cls === Class.JMP32 ? 'w' : 'r';
  if ((code & Source.X) !== 0) return `${p}if ${r}${insn.dst} ${JMP_OPS[op >> 4]} ${r}${insn.src} goto pc${signed(insn.off)}`;
  return `${p}if ${r}${insn.dst} ${JMP_OPS[op >> 4]} 0x${(imm >>> 0).toString(16)} goto pc${signed(insn.off)}`;
}

/**
 * The kernel's text for one instruction, without the `N: ` slot prefix: `(b7) r0 = 0`.
 * `next` is the following instruction, read only for a lone `ld_imm64` first half.
 */
export function formatKernel(insn: Instruction, options?: KernelSyntaxOptions, next?: Instruction): string {
  const cls = insn.code & 0x07;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64:
      return formatAlu(insn, cls);
    case Class.STX:
      return formatStx(insn);
    case Class.ST: {
      const mode = insn.code & 0xe0;
      if (mode === Mode.MEM) return `${PREFIX[insn.code]}*(${LDST[(insn.code & 0x18) >> 3]} *)(r${insn.dst} ${signed(insn.off)}) = ${imm32Of(insn)}`;
      if (mode === 0xc0) return `${PREFIX[insn.code]}nospec`; // BPF_NOSPEC, kernel-internal
      return `BUG_st_${hex2(insn.code)}`;
    }
    case Class.LDX: {
      const mode = insn.code & 0xe0;
      if (mode !== Mode.MEM && mode !== Mode.MEMSX) return `BUG_ldx_${hex2(insn.code)}`;
      const size = (insn.code & 0x18) >> 3;
      return `${PREFIX[insn.code]}r${insn.dst} = *(${mode === Mode.MEM ? LDST[size] : LDSX[size]} *)(r${insn.src} ${signed(insn.off)})`;
    }
    case Class.LD:
      return formatLd(insn, next, options);
    default:
      return formatJmp(insn, cls, options);
  }
}

/**
 * Disassembles instructions into the kernel's verifier-log lines, `N: (op) text`, where N
 * counts 8-byte slots (a `ld_imm64` takes two).
 */
export function disassembleKernel(insns: readonly Instruction[], options?: KernelSyntaxOptions): string[] {
  const out: string[] = new Array(insns.length);
  let slot = 0;
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i];
    out[i] = `${slot}: ${formatKernel(insn, options, insns[i + 1])}`;
    slot += typeof insn.imm === 'bigint' ? 2 : 1;
  }
  return out;
}
