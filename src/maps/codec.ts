/**
 * {@link Codec}s: how typed maps turn JS values into key/value bytes and back, writing straight
 * into the map's preallocated buffers.
 * @module
 */

import type { Type as BtfType } from 'ebpf-bytecode-utils';
import { arrayIndexBtf } from '../types/array.js';
import { s32 as s32Type, s64 as s64Type, u8 as u8Type, u32 as u32Type, u64 as u64Type } from '../types/scalars.js';

/**
 * A fixed-size little-endian encoding of `T`. `write` and `read` work at `offset` of `view`
 * (a DataView over the map's buffer).
 */
export interface Codec<T> {
  /** Encoded size in bytes. */
  readonly size: number;
  /** Writes `value` at `offset`; throws a RangeError for a value that does not fit. */
  write(view: DataView, offset: number, value: T): void;
  /** Reads the value at `offset`. */
  read(view: DataView, offset: number): T;
  /**
   * The BTF of the encoded C type, when known. Typed maps whose key and value codecs both have
   * one create the map with that BTF, so `bpftool map dump` prints fields. The struct types of
   * `src/types` are codecs with BTF.
   */
  btf?(): BtfType;
}

/** Bounds of the 64-bit codecs, computed once (a BigInt shift per write would allocate). */
const TWO_64 = 1n << 64n;
const TWO_63 = 1n << 63n;
const MINUS_TWO_63 = -(1n << 63n);

function intRange(name: string, min: number, max: number, value: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name}: ${String(value)} is not an integer in [${min}, ${max}]`);
}

/** `__u32` as a number. */
export const u32: Codec<number> = {
  size: 4,
  write(view, offset, value) {
    intRange('u32', 0, 0xffffffff, value);
    view.setUint32(offset, value, true);
  },
  read: (view, offset) => view.getUint32(offset, true),
  btf: () => u32Type.btf(),
};

/** `__s32` as a number. */
export const i32: Codec<number> = {
  size: 4,
  write(view, offset, value) {
    intRange('i32', -0x80000000, 0x7fffffff, value);
    view.setInt32(offset, value, true);
  },
  read: (view, offset) => view.getInt32(offset, true),
  btf: () => s32Type.btf(),
};

/** `__u64` as a bigint. */
export const u64: Codec<bigint> = {
  size: 8,
  write(view, offset, value) {
    if (typeof value !== 'bigint' || value < 0n || value >= TWO_64) throw new RangeError(`u64: ${String(value)} is not a bigint in [0, 2^64)`);
    view.setBigUint64(offset, value, true);
  },
  read: (view, offset) => view.getBigUint64(offset, true),
  btf: () => u64Type.btf(),
};

/** `__s64` as a bigint. */
export const i64: Codec<bigint> = {
  size: 8,
  write(view, offset, value) {
    if (typeof value !== 'bigint' || value < MINUS_TWO_63 || value >= TWO_63) throw new RangeError(`i64: ${String(value)} is not a bigint in [-2^63, 2^63)`);
    view.setBigInt64(offset, value, true);
  },
  read: (view, offset) => view.getBigInt64(offset, true),
  btf: () => s64Type.btf(),
};

/** Raw bytes of exactly `size` (reads return copies). */
export function bytes(size: number): Codec<Uint8Array> {
  let node: BtfType | undefined;
  return {
    btf: () => (node ??= { kind: 'array', element: u8Type.btf(), index: arrayIndexBtf(), length: size }),
    size,
    write(view, offset, value) {
      if (!(value instanceof Uint8Array) || value.byteLength !== size) throw new RangeError(`bytes(${size}): got ${value instanceof Uint8Array ? `${value.byteLength} bytes` : typeof value}`);
      new Uint8Array(view.buffer, view.byteOffset + offset, size).set(value);
    },
    read: (view, offset) => new Uint8Array(view.buffer, view.byteOffset + offset, size).slice(),
  };
}

/** A DataView over all of `buf`. */
export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}
