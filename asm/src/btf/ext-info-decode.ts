/**
 * Decoder of `.BTF.ext` sections (the format is described in `btf-ext.ts`): the func_info,
 * line_info and CO-RE relocation records per ELF section, with the checks libbpf makes
 * (`btf_ext__new`). Malformed input gives a {@link BtfExtError} naming the byte offset.
 * @module
 */

import { BtfError } from './btf-error.js';
import { BTF_EXT_HEADER_SIZE, BTF_EXT_HEADER_SIZE_CORE, type BtfExt, type BtfExtSection } from './btf-ext.js';
import { CORE_RELO_SIZE, FUNC_INFO_SIZE, LINE_INFO_SIZE, type CoreRelo, type FuncInfo, type LineInfo } from './ext-info.js';
import { BTF_MAGIC } from './kind.js';

/** A malformed `.BTF.ext` section; {@link BtfError.offset} is the byte offset in the section. */
export class BtfExtError extends BtfError {
  override name = 'BtfExtError';
  constructor(message: string, offset: number) {
    super(message, offset);
    this.message = `.BTF.ext offset ${offset}: ${message}`;
  }
}

/** The parsed `.BTF.ext` header. */
export interface BtfExtHeader {
  /** Byte order, from the magic. */
  readonly byteOrder: 'little' | 'big';
  /** `hdr_len`: 24, or 32 and more with the core_relo fields. */
  readonly hdrLen: number;
  /** `func_info_off`/`_len`, relative to the end of the header. */
  readonly funcInfoOff: number;
  /** Length of the func_info subsection. */
  readonly funcInfoLen: number;
  /** `line_info_off`, relative to the end of the header. */
  readonly lineInfoOff: number;
  /** Length of the line_info subsection. */
  readonly lineInfoLen: number;
  /** `core_relo_off` (0 without the core_relo fields). */
  readonly coreReloOff: number;
  /** Length of the core_relo subsection (0 without). */
  readonly coreReloLen: number;
}

/** A decoded `.BTF.ext` section, with its header and record sizes. */
export interface DecodedBtfExt extends BtfExt {
  /** The header. */
  readonly header: BtfExtHeader;
  /** `record_size` of each subsection (0 for an empty one): larger than the known size in newer producers. */
  readonly recordSizes: { readonly funcInfo: number; readonly lineInfo: number; readonly coreRelo: number };
}

/** Options of {@link decodeBtfExt}. */
export interface DecodeBtfExtOptions {
  /**
   * Resolves string offsets of the object's `.BTF` (e.g. `(off) => btf.string(off)`), to fill
   * in {@link BtfExtSection.sectionName}. A failing lookup is a {@link BtfExtError}.
   */
  readonly strings?: (offset: number) => string;
}

interface Sub<R> {
  readonly name: string;
  readonly minSize: number;
  readonly read: (v: DataView, at: number, le: boolean) => R;
}

const funcSub: Sub<FuncInfo> = { name: 'func_info', minSize: FUNC_INFO_SIZE, read: (v, at, le) => ({ insnOff: v.getUint32(at, le), typeId: v.getUint32(at + 4, le) }) };
const lineSub: Sub<LineInfo> = {
  name: 'line_info',
  minSize: LINE_INFO_SIZE,
  read: (v, at, le) => ({ insnOff: v.getUint32(at, le), fileNameOff: v.getUint32(at + 4, le), lineOff: v.getUint32(at + 8, le), lineCol: v.getUint32(at + 12, le) }),
};
const coreSub: Sub<CoreRelo> = {
  name: 'core_relo',
  minSize: CORE_RELO_SIZE,
  read: (v, at, le) => ({ insnOff: v.getUint32(at, le), typeId: v.getUint32(at + 4, le), accessStrOff: v.getUint32(at + 8, le), kind: v.getUint32(at + 12, le) }),
};

/**
 * Decodes a `.BTF.ext` section. Throws a {@link BtfExtError} (with the offset) for a bad
 * magic, version or flags, a header or subsection outside the data, a record size smaller than
 * the record or not a multiple of 4, an empty block, or records past the subsection's end.
 */
export function decodeBtfExt(bytes: Uint8Array, options: DecodeBtfExtOptions = {}): DecodedBtfExt {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8) throw new BtfExtError(`truncated header: ${bytes.byteLength} bytes, need at least ${BTF_EXT_HEADER_SIZE}`, 0);
  let le: boolean;
  if (v.getUint16(0, true) === BTF_MAGIC) le = true;
  else if (v.getUint16(0, false) === BTF_MAGIC) le = false;
  else throw new BtfExtError(`bad magic 0x${v.getUint16(0, true).toString(16)} (expected 0xeb9f)`, 0);
  if (v.getUint8(2) !== 1) throw new BtfExtError(`unsupported version ${v.getUint8(2)} (expected 1)`, 2);
  if (v.getUint8(3) !== 0) throw new BtfExtError(`unsupported flags 0x${v.getUint8(3).toString(16)} (expected 0)`, 3);
  const hdrLen = v.getUint32(4, le);
  if (hdrLen < BTF_EXT_HEADER_SIZE) throw new BtfExtError(`hdr_len ${hdrLen} is smaller than ${BTF_EXT_HEADER_SIZE}`, 4);
  if (hdrLen > bytes.byteLength) throw new BtfExtError(`hdr_len ${hdrLen} is past the end of the ${bytes.byteLength}-byte section`, 4);
  const core = hdrLen >= BTF_EXT_HEADER_SIZE_CORE;
  const header: BtfExtHeader = {
    byteOrder: le ? 'little' : 'big',
    hdrLen,
    funcInfoOff: v.getUint32(8, le),
    funcInfoLen: v.getUint32(12, le),
    lineInfoOff: v.getUint32(16, le),
    lineInfoLen: v.getUint32(20, le),
    coreReloOff: core ? v.getUint32(24, le) : 0,
    coreReloLen: core ? v.getUint32(28, le) : 0,
  };
  const names = options.strings;
  const parse = <R>(sub: Sub<R>, off: number, len: number, fieldAt: number): { blocks: BtfExtSection<R>[]; recordSize: number } => {
    if (len === 0) return { blocks: [], recordSize: 0 };
    const start = hdrLen + off;
    const end = start + len;
    if (end > bytes.byteLength) throw new BtfExtError(`${sub.name} subsection [${start}, ${end}) is past the end of the ${bytes.byteLength}-byte section`, fieldAt);
    if (len < 4) throw new BtfExtError(`${sub.name} subsection of ${len} bytes has no record size`, start);
    const recordSize = v.getUint32(start, le);
    if (recordSize < sub.minSize || recordSize % 4 !== 0) throw new BtfExtError(`${sub.name} record size ${recordSize} (need a multiple of 4, at least ${sub.minSize})`, start);
    const blocks: BtfExtSection<R>[] = [];
    let at = start + 4;
    while (at < end) {
      if (at + 8 > end) throw new BtfExtError(`${sub.name} block header runs past the subsection end (${end})`, at);
      const sectionNameOff = v.getUint32(at, le);
      const count = v.getUint32(at + 4, le);
      if (count === 0) throw new BtfExtError(`${sub.name} block has no records`, at + 4);
      const recordsEnd = at + 8 + count * recordSize;
      if (recordsEnd > end) throw new BtfExtError(`${sub.name} block of ${count} records of ${recordSize} bytes runs past the subsection end (${end})`, at + 4);
      const records: R[] = new Array<R>(count);
      for (let i = 0, r = at + 8; i < count; i++, r += recordSize) records[i] = sub.read(v, r, le);
      let sectionName: string | undefined;
      if (names !== undefined) {
        try {
          sectionName = names(sectionNameOff);
        } catch (err) {
          throw new BtfExtError(`${sub.name} block names string offset ${sectionNameOff}, which the .BTF does not have (${(err as Error).message})`, at);
        }
      }
      blocks.push(sectionName === undefined ? { sectionNameOff, records } : { sectionNameOff, sectionName, records });
      at = recordsEnd;
    }
    return { blocks, recordSize };
  };
  const f = parse(funcSub, header.funcInfoOff, header.funcInfoLen, 8);
  const l = parse(lineSub, header.lineInfoOff, header.lineInfoLen, 16);
  const c = parse(coreSub, header.coreReloOff, header.coreReloLen, 24);
  return {
    header,
    recordSizes: { funcInfo: f.recordSize, lineInfo: l.recordSize, coreRelo: c.recordSize },
    funcInfo: f.blocks,
    lineInfo: l.blocks,
    coreRelo: c.blocks,
  };
}
