/**
 * A minimal reader of raw BTF (`/sys/kernel/btf/vmlinux`) for kernel tests: just enough of the
 * format (`include/uapi/linux/btf.h`) to look types up by name, walk struct/union members with
 * their bit offsets, read enum values and find kfuncs. It deliberately does not use the product's
 * BTF decoder, so tests that use it check the product against an independent reading.
 * @module
 */

import { readFileSync } from 'node:fs';

/** BTF kinds (`BTF_KIND_*`). */
export const BtfKind = {
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

/** One member of a struct or union. */
export interface BtfMember {
  /** Member name; empty for an anonymous struct/union member. */
  readonly name: string;
  /** Type id of the member. */
  readonly type: number;
  /** Offset from the start of the enclosing type, in bits. */
  readonly bitOffset: number;
  /** Width of a bitfield in bits, 0 when the member is not a bitfield. */
  readonly bitfieldSize: number;
}

/** One type of the BTF blob. */
export interface BtfType {
  /** Type id (1-based; 0 is void). */
  readonly id: number;
  /** One of {@link BtfKind}. */
  readonly kind: number;
  /** Name, empty when anonymous. */
  readonly name: string;
  /** `size` for INT/STRUCT/UNION/ENUM/DATASEC/FLOAT, else the referenced `type`. */
  readonly sizeOrType: number;
  /** Struct/union members. */
  readonly members: readonly BtfMember[];
  /** Enum values (ENUM and ENUM64). */
  readonly values: readonly { readonly name: string; readonly value: bigint }[];
  /** Array element type and count. */
  readonly array?: { readonly type: number; readonly nelems: number };
}

/** A flattened member: a path of names from the outer type, byte offset and byte size. */
export interface FlatMember {
  /** Member name (anonymous levels are skipped). */
  readonly name: string;
  /** Offset in bits from the start of the outer type. */
  readonly bitOffset: number;
  /** Size in bits (the bitfield width, or the type's size × 8). */
  readonly bits: number;
}

/** Parsed BTF: types by id and by name. */
export class MiniBtf {
  /** Types indexed by id; index 0 is a placeholder for void. */
  readonly types: BtfType[] = [];
  private byNameIndex: Map<string, number[]> | undefined;

  constructor(bytes: Uint8Array) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (dv.getUint16(0, true) !== 0xeb9f) throw new Error('btf: bad magic (not little-endian BTF)');
    const hdrLen = dv.getUint32(4, true);
    const typeOff = hdrLen + dv.getUint32(8, true);
    const typeLen = dv.getUint32(12, true);
    const strOff = hdrLen + dv.getUint32(16, true);
    const decoder = new TextDecoder();
    const str = (off: number): string => {
      let end = strOff + off;
      while (bytes[end] !== 0) end++;
      return decoder.decode(bytes.subarray(strOff + off, end));
    };
    this.types.push({ id: 0, kind: 0, name: '', sizeOrType: 0, members: [], values: [] });
    let p = typeOff;
    const end = typeOff + typeLen;
    while (p < end) {
      const nameOff = dv.getUint32(p, true);
      const info = dv.getUint32(p + 4, true);
      const sizeOrType = dv.getUint32(p + 8, true);
      p += 12;
      const vlen = info & 0xffff;
      const kind = (info >>> 24) & 0x1f;
      const kindFlag = info >>> 31 === 1;
      const members: BtfMember[] = [];
      const values: { name: string; value: bigint }[] = [];
      let array: { type: number; nelems: number } | undefined;
      switch (kind) {
        case BtfKind.INT:
        case BtfKind.VAR:
        case BtfKind.DECL_TAG:
          p += 4;
          break;
        case BtfKind.ARRAY:
          array = { type: dv.getUint32(p, true), nelems: dv.getUint32(p + 8, true) };
          p += 12;
          break;
        case BtfKind.STRUCT:
        case BtfKind.UNION:
          for (let i = 0; i < vlen; i++, p += 12) {
            const off = dv.getUint32(p + 8, true);
            members.push({
              name: str(dv.getUint32(p, true)),
              type: dv.getUint32(p + 4, true),
              bitOffset: kindFlag ? off & 0xffffff : off,
              bitfieldSize: kindFlag ? off >>> 24 : 0,
            });
          }
          break;
        case BtfKind.ENUM:
          for (let i = 0; i < vlen; i++, p += 8) values.push({ name: str(dv.getUint32(p, true)), value: BigInt(kindFlag ? dv.getInt32(p + 4, true) : dv.getUint32(p + 4, true)) });
          break;
        case BtfKind.ENUM64:
          for (let i = 0; i < vlen; i++, p += 12) {
            values.push({ name: str(dv.getUint32(p, true)), value: (BigInt(dv.getUint32(p + 8, true)) << 32n) | BigInt(dv.getUint32(p + 4, true)) });
          }
          break;
        case BtfKind.FUNC_PROTO:
          p += 8 * vlen;
          break;
        case BtfKind.DATASEC:
          p += 12 * vlen;
          break;
        default:
          break;
      }
      const t: BtfType = { id: this.types.length, kind, name: str(nameOff), sizeOrType, members, values, ...(array ? { array } : {}) };
      this.types.push(t);
    }
  }

  /** Every type called `name` (optionally of `kind`). */
  byName(name: string, kind?: number): BtfType[] {
    if (this.byNameIndex === undefined) {
      this.byNameIndex = new Map();
      for (const t of this.types) {
        if (t.name === '') continue;
        const list = this.byNameIndex.get(t.name);
        if (list) list.push(t.id);
        else this.byNameIndex.set(t.name, [t.id]);
      }
    }
    return (this.byNameIndex.get(name) ?? []).map((id) => this.types[id]).filter((t) => kind === undefined || t.kind === kind);
  }

  /** The single type called `name` of `kind`; throws when absent. */
  find(name: string, kind: number): BtfType {
    const found = this.byName(name, kind);
    if (found.length === 0) throw new Error(`btf: no type '${name}' of kind ${kind}`);
    return found[0];
  }

  /** Skips typedefs and qualifiers. */
  resolve(id: number): BtfType {
    let t = this.types[id];
    while (t.kind === BtfKind.TYPEDEF || t.kind === BtfKind.VOLATILE || t.kind === BtfKind.CONST || t.kind === BtfKind.RESTRICT || t.kind === BtfKind.TYPE_TAG) {
      t = this.types[t.sizeOrType];
    }
    return t;
  }

  /** Size in bytes of type `id`. */
  sizeOf(id: number): number {
    const t = this.resolve(id);
    switch (t.kind) {
      case BtfKind.PTR:
        return 8;
      case BtfKind.ARRAY:
        return this.sizeOf(t.array!.type) * t.array!.nelems;
      default:
        return t.sizeOrType;
    }
  }

  /**
   * The members of struct/union `id` with those of anonymous struct/union members pulled up
   * (as C lets them be named), offsets relative to `id`.
   */
  flatMembers(id: number, base = 0): FlatMember[] {
    const out: FlatMember[] = [];
    for (const m of this.resolve(id).members) {
      const mt = this.resolve(m.type);
      if (m.name === '' && (mt.kind === BtfKind.STRUCT || mt.kind === BtfKind.UNION)) {
        out.push(...this.flatMembers(mt.id, base + m.bitOffset));
      } else if (m.name !== '') {
        out.push({ name: m.name, bitOffset: base + m.bitOffset, bits: m.bitfieldSize || this.sizeOf(m.type) * 8 });
      }
    }
    return out;
  }
}

let vmlinux: MiniBtf | undefined;

/** The running kernel's BTF (`/sys/kernel/btf/vmlinux`), parsed once. Throws when unreadable. */
export function vmlinuxBtf(): MiniBtf {
  vmlinux ??= new MiniBtf(readFileSync('/sys/kernel/btf/vmlinux'));
  return vmlinux;
}
