/**
 * Fixed-length arrays `T[n]`. Arrays of integers decode to typed arrays (`Uint32Array`,
 * `BigUint64Array`, … — copies, not views of the buffer) and encode from any array-like of the
 * right length; arrays of anything else are JS arrays.
 * @module
 */

import type { ArrayType as BtfArray, Int as BtfInt } from 'ebpf-bytecode-utils';
import type { CType, Infer, InferInput, SomeType } from './c-type.js';
import { codecMethods } from './codec-entry.js';
import { compileCodec } from './codegen.js';
import { TypeDeclarationError } from './errors.js';
import { btfInt, type IntName, type IntType, type IntValue } from './scalars.js';

/** The typed array an array of integers `N` decodes to. */
export interface TypedArrays {
  /** `__u8[n]` */
  u8: Uint8Array<ArrayBuffer>;
  /** `__u16[n]` */
  u16: Uint16Array<ArrayBuffer>;
  /** `__u32[n]` */
  u32: Uint32Array<ArrayBuffer>;
  /** `__u64[n]` */
  u64: BigUint64Array<ArrayBuffer>;
  /** `__s8[n]` */
  s8: Int8Array<ArrayBuffer>;
  /** `__s16[n]` */
  s16: Int16Array<ArrayBuffer>;
  /** `__s32[n]` */
  s32: Int32Array<ArrayBuffer>;
  /** `__s64[n]` */
  s64: BigInt64Array<ArrayBuffer>;
}

/** Decoded value of `E[n]`. */
export type ArrayOut<E> = E extends IntType<infer N> ? TypedArrays[N] : Infer<E>[];

/** What an encode of `E[n]` takes. */
export type ArrayIn<E> = E extends IntType<infer N> ? ArrayLike<IntValue<N>> : readonly InferInput<E>[];

/** `E[n]`. */
export interface ArrayOfType<E extends SomeType = SomeType, N extends number = number> extends CType<ArrayOut<E>, ArrayIn<E>> {
  /** Discriminant. */
  readonly kind: 'array';
  /** Element type. */
  readonly element: E;
  /** Number of elements. */
  readonly length: N;
}

let indexNode: BtfInt | undefined;

/** The index type of BTF arrays: `__ARRAY_SIZE_TYPE__` (a 4-byte int), as clang emits it. */
export function arrayIndexBtf(): BtfInt {
  return (indexNode ??= btfInt('__ARRAY_SIZE_TYPE__', 4, 0));
}

/** `element[n]`: `n` elements laid out back to back, aligned as the element. */
export function array<E extends SomeType, N extends number>(element: E, n: N): ArrayOfType<E, N> {
  if (element === null || typeof element !== 'object' || typeof (element as { kind?: unknown }).kind !== 'string' || !('read' in element)) {
    throw new TypeDeclarationError(`array(?, ${String(n)})`, '', 'element is not a type (bits() and pad() are only fields)');
  }
  const size = element.size * n;
  if (!Number.isInteger(n) || n < 0 || !Number.isSafeInteger(size) || size > 0x7fffffff) {
    throw new TypeDeclarationError(`${element.cName}[${String(n)}]`, '', 'length must be an integer in [0, 2^31 / element size)');
  }
  const cName = element.cDecl(`[${n}]`).replace(/ \[/, '[');
  let node: BtfArray | undefined;
  const t: ArrayOfType<E, N> = {
    kind: 'array',
    element,
    length: n,
    cName,
    size,
    align: element.align,
    fitsRegister: false,
    cDecl: (name: string) => element.cDecl(`${name}[${n}]`),
    btf: () => (node ??= { kind: 'array', element: element.btf(), index: arrayIndexBtf(), length: n }),
    ...codecMethods(cName, size, () => compileCodec(t)),
  };
  return Object.freeze(t);
}
