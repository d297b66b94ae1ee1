/**
 * BTF kinds and the small enumerations carried in type records, mirroring
 * `include/uapi/linux/btf.h` (Linux 6.18).
 * @module
 */

/** `BTF_KIND_*`: the kind number stored in bits 24–28 of `btf_type.info`. */
export const BtfKind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

/** One of the {@link BtfKind} numbers. */
export type BtfKindNumber = (typeof BtfKind)[keyof typeof BtfKind];

/** Highest kind number this decoder knows (`BTF_KIND_MAX`, Linux 6.0 to 6.18). */
export const BTF_KIND_MAX = 19;

/**
 * The `kind` discriminant of each model type, indexed by kind number (index 0 is `'void'`):
 * the kernel's `BTF_KIND_` suffix in lower case.
 */
export const KIND_NAMES = [
  'void', 'int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile', 'const',
  'restrict', 'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag', 'enum64',
] as const;

/** The `kind` discriminant of a model type (see {@link KIND_NAMES}). */
export type KindName = (typeof KIND_NAMES)[number];

/** Kind number of each `kind` discriminant: the inverse of {@link KIND_NAMES}. */
export const KIND_NUMBERS: Readonly<Record<KindName, number>> = Object.fromEntries(KIND_NAMES.map((n, i) => [n, i])) as Record<KindName, number>;

/** `BTF_INT_*` encoding bits of an int type (bits 24–27 of the int's extra word). */
export const IntEncoding = {
  /** `BTF_INT_SIGNED` */
  SIGNED: 1,
  /** `BTF_INT_CHAR` */
  CHAR: 2,
  /** `BTF_INT_BOOL` */
  BOOL: 4,
} as const;

/** `BTF_FUNC_*`: linkage of a func, stored in the func's vlen. */
export const FuncLinkage = {
  STATIC: 0,
  GLOBAL: 1,
  EXTERN: 2,
} as const;

/** One of the {@link FuncLinkage} numbers. */
export type FuncLinkageNumber = (typeof FuncLinkage)[keyof typeof FuncLinkage];

/** `BTF_VAR_*`: linkage of a var (`struct btf_var.linkage`). */
export const VarLinkage = {
  STATIC: 0,
  GLOBAL_ALLOCATED: 1,
  GLOBAL_EXTERN: 2,
} as const;

/** One of the {@link VarLinkage} numbers. */
export type VarLinkageNumber = (typeof VarLinkage)[keyof typeof VarLinkage];

/** `BTF_MAGIC`: first two bytes of a BTF blob, read in the blob's byte order. */
export const BTF_MAGIC = 0xeb9f;

/** `BTF_VERSION` */
export const BTF_VERSION = 1;

/** `sizeof(struct btf_header)` of the version this encoder writes. */
export const BTF_HEADER_SIZE = 24;

/** `sizeof(struct btf_type)`: name_off, info, size/type. */
export const BTF_TYPE_SIZE = 12;
