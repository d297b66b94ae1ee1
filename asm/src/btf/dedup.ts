/**
 * Structural deduplication of a type graph before encoding: types that are equal field by field
 * and whose referenced types are equal in the same sense — including recursive structs, which
 * refer back to themselves through pointers — are encoded once.
 *
 * The equivalence is the coarsest partition that is stable under "same shallow fields, and
 * children pairwise in the same class" (Moore's partition refinement, as in DFA minimisation),
 * so two isomorphic cyclic graphs collapse onto one.
 * @module
 */

import type { Type } from './types.js';

/** The fields of `t` that are not references to other types, as a string (equal iff equal). */
export function shallowSignature(t: Type): string {
  const s = JSON.stringify;
  switch (t.kind) {
    case 'void': return 'void';
    case 'int': return `int ${s(t.name)} ${t.size} ${t.encoding} ${t.bitOffset} ${t.bits}`;
    case 'ptr': case 'const': case 'volatile': case 'restrict': return t.kind;
    case 'typedef': return `typedef ${s(t.name)}`;
    case 'type_tag': return `type_tag ${s(t.value)} ${t.attribute}`;
    case 'decl_tag': return `decl_tag ${s(t.value)} ${t.attribute} ${t.componentIndex}`;
    case 'array': return `array ${t.length}`;
    case 'struct': case 'union': return `${t.kind} ${s(t.name)} ${t.size} ${s(t.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize]))}`;
    case 'enum': return `enum ${s(t.name)} ${t.size} ${t.signed} ${s(t.values.map((e) => [e.name, e.value]))}`;
    case 'enum64': return `enum64 ${s(t.name)} ${t.size} ${t.signed} ${s(t.values.map((e) => [e.name, String(e.value)]))}`;
    case 'fwd': return `fwd ${s(t.name)} ${t.fwdKind}`;
    case 'func': return `func ${s(t.name)} ${t.linkage}`;
    case 'func_proto': return `func_proto ${s(t.params.map((p) => p.name))}`;
    case 'var': return `var ${s(t.name)} ${t.linkage}`;
    case 'datasec': return `datasec ${s(t.name)} ${t.size} ${s(t.vars.map((v) => [v.offset, v.size]))}`;
    case 'float': return `float ${s(t.name)} ${t.size}`;
  }
}

/**
 * Classes of structurally equal types among `list` (every type reachable from the roots, each
 * once). `children(t)` lists the types `t` refers to in order; `outside(t)` gives a fixed key for
 * a type that is not in `list` (void, a base BTF's type), or undefined for one that is. Returns,
 * for each type of `list`, the first type of `list` in its class.
 */
export function dedupClasses(list: readonly Type[], children: (t: Type) => readonly Type[], outside: (t: Type) => string | undefined): Map<Type, Type> {
  const index = new Map<Type, number>();
  list.forEach((t, i) => index.set(t, i));
  const kids: (number | string)[][] = list.map((t) => children(t).map((c) => index.get(c) ?? `x${outside(c) ?? '?'}`));
  let cls = new Int32Array(list.length);
  let count = number(list.map(shallowSignature), cls);
  for (;;) {
    const sigs = list.map((_, i) => {
      const k = kids[i];
      let sig = String(cls[i]);
      for (let j = 0; j < k.length; j++) {
        const c = k[j];
        sig += typeof c === 'number' ? ` ${cls[c]}` : ` ${c}`;
      }
      return sig;
    });
    const next = new Int32Array(list.length);
    const n = number(sigs, next);
    cls = next;
    // Refinement only splits classes: the same count means the partition is stable.
    if (n === count) break;
    count = n;
  }
  const first = new Map<number, Type>();
  const rep = new Map<Type, Type>();
  list.forEach((t, i) => {
    let r = first.get(cls[i]);
    if (r === undefined) first.set(cls[i], (r = t));
    rep.set(t, r);
  });
  return rep;
}

/** Numbers the distinct strings of `keys` into `out`; returns how many there are. */
function number(keys: readonly string[], out: Int32Array): number {
  const ids = new Map<string, number>();
  keys.forEach((k, i) => {
    let id = ids.get(k);
    if (id === undefined) ids.set(k, (id = ids.size));
    out[i] = id;
  });
  return ids.size;
}
