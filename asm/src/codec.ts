/**
 * Binary encoding of instructions: 8 bytes a slot, `ld_imm64` two slots. Little endian by
 * default (what every eBPF target but s390 uses); big endian on request, where the register
 * nibbles swap places as in the kernel's `struct bpf_insn` bitfields.
 * @module
 */

import { EncodeError, UnresolvedReferenceError } from './errors.js';
import type { Instruction } from './instruction.js';
import { LD_IMM64 } from './opcode.js';

/** Options of {@link encode} and {@link decode}. */
export interface ByteOrderOptions {
  /** Byte order of the bytecode; `'little'` unless said. */
  readonly byteOrder?: 'little' | 'big';
}

const TWO_64 = 1n << 64n;
const MIN_S64 = -(1n << 63n);

function describeValue(v: unknown): string {
  return typeof v === 'bigint' ? `${v}n` : String(v);
}

function checkFields(insn: Instruction, index: number): void {
  const { code, dst, src, off } = insn;
  if (!Number.isInteger(code) || code < 0 || code > 0xff) throw new EncodeError(`opcode ${describeValue(code)} does not fit in 8 bits`, index);
  if (!Number.isInteger(dst) || dst < 0 || dst > 15) throw new EncodeError(`dst register ${describeValue(dst)} does not fit in 4 bits`, index);
  if (!Number.isInteger(src) || src < 0 || src > 15) throw new EncodeError(`src register ${describeValue(src)} does not fit in 4 bits`, index);
  if (!Number.isInteger(off) || off < -0x8000 || off > 0x7fff) throw new EncodeError(`offset ${describeValue(off)} does not fit in s16`, index);
  if (insn.ref !== undefined) {
    const r = insn.ref;
    const symbol = r.kind === 'map' || r.kind === 'kfunc' ? r.name : r.label;
    throw new UnresolvedReferenceError(`unresolved ${r.kind} reference to '${symbol}' (resolve the program first: resolve() or encodeProgram())`, index, symbol);
  }
}

function checkImm(insn: Instruction, index: number): void {
  const imm = insn.imm;
  if (typeof imm === 'bigint') {
    if (insn.code !== LD_IMM64) throw new EncodeError(`a 64-bit immediate is only valid for ld_imm64 (opcode 0x18), not 0x${insn.code.toString(16)}`, index);
    if (imm < MIN_S64 || imm >= TWO_64) throw new EncodeError(`immediate ${imm}n does not fit in 64 bits`, index);
  } else if (!Number.isInteger(imm) || imm < -0x80000000 || imm > 0xffffffff) {
    throw new EncodeError(`immediate ${describeValue(imm)} does not fit in 32 bits`, index);
  }
}

/** Total 8-byte slots of `insns`. */
export function countSlots(insns: readonly Instruction[]): number {
  let n = insns.length;
  for (let i = 0; i < insns.length; i++) if (typeof insns[i].imm === 'bigint') n++;
  return n;
}

/**
 * Encodes instructions to bytecode. Throws {@link EncodeError} for a field that does not fit
 * and {@link UnresolvedReferenceError} for an instruction still holding a symbolic reference.
 */
export function encode(insns: readonly Instruction[], options?: ByteOrderOptions): Uint8Array {
  const little = options?.byteOrder !== 'big';
  const out = new Uint8Array(countSlots(insns) * 8);
  const view = new DataView(out.buffer);
  let p = 0;
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i];
    checkFields(insn, i);
    checkImm(insn, i);
    out[p] = insn.code;
    out[p + 1] = little ? (insn.src << 4) | insn.dst : (insn.dst << 4) | insn.src;
    view.setInt16(p + 2, insn.off, little);
    const imm = insn.imm;
    if (typeof imm === 'bigint') {
      const u = BigInt.asUintN(64, imm);
      view.setUint32(p + 4, Number(u & 0xffffffffn), little);
      // Second slot: code, regs and off are zero; imm holds the high half.
      view.setUint32(p + 12, Number(u >> 32n), little);
      p += 16;
    } else {
      view.setInt32(p + 4, imm | 0, little);
      p += 8;
    }
  }
  return out;
}

function toBytes(input: Uint8Array | ArrayBuffer): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  throw new TypeError(`decode: expected a Uint8Array or ArrayBuffer, got ${input === null ? 'null' : typeof input}`);
}

/**
 * Decodes bytecode to instructions. Never throws on odd encodings: a `ld_imm64` whose second
 * slot is missing or has non-zero code/registers/offset is returned as a lone one-slot
 * instruction (with a `number` immediate), and the next slot as its own instruction, so
 * `encode(decode(b))` reproduces `b` exactly. Throws a RangeError only when the length is not a
 * multiple of 8.
 */
export function decode(input: Uint8Array | ArrayBuffer, options?: ByteOrderOptions): Instruction[] {
  const bytes = toBytes(input);
  if (bytes.length % 8 !== 0) throw new RangeError(`decode: bytecode length ${bytes.length} is not a multiple of 8`);
  const little = options?.byteOrder !== 'big';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length >>> 3;
  const out: Instruction[] = [];
  for (let slot = 0; slot < n; slot++) {
    const p = slot << 3;
    const code = bytes[p];
    const regs = bytes[p + 1];
    const dst = little ? regs & 0x0f : regs >>> 4;
    const src = little ? regs >>> 4 : regs & 0x0f;
    const off = view.getInt16(p + 2, little);
    const imm = view.getInt32(p + 4, little);
    if (code === LD_IMM64 && slot + 1 < n && bytes[p + 8] === 0 && bytes[p + 9] === 0 && bytes[p + 10] === 0 && bytes[p + 11] === 0) {
      const hi = view.getUint32(p + 12, little);
      const wide = (BigInt(hi) << 32n) | BigInt(imm >>> 0);
      out.push({ code, dst, src, off, imm: wide });
      slot++;
    } else {
      out.push({ code, dst, src, off, imm });
    }
  }
  return out;
}

/** One instruction of {@link slots}, with the index of its first slot. */
export interface SlotEntry {
  /** Index of the instruction's first 8-byte slot (what the kernel's log numbers). */
  readonly slot: number;
  /** The instruction. */
  readonly insn: Instruction;
}

/** Iterates instructions with their slot numbers (a `ld_imm64` advances the slot by two). */
export function* slots(insns: readonly Instruction[]): Generator<SlotEntry> {
  let slot = 0;
  for (const insn of insns) {
    yield { slot, insn };
    slot += typeof insn.imm === 'bigint' ? 2 : 1;
  }
}

/** Parses hex text (white space ignored) to bytes; throws a RangeError naming the bad character. */
export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0) throw new RangeError(`hex: odd number of digits (${clean.length})`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexDigit(clean.charCodeAt(2 * i));
    const lo = hexDigit(clean.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) {
      const bad = hi < 0 ? 2 * i : 2 * i + 1;
      throw new RangeError(`hex: '${clean[bad]}' at digit ${bad} is not a hex digit`);
    }
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Formats bytes as lower-case hex, one 8-byte slot per group separated by `separator`. */
export function bytesToHex(bytes: Uint8Array, separator = ' '): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0 && i % 8 === 0) s += separator;
    s += bytes[i].toString(16).padStart(2, '0');
  }
  return s;
}
