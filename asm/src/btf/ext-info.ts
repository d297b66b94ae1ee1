/**
 * The `bpf_func_info` and `bpf_line_info` records that `BPF_PROG_LOAD` takes
 * (`func_info`/`line_info` with `func_info_rec_size` 8 and `line_info_rec_size` 16), given the
 * ids and string offsets of an encoded BTF blob ({@link EncodedBtf.typeId},
 * {@link EncodedBtf.stringOffset}).
 * @module
 */

import { BtfEncodeError } from './btf-error.js';

/** `struct bpf_func_info`: the BTF func of the subprogram starting at an instruction. */
export interface FuncInfo {
  /** Instruction index (in 8-byte slots) where the function starts. */
  readonly insnOff: number;
  /** Id of a `BTF_KIND_FUNC` in the program's BTF. */
  readonly typeId: number;
}

/** `struct bpf_line_info`: the source line of the instructions starting at `insnOff`. */
export interface LineInfo {
  /** Instruction index (in 8-byte slots). */
  readonly insnOff: number;
  /** String offset of the file name in the program's BTF. */
  readonly fileNameOff: number;
  /** String offset of the source line's text in the program's BTF. */
  readonly lineOff: number;
  /** Line number and column packed as {@link lineCol} does: `line << 10 | column`. */
  readonly lineCol: number;
}

/** Size of `struct bpf_func_info` (`func_info_rec_size`). */
export const FUNC_INFO_SIZE = 8;

/** Size of `struct bpf_line_info` (`line_info_rec_size`). */
export const LINE_INFO_SIZE = 16;

/** Packs a 1-based line (22 bits) and column (10 bits) as `BPF_LINE_INFO_LINE_NUM`/`_LINE_COL` read them. */
export function lineCol(line: number, column: number): number {
  if (!Number.isInteger(line) || line < 0 || line > 0x3fffff) throw new BtfEncodeError(`line ${line} does not fit in 22 bits`, 'line_info');
  if (!Number.isInteger(column) || column < 0 || column > 0x3ff) throw new BtfEncodeError(`column ${column} does not fit in 10 bits`, 'line_info');
  return ((line << 10) | column) >>> 0;
}

function u32(v: DataView, at: number, x: number, what: string, little: boolean): void {
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new BtfEncodeError(`${what} ${x} does not fit in u32`, `record ${at >> 3}`);
  v.setUint32(at, x, little);
}

/** Encodes func_info records (8 bytes each). The kernel wants them sorted by `insnOff`, the first at 0. */
export function encodeFuncInfo(records: readonly FuncInfo[], byteOrder: 'little' | 'big' = 'little'): Uint8Array {
  const out = new Uint8Array(records.length * FUNC_INFO_SIZE);
  const v = new DataView(out.buffer);
  const le = byteOrder === 'little';
  records.forEach((r, i) => {
    u32(v, i * 8, r.insnOff, 'insnOff', le);
    u32(v, i * 8 + 4, r.typeId, 'typeId', le);
  });
  return out;
}

/** Encodes line_info records (16 bytes each), sorted by `insnOff` as the kernel requires. */
export function encodeLineInfo(records: readonly LineInfo[], byteOrder: 'little' | 'big' = 'little'): Uint8Array {
  const out = new Uint8Array(records.length * LINE_INFO_SIZE);
  const v = new DataView(out.buffer);
  const le = byteOrder === 'little';
  records.forEach((r, i) => {
    const at = i * 16;
    u32(v, at, r.insnOff, 'insnOff', le);
    u32(v, at + 4, r.fileNameOff, 'fileNameOff', le);
    u32(v, at + 8, r.lineOff, 'lineOff', le);
    u32(v, at + 12, r.lineCol, 'lineCol', le);
  });
  return out;
}

/** Decodes func_info records (e.g. from `BPF_OBJ_GET_INFO_BY_FD`); a trailing partial record is ignored. */
export function decodeFuncInfo(bytes: Uint8Array, byteOrder: 'little' | 'big' = 'little'): FuncInfo[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = byteOrder === 'little';
  const out: FuncInfo[] = [];
  for (let at = 0; at + FUNC_INFO_SIZE <= bytes.byteLength; at += FUNC_INFO_SIZE) out.push({ insnOff: v.getUint32(at, le), typeId: v.getUint32(at + 4, le) });
  return out;
}

/** Decodes line_info records; a trailing partial record is ignored. */
export function decodeLineInfo(bytes: Uint8Array, byteOrder: 'little' | 'big' = 'little'): LineInfo[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = byteOrder === 'little';
  const out: LineInfo[] = [];
  for (let at = 0; at + LINE_INFO_SIZE <= bytes.byteLength; at += LINE_INFO_SIZE) {
    out.push({ insnOff: v.getUint32(at, le), fileNameOff: v.getUint32(at + 4, le), lineOff: v.getUint32(at + 8, le), lineCol: v.getUint32(at + 12, le) });
  }
  return out;
}

/**
 * `enum bpf_core_relo_kind` (`include/uapi/linux/bpf.h`): what a CO-RE relocation asks the loader
 * to patch into its instruction.
 */
export const CoreReloKind = {
  /** Field's byte offset. */
  FIELD_BYTE_OFFSET: 0,
  /** Field's byte size. */
  FIELD_BYTE_SIZE: 1,
  /** Whether the field exists in the target kernel. */
  FIELD_EXISTS: 2,
  /** Whether the field is signed. */
  FIELD_SIGNED: 3,
  /** Bitfield's left shift. */
  FIELD_LSHIFT_U64: 4,
  /** Bitfield's right shift. */
  FIELD_RSHIFT_U64: 5,
  /** Type id in the local BTF. */
  TYPE_ID_LOCAL: 6,
  /** Type id in the target kernel's BTF. */
  TYPE_ID_TARGET: 7,
  /** Whether the type exists in the target. */
  TYPE_EXISTS: 8,
  /** Type's size. */
  TYPE_SIZE: 9,
  /** Whether an enumerator exists. */
  ENUMVAL_EXISTS: 10,
  /** An enumerator's value. */
  ENUMVAL_VALUE: 11,
  /** Whether the type matches. */
  TYPE_MATCHES: 12,
} as const;

/** A {@link CoreReloKind} value. */
export type CoreReloKindNumber = (typeof CoreReloKind)[keyof typeof CoreReloKind];

/**
 * `struct bpf_core_relo`: a CO-RE relocation of the instruction at byte offset `insnOff`. The
 * access string (`"0:1:2"`: an index into the root pointer, then member/array indices) is
 * relative to type `typeId` of the program's BTF.
 */
export interface CoreRelo {
  /** Byte offset of the instruction in its section (`insn_off`, a multiple of 8). */
  readonly insnOff: number;
  /** Root type id in the program's BTF (`type_id`). */
  readonly typeId: number;
  /** String offset of the access specification in the program's BTF (`access_str_off`). */
  readonly accessStrOff: number;
  /** What to relocate (`kind`). */
  readonly kind: number;
}

/** Size of `struct bpf_core_relo` (`core_relo_rec_size`). */
export const CORE_RELO_SIZE = 16;

/** Encodes `bpf_core_relo` records (16 bytes each), as `.BTF.ext`'s core_relo subsection and `BPF_PROG_LOAD`'s `core_relos` take them. */
export function encodeCoreRelo(records: readonly CoreRelo[], byteOrder: 'little' | 'big' = 'little'): Uint8Array {
  const out = new Uint8Array(records.length * CORE_RELO_SIZE);
  const v = new DataView(out.buffer);
  const le = byteOrder === 'little';
  records.forEach((r, i) => {
    const at = i * CORE_RELO_SIZE;
    if (r.insnOff % 8 !== 0) throw new BtfEncodeError(`insnOff ${r.insnOff} is not a multiple of 8`, `core_relo ${i}`);
    u32(v, at, r.insnOff, 'insnOff', le);
    u32(v, at + 4, r.typeId, 'typeId', le);
    u32(v, at + 8, r.accessStrOff, 'accessStrOff', le);
    u32(v, at + 12, r.kind, 'kind', le);
  });
  return out;
}

/** Decodes `bpf_core_relo` records; a trailing partial record is ignored. */
export function decodeCoreRelo(bytes: Uint8Array, byteOrder: 'little' | 'big' = 'little'): CoreRelo[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = byteOrder === 'little';
  const out: CoreRelo[] = [];
  for (let at = 0; at + CORE_RELO_SIZE <= bytes.byteLength; at += CORE_RELO_SIZE) {
    out.push({ insnOff: v.getUint32(at, le), typeId: v.getUint32(at + 4, le), accessStrOff: v.getUint32(at + 8, le), kind: v.getUint32(at + 12, le) });
  }
  return out;
}
