/**
 * {@link Codec}s: how typed maps turn JS values into key/value bytes and back, writing straight
 * into the map's preallocated buffers.
 * @module
 */

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
}

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
};

/** `__s32` as a number. */
export const i32: Codec<number> = {
  size: 4,
  write(view, offset, value) {
    intRange('i32', -0x80000000, 0x7fffffff, value);
    view.setInt32(offset, value, true);
  },
  read: (view, offset) => view.getInt32(offset, true),
};

/** `__u64` as a bigint. */
export const u64: Codec<bigint> = {
  size: 8,
  write(view, offset, value) {
    if (typeof value !== 'bigint' || value < 0n || value >= 1n << 64n) throw new RangeError(`u64: ${String(value)} is not a bigint in [0, 2^64)`);
    view.setBigUint64(offset, value, true);
  },
  read: (view, offset) => view.getBigUint64(offset, true),
};

/** `__s64` as a bigint. */
export const i64: Codec<bigint> = {
  size: 8,
  write(view, offset, value) {
    if (typeof value !== 'bigint' || value < -(1n << 63n) || value >= 1n << 63n) throw new RangeError(`i64: ${String(value)} is not a bigint in [-2^63, 2^63)`);
    view.setBigInt64(offset, value, true);
  },
  read: (view, offset) => view.getBigInt64(offset, true),
};

/** Raw bytes of exactly `size` (reads return copies). */
export function bytes(size: number): Codec<Uint8Array> {
  return {
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
