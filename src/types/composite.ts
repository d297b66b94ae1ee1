/**
 * Structs and unions: `struct('event', { pid: u32, ts: u64, comm: char(16) })` gives the C
 * layout (size, alignment, field offsets), the BTF node, the C definition, and a codec
 * generated once for the type. Decoded values are plain objects with the fields in declaration
 * order; padding fields are not in them.
 * @module
 */

import type { Member as BtfMember, Struct as BtfStruct, Union as BtfUnion } from 'ebpf-bytecode-utils';
import { array } from './array.js';
import type { BitsSpec, BitsValue } from './bitfield.js';
import type { CType, Infer, InferInput, Simplify, SomeType } from './c-type.js';
import { codecMethods } from './codec-entry.js';
import { compileCodec } from './codegen.js';
import { TypeDeclarationError } from './errors.js';
import { isCIdentifier, layOut, type FieldLayout, type Fields } from './layout.js';
import type { PadSpec } from './padding.js';
import { u8 } from './scalars.js';

/** The decoded JS value of a field declaration. */
export type FieldValue<S> = S extends BitsSpec<infer T, infer W> ? BitsValue<T, W> : Infer<S>;

/** What an encode takes for a field declaration. */
export type FieldInput<S> = S extends BitsSpec<infer T, infer W> ? BitsValue<T, W> : InferInput<S>;

/** Names of the fields of `F` that carry a value (all but padding). */
export type ValueFieldName<F> = { [K in keyof F]: F[K] extends PadSpec ? never : K }[keyof F];

/** Decoded value of a struct (or union) with fields `F`: every field but padding. */
export type StructValue<F> = Simplify<{ -readonly [K in ValueFieldName<F>]: FieldValue<F[K]> }>;

/** What an encode of a struct with fields `F` takes: every field but padding. */
export type StructInput<F> = Simplify<{ readonly [K in ValueFieldName<F>]: FieldInput<F[K]> }>;

/** What an encode of a union with fields `F` takes: some of its members (normally one). */
export type UnionInput<F> = Simplify<{ readonly [K in ValueFieldName<F>]?: FieldInput<F[K]> }>;

/** Options of {@link struct} and {@link union}. */
export interface CompositeOptions {
  /** `__attribute__((packed))`: no padding, alignment 1, bitfields back to back. */
  readonly packed?: boolean;
}

/** What structs and unions have besides the {@link CType} members. */
export interface CompositeInfo<N extends string, F extends Fields> {
  /** Tag name (`event` of `struct event`). */
  readonly name: N;
  /** Whether declared packed. */
  readonly packed: boolean;
  /** The declaration as given. */
  readonly spec: F;
  /** Field layouts in declaration order. */
  readonly fields: readonly FieldLayout<keyof F & string>[];
  /**
   * Byte offset of a field (`offsetof`). Throws a `TypeError` for a bitfield (use
   * {@link field}`(name).bitOffset`) and a {@link TypeDeclarationError} for an unknown name.
   */
  offsetOf(name: keyof F & string): number;
  /** The layout of a field; throws {@link TypeDeclarationError} for an unknown name. */
  field(name: keyof F & string): FieldLayout<keyof F & string>;
  /** The C definition, e.g. `struct event {\n\t__u32 pid;\n…};` (nested types not included). */
  cDefinition(): string;
}

/** A struct type. */
export interface StructType<N extends string = string, F extends Fields = Fields>
  extends CType<StructValue<F>, StructInput<F>>, CompositeInfo<N, F> {
  /** Discriminant. */
  readonly kind: 'struct';
}

/** A union type. Decoding reads every member; encoding writes the members given, in declaration order. */
export interface UnionType<N extends string = string, F extends Fields = Fields>
  extends CType<StructValue<F>, UnionInput<F>>, CompositeInfo<N, F> {
  /** Discriminant. */
  readonly kind: 'union';
}

/** Any struct or union. */
export type CompositeType = StructType | UnionType;

/** Every struct and union type {@link struct} and {@link union} made. */
const compositeTypes = new WeakSet<object>();

/** Whether `value` is a struct or union type made by {@link struct} or {@link union}. */
export function isCompositeType(value: unknown): value is CompositeType {
  return typeof value === 'object' && value !== null && compositeTypes.has(value);
}

function composite<N extends string, F extends Fields>(
  kind: 'struct' | 'union',
  name: N,
  spec: F,
  options: CompositeOptions | undefined,
): StructType<N, F> | UnionType<N, F> {
  const cName = `${kind} ${String(name)}`;
  if (typeof name !== 'string' || !isCIdentifier(name)) throw new TypeDeclarationError(cName, '', 'name is not a C identifier');
  if (spec === null || typeof spec !== 'object') throw new TypeDeclarationError(cName, '', 'fields must be an object');
  const packed = options?.packed === true;
  const layout = layOut(cName, spec, kind === 'union', packed, (n) => array(u8, n));
  const byName = new Map(layout.fields.map((f) => [f.name, f]));
  const field = (fieldName: string): FieldLayout<keyof F & string> => {
    const f = byName.get(fieldName);
    if (f === undefined) throw new TypeDeclarationError(cName, String(fieldName), 'no such field');
    return f as FieldLayout<keyof F & string>;
  };
  let node: BtfStruct | BtfUnion | undefined;
  const btf = (): BtfStruct | BtfUnion => {
    if (node !== undefined) return node;
    const members: BtfMember[] = [];
    node = { kind, name, size: layout.size, members } as BtfStruct | BtfUnion;
    for (const f of layout.fields) members.push({ name: f.name, type: f.type.btf(), bitOffset: f.bitOffset, bitfieldSize: f.bitSize });
    return node;
  };
  const t: Record<string, unknown> = {
    kind,
    name,
    packed,
    spec,
    fields: layout.fields as readonly FieldLayout<keyof F & string>[],
    cName,
    size: layout.size,
    align: layout.align,
    fitsRegister: false,
    cDecl: (n: string) => `${cName} ${n}`,
    btf,
    offsetOf(fieldName: keyof F & string): number {
      const f = field(fieldName);
      if (f.kind === 'bits') throw new TypeError(`${cName}: field '${f.name}' is a bitfield; offsetof does not apply (use field('${f.name}').bitOffset)`);
      return f.offset;
    },
    field,
    cDefinition(): string {
      const lines = layout.fields.map((f) => `\t${f.type.cDecl(f.name)}${f.kind === 'bits' ? ` : ${f.bitSize}` : ''};`);
      const body = lines.length === 0 ? '' : `\n${lines.join('\n')}\n`;
      return `${cName} {${body}}${packed ? ' __attribute__((packed))' : ''};`;
    },
    ...codecMethods(cName, layout.size, () => compileCodec(t as unknown as SomeType)),
  };
  Object.freeze(t);
  compositeTypes.add(t);
  return t as unknown as StructType<N, F> | UnionType<N, F>;
}

/**
 * `struct name { … }`: fields in declaration order, each a type (`u32`, `char(16)`,
 * `array(u64, 4)`, another struct, `ptr(T)`), a bitfield (`bits(u32, 3)`) or padding
 * (`pad(4)`). Throws {@link TypeDeclarationError} for a name or field that C would not accept.
 */
export function struct<const N extends string, const F extends Fields>(name: N, fields: F, options?: CompositeOptions): StructType<N, F> {
  return composite('struct', name, fields, options) as StructType<N, F>;
}

/** `union name { … }`: every member at offset 0; sized and aligned for the largest. */
export function union<const N extends string, const F extends Fields>(name: N, fields: F, options?: CompositeOptions): UnionType<N, F> {
  return composite('union', name, fields, options) as UnionType<N, F>;
}
