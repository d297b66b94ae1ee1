/**
 * The model of a C type as struct types see it: a plain, frozen object with a `kind`
 * discriminant, its C spelling, size and alignment (as clang lays it out for `-target bpf`),
 * its BTF node, and a codec between its bytes and a JS value. {@link Infer} gives the JS type a
 * decode yields, {@link InferInput} the one an encode takes.
 * @module
 */

import type { Type as BtfType } from 'ebpf-bytecode-utils';

/** The `kind` discriminants of {@link AnyType}. */
export const TypeKind = {
  /** An integer: `u8` … `s64`. */
  INT: 'int',
  /** `_Bool`. */
  BOOL: 'bool',
  /** `char[n]` read as a string. */
  CHARS: 'chars',
  /** A fixed-length array `T[n]`. */
  ARRAY: 'array',
  /** A struct. */
  STRUCT: 'struct',
  /** A union. */
  UNION: 'union',
  /** A pointer (a `u64` in user space). */
  PTR: 'ptr',
} as const;

/** One of the {@link TypeKind} strings. */
export type TypeKindName = (typeof TypeKind)[keyof typeof TypeKind];

/** Anything bytes can be decoded from: the view's `byteOffset`/`byteLength` are honoured. */
export type ByteSource = Uint8Array | DataView | ArrayBuffer;

/** Anything a value can be encoded into. */
export type ByteTarget = Uint8Array | DataView;

/**
 * What every type has. `Out` is the JS value a decode yields, `In` what an encode takes.
 */
export interface CType<Out, In = Out> {
  /** Discriminant. */
  readonly kind: TypeKindName;
  /**
   * The C spelling as an abstract declarator: `__u32`, `_Bool`, `struct event`, `char[16]`,
   * `__u64[4]`, `struct event *`.
   */
  readonly cName: string;
  /** `sizeof`, in bytes. */
  readonly size: number;
  /** `_Alignof`, in bytes. */
  readonly align: number;
  /** Whether a value of this type fits one BPF register (integers, bool, pointers). */
  readonly fitsRegister: boolean;
  /** A C declaration of `name` with this type: `char comm[16]`, `struct event *ev`. */
  cDecl(name: string): string;
  /** The BTF node of this type (built once; the same object on every call). */
  btf(): BtfType;
  /**
   * Decodes the value at `offset` of `view` (little-endian). Throws {@link DecodeRangeError}
   * when the view is too short. The {@link Codec}-shaped entry point maps and readers use.
   */
  read(view: DataView, offset: number): Out;
  /**
   * Encodes `value` at `offset` of `view`: the type's bytes are zeroed first (padding is always
   * zero), then the fields written. Throws {@link EncodeError} for a value that does not fit.
   */
  write(view: DataView, offset: number, value: In): void;
  /** Decodes the value at `offset` (default 0) of `source`. */
  decode(source: ByteSource, offset?: number): Out;
  /**
   * Encodes `value` into `target` at `offset` (default 0), or into a new buffer of {@link size}
   * bytes; returns the `size` bytes written (a view into `target` when one is given).
   */
  encode(value: In, target?: ByteTarget, offset?: number): Uint8Array;
}

/** Any type, whatever its JS values. */
export type SomeType = CType<any, any>;

/** The JS type of a decoded value of `T`. */
export type Infer<T> = T extends { read(view: DataView, offset: number): infer O } ? O : never;

/** The JS type an encode of `T` accepts. */
export type InferInput<T> = T extends { write(view: DataView, offset: number, value: infer I): void } ? I : never;

/** Flattens an intersection/mapped type for readable hovers and exact equality checks. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};
