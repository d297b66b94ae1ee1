/**
 * The BTF object model: every kind up to Linux 6.18 as a plain object with a `kind`
 * discriminant. Types reference each other directly, so a graph may be cyclic (a struct with a
 * pointer to itself); type ids exist only in the encoded form and are assigned by
 * {@link encodeBtf}. Fields are mutable so cycles can be tied after construction.
 *
 * Decoded types ({@link Btf}) have the same shape; their references are resolved on first read.
 * @module
 */

import type { FuncLinkageNumber, VarLinkageNumber } from './kind.js';

/** `void`: id 0, never encoded. */
export interface Void {
  readonly kind: 'void';
}

/** The one `void` object. */
export const VOID: Void = Object.freeze({ kind: 'void' as const });

/** `BTF_KIND_INT`: an integer of `size` bytes. */
export interface Int {
  readonly kind: 'int';
  /** C name, e.g. `long unsigned int`. */
  name: string;
  /** Size in bytes (1, 2, 4, 8, 16). */
  size: number;
  /** {@link IntEncoding} bits: SIGNED, CHAR, BOOL. */
  encoding: number;
  /** `BTF_INT_OFFSET`: bit offset of the value (0 in everything compilers emit today). */
  bitOffset: number;
  /** `BTF_INT_BITS`: width in bits (usually `size * 8`). */
  bits: number;
}

/** `BTF_KIND_PTR` */
export interface Pointer {
  readonly kind: 'ptr';
  /** Pointee. */
  target: Type;
}

/** `BTF_KIND_ARRAY` */
export interface ArrayType {
  readonly kind: 'array';
  /** Element type. */
  element: Type;
  /** Index type (compilers emit an int, often `__ARRAY_SIZE_TYPE__`). */
  index: Type;
  /** Number of elements (`nelems`). */
  length: number;
}

/** One member of a struct or union (`struct btf_member`). */
export interface Member {
  /** Member name; empty for an anonymous struct/union member. */
  name: string;
  /** Member type. */
  type: Type;
  /** Offset from the start of the enclosing type, in bits. */
  bitOffset: number;
  /** Bitfield width in bits; 0 when not a bitfield. A non-zero value sets the kind_flag. */
  bitfieldSize: number;
}

/** `BTF_KIND_STRUCT` */
export interface Struct {
  readonly kind: 'struct';
  /** Tag name; empty when anonymous. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** Members in declaration order. */
  members: Member[];
}

/** `BTF_KIND_UNION` */
export interface Union {
  readonly kind: 'union';
  /** Tag name; empty when anonymous. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** Members in declaration order. */
  members: Member[];
}

/** One enumerator of a 32-bit enum. */
export interface EnumValue {
  /** Enumerator name. */
  name: string;
  /** Value (s32 when the enum is signed, else u32). */
  value: number;
}

/** `BTF_KIND_ENUM`: values of at most 32 bits. */
export interface Enum {
  readonly kind: 'enum';
  /** Tag name; empty when anonymous. */
  name: string;
  /** Size in bytes (1, 2, 4 or 8). */
  size: number;
  /** Whether values are signed (the kind_flag). Requires Linux 6.0. */
  signed: boolean;
  /** Enumerators. */
  values: EnumValue[];
}

/** One enumerator of a 64-bit enum. */
export interface Enum64Value {
  /** Enumerator name. */
  name: string;
  /** Value (s64 when the enum is signed, else u64). */
  value: bigint;
}

/** `BTF_KIND_ENUM64`: values of up to 64 bits. Requires Linux 6.0. */
export interface Enum64 {
  readonly kind: 'enum64';
  /** Tag name; empty when anonymous. */
  name: string;
  /** Size in bytes (1, 2, 4 or 8). */
  size: number;
  /** Whether values are signed (the kind_flag). */
  signed: boolean;
  /** Enumerators. */
  values: Enum64Value[];
}

/** `BTF_KIND_FWD`: a forward declaration `struct name;` or `union name;`. */
export interface Fwd {
  readonly kind: 'fwd';
  /** Tag name. */
  name: string;
  /** What is declared (the kind_flag: 1 for union). */
  fwdKind: 'struct' | 'union';
}

/** `BTF_KIND_TYPEDEF` */
export interface Typedef {
  readonly kind: 'typedef';
  /** Typedef name. */
  name: string;
  /** Aliased type. */
  target: Type;
}

/** `BTF_KIND_VOLATILE` */
export interface Volatile {
  readonly kind: 'volatile';
  /** Qualified type. */
  target: Type;
}

/** `BTF_KIND_CONST` */
export interface Const {
  readonly kind: 'const';
  /** Qualified type. */
  target: Type;
}

/** `BTF_KIND_RESTRICT` */
export interface Restrict {
  readonly kind: 'restrict';
  /** Qualified type. */
  target: Type;
}

/** One parameter of a function prototype (`struct btf_param`). */
export interface Param {
  /** Parameter name; may be empty. */
  name: string;
  /** Parameter type; a last parameter of type `void` with no name marks a variadic function. */
  type: Type;
}

/** `BTF_KIND_FUNC_PROTO`: a function type. */
export interface FuncProto {
  readonly kind: 'func_proto';
  /** Return type (`void` for none). */
  returns: Type;
  /** Parameters in order. */
  params: Param[];
}

/** `BTF_KIND_FUNC`: a named function (a subprogram, a kernel function, a kfunc). */
export interface Func {
  readonly kind: 'func';
  /** Function name. */
  name: string;
  /** Its prototype. */
  proto: FuncProto;
  /** {@link FuncLinkage}: static, global or extern. */
  linkage: FuncLinkageNumber;
}

/** `BTF_KIND_VAR`: a global or static variable. */
export interface Var {
  readonly kind: 'var';
  /** Variable name. */
  name: string;
  /** Variable type. */
  type: Type;
  /** {@link VarLinkage} */
  linkage: VarLinkageNumber;
}

/** One variable of a data section (`struct btf_var_secinfo`). */
export interface VarSecinfo {
  /** A {@link Var} (or a {@link Func} for extern kfuncs in `.ksyms`). */
  type: Type;
  /** Offset in the section, in bytes. */
  offset: number;
  /** Size in bytes. */
  size: number;
}

/** `BTF_KIND_DATASEC`: an ELF data section (`.data`, `.bss`, `.rodata`, `.maps`, `.ksyms`). */
export interface Datasec {
  readonly kind: 'datasec';
  /** Section name. */
  name: string;
  /** Section size in bytes. */
  size: number;
  /** Variables in the section. */
  vars: VarSecinfo[];
}

/** `BTF_KIND_FLOAT`. Requires Linux 5.13. */
export interface Float {
  readonly kind: 'float';
  /** C name, e.g. `double`. */
  name: string;
  /** Size in bytes (2, 4, 8, 12, 16). */
  size: number;
}

/** `BTF_KIND_DECL_TAG`: `__attribute__((btf_decl_tag("value")))` on a declaration. Requires Linux 5.16. */
export interface DeclTag {
  readonly kind: 'decl_tag';
  /** The tag text. */
  value: string;
  /** Tagged type (struct, union, typedef, func, var). */
  target: Type;
  /** Member or parameter index the tag is on; -1 for the whole declaration. */
  componentIndex: number;
  /** kind_flag: the tag is a plain `__attribute__((value))` rather than a btf_decl_tag. */
  attribute: boolean;
}

/** `BTF_KIND_TYPE_TAG`: `__attribute__((btf_type_tag("value")))`, e.g. `__user`, `__rcu`. Requires Linux 5.17. */
export interface TypeTag {
  readonly kind: 'type_tag';
  /** The tag text. */
  value: string;
  /** Tagged type. */
  target: Type;
  /** kind_flag: the tag is a plain `__attribute__((value))` rather than a btf_type_tag. */
  attribute: boolean;
}

/** Any BTF type. */
export type Type =
  | Void | Int | Pointer | ArrayType | Struct | Union | Enum | Fwd | Typedef | Volatile | Const
  | Restrict | Func | FuncProto | Var | Datasec | Float | DeclTag | TypeTag | Enum64;

/** Struct or union. */
export type Composite = Struct | Union;

/** A type with a `target` that only qualifies or renames it. */
export type Qualifier = Volatile | Const | Restrict | TypeTag;

/** The name of `t` (a tag, typedef, function or variable name), or `''` for kinds without one. */
export function typeName(t: Type): string {
  return 'name' in t ? t.name : '';
}

/** `kind name` of a type for messages, e.g. `struct task_struct`, `ptr`, `int (anon)`. */
export function describeType(t: Type): string {
  const name = typeName(t);
  return name === '' ? t.kind : `${t.kind} ${name}`;
}
