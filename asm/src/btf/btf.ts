/**
 * A decoded BTF blob: `/sys/kernel/btf/vmlinux`, a module's split BTF over its base, or the
 * `.BTF` section of an ELF object. Decoding validates the header and indexes the type section in
 * one pass (the offset of each type record); type objects are built only when looked up, and
 * their references resolve on first read.
 * @module
 */

import { BtfError } from './btf-error.js';
import {
  DecodedArray, DecodedFunc, DecodedFuncProto, DecodedMember, DecodedParam, DecodedRef,
  DecodedSecinfo, DecodedTag, DecodedTypedef, DecodedVar, decodedDeclTag, decodedQualifier,
  type TypeResolver,
} from './decoded-types.js';
import { BTF_HEADER_SIZE, BTF_KIND_MAX, BTF_MAGIC, BTF_VERSION, BtfKind, KIND_NAMES, KIND_NUMBERS, type FuncLinkageNumber, type KindName, type VarLinkageNumber } from './kind.js';
import { VOID, type Enum64Value, type EnumValue, type Member, type Param, type Type, type VarSecinfo } from './types.js';

/** Options of {@link decodeBtf}. */
export interface DecodeBtfOptions {
  /**
   * The base of a split BTF blob (a kernel module's BTF is split over vmlinux): type ids and
   * string offsets of the blob continue after the base's.
   */
  readonly base?: Btf;
}

/** The fields of `struct btf_header`. */
export interface BtfHeader {
  /** Byte order the blob was written in (from the magic). */
  readonly byteOrder: 'little' | 'big';
  /** `version` */
  readonly version: number;
  /** `flags` */
  readonly flags: number;
  /** `hdr_len` */
  readonly hdrLen: number;
  /** `type_off` (from the end of the header) */
  readonly typeOff: number;
  /** `type_len` */
  readonly typeLen: number;
  /** `str_off` (from the end of the header) */
  readonly strOff: number;
  /** `str_len` */
  readonly strLen: number;
}

/** The type a kind discriminant selects. */
export type TypeOfKind<K extends KindName> = Extract<Type, { kind: K }>;

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8Encoder = new TextEncoder();

/** Parses and checks `struct btf_header`; throws {@link BtfError} naming the offending byte. */
export function decodeBtfHeader(bytes: Uint8Array): BtfHeader {
  if (bytes.byteLength < BTF_HEADER_SIZE) throw new BtfError(`truncated header: ${bytes.byteLength} bytes, need ${BTF_HEADER_SIZE}`, 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let little = true;
  const magic = view.getUint16(0, true);
  if (magic !== BTF_MAGIC) {
    if (view.getUint16(0, false) !== BTF_MAGIC) throw new BtfError(`bad magic 0x${magic.toString(16).padStart(4, '0')}, want 0xeb9f`, 0);
    little = false;
  }
  const version = view.getUint8(2);
  if (version !== BTF_VERSION) throw new BtfError(`unsupported version ${version}`, 2);
  const flags = view.getUint8(3);
  const hdrLen = view.getUint32(4, little);
  if (hdrLen < BTF_HEADER_SIZE) throw new BtfError(`hdr_len ${hdrLen} is shorter than ${BTF_HEADER_SIZE}`, 4);
  if (hdrLen > bytes.byteLength) throw new BtfError(`hdr_len ${hdrLen} is past the end of the ${bytes.byteLength}-byte blob`, 4);
  const typeOff = view.getUint32(8, little);
  const typeLen = view.getUint32(12, little);
  const strOff = view.getUint32(16, little);
  const strLen = view.getUint32(20, little);
  const body = bytes.byteLength - hdrLen;
  if (typeOff > body || typeLen > body - typeOff) throw new BtfError(`type section [${typeOff}, +${typeLen}) is past the end of the ${body}-byte body`, 8);
  if (strOff > body || strLen > body - strOff) throw new BtfError(`string section [${strOff}, +${strLen}) is past the end of the ${body}-byte body`, 16);
  if (typeOff < strOff ? typeOff + typeLen > strOff : strOff + strLen > typeOff) throw new BtfError('type and string sections overlap', 8);
  if (strLen > 0 && bytes[hdrLen + strOff + strLen - 1] !== 0) throw new BtfError('string section does not end with a NUL', hdrLen + strOff + strLen - 1);
  return { byteOrder: little ? 'little' : 'big', version, flags, hdrLen, typeOff, typeLen, strOff, strLen };
}

/** Size of the data following `struct btf_type` for a kind and vlen; -1 for an unknown kind. */
function extraSize(kind: number, vlen: number): number {
  switch (kind) {
    case BtfKind.INT: case BtfKind.VAR: case BtfKind.DECL_TAG: return 4;
    case BtfKind.ARRAY: return 12;
    case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.DATASEC: case BtfKind.ENUM64: return 12 * vlen;
    case BtfKind.ENUM: case BtfKind.FUNC_PROTO: return 8 * vlen;
    case BtfKind.PTR: case BtfKind.FWD: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST:
    case BtfKind.RESTRICT: case BtfKind.FUNC: case BtfKind.FLOAT: case BtfKind.TYPE_TAG: return 0;
    default: return -1;
  }
}

const HOST_LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/**
 * extraSize() as tables in 32-bit words, by kind: the record's fixed words (header included)
 * and words per vlen. Unknown kinds (and kind 0) get a fixed size no section can hold, so the
 * fast index loop needs one bounds check; the checked loop then reports them.
 */
const RECORD_WORDS = new Int32Array(32).fill(0x3fffffff);
const WORDS_PER_VLEN = new Int32Array(32);
for (let k = 1; k <= BTF_KIND_MAX; k++) {
  RECORD_WORDS[k] = 3 + extraSize(k, 0) / 4;
  WORDS_PER_VLEN[k] = (extraSize(k, 1) - extraSize(k, 0)) / 4;
}

/**
 * Decodes a BTF blob. Validates the header and indexes every type record (throwing
 * {@link BtfError} with the byte offset of a truncated record or an unknown kind); types are
 * materialised on lookup, where a bad string offset or type id also gives a {@link BtfError}.
 * The blob is not copied: do not modify it while the {@link Btf} is in use.
 */
export function decodeBtf(bytes: Uint8Array, options?: DecodeBtfOptions): Btf {
  return new Btf(bytes, options?.base);
}

/**
 * Decoded BTF. Type ids: 0 is `void`; a split blob's own types start at {@link Btf.firstId}
 * (its base's {@link Btf.typeCount}). Create with {@link decodeBtf}.
 */
export class Btf implements TypeResolver {
  /** The blob (not copied). */
  readonly bytes: Uint8Array;
  /** Parsed header. */
  readonly header: BtfHeader;
  /** Base BTF of a split blob. */
  readonly base: Btf | undefined;
  /** Id of this blob's first own type (1, or the base's {@link typeCount}). */
  readonly firstId: number;
  /** String offset of this blob's first own string (0, or the base's {@link stringsEnd}). */
  readonly firstStringOffset: number;

  readonly #view: DataView;
  readonly #little: boolean;
  readonly #typeStart: number;
  readonly #strStart: number;
  readonly #strLen: number;
  readonly #offsets: Uint32Array;
  /** Built types by index, in chunks of {@link CACHE_CHUNK} allocated on first use. */
  readonly #cache: ((Type | undefined)[] | undefined)[];
  #names: NameIndex | undefined;
  #built = 0;
  #scans = 0;
  #nameOffsCache: Uint32Array | undefined;
  /** The type section as aligned host-order words, when the blob allows (else undefined). */
  #words: Uint32Array | undefined;
  #text: string | null | undefined;
  /**
   * The string section decoded in blocks of {@link STRING_BLOCK} bytes (each extended to the NUL
   * ending its last string), on first use; null for a block whose byte offsets would not be
   * string indexes (non-ASCII), whose strings are then decoded one by one.
   */
  #blocks: (string | null | undefined)[] | undefined;
  #reverse: Map<Type, number> | undefined;

  /** @internal Use {@link decodeBtf}. */
  constructor(bytes: Uint8Array, base?: Btf) {
    // A plain view: subarray() of a Node Buffer goes through the slow Buffer species.
    this.bytes = bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.base = base;
    this.header = decodeBtfHeader(bytes);
    this.firstId = base === undefined ? 1 : base.typeCount;
    this.firstStringOffset = base === undefined ? 0 : base.stringsEnd;
    const h = this.header;
    this.#little = h.byteOrder === 'little';
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#typeStart = h.hdrLen + h.typeOff;
    this.#strStart = h.hdrLen + h.strOff;
    this.#strLen = h.strLen;
    this.#offsets = this.#index();
    this.#cache = new Array<(Type | undefined)[] | undefined>(Math.ceil(this.#offsets.length / CACHE_CHUNK));
  }

  #index(): Uint32Array {
    const end = this.#typeStart + this.header.typeLen;
    const offsets = new Uint32Array(Math.floor(this.header.typeLen / 12) + 1);
    let n = 0;
    let p = this.#typeStart;
    if (this.#little && HOST_LITTLE && (this.bytes.byteOffset + p) % 4 === 0) {
      // Fast path: read `info` words through an aligned Uint32Array (cheaper than DataView
      // before the JIT warms up); every record is a multiple of 4 bytes, so alignment holds.
      // Kept to a few operations per record: this loop mostly runs before the JIT warms up.
      const nw = (end - p) >>> 2;
      const words = (this.#words = new Uint32Array(this.bytes.buffer, this.bytes.byteOffset + p, nw));
      const fixed = RECORD_WORDS;
      const perVlen = WORDS_PER_VLEN;
      let w = 0;
      while (w < nw) {
        const info = words[w + 1];
        const kind = (info >>> 24) & 0x1f;
        const next = w + fixed[kind] + perVlen[kind] * (info & 0xffff);
        if (next > nw) break;
        offsets[n++] = p + (w << 2);
        w = next;
      }
      p += w << 2;
    }
    const view = this.#view;
    const little = this.#little;
    while (p < end) {
      if (end - p < 12) throw new BtfError(`truncated type record: ${end - p} bytes left, need 12`, p);
      const info = view.getUint32(p + 4, little);
      const kind = (info >>> 24) & 0x1f;
      const extra = extraSize(kind, info & 0xffff);
      if (extra < 0 || kind > BTF_KIND_MAX) throw new BtfError(`unknown kind ${kind} (type id ${this.firstId + n})`, p + 4);
      if (end - p - 12 < extra) throw new BtfError(`truncated ${KIND_NAMES[kind]} record (type id ${this.firstId + n}): needs ${12 + extra} bytes, ${end - p} left`, p);
      offsets[n++] = p;
      p += 12 + extra;
    }
    return offsets.subarray(0, n);
  }

  /** `name_off` of each own type, by index (read on first need). */
  get #nameOffs(): Uint32Array {
    if (this.#nameOffsCache !== undefined) return this.#nameOffsCache;
    const offsets = this.#offsets;
    const out = new Uint32Array(offsets.length);
    const words = this.#words;
    if (words !== undefined) {
      const start = this.#typeStart;
      for (let i = 0; i < offsets.length; i++) out[i] = words[(offsets[i] - start) >>> 2];
    } else {
      const view = this.#view;
      const little = this.#little;
      for (let i = 0; i < offsets.length; i++) out[i] = view.getUint32(offsets[i], little);
    }
    return (this.#nameOffsCache = out);
  }

  /**
   * This blob's type records as aligned host-order words, with the word index of each own
   * type's record (`starts[id - firstId]`), for whole-blob passes that read records without
   * building types (the C dump). Undefined when the blob is not little-endian or not 4-byte
   * aligned on a little-endian host. Records are not validated beyond their lengths.
   */
  recordWords(): { readonly words: Uint32Array; readonly starts: Uint32Array } | undefined {
    const words = this.#words;
    if (words === undefined) return undefined;
    const offsets = this.#offsets;
    const starts = new Uint32Array(offsets.length);
    const start = this.#typeStart;
    for (let i = 0; i < offsets.length; i++) starts[i] = (offsets[i] - start) >>> 2;
    return { words, starts };
  }

  /** One past the highest type id (counting void and the base's types). */
  get typeCount(): number {
    return this.firstId + this.#offsets.length;
  }

  /** How many of this blob's types have been built so far (for checking laziness). */
  get materialized(): number {
    return this.#built;
  }

  /** One past the highest string offset (counting the base's strings). */
  get stringsEnd(): number {
    return this.firstStringOffset + this.#strLen;
  }

  /** Byte offset of the record of own type `id` in {@link bytes}. */
  recordOffset(id: number): number {
    const i = id - this.firstId;
    if (!(i >= 0 && i < this.#offsets.length)) throw new RangeError(`type id ${id} is not in this blob (ids ${this.firstId}..${this.typeCount - 1})`);
    return this.#offsets[i];
  }

  #ref = (id: number, at: number): number => {
    if (id >= this.typeCount) throw new BtfError(`type id ${id} out of range (have ${this.typeCount} types)`, at);
    return id;
  };

  /** The string at `offset` of the string section (counting the base's strings first). */
  string(offset: number): string {
    return this.#string(offset, -1);
  }

  #string(offset: number, at: number): string {
    if (offset < this.firstStringOffset) return this.base!.string(offset);
    const rel = offset - this.firstStringOffset;
    if (rel >= this.#strLen) throw new BtfError(`string offset ${offset} out of range (string section has ${this.stringsEnd} bytes)`, at < 0 ? undefined : at);
    // Names are slices of the decoded section (the common case of kernel BTF, all ASCII): the
    // whole of it when a name search decoded it, else the block holding the name.
    const text = this.#text;
    if (text != null) return text.substring(rel, text.indexOf('\0', rel));
    const bi = Math.floor(rel / STRING_BLOCK);
    const blocks = (this.#blocks ??= new Array<string | null | undefined>(Math.ceil(this.#strLen / STRING_BLOCK)));
    let block = blocks[bi];
    if (block === undefined) block = blocks[bi] = this.#decodeBlock(bi);
    if (block !== null) {
      const o = rel - bi * STRING_BLOCK;
      return block.substring(o, block.indexOf('\0', o));
    }
    const start = this.#strStart + rel;
    return decodeCString(this.bytes, start, this.bytes.indexOf(0, start));
  }

  /** Block `bi` of the string section as a string, or null when byte offsets would not be string indexes. */
  #decodeBlock(bi: number): string | null {
    const start = this.#strStart + bi * STRING_BLOCK;
    const last = Math.min(start + STRING_BLOCK, this.#strStart + this.#strLen) - 1;
    // The section ends with a NUL (checked with the header), so this finds one inside it.
    const end = this.bytes.indexOf(0, last) + 1;
    const t = utf8.decode(this.bytes.subarray(start, end));
    return t.length === end - start && !t.includes('\ufffd') ? t : null;
  }

  /** The string section as one string, or null when byte offsets would not be string indexes. */
  #decodeText(): string | null {
    if (this.#text === undefined) {
      const t = utf8.decode(this.bytes.subarray(this.#strStart, this.#strStart + this.#strLen));
      // String indexes equal byte offsets only when every byte decoded to one UTF-16 unit.
      this.#text = t.length === this.#strLen && !t.includes('\ufffd') ? t : null;
    }
    return this.#text;
  }

  /** Kind of type `id` without building it. */
  kindOf(id: number): KindName {
    if (id === 0) return 'void';
    if (id < this.firstId) return this.base!.kindOf(id);
    const p = this.recordOffset(id);
    return KIND_NAMES[(this.#view.getUint32(p + 4, this.#little) >>> 24) & 0x1f];
  }

  /**
   * Appends to `out` the type ids that the record of type `id` refers to (targets, members,
   * parameters, array element and index types, data section variables), read from the record
   * without building the type. Returns `out`. Ids are not range-checked (building does that).
   */
  referencedIds(id: number, out: number[] = []): number[] {
    if (id === 0) return out;
    if (id < this.firstId) return this.base!.referencedIds(id, out);
    const v = this.#view;
    const le = this.#little;
    const p = this.recordOffset(id);
    const info = v.getUint32(p + 4, le);
    const vlen = info & 0xffff;
    const st = v.getUint32(p + 8, le);
    const q = p + 12;
    switch ((info >>> 24) & 0x1f) {
      case BtfKind.PTR: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT:
      case BtfKind.FUNC: case BtfKind.VAR: case BtfKind.TYPE_TAG: case BtfKind.DECL_TAG:
        out.push(st);
        break;
      case BtfKind.ARRAY:
        out.push(v.getUint32(q, le), v.getUint32(q + 4, le));
        break;
      case BtfKind.STRUCT: case BtfKind.UNION:
        for (let i = 0, m = q; i < vlen; i++, m += 12) out.push(v.getUint32(m + 4, le));
        break;
      case BtfKind.FUNC_PROTO:
        out.push(st);
        for (let i = 0, m = q; i < vlen; i++, m += 8) out.push(v.getUint32(m + 4, le));
        break;
      case BtfKind.DATASEC:
        for (let i = 0, m = q; i < vlen; i++, m += 12) out.push(v.getUint32(m, le));
        break;
      default:
        break;
    }
    return out;
  }

  /** Name of type `id` (`''` when anonymous or nameless) without building it. */
  nameOf(id: number): string {
    if (id === 0) return '';
    if (id < this.firstId) return this.base!.nameOf(id);
    const p = this.recordOffset(id);
    return this.#string(this.#view.getUint32(p, this.#little), p);
  }

  /**
   * The type with id `id` (0 is `void`), built on first request and cached. Throws
   * {@link BtfError} for an id out of range or a record that refers outside the blob.
   */
  typeById(id: number): Type {
    if (id === 0) return VOID;
    if (id < this.firstId) {
      if (id < 0 || this.base === undefined) throw new BtfError(`type id ${id} out of range`);
      return this.base.typeById(id);
    }
    const i = id - this.firstId;
    if (i >= this.#offsets.length) throw new BtfError(`type id ${id} out of range (have ${this.typeCount} types)`);
    const chunk = (this.#cache[i >>> CACHE_SHIFT] ??= new Array<Type | undefined>(CACHE_CHUNK));
    let t = chunk[i & (CACHE_CHUNK - 1)];
    if (t === undefined) {
      t = this.#build(id, this.#offsets[i]);
      this.#built++;
      chunk[i & (CACHE_CHUNK - 1)] = t;
      this.#reverse?.set(t, id);
    }
    return t;
  }

  /** The id of `t` in this blob or its base, when `t` was built by it. */
  idOf(t: Type): number | undefined {
    if (t.kind === 'void') return 0;
    if (this.#reverse === undefined) {
      // Built on the first call, then kept up to date by typeById.
      const m = new Map<Type, number>();
      const cache = this.#cache;
      for (let c = 0; c < cache.length; c++) {
        const chunk = cache[c];
        if (chunk === undefined) continue;
        for (let j = 0; j < chunk.length; j++) if (chunk[j] !== undefined) m.set(chunk[j]!, this.firstId + c * CACHE_CHUNK + j);
      }
      this.#reverse = m;
    }
    return this.#reverse.get(t) ?? this.base?.idOf(t);
  }

  #build(id: number, p: number): Type {
    const v = this.#view;
    const le = this.#little;
    const nameOff = v.getUint32(p, le);
    const info = v.getUint32(p + 4, le);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const st = v.getUint32(p + 8, le);
    const q = p + 12;
    const name = nameOff === 0 ? '' : this.#string(nameOff, p);
    const ref = this.#ref;
    switch (kind) {
      case BtfKind.INT: {
        const enc = v.getUint32(q, le);
        return { kind: 'int', name, size: st, encoding: (enc >>> 24) & 0x0f, bitOffset: (enc >>> 16) & 0xff, bits: enc & 0xff };
      }
      case BtfKind.PTR:
        return new DecodedRef('ptr', this, ref(st, p + 8));
      case BtfKind.VOLATILE:
        return decodedQualifier('volatile', this, ref(st, p + 8));
      case BtfKind.CONST:
        return decodedQualifier('const', this, ref(st, p + 8));
      case BtfKind.RESTRICT:
        return decodedQualifier('restrict', this, ref(st, p + 8));
      case BtfKind.TYPEDEF:
        return new DecodedTypedef(name, this, ref(st, p + 8));
      case BtfKind.TYPE_TAG:
        return new DecodedTag('type_tag', name, kflag, this, ref(st, p + 8));
      case BtfKind.DECL_TAG:
        return decodedDeclTag(name, kflag, v.getInt32(q, le), this, ref(st, p + 8));
      case BtfKind.ARRAY:
        return new DecodedArray(v.getUint32(q + 8, le), this, ref(v.getUint32(q, le), q), ref(v.getUint32(q + 4, le), q + 4));
      case BtfKind.STRUCT:
      case BtfKind.UNION: {
        const members: Member[] = new Array(vlen);
        const words = this.#words;
        if (words !== undefined) {
          // The same reads through the aligned word view (cheaper than DataView when cold).
          const limit = this.typeCount;
          for (let i = 0, m = q, w = (q - this.#typeStart) >>> 2; i < vlen; i++, m += 12, w += 3) {
            const mo = words[w];
            const off = words[w + 2];
            const tid = words[w + 1];
            members[i] = new DecodedMember(mo === 0 ? '' : this.#string(mo, m), kflag ? off & 0xffffff : off, kflag ? off >>> 24 : 0, this, tid < limit ? tid : ref(tid, m + 4));
          }
          return { kind: kind === BtfKind.STRUCT ? 'struct' : 'union', name, size: st, members };
        }
        for (let i = 0, m = q; i < vlen; i++, m += 12) {
          const mo = v.getUint32(m, le);
          const off = v.getUint32(m + 8, le);
          members[i] = new DecodedMember(mo === 0 ? '' : this.#string(mo, m), kflag ? off & 0xffffff : off, kflag ? off >>> 24 : 0, this, ref(v.getUint32(m + 4, le), m + 4));
        }
        return { kind: kind === BtfKind.STRUCT ? 'struct' : 'union', name, size: st, members };
      }
      case BtfKind.ENUM: {
        const values: EnumValue[] = new Array(vlen);
        for (let i = 0, m = q; i < vlen; i++, m += 8) {
          const raw = v.getUint32(m + 4, le);
          values[i] = { name: this.#string(v.getUint32(m, le), m), value: kflag ? raw | 0 : raw };
        }
        return { kind: 'enum', name, size: st, signed: kflag, values };
      }
      case BtfKind.ENUM64: {
        const values: Enum64Value[] = new Array(vlen);
        for (let i = 0, m = q; i < vlen; i++, m += 12) {
          const u = (BigInt(v.getUint32(m + 8, le)) << 32n) | BigInt(v.getUint32(m + 4, le));
          values[i] = { name: this.#string(v.getUint32(m, le), m), value: kflag ? BigInt.asIntN(64, u) : u };
        }
        return { kind: 'enum64', name, size: st, signed: kflag, values };
      }
      case BtfKind.FWD:
        return { kind: 'fwd', name, fwdKind: kflag ? 'union' : 'struct' };
      case BtfKind.FUNC:
        return new DecodedFunc(name, vlen as FuncLinkageNumber, this, ref(st, p + 8));
      case BtfKind.FUNC_PROTO: {
        const params: Param[] = new Array(vlen);
        const words = this.#words;
        if (words !== undefined) {
          const limit = this.typeCount;
          for (let i = 0, m = q, w = (q - this.#typeStart) >>> 2; i < vlen; i++, m += 8, w += 2) {
            const po = words[w];
            const tid = words[w + 1];
            params[i] = new DecodedParam(po === 0 ? '' : this.#string(po, m), this, tid < limit ? tid : ref(tid, m + 4));
          }
          return new DecodedFuncProto(params, this, ref(st, p + 8));
        }
        for (let i = 0, m = q; i < vlen; i++, m += 8) {
          const po = v.getUint32(m, le);
          params[i] = new DecodedParam(po === 0 ? '' : this.#string(po, m), this, ref(v.getUint32(m + 4, le), m + 4));
        }
        return new DecodedFuncProto(params, this, ref(st, p + 8));
      }
      case BtfKind.VAR:
        return new DecodedVar(name, v.getUint32(q, le) as VarLinkageNumber, this, ref(st, p + 8));
      case BtfKind.DATASEC: {
        const vars: VarSecinfo[] = new Array(vlen);
        for (let i = 0, m = q; i < vlen; i++, m += 12) {
          vars[i] = new DecodedSecinfo(v.getUint32(m + 4, le), v.getUint32(m + 8, le), this, ref(v.getUint32(m, le), m));
        }
        return { kind: 'datasec', name, size: st, vars };
      }
      case BtfKind.FLOAT:
        return { kind: 'float', name, size: st };
      default:
        throw new BtfError(`unknown kind ${kind} (type id ${id})`, p + 4);
    }
  }

  /** Byte range of the string at `offset` (which may be the base's): [bytes, start, end). */
  #stringBytes(offset: number, at: number): [Uint8Array, number, number] {
    if (offset < this.firstStringOffset) return this.base!.#stringBytes(offset, -1);
    const rel = offset - this.firstStringOffset;
    if (rel >= this.#strLen) throw new BtfError(`string offset ${offset} out of range (string section has ${this.stringsEnd} bytes)`, at < 0 ? undefined : at);
    const start = this.#strStart + rel;
    return [this.bytes, start, this.bytes.indexOf(0, start)];
  }

  /** Builds the name hash table: FNV-1a of each type's name bytes, chained by id. */
  #nameIndex(): NameIndex {
    if (this.#names !== undefined) return this.#names;
    const offsets = this.#offsets;
    const n = offsets.length;
    let size = 16;
    while (size < n * 2) size *= 2;
    const heads = new Int32Array(size).fill(-1);
    const next = new Int32Array(n);
    const nameOffs = this.#nameOffs;
    const limit = this.stringsEnd;
    for (let i = n - 1; i >= 0; i--) {
      const nameOff = nameOffs[i];
      // Nameless types, and broken names (building that type reports them), are not indexed.
      if (nameOff === 0 || nameOff >= limit) {
        next[i] = -1;
        continue;
      }
      const [b, start, end] = this.#stringBytes(nameOff, offsets[i]);
      const slot = fnv1a(b, start, end) & (size - 1);
      next[i] = heads[slot];
      heads[slot] = i;
    }
    return (this.#names = { heads, next, mask: size - 1 });
  }

  /**
   * Ids of the types named `name` (any kind; a tag, typedef, function, variable, or a tag's
   * value), the base's first, in id order. The first lookups search the blob; after 32 of
   * them a hash table of all names is built.
   */
  idsByName(name: string): number[] {
    const mine = name === '' ? [] : this.#scans < SCANS_BEFORE_HASHING ? this.#scanByName(name) : this.#hashByName(name);
    return this.base === undefined ? mine : [...this.base.idsByName(name), ...mine];
  }

  /**
   * Lookup without an index. When the string section is plain ASCII (every kernel's is), a
   * native string search finds the offsets holding `name` and a native typed-array search the
   * types named by them; otherwise `name` is compared with each type's name in turn. Cheaper
   * than building the hash table when only a few names are looked up.
   */
  #scanByName(name: string): number[] {
    this.#scans++;
    const text = this.#decodeText();
    const nameOffs = this.#nameOffs;
    const first = this.firstStringOffset;
    const out: number[] = [];
    if (text !== null && this.base === undefined) {
      // Every occurrence of `name\0` (a name offset may point into the middle of a string).
      const needle = `${name}\0`;
      const hits: number[] = [];
      for (let h = text.indexOf(needle); h >= 0; h = text.indexOf(needle, h + 1)) hits.push(h + first);
      if (hits.length > 8) {
        // A common suffix ('file', 'sock'): one pass over the names rather than one per hit.
        const set = new Set(hits);
        for (let i = 0; i < nameOffs.length; i++) if (set.has(nameOffs[i])) out.push(this.firstId + i);
        return out;
      }
      for (const h of hits) {
        for (let i = nameOffs.indexOf(h); i >= 0; i = nameOffs.indexOf(h, i + 1)) out.push(this.firstId + i);
      }
      return out.length > 1 ? out.sort((a, b) => a - b) : out;
    }
    const key = utf8Encoder.encode(name);
    const len = key.length;
    const b = this.bytes;
    const strStart = this.#strStart;
    const strLen = this.#strLen;
    for (let i = 0; i < nameOffs.length; i++) {
      const nameOff = nameOffs[i];
      if (nameOff === 0) continue;
      const rel = nameOff - first;
      if (rel < 0) {
        // A split blob's type named by a base string.
        if (this.base!.string(nameOff) === name) out.push(this.firstId + i);
        continue;
      }
      if (rel >= strLen) continue; // a broken name: building that type reports it
      const p = strStart + rel;
      if (b[p] !== key[0] || rel + len >= strLen || b[p + len] !== 0) continue;
      if (sameBytes(b, p, key)) out.push(this.firstId + i);
    }
    return out;
  }

  #hashByName(name: string): number[] {
    const mine: number[] = [];
    const key = utf8Encoder.encode(name);
    const { heads, next, mask } = this.#nameIndex();
    for (let i = heads[fnv1a(key, 0, key.length) & mask]; i >= 0; i = next[i]) {
      const [b, start, end] = this.#stringBytes(this.#nameOffs[i], -1);
      if (end - start === key.length && sameBytes(b, start, key)) mine.push(this.firstId + i);
    }
    return mine;
  }

  /** Types named `name`, optionally only of one kind. */
  byName<K extends KindName>(name: string, kind?: K): TypeOfKind<K>[] {
    const out: TypeOfKind<K>[] = [];
    for (const id of this.idsByName(name)) {
      if (kind === undefined || this.kindOf(id) === kind) out.push(this.typeById(id) as TypeOfKind<K>);
    }
    return out;
  }

  /** The first type of kind `kind` named `name`, or undefined. */
  find<K extends KindName>(kind: K, name: string): TypeOfKind<K> | undefined {
    if (this.#scans < SCANS_BEFORE_HASHING && name !== '') {
      // Few lookups so far: walk the records in id order, kind first, and stop at the first
      // match (libbpf's btf__find_by_name_kind), instead of collecting every type named `name`.
      const id = this.#firstByName(KIND_NUMBERS[kind] ?? -1, name);
      return id < 0 ? undefined : (this.typeById(id) as TypeOfKind<K>);
    }
    for (const id of this.idsByName(name)) if (this.kindOf(id) === kind) return this.typeById(id) as TypeOfKind<K>;
    return undefined;
  }

  /** Id of the first type (the base's first) of kind number `kind` named `name`, or -1. Counts as a scan. */
  #firstByName(kind: number, name: string): number {
    if (this.base !== undefined) {
      const id = this.base.#firstByName(kind, name);
      if (id >= 0) return id;
    }
    this.#scans++;
    if (kind <= 0) return -1;
    const key = utf8Encoder.encode(name);
    const len = key.length;
    const k0 = key[0];
    const b = this.bytes;
    const first = this.firstStringOffset;
    const strStart = this.#strStart;
    const strLen = this.#strLen;
    const offsets = this.#offsets;
    const words = this.#words;
    const start = this.#typeStart;
    const view = this.#view;
    const little = this.#little;
    for (let i = 0; i < offsets.length; i++) {
      const p = offsets[i];
      const info = words !== undefined ? words[((p - start) >>> 2) + 1] : view.getUint32(p + 4, little);
      if (((info >>> 24) & 0x1f) !== kind) continue;
      const nameOff = words !== undefined ? words[(p - start) >>> 2] : view.getUint32(p, little);
      if (nameOff === 0) continue;
      const rel = nameOff - first;
      if (rel < 0) {
        // A split blob's type named by a base string.
        if (this.base!.string(nameOff) === name) return this.firstId + i;
        continue;
      }
      if (rel >= strLen) continue; // a broken name: building that type reports it
      const q = strStart + rel;
      if (b[q] !== k0 || rel + len >= strLen || b[q + len] !== 0) continue;
      if (sameBytes(b, q, key)) return this.firstId + i;
    }
    return -1;
  }

  /** Like {@link find}, but throws a `RangeError` naming the type when there is none. */
  get<K extends KindName>(kind: K, name: string): TypeOfKind<K> {
    const t = this.find(kind, name);
    if (t === undefined) throw new RangeError(`no ${kind} named '${name}' in this BTF`);
    return t;
  }

  /** This blob's own types in id order (not the base's), building each. */
  *types(): IterableIterator<Type> {
    for (let id = this.firstId; id < this.typeCount; id++) yield this.typeById(id);
  }
}

/** Types per chunk of the built-type cache (a power of two), and its log2. */
const CACHE_SHIFT = 10;
const CACHE_CHUNK = 1 << CACHE_SHIFT;

/** Bytes of the string section decoded at a time when names are read. */
const STRING_BLOCK = 16384;

/** Name lookups done by scanning before the hash table is built. */
const SCANS_BEFORE_HASHING = 32;

interface NameIndex {
  readonly heads: Int32Array;
  readonly next: Int32Array;
  readonly mask: number;
}

/**
 * Hash of a name for the lookup table: FNV-1a over the length and at most 16 bytes (the first 8
 * and the last 8), so hashing 127k names costs little; chains are checked byte by byte.
 */
function fnv1a(b: Uint8Array, start: number, end: number): number {
  let h = Math.imul(0x811c9dc5 ^ (end - start), 0x01000193);
  if (end - start <= 16) {
    for (let i = start; i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
  } else {
    for (let i = start; i < start + 8; i++) h = Math.imul(h ^ b[i], 0x01000193);
    for (let i = end - 8; i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
  }
  return (h ^ (h >>> 15)) >>> 0;
}

function sameBytes(b: Uint8Array, start: number, key: Uint8Array): boolean {
  for (let i = 0; i < key.length; i++) if (b[start + i] !== key[i]) return false;
  return true;
}

/** Decodes the NUL-terminated string in bytes [start, end): ASCII directly, else as UTF-8. */
function decodeCString(b: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len === 0) return '';
  if (len <= 128) {
    let ascii = true;
    for (let i = start; i < end; i++) if (b[i] >= 0x80) { ascii = false; break; }
    if (ascii) return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
  }
  return utf8.decode(b.subarray(start, end));
}
