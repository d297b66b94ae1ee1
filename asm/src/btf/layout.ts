/**
 * Sizes, alignments and member offsets of BTF types, as the kernel and libbpf compute them
 * (`btf_resolve_size`, `btf__align_of`), for the x86_64/arm64 ABI (8-byte pointers).
 * @module
 */

import { BtfError } from './btf-error.js';
import { describeType, type Composite, type Member, type Type } from './types.js';

/** Resolution depth after which a chain of typedefs/qualifiers is taken for a loop (libbpf's `MAX_RESOLVE_DEPTH`). */
export const MAX_RESOLVE_DEPTH = 32;

/** Pointer size assumed by {@link sizeOfType} and {@link alignOfType}: 8 bytes. */
export const POINTER_SIZE = 8;

/**
 * `t` with typedefs, const, volatile, restrict and type tags stripped, e.g. `const u32` → `unsigned int`.
 * Throws {@link BtfError} for a loop.
 */
export function skipQualifiers(t: Type): Type {
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
    switch (t.kind) {
      case 'typedef': case 'const': case 'volatile': case 'restrict': case 'type_tag':
        t = t.target;
        break;
      default:
        return t;
    }
  }
  throw new BtfError(`typedef/qualifier chain deeper than ${MAX_RESOLVE_DEPTH} (a loop?) at ${describeType(t)}`);
}

/**
 * Size in bytes of a type, as `sizeof` in C (`btf_resolve_size`). Throws {@link BtfError} for a
 * type without a size (void, func, func_proto, fwd, decl_tag) or a loop.
 */
export function sizeOfType(t: Type): number {
  let mul = 1;
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
    switch (t.kind) {
      case 'int': case 'struct': case 'union': case 'enum': case 'enum64': case 'float': case 'datasec':
        return mul * t.size;
      case 'ptr':
        return mul * POINTER_SIZE;
      case 'typedef': case 'const': case 'volatile': case 'restrict': case 'type_tag': case 'var':
        t = t.kind === 'var' ? t.type : t.target;
        break;
      case 'array':
        mul *= t.length;
        t = t.element;
        break;
      default:
        throw new BtfError(`${describeType(t)} has no size`);
    }
  }
  throw new BtfError(`type chain deeper than ${MAX_RESOLVE_DEPTH} (a loop?) at ${describeType(t)}`);
}

/**
 * Alignment in bytes of a type (`btf__align_of`): ints, floats and enums align to their size
 * (at most 8), pointers to 8, arrays to their element, structs/unions to their most aligned
 * member, or 1 when the recorded layout shows the type is packed.
 */
export function alignOfType(t: Type): number {
  return alignRec(t, 0);
}

function alignRec(t: Type, depth: number): number {
  if (depth > MAX_RESOLVE_DEPTH) throw new BtfError(`type chain deeper than ${MAX_RESOLVE_DEPTH} (a loop?) at ${describeType(t)}`);
  switch (t.kind) {
    case 'int': case 'enum': case 'enum64': case 'float':
      return Math.max(1, Math.min(t.size, POINTER_SIZE));
    case 'ptr':
      return POINTER_SIZE;
    case 'array':
      return alignRec(t.element, depth + 1);
    case 'typedef': case 'const': case 'volatile': case 'restrict': case 'type_tag':
      return alignRec(t.target, depth + 1);
    case 'struct': case 'union':
      return compositeAlignment(t, (m) => alignRec(m, depth + 1));
    default:
      return 1;
  }
}

/**
 * Whether a member sits where natural layout cannot put it: a plain member off its alignment,
 * or a bitfield that straddles a unit of its type's size (compilers only do that when packed).
 */
function offAlignment(bitOffset: number, bitfieldSize: number, align: number, type: Type): boolean {
  if (bitfieldSize === 0) return bitOffset % (8 * align) !== 0;
  let unit: number;
  try {
    unit = sizeOfType(type) * 8;
  } catch {
    return false;
  }
  return unit > 0 && Math.floor(bitOffset / unit) !== Math.floor((bitOffset + bitfieldSize - 1) / unit);
}

/**
 * Whether a struct/union needs `__attribute__((packed))` to get the recorded layout: its size
 * is not a multiple of its natural alignment, a member sits off its alignment, or a bitfield
 * straddles a unit of its type.
 */
export function isPacked(t: Composite, alignOf: (t: Type) => number = alignOfType): boolean {
  let max = 1;
  for (const m of t.members) {
    const a = alignOf(m.type);
    if (offAlignment(m.bitOffset, m.bitfieldSize, a, m.type)) return true;
    if (a > max) max = a;
  }
  return t.size % max !== 0;
}

/**
 * Alignment of a struct or union given the alignment of its members' types (`alignOf`, which a
 * caller may memoise): the largest member alignment, or 1 when a member sits off its natural
 * alignment or the size is not a multiple of it (a packed layout).
 */
export function compositeAlignment(t: Composite, alignOf: (t: Type) => number): number {
  let max = 1;
  for (const m of t.members) {
    const a = alignOf(m.type);
    // A member off its natural alignment means the struct is packed.
    if (offAlignment(m.bitOffset, m.bitfieldSize, a, m.type)) return 1;
    if (a > max) max = a;
  }
  return t.size % max === 0 ? max : 1;
}

/** A member found by {@link findMember}: the member and its bit offset from the outer type. */
export interface MemberPath {
  /** The member. */
  readonly member: Member;
  /** Bit offset from the start of the struct/union searched, through anonymous members. */
  readonly bitOffset: number;
}

/**
 * Finds member `name` of struct/union `t` (after {@link skipQualifiers}), looking through
 * anonymous struct/union members as C does; undefined when there is none.
 */
export function findMember(t: Type, name: string): MemberPath | undefined {
  const c = skipQualifiers(t);
  if (c.kind !== 'struct' && c.kind !== 'union') return undefined;
  return findIn(c, name, 0, 0);
}

function findIn(c: Composite, name: string, base: number, depth: number): MemberPath | undefined {
  if (depth > MAX_RESOLVE_DEPTH) throw new BtfError(`anonymous member nesting deeper than ${MAX_RESOLVE_DEPTH} (a loop?) in ${describeType(c)}`);
  for (const m of c.members) {
    if (m.name === name) return { member: m, bitOffset: base + m.bitOffset };
  }
  for (const m of c.members) {
    if (m.name !== '') continue;
    const inner = skipQualifiers(m.type);
    if (inner.kind !== 'struct' && inner.kind !== 'union') continue;
    const found = findIn(inner, name, base + m.bitOffset, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Bit offset of a member path such as `['real_parent', 'tgid']` from `t`, following pointers
 * between steps as `BPF_CORE_READ` does (each step after a pointer starts from the pointee);
 * returns the offset within the last struct reached. Throws a `RangeError` naming the step that
 * does not exist.
 */
export function memberOffset(t: Type, path: readonly string[]): { type: Type; bitOffset: number; bitfieldSize: number } {
  let cur = t;
  let off = 0;
  let bits = 0;
  for (let i = 0; i < path.length; i++) {
    let c = skipQualifiers(cur);
    if (c.kind === 'ptr' && i > 0) {
      c = skipQualifiers(c.target);
      off = 0;
    }
    const found = findMember(c, path[i]);
    if (found === undefined) throw new RangeError(`${describeType(c)} has no member '${path[i]}' (path ${path.slice(0, i + 1).join('.')})`);
    off += found.bitOffset;
    bits = found.member.bitfieldSize;
    cur = found.member.type;
  }
  return { type: cur, bitOffset: off, bitfieldSize: bits };
}
