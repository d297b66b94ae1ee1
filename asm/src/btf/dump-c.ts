/**
 * C declarations from BTF, in the form `bpftool btf dump file … format c` prints them
 * (libbpf's `btf_dump`): named structs, unions, enums and typedefs in an order that compiles,
 * forward declarations where a pointer needs one, anonymous structs/unions/enums inline,
 * bitfields, explicit padding where natural alignment would not reproduce the recorded
 * offsets, `__attribute__((packed))` where the layout needs it.
 *
 * A whole little-endian blob is dumped from its records (dump-c-records.ts: no type objects,
 * ~3x less CPU for vmlinux); this file's walk over type objects serves type lists, split BTF,
 * big-endian or unaligned blobs, and is that walk's test oracle.
 * @module
 */

import { BtfError } from './btf-error.js';
import { Btf } from './btf.js';
import { alignOfType, compositeAlignment, isPacked, MAX_RESOLVE_DEPTH, sizeOfType } from './layout.js';
import { paddingLines as padding } from './c-padding.js';
import { dumpRecordsC } from './dump-c-records.js';
import { describeType, type Composite, type Enum, type Enum64, type Fwd, type Type, type Typedef } from './types.js';

/** Options of {@link dumpC}. */
export interface DumpCOptions {
  /**
   * Wrap the output as bpftool's `vmlinux.h`: a header guard and the clang
   * `preserve_access_index` pragma around the declarations.
   */
  readonly vmlinuxHeader?: boolean;
  /**
   * Print type tags as `__attribute__((btf_type_tag("…")))`, as bpftool does (default true).
   * gcc ignores the attribute with a warning: pass false for a header meant for gcc.
   */
  readonly typeTags?: boolean;
  /** Dump only these types and what they need (default: every type of the BTF). */
  readonly types?: Iterable<Type>;
}

const EMITTING = 1;
const DONE = 2;
/** Declarator recursion limit: deeper means a loop in a malformed graph. */
const MAX_DECL_DEPTH = 256;

class CDumper {
  readonly out: string[] = [];
  readonly #state = new Map<Type, number>();
  readonly #declaredTags = new Set<string>();
  readonly #tagNames = new Map<Type, string>();
  /** `struct name` / `union name` of each composite seen (its tag name computed once). */
  readonly #tagKeys = new Map<Type, string>();
  /** alignOfType() of the types asked so far (a pure function of the graph, asked many times). */
  readonly #aligns = new Map<Type, number>();
  readonly #tagCounts = new Map<string, number>();
  readonly #identNames = new Map<object, string>();
  readonly #identCounts = new Map<string, number>();
  readonly #visiting = new Set<Type>();
  readonly #doneStrong = new Set<Type>();
  readonly #container: Type[] = [];
  readonly #typeTags: boolean;

  constructor(options: DumpCOptions | undefined) {
    this.#typeTags = options?.typeTags !== false;
  }

  #unique(counts: Map<string, number>, name: string): string {
    const n = (counts.get(name) ?? 0) + 1;
    counts.set(name, n);
    return n === 1 ? name : `${name}___${n}`;
  }

  /** Tag name of a struct/union/enum (with `___N` for a second type of the same name). */
  tagName(t: Composite | Enum | Enum64): string {
    let n = this.#tagNames.get(t);
    if (n === undefined) {
      n = this.#unique(this.#tagCounts, t.name);
      this.#tagNames.set(t, n);
    }
    return n;
  }

  /** Ordinary identifier (typedef name, enumerator) made unique. */
  identName(t: object, name: string): string {
    let n = this.#identNames.get(t);
    if (n === undefined) {
      n = this.#unique(this.#identCounts, name);
      this.#identNames.set(t, n);
    }
    return n;
  }

  /** Emits a top-level type: named types fully; anonymous enums nothing refers to, as `enum { … };`. */
  top(t: Type, anonEnum: boolean): void {
    switch (t.kind) {
      case 'struct': case 'union': case 'enum': case 'enum64': case 'typedef':
        if (t.name !== '') this.ensure(t, true);
        else if (anonEnum && (t.kind === 'enum' || t.kind === 'enum64') && t.values.length > 0) {
          this.out.push(`${this.#enumBody(t, 0)};`, '');
        }
        break;
      case 'fwd':
        this.#fwd(t);
        break;
      default:
        break;
    }
  }

  #fwd(t: Fwd): void {
    const key = `${t.fwdKind} ${t.name}`;
    if (this.#declaredTags.has(key)) return;
    this.#declaredTags.add(key);
    this.out.push(`${key};`, '');
  }

  /** Makes `t` usable in a declaration: defined when `strong` (by value), declared when not (through a pointer). */
  ensure(t: Type, strong: boolean): void {
    switch (t.kind) {
      case 'void': case 'int': case 'float': case 'func': case 'var': case 'datasec': case 'decl_tag':
        return;
      case 'fwd':
        this.#fwd(t);
        return;
      case 'struct': case 'union':
        if (t.name !== '') this.#ensureComposite(t, strong);
        else if (this.#enter(t, strong)) {
          for (const m of t.members) this.ensure(m.type, true);
          this.#leave(t, strong);
        }
        return;
      case 'enum': case 'enum64':
        if (t.name !== '' && !this.#state.has(t)) {
          this.#state.set(t, DONE);
          this.out.push(`${this.#enumBody(t, 0)};`, '');
        }
        return;
      case 'typedef':
        this.#ensureTypedef(t, strong);
        return;
      case 'ptr':
        if (this.#enter(t, false)) {
          this.ensure(t.target, false);
          this.#leave(t, false);
        }
        return;
      case 'array':
        // Array elements must be complete even behind a pointer.
        if (this.#enter(t, true)) {
          this.ensure(t.element, true);
          this.#leave(t, true);
        }
        return;
      case 'const': case 'volatile': case 'restrict': case 'type_tag':
        if (this.#enter(t, strong)) {
          this.ensure(t.target, strong);
          this.#leave(t, strong);
        }
        return;
      case 'func_proto':
        if (this.#enter(t, false)) {
          this.ensure(t.returns, false);
          for (const p of t.params) this.ensure(p.type, false);
          this.#leave(t, false);
        }
        return;
    }
  }

  /**
   * Starts a walk of `t`'s references, done once per (type, strength); false when already done.
   * Refuses loops through anonymous types. Pair with {@link #leave} (no closure per walk).
   */
  #enter(t: Type, strong: boolean): boolean {
    // Weak walks are not remembered: whether they print a forward declaration depends on the
    // container being defined at the time.
    if (strong && this.#doneStrong.has(t)) return false;
    if (this.#visiting.has(t)) throw new BtfError(`type loop through ${describeType(t)}`);
    this.#visiting.add(t);
    return true;
  }

  #leave(t: Type, strong: boolean): void {
    this.#visiting.delete(t);
    if (strong) this.#doneStrong.add(t);
  }

  #ensureComposite(t: Composite, strong: boolean): void {
    const state = this.#state.get(t);
    if (state === DONE) return;
    let key = this.#tagKeys.get(t);
    if (key === undefined) {
      key = `${t.kind} ${this.tagName(t)}`;
      this.#tagKeys.set(t, key);
    }
    if (!strong || state === EMITTING) {
      // A pointer to it (or a by-value loop, which C cannot express): a declaration will do,
      // except inside its own definition.
      if (this.#container[this.#container.length - 1] === t || this.#declaredTags.has(key)) return;
      this.#declaredTags.add(key);
      this.out.push(`${key};`, '');
      return;
    }
    this.#state.set(t, EMITTING);
    this.#container.push(t);
    for (const m of t.members) this.ensure(m.type, true);
    this.#container.pop();
    this.#declaredTags.add(key);
    this.#state.set(t, DONE);
    this.out.push(`${this.#compositeBody(t, 0)};`, '');
  }

  #ensureTypedef(t: Typedef, strong: boolean): void {
    const state = this.#state.get(t);
    if (state === DONE) {
      if (strong && this.#enter(t, true)) {
        this.ensure(t.target, true);
        this.#leave(t, true);
      }
      return;
    }
    if (state === EMITTING) return;
    this.#state.set(t, EMITTING);
    // The typedef itself only needs its target declared (`typedef struct s s_t;` is fine with
    // `struct s` incomplete), which breaks loops such as a struct holding a pointer to its own
    // typedef. It is printed outside any struct body, so no container applies.
    this.#container.push(t);
    this.ensure(t.target, false);
    this.#container.pop();
    this.#state.set(t, DONE);
    if (t.name !== '__builtin_va_list') this.out.push(`typedef ${this.decl(t.target, this.identName(t, t.name), 0, 0)};`, '');
    if (strong && this.#enter(t, true)) {
      this.ensure(t.target, true);
      this.#leave(t, true);
    }
  }

  /** The declaration of `inner` (a name with its pointer/array/function declarators) of type `t`. */
  decl(t: Type, inner: string, lvl: number, depth: number): string {
    if (depth > MAX_DECL_DEPTH) throw new BtfError(`declarator deeper than ${MAX_DECL_DEPTH} (a loop?) at ${describeType(t)}`);
    const d = depth + 1;
    switch (t.kind) {
      case 'void':
        return join('void', inner);
      case 'int': case 'float':
        return join(t.name, inner);
      case 'struct': case 'union':
        return join(t.name === '' ? this.#compositeBody(t, lvl, d) : `${t.kind} ${this.tagName(t)}`, inner);
      case 'enum': case 'enum64':
        return join(t.name === '' ? this.#enumBody(t, lvl) : `enum ${this.tagName(t)}`, inner);
      case 'fwd':
        return join(`${t.fwdKind} ${t.name}`, inner);
      case 'typedef':
        return join(t.name === '__builtin_va_list' ? t.name : this.identName(t, t.name), inner);
      case 'ptr': {
        const k = declaratorKind(t.target);
        return this.decl(t.target, k === 'array' || k === 'func_proto' ? `(*${inner})` : `*${inner}`, lvl, d);
      }
      case 'array':
        return this.decl(t.element, `${inner}[${t.length}]`, lvl, d);
      case 'const': case 'volatile': case 'restrict': {
        const k = declaratorKind(t.target);
        if (k === 'func_proto') return this.decl(t.target, inner, lvl, d);
        if (k === 'ptr') return this.decl(t.target, join(t.kind, inner), lvl, d);
        // A qualified array is an array of qualified elements; do not say it twice.
        if (k === 'array' && qualifiedElement(t.target, t.kind)) return this.decl(t.target, inner, lvl, d);
        return `${t.kind} ${this.decl(t.target, inner, lvl, d)}`;
      }
      case 'type_tag':
        return this.decl(t.target, this.#typeTags ? join(`__attribute__((btf_type_tag("${t.value}")))`, inner) : inner, lvl, d);
      case 'func_proto': {
        const ps = t.params.map((p, i) => (i === t.params.length - 1 && p.type.kind === 'void' && p.name === '' ? '...' : this.decl(p.type, p.name, lvl, d)));
        return this.decl(t.returns, `${inner}(${ps.length === 0 ? 'void' : ps.join(', ')})`, lvl, d);
      }
      default:
        return join(`void /* ${t.kind} */`, inner);
    }
  }

  #compositeBody(t: Composite, lvl: number, depth = 0): string {
    const ind = '\t'.repeat(lvl + 1);
    const head = `${t.kind}${t.name === '' ? '' : ` ${this.tagName(t)}`} {`;
    if (t.members.length === 0) return `${head}}`;
    const lines = [head];
    const packed = t.members.length > 0 && isPacked(t, this.#alignOfBound);
    const isStruct = t.kind === 'struct';
    let cur = 0;
    for (const m of t.members) {
      if (isStruct) {
        const align = packed ? 1 : this.#alignOf(m.type);
        padding(lines, ind, cur, m.bitOffset, align, m.bitfieldSize !== 0, packed);
      }
      const bits = m.bitfieldSize !== 0 ? `: ${m.bitfieldSize}` : '';
      lines.push(`${ind}${this.decl(m.type, m.name, lvl + 1, depth + 1)}${bits};`);
      if (isStruct) cur = Math.max(cur, m.bitOffset + (m.bitfieldSize !== 0 ? m.bitfieldSize : safeBits(m.type)));
    }
    if (isStruct && t.members.length > 0) padding(lines, ind, cur, t.size * 8, packed ? 1 : this.#alignOf(t), false, packed);
    lines.push(`${'\t'.repeat(lvl)}}${packed ? ' __attribute__((packed))' : ''}`);
    return lines.join('\n');
  }

  readonly #alignOfBound = (t: Type): number => this.#alignOf(t);

  /** alignOfType(t), memoised for every type on the way (nested structs are asked many times). */
  #alignOf(t: Type, depth = 0): number {
    switch (t.kind) {
      case 'int': case 'ptr': case 'enum': case 'enum64': case 'float':
        return alignOfType(t);
      case 'array': case 'typedef': case 'const': case 'volatile': case 'restrict': case 'type_tag': case 'struct': case 'union':
        break;
      default:
        return 1;
    }
    let a = this.#aligns.get(t);
    if (a !== undefined) {
      if (a === 0) throw new BtfError(`type loop through ${describeType(t)}`);
      return a;
    }
    if (depth > MAX_RESOLVE_DEPTH) throw new BtfError(`type chain deeper than ${MAX_RESOLVE_DEPTH} (a loop?) at ${describeType(t)}`);
    this.#aligns.set(t, 0);
    a = t.kind === 'struct' || t.kind === 'union' ? compositeAlignment(t, (m) => this.#alignOf(m, depth + 1)) : this.#alignOf(t.kind === 'array' ? t.element : t.target, depth + 1);
    this.#aligns.set(t, a);
    return a;
  }

  #enumBody(t: Enum | Enum64, lvl: number): string {
    const name = t.name === '' ? 'enum' : `enum ${this.tagName(t)}`;
    if (t.values.length === 0) return name;
    const ind = '\t'.repeat(lvl + 1);
    const lines = [`${name} {`];
    for (const e of t.values) {
      const v = t.kind === 'enum64' ? `${e.value}${t.signed ? 'LL' : 'ULL'}` : `${e.value}`;
      lines.push(`${ind}${this.#unique(this.#identCounts, e.name)} = ${v},`);
    }
    // A size the values alone would not give: 1, 2, or 8 for a 32-bit enum (4 for an enum64).
    const natural = t.kind === 'enum64' ? 8 : 4;
    const mode = t.size === natural ? '' : t.size === 1 ? 'QI' : t.size === 2 ? 'HI' : t.size === 4 ? 'SI' : t.size === 8 ? 'DI' : '';
    lines.push(`${'\t'.repeat(lvl)}}${mode === '' ? '' : ` __attribute__((mode(${mode})))`}`);
    return lines.join('\n');
  }
}

function join(base: string, inner: string): string {
  return inner === '' ? base : `${base} ${inner}`;
}

/** Kind of `t` once type tags (which print nothing in a declarator position) are skipped. */
function declaratorKind(t: Type): Type['kind'] {
  for (let i = 0; i < 64 && t.kind === 'type_tag'; i++) t = t.target;
  return t.kind;
}

function qualifiedElement(t: Type, q: 'const' | 'volatile' | 'restrict'): boolean {
  for (let i = 0; i < 64; i++) {
    if (t.kind === q) return true;
    if (t.kind === 'array') t = t.element;
    else if (t.kind === 'type_tag' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict') t = t.target;
    else return false;
  }
  return false;
}

function safeBits(t: Type): number {
  try {
    return sizeOfType(t) * 8;
  } catch {
    return 0;
  }
}

/**
 * Prints C declarations for a BTF blob or a set of types, as `bpftool btf dump file … format c`
 * does. Functions, variables and data sections are not printed (bpftool does not either).
 * Throws {@link BtfError} for a malformed graph (a loop through anonymous types).
 */
export function dumpC(source: Btf | Iterable<Type>, options?: DumpCOptions): string {
  let lines: string[] | undefined;
  if (options?.types === undefined && source instanceof Btf) {
    // A whole blob: read from its records when possible (no type objects), else walk types.
    lines = dumpRecordsC(source, options?.typeTags !== false);
    if (lines === undefined) {
      const d = new CDumper(options);
      dumpBlob(d, source);
      lines = d.out;
    }
  } else {
    const d = new CDumper(options);
    dumpTypes(d, [...(options?.types ?? (source instanceof Btf ? source.types() : source))]);
    lines = d.out;
  }
  if (options?.vmlinuxHeader !== true) return lines.join('\n');
  // One join for header, body and footer (the body is megabytes for vmlinux: copied once).
  if (lines.length === 0) lines.push('');
  lines.unshift(
    '#ifndef __VMLINUX_H__',
    '#define __VMLINUX_H__',
    '',
    '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX',
    '#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)',
    '#endif',
    '',
  );
  lines.push(
    '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX',
    '#pragma clang attribute pop',
    '#endif',
    '',
    '#endif /* __VMLINUX_H__ */',
    '',
  );
  return lines.join('\n');
}

/** Dumps a list of types (already built). */
function dumpTypes(d: CDumper, all: readonly Type[]): void {
  // Anonymous enums are printed on their own only when nothing refers to them. Only they are
  // recorded (a set of every referenced type would be as large as the graph).
  const referenced = new Set<Type>();
  const note = (t: Type): void => {
    if ((t.kind === 'enum' || t.kind === 'enum64') && t.name === '') referenced.add(t);
  };
  for (const t of all) {
    switch (t.kind) {
      case 'typedef': case 'const': case 'volatile': case 'ptr': case 'restrict': case 'type_tag':
        note(t.target);
        break;
      case 'array':
        note(t.element);
        break;
      case 'struct': case 'union':
        for (const m of t.members) note(m.type);
        break;
      case 'func_proto':
        note(t.returns);
        for (const p of t.params) note(p.type);
        break;
      case 'var':
        note(t.type);
        break;
      default:
        break;
    }
  }
  for (const t of all) d.top(t, !referenced.has(t));
}

/** Kinds {@link CDumper.top} prints at top level, by BTF kind name. */
const TOP_KINDS: ReadonlySet<string> = new Set(['struct', 'union', 'enum', 'enum64', 'typedef', 'fwd']);

/**
 * Dumps every type of a decoded blob. Reads kinds, names and references from the records, so
 * only what gets printed is built: functions and unreferenced function prototypes (two thirds
 * of vmlinux's types) never become objects.
 */
function dumpBlob(d: CDumper, btf: Btf): void {
  // Anonymous enums are printed on their own only when nothing refers to them.
  const anonymousEnums = new Set<number>();
  for (let id = btf.firstId; id < btf.typeCount; id++) {
    const k = btf.kindOf(id);
    // An unknown kind: building the record reports it (BtfError with its offset).
    if (k === undefined) btf.typeById(id);
    if ((k === 'enum' || k === 'enum64') && btf.nameOf(id) === '') anonymousEnums.add(id);
  }
  const referenced = new Set<number>();
  if (anonymousEnums.size > 0) {
    const refs: number[] = [];
    for (let id = btf.firstId; id < btf.typeCount; id++) {
      refs.length = 0;
      btf.referencedIds(id, refs);
      for (const r of refs) if (anonymousEnums.has(r)) referenced.add(r);
    }
  }
  for (let id = btf.firstId; id < btf.typeCount; id++) {
    if (TOP_KINDS.has(btf.kindOf(id))) d.top(btf.typeById(id), !referenced.has(id));
  }
}
