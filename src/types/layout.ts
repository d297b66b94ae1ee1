/**
 * C-ABI layout of a struct or union, as clang lays it out for `-target bpf` (the same as the
 * x86_64 SysV ABI for these types):
 * - a member is placed at the next multiple of its alignment (1 in a packed struct);
 * - a bitfield `T x : w` takes the next `w` bits unless they would cross a boundary of a
 *   `sizeof(T)`-aligned storage unit, in which case it starts at the next such boundary (in a
 *   packed struct it always takes the next bits); named bitfields count towards alignment;
 * - union members are all at offset 0;
 * - the size is the end of the last member rounded up to the alignment (the largest member
 *   alignment, 1 when packed).
 * @module
 */

import type { SomeType } from './c-type.js';
import type { BitsSpec } from './bitfield.js';
import type { PadSpec } from './padding.js';
import { TypeDeclarationError } from './errors.js';

/** What a struct or union field can be declared as: a type, a bitfield, or padding. */
export type FieldSpec = SomeType | BitsSpec | PadSpec;

/** A struct or union declaration: field names to field declarations, in order. */
export type Fields = { readonly [name: string]: FieldSpec };

/** Where a field is. */
export interface FieldLayout<K extends string = string> {
  /** Field name. */
  readonly name: K;
  /** A plain member, a bitfield, or padding. */
  readonly kind: 'value' | 'bits' | 'pad';
  /** Member type; for a bitfield its declared integer/bool type; for padding `__u8[n]`. */
  readonly type: SomeType;
  /** Byte offset from the start of the struct (for a bitfield: of the byte holding its first bit). */
  readonly offset: number;
  /** Bit offset from the start of the struct (`offset * 8` unless a bitfield). */
  readonly bitOffset: number;
  /** Width of a bitfield in bits; 0 for other fields (as in BTF). */
  readonly bitSize: number;
}

/** The layout of a struct or union. */
export interface CompositeLayout {
  /** Fields in declaration order. */
  readonly fields: readonly FieldLayout[];
  /** `sizeof`. */
  readonly size: number;
  /** `_Alignof`. */
  readonly align: number;
}

const KEYWORDS = new Set((
  'auto break case char const continue default do double else enum extern float for goto if inline int long ' +
  'register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while ' +
  '_Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn _Static_assert _Thread_local asm typeof __proto__'
).split(' '));

/** Whether `name` can name a C struct, union or member (an identifier, not a keyword). */
export function isCIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !KEYWORDS.has(name);
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * Lays out `fields` of the type `typeName` (for messages), with `padType(n)` giving the type of
 * an `n`-byte padding field. Throws {@link TypeDeclarationError} for a field name that is not a C
 * identifier or a field that is not a type, bitfield or padding.
 */
export function layOut(
  typeName: string,
  fields: Fields,
  union: boolean,
  packed: boolean,
  padType: (n: number) => SomeType,
): CompositeLayout {
  const out: FieldLayout[] = [];
  let bit = 0;
  let end = 0;
  let align = 1;
  for (const name of Object.keys(fields)) {
    if (!isCIdentifier(name)) throw new TypeDeclarationError(typeName, name, 'not a C identifier (or a reserved word)');
    const spec = fields[name] as FieldSpec | undefined;
    if (spec === null || typeof spec !== 'object' || typeof spec.kind !== 'string') {
      throw new TypeDeclarationError(typeName, name, 'not a type, bits(…) or pad(…)');
    }
    let off: number;
    let fieldEnd: number;
    let fieldAlign: number;
    if (spec.kind === 'bits') {
      const unit = spec.type.size * 8;
      fieldAlign = packed ? 1 : spec.type.align;
      off = union ? 0 : bit;
      if (!packed && Math.floor(off / unit) !== Math.floor((off + spec.width - 1) / unit)) off = alignUp(off, spec.type.align * 8);
      fieldEnd = off + spec.width;
      out.push(Object.freeze({ name, kind: 'bits', type: spec.type, offset: Math.floor(off / 8), bitOffset: off, bitSize: spec.width }));
    } else if (spec.kind === 'pad') {
      fieldAlign = 1;
      off = union ? 0 : alignUp(bit, 8);
      fieldEnd = off + spec.size * 8;
      out.push(Object.freeze({ name, kind: 'pad', type: padType(spec.size), offset: off / 8, bitOffset: off, bitSize: 0 }));
    } else if ('read' in spec && typeof spec.size === 'number') {
      fieldAlign = packed ? 1 : spec.align;
      off = union ? 0 : alignUp(bit, fieldAlign * 8);
      fieldEnd = off + spec.size * 8;
      out.push(Object.freeze({ name, kind: 'value', type: spec, offset: off / 8, bitOffset: off, bitSize: 0 }));
    } else {
      throw new TypeDeclarationError(typeName, name, 'not a type, bits(…) or pad(…)');
    }
    if (fieldAlign > align) align = fieldAlign;
    if (fieldEnd > end) end = fieldEnd;
    if (!union) bit = fieldEnd;
  }
  const size = alignUp(Math.ceil(end / 8), align);
  if (size > 0x7fffffff) throw new TypeDeclarationError(typeName, '', `size ${size} exceeds 2^31 - 1 bytes`);
  return { fields: Object.freeze(out), size, align };
}
