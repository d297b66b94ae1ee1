/**
 * Pointers. In user space a pointer is an 8-byte address, a `u64` as a bigint; the pointee type
 * is kept for the eDSL (what a load through it reads) and for BTF.
 * @module
 */

import { VOID, type Pointer as BtfPointer } from 'ebpf-bytecode-utils';
import type { CType, SomeType } from './c-type.js';
import { codecMethods } from './codec-entry.js';
import { compileCodec } from './codegen.js';
import { TypeDeclarationError } from './errors.js';

/** `T *` (`void *` when `T` is `null`). */
export interface PtrType<T extends SomeType | null = SomeType | null> extends CType<bigint> {
  /** Discriminant. */
  readonly kind: 'ptr';
  /** Pointee; `null` for `void`. */
  readonly target: T;
}

/** `target *`, or `void *` without an argument. 8 bytes, 8-aligned; its value is a bigint address. */
export function ptr(): PtrType<null>;
export function ptr<T extends SomeType>(target: T): PtrType<T>;
export function ptr<T extends SomeType>(target?: T): PtrType<T | null> {
  const to = target ?? null;
  if (to !== null && (typeof to !== 'object' || !('read' in to))) {
    throw new TypeDeclarationError('ptr(?)', '', 'target is not a type (bits() and pad() are only fields)');
  }
  const cDecl = (name: string): string =>
    to === null ? `void *${name}` : to.kind === 'array' ? to.cDecl(`(*${name})`) : to.cDecl(`*${name}`);
  const cName = cDecl('').replace(/ \*$/, ' *');
  let node: BtfPointer | undefined;
  const t: PtrType<T | null> = {
    kind: 'ptr',
    target: to,
    cName,
    size: 8,
    align: 8,
    fitsRegister: true,
    cDecl,
    btf: () => (node ??= { kind: 'ptr', target: to === null ? VOID : to.btf() }),
    ...codecMethods<bigint, bigint>(cName, 8, () => compileCodec(t)),
  };
  return Object.freeze(t);
}
