/**
 * Byte layouts of kernel structures passed to `bpf()` (`union bpf_attr` members,
 * `struct bpf_prog_info`, …) and the writer/reader over a zero-filled buffer that uses them.
 *
 * A layout is a table `field name → {offset, size, type}` with the kernel's field names, so a
 * test can compare every table with the running kernel's BTF. All multi-byte fields are little
 * endian (tsbpf supports only little-endian architectures).
 * @module
 */

import { currentBackend } from '../backend.js';

/**
 * How a field is encoded: `u32`/`s32`/`u64` integers, `ptr` (a user pointer stored as
 * `__aligned_u64`), `str` (a NUL-terminated `char[]`), `bytes` (a raw byte array), `bit`
 * (a one-bit bitfield at {@link Field.bit} of the u32 at `offset`).
 */
export type FieldType = 'u32' | 's32' | 'u64' | 'ptr' | 'str' | 'bytes' | 'bit';

/** One field of a layout. */
export interface Field {
  /** Byte offset from the start of the structure. */
  readonly offset: number;
  /** Size in bytes (for `bit`: the size of the storage unit, 4). */
  readonly size: number;
  /** Encoding. */
  readonly type: FieldType;
  /** Bit number within the storage unit, for `bit` fields. */
  readonly bit?: number;
}

/** A kernel structure's layout. */
export interface Layout<F extends string = string> {
  /**
   * Where the layout lives in the kernel: `'union bpf_attr'` member (`member` is then the
   * member's name, `''` for an anonymous struct) or a named struct (`'struct bpf_prog_info'`).
   */
  readonly kernelType: string;
  /** The `union bpf_attr` member name (`'test'`, `'info'`), `''` when anonymous; undefined for a struct. */
  readonly member?: string;
  /** The command the layout is for, in messages (`'BPF_PROG_LOAD'`). */
  readonly what: string;
  /** Fields by kernel name. */
  readonly fields: Readonly<Record<F, Field>>;
  /** Bytes the layout covers: the end of its last field (what is passed as the attr size). */
  readonly size: number;
}

/** A `u32` field at `offset`. */
export const u32 = (offset: number): Field => ({ offset, size: 4, type: 'u32' });
/** An `s32` field at `offset`. */
export const s32 = (offset: number): Field => ({ offset, size: 4, type: 's32' });
/** A `u64` field at `offset`. */
export const u64 = (offset: number): Field => ({ offset, size: 8, type: 'u64' });
/** A user pointer (`__aligned_u64`) at `offset`. */
export const ptr = (offset: number): Field => ({ offset, size: 8, type: 'ptr' });
/** A NUL-terminated `char[size]` at `offset`. */
export const str = (offset: number, size: number): Field => ({ offset, size, type: 'str' });
/** A raw `__u8[size]` at `offset`. */
export const bytes = (offset: number, size: number): Field => ({ offset, size, type: 'bytes' });
/** A one-bit bitfield at bit `bit` of the u32 at `offset`. */
export const bit = (offset: number, b: number): Field => ({ offset, size: 4, type: 'bit', bit: b });

/** Defines a layout; `size` is the end of the last field unless given. */
export function defineLayout<F extends string>(what: string, kernelType: string, member: string | undefined, fields: Record<F, Field>, size?: number): Layout<F> {
  let end = 0;
  for (const f of Object.values<Field>(fields)) end = Math.max(end, f.offset + f.size);
  return { what, kernelType, ...(member === undefined ? {} : { member }), fields, size: size ?? end };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A zero-filled buffer holding one structure of `layout`, with typed field access. Values are
 * checked: a value that does not fit its field throws a RangeError naming the command and field.
 *
 * Pointer fields keep the buffer they point to referenced by this object, so it stays alive as
 * long as the `AttrBuffer` is (keep it referenced until the system call returns).
 */
export class AttrBuffer<F extends string> {
  /** The structure's bytes (what is passed to the kernel). */
  readonly bytes: Uint8Array;
  /** The layout. */
  readonly layout: Layout<F>;
  private readonly view: DataView;
  private readonly refs: Uint8Array[] = [];

  constructor(layout: Layout<F>, size: number = layout.size) {
    this.layout = layout;
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  private field(name: F, ...types: FieldType[]): Field {
    const f = this.layout.fields[name];
    if (f === undefined || !types.includes(f.type)) throw new TypeError(`${this.layout.what}: ${name} is not a ${types.join('/')} field`);
    if (f.offset + f.size > this.bytes.byteLength) throw new RangeError(`${this.layout.what}: ${name} lies beyond the ${this.bytes.byteLength}-byte buffer`);
    return f;
  }

  /** Writes an integer field (`u32`, `s32`, `bit`; `u64` takes a number or a bigint). */
  set(name: F, value: number | bigint | boolean): this {
    const f = this.field(name, 'u32', 's32', 'u64', 'bit');
    const bad = () => new RangeError(`${this.layout.what}: ${name} = ${String(value)} does not fit in ${f.type}`);
    if (f.type === 'u64') {
      const v = typeof value === 'bigint' ? value : typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : undefined;
      if (v === undefined || v < 0n || v >= 1n << 64n) throw bad();
      this.view.setBigUint64(f.offset, v, true);
    } else if (f.type === 'bit') {
      const old = this.view.getUint32(f.offset, true);
      const mask = 1 << f.bit!;
      this.view.setUint32(f.offset, value ? (old | mask) >>> 0 : (old & ~mask) >>> 0, true);
    } else {
      const v = typeof value === 'boolean' ? Number(value) : value;
      if (typeof v !== 'number' || !Number.isInteger(v)) throw bad();
      if (f.type === 'u32' ? v < 0 || v > 0xffffffff : v < -0x80000000 || v > 0x7fffffff) throw bad();
      this.view.setUint32(f.offset, v >>> 0, true);
    }
    return this;
  }

  /** Stores the address of `buf` in pointer field `name` (0 for null/undefined) and keeps `buf` alive. */
  pointer(name: F, buf: Uint8Array | null | undefined): this {
    const f = this.field(name, 'ptr');
    if (buf === null || buf === undefined) {
      this.view.setBigUint64(f.offset, 0n, true);
    } else {
      this.refs.push(buf);
      this.view.setBigUint64(f.offset, currentBackend().address(buf), true);
    }
    return this;
  }

  /** Writes a NUL-terminated string (UTF-8); throws when it does not fit with its NUL. */
  string(name: F, value: string): this {
    const f = this.field(name, 'str');
    const b = encoder.encode(value);
    if (b.includes(0)) throw new RangeError(`${this.layout.what}: ${name} must not contain NUL`);
    if (b.length > f.size - 1) throw new RangeError(`${this.layout.what}: ${name} '${value}' is longer than ${f.size - 1} bytes`);
    this.bytes.fill(0, f.offset, f.offset + f.size);
    this.bytes.set(b, f.offset);
    return this;
  }

  /** Reads a `u32`/`s32`/`bit` field as a number. */
  u32(name: F): number {
    const f = this.field(name, 'u32', 's32', 'bit');
    if (f.type === 'bit') return (this.view.getUint32(f.offset, true) >>> f.bit!) & 1;
    return f.type === 's32' ? this.view.getInt32(f.offset, true) : this.view.getUint32(f.offset, true);
  }

  /** Reads a `u64` or `ptr` field. */
  u64(name: F): bigint {
    const f = this.field(name, 'u64', 'ptr');
    return this.view.getBigUint64(f.offset, true);
  }

  /** Reads a string field (up to its first NUL). */
  text(name: F): string {
    const f = this.field(name, 'str');
    const raw = this.bytes.subarray(f.offset, f.offset + f.size);
    const nul = raw.indexOf(0);
    return decoder.decode(nul < 0 ? raw : raw.subarray(0, nul));
  }

  /** A copy of a `bytes` field. */
  raw(name: F): Uint8Array {
    const f = this.field(name, 'bytes');
    return this.bytes.slice(f.offset, f.offset + f.size);
  }

  /**
   * Keeps `bufs` referenced as long as this object is: for buffers that pointers *inside* a
   * pointee refer to (e.g. `xlated_prog_insns` inside a `bpf_prog_info`).
   */
  retain(...bufs: Uint8Array[]): this {
    this.refs.push(...bufs);
    return this;
  }

  /** The buffers pointer fields refer to (kept alive by this object). */
  get pointees(): readonly Uint8Array[] {
    return this.refs;
  }
}

/** Decodes a NUL-terminated log buffer (verifier or BTF log). */
export function decodeLog(buf: Uint8Array): string {
  const nul = buf.indexOf(0);
  return decoder.decode(nul < 0 ? buf : buf.subarray(0, nul));
}
