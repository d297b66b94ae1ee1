/**
 * The `.BTF.ext` section of BPF ELF objects (libbpf's `struct btf_ext_header`): per ELF section,
 * the func_info, line_info and CO-RE relocation records of its programs. This file holds the
 * model and the encoder; `ext-info-decode.ts` decodes.
 *
 * Layout: a header (magic `0xeB9F`, version 1, flags 0, `hdr_len`, then offset/length pairs of
 * the func_info, line_info and — when `hdr_len` ≥ 32 — core_relo subsections, relative to the
 * end of the header). Each subsection is `u32 record_size`, then blocks of
 * `{u32 sec_name_off; u32 num_info; records[num_info]}`. Instruction offsets in ELF objects are
 * byte offsets into the section (divide by 8 for `BPF_PROG_LOAD`'s func_info/line_info).
 * @module
 */

import { BtfEncodeError } from './btf-error.js';
import { BTF_MAGIC } from './kind.js';
import { CORE_RELO_SIZE, encodeCoreRelo, encodeFuncInfo, encodeLineInfo, FUNC_INFO_SIZE, LINE_INFO_SIZE, type CoreRelo, type FuncInfo, type LineInfo } from './ext-info.js';

/** `.BTF.ext` header size without the core_relo fields. */
export const BTF_EXT_HEADER_SIZE = 24;
/** `.BTF.ext` header size with the core_relo fields. */
export const BTF_EXT_HEADER_SIZE_CORE = 32;

/** The records of one ELF section (e.g. `"kprobe/do_sys_open"`) in a `.BTF.ext` subsection. */
export interface BtfExtSection<R> {
  /** String offset of the ELF section's name in the object's `.BTF` string table. */
  readonly sectionNameOff: number;
  /** The section's name, when the decoder was given the object's `.BTF`. */
  readonly sectionName?: string;
  /** The records, in the order stored (instruction offsets in bytes). */
  readonly records: readonly R[];
}

/** A decoded (or to-be-encoded) `.BTF.ext` section. */
export interface BtfExt {
  /** func_info blocks per ELF section. */
  readonly funcInfo: readonly BtfExtSection<FuncInfo>[];
  /** line_info blocks per ELF section. */
  readonly lineInfo: readonly BtfExtSection<LineInfo>[];
  /** CO-RE relocation blocks per ELF section (empty when the header has no core_relo part). */
  readonly coreRelo: readonly BtfExtSection<CoreRelo>[];
}

/** Options of {@link encodeBtfExt}. */
export interface EncodeBtfExtOptions {
  /** Byte order (default little). */
  readonly byteOrder?: 'little' | 'big';
  /** Write the 32-byte header with core_relo fields even without relocations (default: only when there are some). */
  readonly coreReloHeader?: boolean;
}

function subsection<R>(blocks: readonly BtfExtSection<R>[], recordSize: number, encode: (r: readonly R[], order: 'little' | 'big') => Uint8Array, order: 'little' | 'big', what: string): Uint8Array {
  if (blocks.length === 0) return new Uint8Array(0);
  const parts = blocks.map((b, i) => {
    if (b.records.length === 0) throw new BtfEncodeError(`${what} block ${i} has no records (libbpf rejects empty blocks)`, '.BTF.ext');
    if (!Number.isInteger(b.sectionNameOff) || b.sectionNameOff < 0 || b.sectionNameOff > 0xffffffff) throw new BtfEncodeError(`${what} block ${i}: sectionNameOff ${b.sectionNameOff} does not fit in u32`, '.BTF.ext');
    return encode(b.records, order);
  });
  const total = 4 + parts.reduce((n, p) => n + 8 + p.byteLength, 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  const le = order === 'little';
  v.setUint32(0, recordSize, le);
  let at = 4;
  blocks.forEach((b, i) => {
    v.setUint32(at, b.sectionNameOff, le);
    v.setUint32(at + 4, b.records.length, le);
    out.set(parts[i], at + 8);
    at += 8 + parts[i].byteLength;
  });
  return out;
}

/**
 * Encodes a `.BTF.ext` section: header, then the func_info, line_info and core_relo
 * subsections back to back (as clang lays them out). Throws a {@link BtfEncodeError} for a
 * value that does not fit or an empty block.
 */
export function encodeBtfExt(ext: BtfExt, options: EncodeBtfExtOptions = {}): Uint8Array {
  const order = options.byteOrder ?? 'little';
  const le = order === 'little';
  const func = subsection(ext.funcInfo, FUNC_INFO_SIZE, encodeFuncInfo, order, 'func_info');
  const line = subsection(ext.lineInfo, LINE_INFO_SIZE, encodeLineInfo, order, 'line_info');
  const core = subsection(ext.coreRelo, CORE_RELO_SIZE, encodeCoreRelo, order, 'core_relo');
  const withCore = core.byteLength > 0 || options.coreReloHeader === true;
  const hdrLen = withCore ? BTF_EXT_HEADER_SIZE_CORE : BTF_EXT_HEADER_SIZE;
  const out = new Uint8Array(hdrLen + func.byteLength + line.byteLength + core.byteLength);
  const v = new DataView(out.buffer);
  v.setUint16(0, BTF_MAGIC, le);
  v.setUint8(2, 1);
  v.setUint8(3, 0);
  v.setUint32(4, hdrLen, le);
  v.setUint32(8, 0, le);
  v.setUint32(12, func.byteLength, le);
  v.setUint32(16, func.byteLength, le);
  v.setUint32(20, line.byteLength, le);
  if (withCore) {
    v.setUint32(24, func.byteLength + line.byteLength, le);
    v.setUint32(28, core.byteLength, le);
  }
  out.set(func, hdrLen);
  out.set(line, hdrLen + func.byteLength);
  out.set(core, hdrLen + func.byteLength + line.byteLength);
  return out;
}
