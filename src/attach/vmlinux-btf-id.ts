/**
 * A minimal name → type id lookup in the kernel's BTF (`/sys/kernel/btf/vmlinux`), enough to
 * find the `btf_trace_<name>` typedef a tp_btf program attaches to.
 *
 * Interim: the BTF decoder of `ebpf-bytecode-utils` (asm/src/btf/) is being written; when it is
 * exported, this file should delegate to it. This one walks the type section once per lookup
 * without building type objects and caches the answers.
 * @module
 */

import { readFileSync } from 'node:fs';

/** `BTF_KIND_*` numbers this lookup needs (`include/uapi/linux/btf.h`). */
export const BtfKindId = { INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, ENUM64: 19 } as const;

/** The BTF blob could not be read or is malformed. */
export class BtfLookupError extends Error {
  override name = 'BtfLookupError';
  /** The BTF file. */
  readonly path: string;

  constructor(path: string, message: string, options?: ErrorOptions) {
    super(`${path}: ${message}`, options);
    this.path = path;
  }
}

/** Bytes that follow the 12-byte `struct btf_type` for `kind` with `vlen` members. */
function extraSize(kind: number, vlen: number): number {
  switch (kind) {
    case 1: // INT
    case 14: // VAR
    case 17: // DECL_TAG
      return 4;
    case 3: // ARRAY
      return 12;
    case 4: // STRUCT
    case 5: // UNION
    case 15: // DATASEC
    case 19: // ENUM64
      return vlen * 12;
    case 6: // ENUM
    case 13: // FUNC_PROTO
      return vlen * 8;
    default: // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG
      return 0;
  }
}

/**
 * The id of the first type named `name` of `kind` in BTF blob `btf`, or undefined. Ids start at 1
 * (`firstId` for split BTF).
 */
export function findBtfTypeId(btf: Uint8Array, name: string, kind: number, firstId = 1, path = '<btf>'): number | undefined {
  const dv = new DataView(btf.buffer, btf.byteOffset, btf.byteLength);
  if (btf.byteLength < 24 || dv.getUint16(0, true) !== 0xeb9f) throw new BtfLookupError(path, 'not little-endian BTF (bad magic)');
  const hdrLen = dv.getUint32(4, true);
  const typeStart = hdrLen + dv.getUint32(8, true);
  const typeEnd = typeStart + dv.getUint32(12, true);
  const strStart = hdrLen + dv.getUint32(16, true);
  const strEnd = strStart + dv.getUint32(20, true);
  if (typeEnd > btf.byteLength || strEnd > btf.byteLength) throw new BtfLookupError(path, 'section beyond the end of the blob');
  const want = new TextEncoder().encode(name);
  let id = firstId;
  for (let off = typeStart; off < typeEnd; id++) {
    if (off + 12 > typeEnd) throw new BtfLookupError(path, `truncated type ${id}`);
    const nameOff = dv.getUint32(off, true);
    const info = dv.getUint32(off + 4, true);
    const k = (info >>> 24) & 0x1f;
    if (k === kind && nameOff !== 0) {
      const s = strStart + nameOff;
      if (s + want.length < strEnd && btf[s + want.length] === 0) {
        let same = true;
        for (let i = 0; i < want.length; i++) {
          if (btf[s + i] !== want[i]) {
            same = false;
            break;
          }
        }
        if (same) return id;
      }
    }
    off += 12 + extraSize(k, info & 0xffff);
  }
  return undefined;
}

/** Where the running kernel's BTF lives. */
export const VMLINUX_BTF_PATH = '/sys/kernel/btf/vmlinux';

const cache = new Map<string, number | undefined>();

/** The id of type `name` of `kind` in the running kernel's BTF, or undefined (cached). */
export function vmlinuxBtfTypeId(name: string, kind: number, path = VMLINUX_BTF_PATH): number | undefined {
  const key = `${path}\0${kind}\0${name}`;
  if (cache.has(key)) return cache.get(key);
  let blob: Uint8Array;
  try {
    blob = readFileSync(path);
  } catch (err) {
    throw new BtfLookupError(path, `cannot read kernel BTF (${(err as NodeJS.ErrnoException).code ?? String(err)}; needs CONFIG_DEBUG_INFO_BTF)`, { cause: err });
  }
  const id = findBtfTypeId(blob, name, kind, 1, path);
  cache.set(key, id);
  return id;
}
