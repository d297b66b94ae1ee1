/**
 * Internal: the classes a decoded {@link Btf} materialises. They have the shape of the model
 * interfaces in `types.ts`, but each reference to another type is an accessor that resolves the
 * type id on first read (and can be overwritten like a plain field). This is what keeps a lookup
 * of three types from building the whole graph.
 * @module
 */

import type {
  ArrayType, Const, DeclTag, Func, FuncProto, Member, Param, Pointer, Restrict, Type, TypeTag,
  Typedef, Var, VarSecinfo, Volatile,
} from './types.js';
import type { FuncLinkageNumber, VarLinkageNumber } from './kind.js';

/** Resolves a type id of the blob being decoded (throws {@link BtfError} for a bad id). */
export interface TypeResolver {
  /** The type with id `id` (0 is void). */
  typeById(id: number): Type;
}

/** ptr, volatile, const, restrict. */
export class DecodedRef implements Pointer {
  #r: TypeResolver;
  #id: number;
  #v: Type | undefined;
  constructor(readonly kind: 'ptr', r: TypeResolver, id: number) {
    this.#r = r;
    this.#id = id;
  }
  /** Referenced type, resolved on first read. */
  get target(): Type {
    return (this.#v ??= this.#r.typeById(this.#id));
  }
  set target(v: Type) {
    this.#v = v;
  }
}

/** Casts a {@link DecodedRef} made for a qualifier kind. */
export function decodedQualifier(kind: 'volatile' | 'const' | 'restrict', r: TypeResolver, id: number): Volatile | Const | Restrict {
  return new DecodedRef(kind as 'ptr', r, id) as unknown as Volatile | Const | Restrict;
}

/** typedef. */
export class DecodedTypedef implements Typedef {
  readonly kind = 'typedef' as const;
  #r: TypeResolver;
  #id: number;
  #v: Type | undefined;
  constructor(public name: string, r: TypeResolver, id: number) {
    this.#r = r;
    this.#id = id;
  }
  /** Aliased type, resolved on first read. */
  get target(): Type {
    return (this.#v ??= this.#r.typeById(this.#id));
  }
  set target(v: Type) {
    this.#v = v;
  }
}

/** type_tag and decl_tag. */
export class DecodedTag implements TypeTag {
  #r: TypeResolver;
  #id: number;
  #v: Type | undefined;
  constructor(readonly kind: 'type_tag', public value: string, public attribute: boolean, r: TypeResolver, id: number) {
    this.#r = r;
    this.#id = id;
  }
  /** Tagged type, resolved on first read. */
  get target(): Type {
    return (this.#v ??= this.#r.typeById(this.#id));
  }
  set target(v: Type) {
    this.#v = v;
  }
}

/** Makes a decoded decl_tag. */
export function decodedDeclTag(value: string, attribute: boolean, componentIndex: number, r: TypeResolver, id: number): DeclTag {
  const t = new DecodedTag('decl_tag' as 'type_tag', value, attribute, r, id) as unknown as DeclTag;
  t.componentIndex = componentIndex;
  return t;
}

/** array. */
export class DecodedArray implements ArrayType {
  readonly kind = 'array' as const;
  #r: TypeResolver;
  #e: number;
  #i: number;
  #ev: Type | undefined;
  #iv: Type | undefined;
  constructor(public length: number, r: TypeResolver, elementId: number, indexId: number) {
    this.#r = r;
    this.#e = elementId;
    this.#i = indexId;
  }
  /** Element type, resolved on first read. */
  get element(): Type {
    return (this.#ev ??= this.#r.typeById(this.#e));
  }
  set element(v: Type) {
    this.#ev = v;
  }
  /** Index type, resolved on first read. */
  get index(): Type {
    return (this.#iv ??= this.#r.typeById(this.#i));
  }
  set index(v: Type) {
    this.#iv = v;
  }
}

/** struct/union member. */
export class DecodedMember implements Member {
  #r: TypeResolver;
  #id: number;
  #v: Type | undefined;
  constructor(public name: string, public bitOffset: number, public bitfieldSize: number, r: TypeResolver, id: number) {
    this.#r = r;
    this.#id = id;
  }
  /** Member type, resolved on first read. */
  get type(): Type {
    return (this.#v ??= this.#r.typeById(this.#id));
  }
  set type(v: Type) {
    this.#v = v;
  }
}

/** func_proto parameter. */
export class DecodedParam implements Param {
  #r: TypeResolver;
  #id: number;
  #v: Type | undefined;
  constructor(public name: string, r: TypeResolver, id: number) {
    this.#r = r;
    this.#id = id;
  }
  /** Parameter type, resolved on first read. */
  get type(): Type {
    return (this.#v ??= this.#r.typeById(this.#id));
  }
  set type(v: Type) {
    this.#v = v;
  }
}

/** func_proto. */
export class DecodedFuncProto implements FuncProto {
  readonly kind = 'func_proto' as const;
  #r: TypeResolver;
  #id: number;
  #v: Type | undefined;
  constructor(public params: Param[], r: TypeResolver, id: number) {
    this.#r = r;
    this.#id = id;
  }
  /** Return type, resolved on first read. */
  get returns(): Type {
    return (this.#v ??= this.#r.typeById(this.#id));
  }
  set returns(v: Type) {
    this.#v = v;
  }
}

/** func. */
export class DecodedFunc implements Func {
  readonly kind = 'func' as const;
  #r: TypeResolver;
  #id: number;
  #v: FuncProto | undefined;
  constructor(public name: string, public linkage: FuncLinkageNumber, r: TypeResolver, id: number) {
    this.#r = r;
    this.#id = id;
  }
  /** Prototype, resolved on first read (a non-func_proto reference reads as whatever it is). */
  get proto(): FuncProto {
    return (this.#v ??= this.#r.typeById(this.#id) as FuncProto);
  }
  set proto(v: FuncProto) {
    this.#v = v;
  }
}

/** var. */
export class DecodedVar implements Var {
  readonly kind = 'var' as const;
  #r: TypeResolver;
  #id: number;
  #v: Type | undefined;
  constructor(public name: string, public linkage: VarLinkageNumber, r: TypeResolver, id: number) {
    this.#r = r;
    this.#id = id;
  }
  /** Variable type, resolved on first read. */
  get type(): Type {
    return (this.#v ??= this.#r.typeById(this.#id));
  }
  set type(v: Type) {
    this.#v = v;
  }
}

/** datasec entry. */
export class DecodedSecinfo implements VarSecinfo {
  #r: TypeResolver;
  #id: number;
  #v: Type | undefined;
  constructor(public offset: number, public size: number, r: TypeResolver, id: number) {
    this.#r = r;
    this.#id = id;
  }
  /** The variable, resolved on first read. */
  get type(): Type {
    return (this.#v ??= this.#r.typeById(this.#id));
  }
  set type(v: Type) {
    this.#v = v;
  }
}
