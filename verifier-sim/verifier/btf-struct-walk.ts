/**
 * `btf_struct_walk` and `btf_struct_access` (kernel/bpf/btf.c): what a load of `size` bytes at
 * `off` inside a kernel struct reads — a scalar, a pointer to another struct (a new BTF-id
 * pointer), a pointer to something else (untrusted read-only memory) — or the kernel's error
 * line. Nested structs and arrays of structs are entered; unions with more than one member
 * make the pointers found in them untrusted.
 * @module
 */

import type { Member, Type } from 'ebpf-bytecode-utils';
import { TypeFlag } from './btf-pointee.js';

/** What a load through a BTF-id pointer yields. */
export type StructAccess =
  | { readonly kind: 'scalar' }
  | { readonly kind: 'ptr'; readonly target: Type; readonly flags: number; readonly fieldName: string }
  | { readonly kind: 'untrusted_mem' }
  | { readonly kind: 'error'; readonly message: string };

type Composite = Extract<Type, { kind: 'struct' | 'union' }>;

/** Strips typedefs, qualifiers and type tags (`btf_type_skip_modifiers`). */
export function skipModifiers(t: Type): Type {
  for (let i = 0; i < 32; i++) {
    if (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag') t = t.target;
    else return t;
  }
  return t;
}

/** The name `__btf_name_by_offset` prints: `(anon)` for an empty name. */
export function btfTypeName(t: Type): string {
  const name = 'name' in t ? t.name : '';
  return name === '' ? '(anon)' : name;
}

/** `__btf_resolve_size`: the member's type (the outer array, if any), total size, element type and count; null without a size. */
function resolveSize(t: Type): { type: Type; size: number; elem: Type; nelems: number } | null {
  let array: Type | null = null;
  let nelems = 1;
  for (let i = 0; i < 32; i++) {
    switch (t.kind) {
      case 'int': case 'struct': case 'union': case 'enum': case 'enum64': case 'float':
        return { type: array ?? t, size: nelems * t.size, elem: t, nelems };
      case 'ptr':
        return { type: array ?? t, size: nelems * 8, elem: t, nelems };
      case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
        t = t.target;
        break;
      case 'array':
        array ??= t;
        nelems *= t.length;
        t = t.element;
        break;
      default:
        return null;
    }
  }
  return null;
}

type Walk =
  | { kind: 'scalar' }
  | { kind: 'ptr'; target: Type; fieldName: string }
  | { kind: 'ptr_untrusted' }
  | { kind: 'struct'; type: Type }
  | { kind: 'error'; message: string };

function isComposite(t: Type): t is Composite {
  return t.kind === 'struct' || t.kind === 'union';
}

/** One `btf_struct_walk` step; `flag.value` accumulates PTR_UNTRUSTED and the pointer's tag flags. */
function walk(t: Type, off: number, size: number, flag: { value: number }): Walk {
  for (;;) {
    t = skipModifiers(t);
    const tname = btfTypeName(t);
    if (!isComposite(t)) return { kind: 'error', message: `Type '${'name' in t ? t.name : ''}' is not a struct` };
    const members: readonly Member[] = t.members;
    if (t.kind === 'union' && members.length !== 1 && (flag.value & TypeFlag.UNTRUSTED) === 0) flag.value |= TypeFlag.UNTRUSTED;
    if (off + size > t.size) {
      const beyond = { kind: 'error' as const, message: `access beyond struct ${tname} at off ${off} size ${size}` };
      const last = members[members.length - 1];
      if (last === undefined) return beyond;
      const mtype = skipModifiers(last.type);
      if (mtype.kind !== 'array' || mtype.length !== 0) return beyond;
      const moff = Math.floor(last.bitOffset / 8);
      if (off < moff) return beyond;
      const elem = skipModifiers(mtype.element);
      if (elem.kind === 'int') return { kind: 'scalar' };
      if (!isComposite(elem)) return beyond;
      off = (off - moff) % elem.size;
      t = elem;
      continue;
    }
    let next: { t: Type; off: number } | null = null;
    for (const member of members) {
      let moff = Math.floor(member.bitOffset / 8);
      if (off + size <= moff) break;
      if (member.bitfieldSize !== 0) {
        const endBit = member.bitOffset + member.bitfieldSize;
        if (off <= moff && Math.ceil(endBit / 8) <= off + size) return { kind: 'scalar' };
        continue;
      }
      if (off < moff) break;
      const r = resolveSize(member.type);
      if (r === null) return { kind: 'error', message: `field ${member.name} doesn't have size` };
      let mtype = r.type;
      let msize = r.size;
      const mtrueEnd = moff + msize;
      if (off >= mtrueEnd) continue;
      if (mtype.kind === 'array') {
        if (moff === mtrueEnd) continue;
        msize = Math.floor(msize / r.nelems);
        const idx = Math.floor((off - moff) / msize);
        moff += idx * msize;
        mtype = r.elem;
      }
      if (isComposite(mtype)) {
        if (off === moff) return { kind: 'struct', type: mtype };
        next = { t: mtype, off: off - moff };
        break;
      }
      if (mtype.kind === 'ptr') {
        if (msize !== size || off !== moff) return { kind: 'error', message: `cannot access ptr member ${member.name} with moff ${moff} in struct ${tname} with off ${off} size ${size}` };
        const tagged = mtype.target;
        let tagFlag = 0;
        if (tagged.kind === 'type_tag' && !tagged.attribute) {
          if (tagged.value === 'user') tagFlag = TypeFlag.USER;
          if (tagged.value === 'percpu') tagFlag = TypeFlag.PERCPU;
          if (tagged.value === 'rcu') tagFlag = TypeFlag.RCU;
        }
        const stype = skipModifiers(tagged);
        if (isComposite(stype)) {
          flag.value |= tagFlag;
          return { kind: 'ptr', target: stype, fieldName: member.name };
        }
        return { kind: 'ptr_untrusted' };
      }
      if (off + size > mtrueEnd && (flag.value & TypeFlag.UNTRUSTED) === 0) {
        return { kind: 'error', message: `access beyond the end of member ${member.name} (mend:${mtrueEnd}) in struct ${tname} with off ${off} size ${size}` };
      }
      return { kind: 'scalar' };
    }
    if (next === null) return { kind: 'error', message: `struct ${tname} doesn't have field at offset ${off}` };
    t = next.t;
    off = next.off;
  }
}

/**
 * `btf_struct_access` for a kernel (not program-allocated) struct `t`: reads `size` bytes at
 * `off` (`off` >= 0, checked by the caller).
 */
export function structAccess(t: Type, off: number, size: number): StructAccess {
  // Decoded types are shared objects and the walk depends only on (type, off, size): memoise.
  let byType = accessCache.get(t);
  if (byType === undefined) accessCache.set(t, (byType = new Map()));
  const key = off * 16 + size;
  let r = byType.get(key);
  if (r === undefined) byType.set(key, (r = structAccessUncached(t, off, size)));
  return r;
}

const accessCache = new WeakMap<Type, Map<number, StructAccess>>();

function structAccessUncached(t: Type, off: number, size: number): StructAccess {
  const flag = { value: 0 };
  for (;;) {
    const w = walk(t, off, size, flag);
    switch (w.kind) {
      case 'ptr':
        return { kind: 'ptr', target: w.target, flags: flag.value, fieldName: w.fieldName };
      case 'ptr_untrusted':
        return { kind: 'untrusted_mem' };
      case 'scalar':
        return { kind: 'scalar' };
      case 'struct':
        t = w.type;
        off = 0;
        break;
      default:
        return w;
    }
  }
}

/**
 * `btf_struct_ids_match`: whether a pointer to `have` at offset `off` may be passed where a
 * pointer to `want` is expected — the same struct at offset 0, or (unless `strict`) a struct
 * nested at `off` (walked with 1-byte accesses). `logged` is the line the walk wrote into the
 * kernel's log when it failed (before the caller's own error), or null.
 */
export function structIdsMatch(have: Type, off: number, want: Type, strict: boolean): { readonly match: boolean; readonly logged: string | null } {
  if (off === 0 && have === want) return { match: true, logged: null };
  if (strict) return { match: false, logged: null };
  let t = have;
  for (;;) {
    const w = walk(t, off, 1, { value: 0 });
    if (w.kind === 'error') return { match: false, logged: w.message };
    if (w.kind !== 'struct') return { match: false, logged: null };
    if (w.type === want) return { match: true, logged: null };
    t = w.type;
    off = 0;
  }
}
