/**
 * Encoder of a type graph to the kernel's BTF format (`include/uapi/linux/btf.h`): header,
 * type section, deduplicated string section. Ids are assigned here: the given types first, in
 * the order given, then every type they reach that is not yet numbered, breadth first. `void`
 * is id 0 and never encoded.
 * @module
 */

import { BtfEncodeError } from './btf-error.js';
import type { Btf } from './btf.js';
import { BTF_HEADER_SIZE, BTF_MAGIC, BTF_VERSION, KIND_NUMBERS } from './kind.js';
import { dedupClasses } from './dedup.js';
import { StringTable } from './string-table.js';
import { VOID, describeType, type Type } from './types.js';

/** Options of {@link encodeBtf}. */
export interface EncodeBtfOptions {
  /** Byte order of the blob; `'little'` unless said. */
  readonly byteOrder?: 'little' | 'big';
  /**
   * Encode split BTF over this base: types built by the base (its {@link Btf.idOf}) are
   * referenced by their base ids and not encoded; new ids and string offsets continue after
   * the base's.
   */
  readonly base?: Btf;
  /** Extra strings to put in the string section (file names and source lines for line_info). */
  readonly strings?: Iterable<string>;
  /**
   * Encode structurally equal types once (default true): two separately built but identical
   * types — including recursive structs — get one id, and {@link EncodedBtf.typeId} gives it
   * for either.
   */
  readonly dedup?: boolean;
}

/** An encoded blob, with the ids and string offsets it assigned. */
export interface EncodedBtf {
  /** The BTF blob, header included. */
  readonly bytes: Uint8Array;
  /** Types by id: index 0 is void, then every encoded type (the base's and duplicates are not listed). */
  readonly types: readonly Type[];
  /** Id of an encoded (or base) type; throws a `RangeError` for a type not in the blob. */
  typeId(t: Type): number;
  /** Offset of a string in the string section; throws a `RangeError` for a string not in it. */
  stringOffset(s: string): number;
}

/** The types `t` refers to directly, in encoding order. */
export function typeChildren(t: Type): Type[] {
  switch (t.kind) {
    case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag': case 'decl_tag':
      return [t.target];
    case 'array':
      return [t.element, t.index];
    case 'struct': case 'union':
      return t.members.map((m) => m.type);
    case 'func':
      return [t.proto];
    case 'func_proto':
      return [t.returns, ...t.params.map((p) => p.type)];
    case 'var':
      return [t.type];
    case 'datasec':
      return t.vars.map((v) => v.type);
    default:
      return [];
  }
}

/** Size of the record of `t` in the type section. */
function recordSize(t: Type): number {
  switch (t.kind) {
    case 'int': case 'var': case 'decl_tag': return 16;
    case 'array': return 24;
    case 'struct': case 'union': return 12 + 12 * t.members.length;
    case 'enum': return 12 + 8 * t.values.length;
    case 'enum64': return 12 + 12 * t.values.length;
    case 'func_proto': return 12 + 8 * t.params.length;
    case 'datasec': return 12 + 12 * t.vars.length;
    default: return 12;
  }
}

function checkU32(t: Type, what: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new BtfEncodeError(`${what} ${v} does not fit in u32`, describeType(t));
  return v;
}

function checkVlen(t: Type, n: number): number {
  if (n > 0xffff) throw new BtfEncodeError(`${n} entries do not fit in vlen (at most 65535)`, describeType(t));
  return n;
}

/**
 * Encodes types (and every type they reach) to a BTF blob. Throws {@link BtfEncodeError} for a
 * value that does not fit the format (a name holding a NUL, a bitfield wider than 255 bits, …).
 */
export function encodeBtf(roots: Iterable<Type>, options?: EncodeBtfOptions): EncodedBtf {
  const base = options?.base;
  const little = options?.byteOrder !== 'big';
  const firstId = base?.typeCount ?? 1;
  const rootList = [...roots];
  const reachable = (rep: (t: Type) => Type): { list: Type[]; ids: Map<Type, number> } => {
    const ids = new Map<Type, number>();
    const list: Type[] = [];
    const add = (t: Type): void => {
      if (t.kind === 'void') return;
      t = rep(t);
      if (ids.has(t)) return;
      if (base !== undefined && base.idOf(t) !== undefined) return;
      ids.set(t, firstId + list.length);
      list.push(t);
    };
    for (const t of rootList) add(t);
    for (let i = 0; i < list.length; i++) for (const c of typeChildren(list[i])) add(c);
    return { list, ids };
  };
  let { list, ids } = reachable((t) => t);
  let rep = (t: Type): Type => t;
  if (options?.dedup !== false && list.length > 1) {
    // Encode each class of structurally equal types once, in the order a walk of the
    // deduplicated graph from the roots gives (so duplicates leave no trace in the blob).
    const reps = dedupClasses(list, typeChildren, (t) => (t.kind === 'void' ? 'void' : `base ${base?.idOf(t)}`));
    if (new Set(reps.values()).size < list.length) {
      rep = (t) => reps.get(t) ?? t;
      ({ list, ids } = reachable(rep));
    }
  }
  const idOf = (t: Type): number => {
    if (t.kind === 'void') return 0;
    const id = ids.get(rep(t)) ?? base?.idOf(t);
    if (id === undefined) throw new RangeError(`${describeType(t)} is not in this BTF`);
    return id;
  };

  const strings = new StringTable(base?.stringsEnd ?? 0);
  const str = (t: Type, s: string): number => {
    if (s.includes('\0')) throw new BtfEncodeError(`name ${JSON.stringify(s)} holds a NUL`, describeType(t));
    return strings.add(s);
  };

  let typeLen = 0;
  for (const t of list) typeLen += recordSize(t);
  const types = new Uint8Array(typeLen);
  const v = new DataView(types.buffer);
  let p = 0;
  const u32 = (x: number): void => {
    v.setUint32(p, x, little);
    p += 4;
  };
  const head = (t: Type, name: string, vlen: number, kflag: boolean, sizeOrType: number): void => {
    u32(name === '' ? 0 : str(t, name));
    u32(((kflag ? 1 : 0) << 31 | KIND_NUMBERS[t.kind] << 24 | checkVlen(t, vlen)) >>> 0);
    u32(sizeOrType);
  };
  for (const t of list) {
    switch (t.kind) {
      case 'int':
        head(t, t.name, 0, false, checkU32(t, 'size', t.size));
        if (t.bits > 128 || t.bitOffset > 255 || t.encoding > 15) throw new BtfEncodeError(`int encoding ${t.encoding}, offset ${t.bitOffset}, bits ${t.bits} out of range`, describeType(t));
        u32(((t.encoding << 24) | (t.bitOffset << 16) | t.bits) >>> 0);
        break;
      case 'ptr': case 'volatile': case 'const': case 'restrict':
        head(t, '', 0, false, idOf(t.target));
        break;
      case 'typedef':
        head(t, t.name, 0, false, idOf(t.target));
        break;
      case 'type_tag':
        head(t, t.value, 0, t.attribute, idOf(t.target));
        break;
      case 'decl_tag':
        head(t, t.value, 0, t.attribute, idOf(t.target));
        v.setInt32(p, t.componentIndex, little);
        p += 4;
        break;
      case 'array':
        head(t, '', 0, false, 0);
        u32(idOf(t.element));
        u32(idOf(t.index));
        u32(checkU32(t, 'length', t.length));
        break;
      case 'struct': case 'union': {
        const kflag = t.members.some((m) => m.bitfieldSize !== 0);
        head(t, t.name, t.members.length, kflag, checkU32(t, 'size', t.size));
        for (const m of t.members) {
          u32(m.name === '' ? 0 : str(t, m.name));
          u32(idOf(m.type));
          if (kflag) {
            if (m.bitfieldSize > 255 || m.bitfieldSize < 0 || m.bitOffset > 0xffffff || m.bitOffset < 0) throw new BtfEncodeError(`member ${m.name}: bitfield size ${m.bitfieldSize} or bit offset ${m.bitOffset} out of range`, describeType(t));
            u32(((m.bitfieldSize << 24) | m.bitOffset) >>> 0);
          } else {
            u32(checkU32(t, `member ${m.name} offset`, m.bitOffset));
          }
        }
        break;
      }
      case 'enum':
        head(t, t.name, t.values.length, t.signed, checkU32(t, 'size', t.size));
        for (const e of t.values) {
          u32(str(t, e.name));
          if (!Number.isInteger(e.value) || e.value < -0x80000000 || e.value > 0xffffffff) throw new BtfEncodeError(`value ${e.value} of ${e.name} does not fit in 32 bits (use enum64)`, describeType(t));
          u32(e.value >>> 0);
        }
        break;
      case 'enum64':
        head(t, t.name, t.values.length, t.signed, checkU32(t, 'size', t.size));
        for (const e of t.values) {
          u32(str(t, e.name));
          if (e.value < -(1n << 63n) || e.value >= 1n << 64n) throw new BtfEncodeError(`value ${e.value} of ${e.name} does not fit in 64 bits`, describeType(t));
          const u = BigInt.asUintN(64, e.value);
          u32(Number(u & 0xffffffffn));
          u32(Number(u >> 32n));
        }
        break;
      case 'fwd':
        head(t, t.name, 0, t.fwdKind === 'union', 0);
        break;
      case 'func':
        head(t, t.name, t.linkage, false, idOf(t.proto));
        break;
      case 'func_proto':
        head(t, '', t.params.length, false, idOf(t.returns));
        for (const prm of t.params) {
          u32(prm.name === '' ? 0 : str(t, prm.name));
          u32(idOf(prm.type));
        }
        break;
      case 'var':
        head(t, t.name, 0, false, idOf(t.type));
        u32(t.linkage);
        break;
      case 'datasec':
        head(t, t.name, t.vars.length, false, checkU32(t, 'size', t.size));
        for (const s of t.vars) {
          u32(idOf(s.type));
          u32(checkU32(t, 'var offset', s.offset));
          u32(checkU32(t, 'var size', s.size));
        }
        break;
      case 'float':
        head(t, t.name, 0, false, checkU32(t, 'size', t.size));
        break;
    }
  }
  if (options?.strings !== undefined) {
    for (const s of options.strings) {
      if (s.includes('\0')) throw new BtfEncodeError(`string ${JSON.stringify(s)} holds a NUL`, 'strings');
      strings.add(s);
    }
  }

  const out = new Uint8Array(BTF_HEADER_SIZE + typeLen + strings.length);
  const hv = new DataView(out.buffer);
  hv.setUint16(0, BTF_MAGIC, little);
  out[2] = BTF_VERSION;
  out[3] = 0;
  hv.setUint32(4, BTF_HEADER_SIZE, little);
  hv.setUint32(8, 0, little);
  hv.setUint32(12, typeLen, little);
  hv.setUint32(16, typeLen, little);
  hv.setUint32(20, strings.length, little);
  out.set(types, BTF_HEADER_SIZE);
  strings.writeTo(out, BTF_HEADER_SIZE + typeLen);
  const byId: Type[] = [VOID, ...list];
  return {
    bytes: out,
    types: byId,
    typeId: idOf,
    stringOffset(s: string): number {
      const off = strings.offsetOf(s);
      if (off === undefined) throw new RangeError(`string ${JSON.stringify(s)} is not in this BTF (pass it in options.strings)`);
      return off;
    },
  };
}
