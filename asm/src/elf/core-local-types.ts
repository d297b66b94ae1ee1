/**
 * The local BTF types of CO-RE relocations: for each root struct or union that relocations
 * start from, a copy that keeps only what libbpf reads when it parses the local side of a
 * relocation (`bpf_core_parse_spec`): the root's name and size, and along every access path the
 * member's name, bit offset and a type of the same kind. Members an access path skips are kept as
 * placeholders (`char` at the member's byte offset), so member indices stay as in the source
 * BTF; pointers become pointers to a forward declaration (libbpf does not follow them);
 * typedefs and qualifiers are dropped (libbpf skips them). A whole `task_struct` with everything
 * it reaches is several thousand types; this copy is a handful.
 *
 * ```ts
 * const local = coreLocalTypes([{ root: taskStruct, access: '0:57' }]);
 * local.get(taskStruct);   // struct task_struct { …placeholders…; struct task_struct *real_parent; }
 * ```
 * Pure: no `node:` imports.
 * @module
 */

import { IntEncoding } from '../btf/kind.js';
import { VOID, describeType, type Composite, type Int, type Member, type Type } from '../btf/types.js';
import { ElfWriteError } from './elf-write-error.js';

/** One relocation's root and access string (`"0:57:3"`: the pointer index, then member/array indices). */
export interface CoreAccessSpec {
  /** The root struct or union (as found in the BTF the offsets were computed from). */
  readonly root: Composite;
  /** The access string. */
  readonly access: string;
}

/** The access paths that reach into a type: child index → its own paths. */
type AccessTree = Map<number, AccessTree>;

const placeholder: Int = { kind: 'int', name: 'char', size: 1, encoding: IntEncoding.SIGNED, bitOffset: 0, bits: 8 };

function strip(t: Type): Type {
  while (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag') t = t.target;
  return t;
}

function parseAccess(spec: CoreAccessSpec): number[] {
  const parts = spec.access.split(':');
  if (parts.length < 1 || !parts.every((p) => /^\d+$/.test(p))) throw new ElfWriteError(`CO-RE access string '${spec.access}' of ${describeType(spec.root)} is not colon-separated indices`);
  const path = parts.map(Number);
  if (path[0] !== 0) throw new ElfWriteError(`CO-RE access string '${spec.access}' of ${describeType(spec.root)} does not start with 0 (only the root object itself is supported)`);
  return path.slice(1);
}

/** Checks `path` against `t` and adds it to `tree`. */
function addPath(t: Type, path: readonly number[], tree: AccessTree, spec: CoreAccessSpec): void {
  if (path.length === 0) return;
  const [i, ...rest] = path;
  const s = strip(t);
  let next: Type;
  if (s.kind === 'struct' || s.kind === 'union') {
    if (i >= s.members.length) throw new ElfWriteError(`CO-RE access '${spec.access}' of ${describeType(spec.root)}: ${describeType(s)} has no member ${i} (it has ${s.members.length})`);
    next = s.members[i].type;
  } else if (s.kind === 'array') {
    if (i >= s.length) throw new ElfWriteError(`CO-RE access '${spec.access}' of ${describeType(spec.root)}: index ${i} is outside an array of ${s.length}`);
    next = s.element;
  } else {
    throw new ElfWriteError(`CO-RE access '${spec.access}' of ${describeType(spec.root)} indexes into a ${describeType(s)}`);
  }
  let sub = tree.get(i);
  if (sub === undefined) { sub = new Map(); tree.set(i, sub); }
  addPath(next, rest, sub, spec);
}

/** The local copy of `t` for the accesses in `tree`. */
function localType(t: Type, tree: AccessTree, fwds: Map<string, Type>): Type {
  const s = strip(t);
  switch (s.kind) {
    case 'struct': case 'union': {
      const last = Math.max(-1, ...tree.keys());
      const members: Member[] = [];
      for (let i = 0; i <= last; i++) {
        const m = s.members[i];
        const sub = tree.get(i);
        if (sub === undefined) members.push({ name: m.name, type: placeholder, bitOffset: Math.floor(m.bitOffset / 8) * 8, bitfieldSize: 0 });
        else members.push({ name: m.name, type: localType(m.type, sub, fwds), bitOffset: m.bitOffset, bitfieldSize: m.bitfieldSize });
      }
      return { kind: s.kind, name: s.name, size: s.size, members } as Composite;
    }
    case 'array': {
      const merged: AccessTree = new Map();
      for (const sub of tree.values()) mergeInto(merged, sub);
      return { kind: 'array', element: localType(s.element, merged, fwds), index: { kind: 'int', name: '__ARRAY_SIZE_TYPE__', size: 4, encoding: 0, bitOffset: 0, bits: 32 }, length: s.length };
    }
    case 'ptr': {
      const target = strip(s.target);
      if ((target.kind === 'struct' || target.kind === 'union') && target.name !== '') {
        const key = `${target.kind} ${target.name}`;
        let fwd = fwds.get(key);
        if (fwd === undefined) { fwd = { kind: 'fwd', name: target.name, fwdKind: target.kind }; fwds.set(key, fwd); }
        return { kind: 'ptr', target: fwd };
      }
      return { kind: 'ptr', target: VOID };
    }
    case 'int':
      return { kind: 'int', name: s.name, size: s.size, encoding: s.encoding, bitOffset: s.bitOffset, bits: s.bits };
    case 'enum':
      return { kind: 'enum', name: '', size: s.size, signed: s.signed, values: [] };
    case 'enum64':
      return { kind: 'enum64', name: '', size: s.size, signed: s.signed, values: [] };
    case 'float':
      return { kind: 'float', name: s.name, size: s.size };
    case 'fwd':
      return { kind: 'fwd', name: s.name, fwdKind: s.fwdKind };
    default:
      throw new ElfWriteError(`CO-RE: a field of type ${describeType(s)} has no local form`);
  }
}

function mergeInto(into: AccessTree, from: AccessTree): void {
  for (const [i, sub] of from) {
    let mine = into.get(i);
    if (mine === undefined) { mine = new Map(); into.set(i, mine); }
    mergeInto(mine, sub);
  }
}

/**
 * The local types of `specs`: one copy per root (roots of one kind and name share a copy, the
 * union of their accesses), keyed by every root object given. Throws an {@link ElfWriteError}
 * for an access string that is malformed or leaves its type.
 */
export function coreLocalTypes(specs: readonly CoreAccessSpec[]): Map<Composite, Composite> {
  const byName = new Map<string, { root: Composite; tree: AccessTree; objects: Composite[] }>();
  for (const spec of specs) {
    const key = `${spec.root.kind} ${spec.root.name}`;
    let entry = byName.get(key);
    if (entry === undefined) { entry = { root: spec.root, tree: new Map(), objects: [] }; byName.set(key, entry); }
    if (!entry.objects.includes(spec.root)) entry.objects.push(spec.root);
    addPath(spec.root, parseAccess(spec), entry.tree, spec);
  }
  const fwds = new Map<string, Type>();
  const out = new Map<Composite, Composite>();
  for (const { root, tree, objects } of byName.values()) {
    const local = localType(root, tree, fwds) as Composite;
    for (const o of objects) out.set(o, local);
  }
  return out;
}
