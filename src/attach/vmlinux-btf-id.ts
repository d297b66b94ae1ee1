/**
 * Name → type id lookups in the kernel's BTF (`/sys/kernel/btf/vmlinux`), e.g. the
 * `btf_trace_<name>` typedef a tp_btf program attaches to. Delegates to the lazy BTF decoder of
 * `ebpf-bytecode-utils`: the blob is indexed once, no type objects are built for the lookup.
 * @module
 */

import { readFileSync } from 'node:fs';
import { BtfError, decodeBtf, KIND_NAMES, type Btf } from 'ebpf-bytecode-utils';

/** `BTF_KIND_*` numbers (`include/uapi/linux/btf.h`) callers of this module pass. */
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

/** Decoded blobs, so repeated lookups in one blob index it once. */
const decoded = new WeakMap<Uint8Array, Btf>();

/** The id of the first type named `name` of kind number `kind` in BTF blob `btf`, or undefined. */
export function findBtfTypeId(btf: Uint8Array, name: string, kind: number, path = '<btf>'): number | undefined {
  const kindName = KIND_NAMES[kind];
  if (kindName === undefined) throw new RangeError(`findBtfTypeId: ${kind} is not a BTF kind`);
  let b = decoded.get(btf);
  try {
    if (b === undefined) {
      b = decodeBtf(btf);
      decoded.set(btf, b);
    }
    const t = b.find(kindName, name);
    return t === undefined ? undefined : b.idOf(t);
  } catch (err) {
    if (err instanceof BtfError) throw new BtfLookupError(path, err.message, { cause: err });
    throw err;
  }
}

/** Where the running kernel's BTF lives. */
export const VMLINUX_BTF_PATH = '/sys/kernel/btf/vmlinux';

const blobs = new Map<string, Uint8Array>();
const cache = new Map<string, number | undefined>();

/** The id of type `name` of kind number `kind` in the running kernel's BTF, or undefined (cached). */
export function vmlinuxBtfTypeId(name: string, kind: number, path = VMLINUX_BTF_PATH): number | undefined {
  const key = `${path}\0${kind}\0${name}`;
  if (cache.has(key)) return cache.get(key);
  let blob = blobs.get(path);
  if (blob === undefined) {
    try {
      blob = readFileSync(path);
    } catch (err) {
      throw new BtfLookupError(path, `cannot read kernel BTF (${(err as NodeJS.ErrnoException).code ?? String(err)}; needs CONFIG_DEBUG_INFO_BTF)`, { cause: err });
    }
    blobs.set(path, blob);
  }
  const id = findBtfTypeId(blob, name, kind, path);
  cache.set(key, id);
  return id;
}
