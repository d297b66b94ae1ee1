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
