/**
 * The C dump of a whole decoded blob read straight from its type records (integer ids over the
 * blob's words, typed arrays for the per-type state), so that dumping vmlinux builds no type
 * objects. Prints exactly what {@link dumpC}'s type-object walk prints for the same blob.
 * @module
 */

import { BtfError } from './btf-error.js';
import type { Btf } from './btf.js';
import { paddingLines } from './c-padding.js';
import { BTF_KIND_MAX, BtfKind, KIND_NAMES } from './kind.js';
import { MAX_RESOLVE_DEPTH, POINTER_SIZE } from './layout.js';
import { describeType } from './types.js';

const EMITTING = 1;
const DONE = 2;
/** Declarator recursion limit: deeper means a loop in a malformed graph. */
const MAX_DECL_DEPTH = 256;
/** {@link RecordDumper.alignOf} memo: not computed yet / being computed (a loop). */
const ALIGN_UNKNOWN = 0;
const ALIGN_BUSY = 255;

const K = BtfKind;

function join(base: string, inner: string): string {
  return inner === '' ? base : `${base} ${inner}`;
}

/** Tabs for nesting level `n`, shared. */
const TABS: string[] = [];
function tabs(n: number): string {
  return (TABS[n] ??= '\t'.repeat(n));
}

/** Per-blob dumper over ids. Ids are of a blob without a base, checked by {@link validRecords}. */
class RecordDumper {
  readonly out: string[] = [];
  readonly #btf: Btf;
  readonly #words: Uint32Array;
  readonly #starts: Uint32Array;
  readonly #typeTags: boolean;
  readonly #state: Uint8Array;
  readonly #aligns: Uint8Array;
  readonly #visiting: Uint8Array;
  readonly #doneStrong: Uint8Array;
  /**
   * Strings computed once per id, as 1 + an index into {@link #strings} (0: not yet): the
   * name, the unique tag name, the unique identifier, the `struct tag` key.
   */
  readonly #names: Int32Array;
  readonly #tagNames: Int32Array;
  readonly #identNames: Int32Array;
  readonly #tagKeys: Int32Array;
  readonly #strings: string[] = [];
  readonly #declaredTags = new Set<string>();
  readonly #tagCounts = new Map<string, number>();
  readonly #identCounts = new Map<string, number>();
  readonly #container: number[] = [];

  constructor(btf: Btf, words: Uint32Array, starts: Uint32Array, typeTags: boolean) {
    this.#btf = btf;
    this.#words = words;
    this.#starts = starts;
    this.#typeTags = typeTags;
    const n = starts.length + 1;
    this.#state = new Uint8Array(n);
    this.#aligns = new Uint8Array(n);
    this.#visiting = new Uint8Array(n);
    this.#doneStrong = new Uint8Array(n);
    this.#names = new Int32Array(n);
    this.#tagNames = new Int32Array(n);
    this.#identNames = new Int32Array(n);
    this.#tagKeys = new Int32Array(n);
  }

  /** Word index of the record of `id` (not 0). */
  w(id: number): number {
    return this.#starts[id - 1];
  }

  kind(id: number): number {
    return id === 0 ? 0 : (this.#words[this.#starts[id - 1] + 1] >>> 24) & 0x1f;
  }

  vlen(id: number): number {
    return this.#words[this.#starts[id - 1] + 1] & 0xffff;
  }

  kflag(id: number): boolean {
    return this.#words[this.#starts[id - 1] + 1] >>> 31 === 1;
  }

  /** `size` or `type` (the third word). */
  st(id: number): number {
    return this.#words[this.#starts[id - 1] + 2];
  }

  name(id: number): string {
    if (id === 0) return '';
    const slot = this.#names[id];
    if (slot !== 0) return this.#strings[slot - 1];
    const off = this.#words[this.#starts[id - 1]];
    return this.#remember(this.#names, id, off === 0 ? '' : this.#btf.string(off));
  }

  /** Stores `s` as the string of `id` in `slots`; returns it. */
  #remember(slots: Int32Array, id: number, s: string): string {
    slots[id] = this.#strings.push(s);
    return s;
  }

  str(off: number): string {
    return off === 0 ? '' : this.#btf.string(off);
  }

  #loop(id: number, what: string): BtfError {
    return new BtfError(`${what} ${describeType(this.#btf.typeById(id))}`);
  }

  #unique(counts: Map<string, number>, name: string): string {
    const n = (counts.get(name) ?? 0) + 1;
    counts.set(name, n);
    return n === 1 ? name : `${name}___${n}`;
  }

  tagName(id: number): string {
    const slot = this.#tagNames[id];
    return slot !== 0 ? this.#strings[slot - 1] : this.#remember(this.#tagNames, id, this.#unique(this.#tagCounts, this.name(id)));
  }

  identName(id: number): string {
    const slot = this.#identNames[id];
    return slot !== 0 ? this.#strings[slot - 1] : this.#remember(this.#identNames, id, this.#unique(this.#identCounts, this.name(id)));
  }

  /** `struct tag` or `union tag`. */
  #tagKey(id: number): string {
    const slot = this.#tagKeys[id];
    return slot !== 0 ? this.#strings[slot - 1] : this.#remember(this.#tagKeys, id, `${this.kind(id) === K.STRUCT ? 'struct' : 'union'} ${this.tagName(id)}`);
  }

  top(id: number, anonEnum: boolean): void {
    const k = this.kind(id);
    switch (k) {
      case K.STRUCT: case K.UNION: case K.ENUM: case K.ENUM64: case K.TYPEDEF:
        if (this.name(id) !== '') this.ensure(id, true);
        else if (anonEnum && (k === K.ENUM || k === K.ENUM64) && this.vlen(id) > 0) this.out.push(`${this.#enumBody(id, 0)};`, '');
        break;
      case K.FWD:
        this.#fwd(id);
        break;
      default:
        break;
    }
  }

  #fwd(id: number): void {
    const key = `${this.kflag(id) ? 'union' : 'struct'} ${this.name(id)}`;
    if (this.#declaredTags.has(key)) return;
    this.#declaredTags.add(key);
    this.out.push(`${key};`, '');
  }

  ensure(id: number, strong: boolean): void {
    const words = this.#words;
    switch (this.kind(id)) {
      case K.FWD:
        this.#fwd(id);
        return;
      case K.STRUCT: case K.UNION:
        if (this.name(id) !== '') this.#ensureComposite(id, strong);
        else if (this.#enter(id, strong)) {
          const w = this.w(id) + 3;
          const vlen = this.vlen(id);
          for (let i = 0; i < vlen; i++) this.ensure(words[w + 3 * i + 1], true);
          this.#leave(id, strong);
        }
        return;
      case K.ENUM: case K.ENUM64:
        if (this.#state[id] === 0 && this.name(id) !== '') {
          this.#state[id] = DONE;
          this.out.push(`${this.#enumBody(id, 0)};`, '');
        }
        return;
      case K.TYPEDEF:
        this.#ensureTypedef(id, strong);
        return;
      case K.PTR:
        if (this.#enter(id, false)) {
          this.ensure(this.st(id), false);
          this.#leave(id, false);
        }
        return;
      case K.ARRAY:
        // Array elements must be complete even behind a pointer.
        if (this.#enter(id, true)) {
          this.ensure(words[this.w(id) + 3], true);
          this.#leave(id, true);
        }
        return;
      case K.CONST: case K.VOLATILE: case K.RESTRICT: case K.TYPE_TAG:
        if (this.#enter(id, strong)) {
          this.ensure(this.st(id), strong);
          this.#leave(id, strong);
        }
        return;
      case K.FUNC_PROTO:
        if (this.#enter(id, false)) {
          this.ensure(this.st(id), false);
          const w = this.w(id) + 3;
          const vlen = this.vlen(id);
          for (let i = 0; i < vlen; i++) this.ensure(words[w + 2 * i + 1], false);
          this.#leave(id, false);
        }
        return;
      default:
        return;
    }
  }

  #enter(id: number, strong: boolean): boolean {
    if (strong && this.#doneStrong[id] === 1) return false;
    if (this.#visiting[id] === 1) throw this.#loop(id, 'type loop through');
    this.#visiting[id] = 1;
    return true;
  }

  #leave(id: number, strong: boolean): void {
    this.#visiting[id] = 0;
    if (strong) this.#doneStrong[id] = 1;
  }

  #ensureComposite(id: number, strong: boolean): void {
    const state = this.#state[id];
    if (state === DONE) return;
    const key = this.#tagKey(id);
    if (!strong || state === EMITTING) {
      if (this.#container[this.#container.length - 1] === id || this.#declaredTags.has(key)) return;
      this.#declaredTags.add(key);
      this.out.push(`${key};`, '');
      return;
    }
    this.#state[id] = EMITTING;
    this.#container.push(id);
    const words = this.#words;
    const w = this.w(id) + 3;
    const vlen = this.vlen(id);
    for (let i = 0; i < vlen; i++) this.ensure(words[w + 3 * i + 1], true);
    this.#container.pop();
    this.#declaredTags.add(key);
    this.#state[id] = DONE;
    this.out.push(`${this.#compositeBody(id, 0, 0)};`, '');
  }

  #ensureTypedef(id: number, strong: boolean): void {
    const state = this.#state[id];
    const target = this.st(id);
    if (state === DONE) {
      if (strong && this.#enter(id, true)) {
        this.ensure(target, true);
        this.#leave(id, true);
      }
      return;
    }
    if (state === EMITTING) return;
    this.#state[id] = EMITTING;
    this.#container.push(id);
    this.ensure(target, false);
    this.#container.pop();
    this.#state[id] = DONE;
    if (this.name(id) !== '__builtin_va_list') this.out.push(`typedef ${this.decl(target, this.identName(id), 0, 0)};`, '');
    if (strong && this.#enter(id, true)) {
      this.ensure(target, true);
      this.#leave(id, true);
    }
  }

  /** Kind of `id` once type tags are skipped. */
  #declaratorKind(id: number): number {
    let k = this.kind(id);
    for (let i = 0; i < 64 && k === K.TYPE_TAG; i++) {
      id = this.st(id);
      k = this.kind(id);
    }
    return k;
  }

  #qualifiedElement(id: number, q: number): boolean {
    for (let i = 0; i < 64; i++) {
      const k = this.kind(id);
      if (k === q) return true;
      if (k === K.ARRAY) id = this.#words[this.w(id) + 3];
      else if (k === K.TYPE_TAG || k === K.CONST || k === K.VOLATILE || k === K.RESTRICT) id = this.st(id);
      else return false;
    }
    return false;
  }

  decl(id: number, inner: string, lvl: number, depth: number): string {
    if (depth > MAX_DECL_DEPTH) throw this.#loop(id, `declarator deeper than ${MAX_DECL_DEPTH} (a loop?) at`);
    const d = depth + 1;
    const k = this.kind(id);
    switch (k) {
      case 0:
        return join('void', inner);
      case K.INT: case K.FLOAT:
        return join(this.name(id), inner);
      case K.STRUCT: case K.UNION:
        return join(this.name(id) === '' ? this.#compositeBody(id, lvl, d) : `${k === K.STRUCT ? 'struct' : 'union'} ${this.tagName(id)}`, inner);
      case K.ENUM: case K.ENUM64:
        return join(this.name(id) === '' ? this.#enumBody(id, lvl) : `enum ${this.tagName(id)}`, inner);
      case K.FWD:
        return join(`${this.kflag(id) ? 'union' : 'struct'} ${this.name(id)}`, inner);
      case K.TYPEDEF: {
        const n = this.name(id);
        return join(n === '__builtin_va_list' ? n : this.identName(id), inner);
      }
      case K.PTR: {
        const target = this.st(id);
        const tk = this.#declaratorKind(target);
        return this.decl(target, tk === K.ARRAY || tk === K.FUNC_PROTO ? `(*${inner})` : `*${inner}`, lvl, d);
      }
      case K.ARRAY: {
        const w = this.w(id);
        return this.decl(this.#words[w + 3], `${inner}[${this.#words[w + 5]}]`, lvl, d);
      }
      case K.CONST: case K.VOLATILE: case K.RESTRICT: {
        const target = this.st(id);
        const tk = this.#declaratorKind(target);
        if (tk === K.FUNC_PROTO) return this.decl(target, inner, lvl, d);
        if (tk === K.PTR) return this.decl(target, join(KIND_NAMES[k], inner), lvl, d);
        if (tk === K.ARRAY && this.#qualifiedElement(target, k)) return this.decl(target, inner, lvl, d);
        return `${KIND_NAMES[k]} ${this.decl(target, inner, lvl, d)}`;
      }
      case K.TYPE_TAG:
        return this.decl(this.st(id), this.#typeTags ? join(`__attribute__((btf_type_tag("${this.name(id)}")))`, inner) : inner, lvl, d);
      case K.FUNC_PROTO: {
        const words = this.#words;
        const w = this.w(id) + 3;
        const vlen = this.vlen(id);
        let ps = vlen === 0 ? 'void' : '';
        for (let i = 0; i < vlen; i++) {
          const pname = this.str(words[w + 2 * i]);
          const ptype = words[w + 2 * i + 1];
          const p = i === vlen - 1 && ptype === 0 && pname === '' ? '...' : this.decl(ptype, pname, lvl, d);
          ps = i === 0 ? p : `${ps}, ${p}`;
        }
        return this.decl(this.st(id), `${inner}(${ps})`, lvl, d);
      }
      default:
        return join(`void /* ${KIND_NAMES[k]} */`, inner);
    }
  }

  /** sizeof in bits, or 0 when the type has none (a loop, a function, void). */
  #safeBits(id: number): number {
    let mul = 1;
    for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
      switch (this.kind(id)) {
        case K.INT: case K.STRUCT: case K.UNION: case K.ENUM: case K.ENUM64: case K.FLOAT: case K.DATASEC:
          return mul * this.st(id) * 8;
        case K.PTR:
          return mul * POINTER_SIZE * 8;
        case K.TYPEDEF: case K.CONST: case K.VOLATILE: case K.RESTRICT: case K.TYPE_TAG: case K.VAR:
          id = this.st(id);
          break;
        case K.ARRAY: {
          const w = this.w(id);
          mul *= this.#words[w + 5];
          id = this.#words[w + 3];
          break;
        }
        default:
          return 0;
      }
    }
    return 0;
  }

  /** Whether a member sits where natural layout cannot put it (layout.ts's offAlignment). */
  #offAlignment(bitOffset: number, bitfieldSize: number, align: number, type: number): boolean {
    if (bitfieldSize === 0) return bitOffset % (8 * align) !== 0;
    const unit = this.#safeBits(type);
    return unit > 0 && Math.floor(bitOffset / unit) !== Math.floor((bitOffset + bitfieldSize - 1) / unit);
  }

  /** Member word triple: [name_off, type, offset]; decodes the bit offset and bitfield size. */
  #isPacked(id: number): boolean {
    const words = this.#words;
    const w = this.w(id) + 3;
    const vlen = this.vlen(id);
    const kflag = this.kflag(id);
    let max = 1;
    for (let i = 0; i < vlen; i++) {
      const type = words[w + 3 * i + 1];
      const off = words[w + 3 * i + 2];
      const a = this.alignOf(type, 0);
      if (this.#offAlignment(kflag ? off & 0xffffff : off, kflag ? off >>> 24 : 0, a, type)) return true;
      if (a > max) max = a;
    }
    return this.st(id) % max !== 0;
  }

  /** Alignment of `id` (layout.ts's alignOfType), memoised for composites and chains. */
  alignOf(id: number, depth: number): number {
    const k = this.kind(id);
    switch (k) {
      case K.INT: case K.ENUM: case K.ENUM64: case K.FLOAT:
        return Math.max(1, Math.min(this.st(id), POINTER_SIZE));
      case K.PTR:
        return POINTER_SIZE;
      case K.ARRAY: case K.TYPEDEF: case K.CONST: case K.VOLATILE: case K.RESTRICT: case K.TYPE_TAG: case K.STRUCT: case K.UNION:
        break;
      default:
        return 1;
    }
    let a = this.#aligns[id];
    if (a !== ALIGN_UNKNOWN) {
      if (a === ALIGN_BUSY) throw this.#loop(id, 'type loop through');
      return a;
    }
    if (depth > MAX_RESOLVE_DEPTH) throw this.#loop(id, `type chain deeper than ${MAX_RESOLVE_DEPTH} (a loop?) at`);
    this.#aligns[id] = ALIGN_BUSY;
    if (k === K.STRUCT || k === K.UNION) {
      const words = this.#words;
      const w = this.w(id) + 3;
      const vlen = this.vlen(id);
      const kflag = this.kflag(id);
      let max = 1;
      a = 0;
      for (let i = 0; i < vlen; i++) {
        const type = words[w + 3 * i + 1];
        const off = words[w + 3 * i + 2];
        const ma = this.alignOf(type, depth + 1);
        if (this.#offAlignment(kflag ? off & 0xffffff : off, kflag ? off >>> 24 : 0, ma, type)) {
          a = 1;
          break;
        }
        if (ma > max) max = ma;
      }
      if (a === 0) a = this.st(id) % max === 0 ? max : 1;
    } else {
      a = this.alignOf(k === K.ARRAY ? this.#words[this.w(id) + 3] : this.st(id), depth + 1);
    }
    this.#aligns[id] = a;
    return a;
  }

  #compositeBody(id: number, lvl: number, depth: number): string {
    const isStruct = this.kind(id) === K.STRUCT;
    const ind = tabs(lvl + 1);
    const name = this.name(id);
    const head = `${isStruct ? 'struct' : 'union'}${name === '' ? '' : ` ${this.tagName(id)}`} {`;
    const vlen = this.vlen(id);
    if (vlen === 0) return `${head}}`;
    const lines = [head];
    const packed = this.#isPacked(id);
    const words = this.#words;
    const w = this.w(id) + 3;
    const kflag = this.kflag(id);
    let cur = 0;
    for (let i = 0; i < vlen; i++) {
      const mname = this.str(words[w + 3 * i]);
      const type = words[w + 3 * i + 1];
      const off = words[w + 3 * i + 2];
      const bitOffset = kflag ? off & 0xffffff : off;
      const bitfieldSize = kflag ? off >>> 24 : 0;
      if (isStruct) paddingLines(lines, ind, cur, bitOffset, packed ? 1 : this.alignOf(type, 0), bitfieldSize !== 0, packed);
      const decl = this.decl(type, mname, lvl + 1, depth + 1);
      lines.push(bitfieldSize !== 0 ? `${ind}${decl}: ${bitfieldSize};` : `${ind}${decl};`);
      if (isStruct) cur = Math.max(cur, bitOffset + (bitfieldSize !== 0 ? bitfieldSize : this.#safeBits(type)));
    }
    if (isStruct) paddingLines(lines, ind, cur, this.st(id) * 8, packed ? 1 : this.alignOf(id, 0), false, packed);
    lines.push(packed ? `${tabs(lvl)}} __attribute__((packed))` : `${tabs(lvl)}}`);
    return lines.join('\n');
  }

  #enumBody(id: number, lvl: number): string {
    const name = this.name(id) === '' ? 'enum' : `enum ${this.tagName(id)}`;
    const vlen = this.vlen(id);
    if (vlen === 0) return name;
    const ind = tabs(lvl + 1);
    const lines = [`${name} {`];
    const words = this.#words;
    const signed = this.kflag(id);
    const is64 = this.kind(id) === K.ENUM64;
    const w = this.w(id) + 3;
    for (let i = 0; i < vlen; i++) {
      let v: string;
      let ename: string;
      if (is64) {
        ename = this.str(words[w + 3 * i]);
        const u = (BigInt(words[w + 3 * i + 2]) << 32n) | BigInt(words[w + 3 * i + 1]);
        v = `${signed ? BigInt.asIntN(64, u) : u}${signed ? 'LL' : 'ULL'}`;
      } else {
        ename = this.str(words[w + 2 * i]);
        const raw = words[w + 2 * i + 1];
        v = `${signed ? raw | 0 : raw}`;
      }
      lines.push(`${ind}${this.#unique(this.#identCounts, ename)} = ${v},`);
    }
    const size = this.st(id);
    const natural = is64 ? 8 : 4;
    const mode = size === natural ? '' : size === 1 ? 'QI' : size === 2 ? 'HI' : size === 4 ? 'SI' : size === 8 ? 'DI' : '';
    lines.push(mode === '' ? `${tabs(lvl)}}` : `${tabs(lvl)}} __attribute__((mode(${mode})))`);
    return lines.join('\n');
  }
}

/**
 * Whether every record of `btf` is one the record walk can trust: a known kind, names inside
 * the string section, referenced ids inside the blob. Otherwise the type-object walk runs and
 * reports the fault (a {@link BtfError} with its offset). Sets `referenced[id]` for every id a
 * record refers to (targets, members, parameters, array element and index, section variables).
 */
function validRecords(btf: Btf, words: Uint32Array, starts: Uint32Array, referenced: Uint8Array): boolean {
  const limit = btf.typeCount;
  const strEnd = btf.stringsEnd;
  for (let i = 0; i < starts.length; i++) {
    const w = starts[i];
    const info = words[w + 1];
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    if (kind === 0 || kind > BTF_KIND_MAX || words[w] >= strEnd) return false;
    const st = words[w + 2];
    switch (kind) {
      case K.PTR: case K.TYPEDEF: case K.VOLATILE: case K.CONST: case K.RESTRICT: case K.FUNC: case K.VAR: case K.TYPE_TAG: case K.DECL_TAG:
        if (st >= limit) return false;
        referenced[st] = 1;
        break;
      case K.ARRAY: {
        const elem = words[w + 3];
        const index = words[w + 4];
        if (elem >= limit || index >= limit) return false;
        referenced[elem] = referenced[index] = 1;
        break;
      }
      case K.STRUCT: case K.UNION:
        for (let m = w + 3, end = m + 3 * vlen; m < end; m += 3) {
          const t = words[m + 1];
          if (words[m] >= strEnd || t >= limit) return false;
          referenced[t] = 1;
        }
        break;
      case K.ENUM:
        for (let m = w + 3, end = m + 2 * vlen; m < end; m += 2) if (words[m] >= strEnd) return false;
        break;
      case K.ENUM64:
        for (let m = w + 3, end = m + 3 * vlen; m < end; m += 3) if (words[m] >= strEnd) return false;
        break;
      case K.FUNC_PROTO:
        if (st >= limit) return false;
        referenced[st] = 1;
        for (let m = w + 3, end = m + 2 * vlen; m < end; m += 2) {
          const t = words[m + 1];
          if (words[m] >= strEnd || t >= limit) return false;
          referenced[t] = 1;
        }
        break;
      case K.DATASEC:
        for (let m = w + 3, end = m + 3 * vlen; m < end; m += 3) {
          const t = words[m];
          if (t >= limit) return false;
          referenced[t] = 1;
        }
        break;
      default:
        break;
    }
  }
  return true;
}

/**
 * The declarations {@link dumpC} prints for every type of `btf` (without the vmlinux header),
 * as lines to join with `'\n'`, read from the records; undefined when this walk does not apply
 * (split BTF, a big-endian or unaligned blob, a malformed record), where the type-object walk
 * must run instead.
 */
export function dumpRecordsC(btf: Btf, typeTags: boolean): string[] | undefined {
  if (btf.base !== undefined || btf.firstId !== 1) return undefined;
  const raw = btf.recordWords();
  if (raw === undefined) return undefined;
  const { words, starts } = raw;
  const n = starts.length + 1;
  // Anonymous enums are printed on their own only when nothing refers to them.
  const referenced = new Uint8Array(n);
  if (!validRecords(btf, words, starts, referenced)) return undefined;
  const d = new RecordDumper(btf, words, starts, typeTags);
  for (let id = 1; id < n; id++) {
    switch (d.kind(id)) {
      case K.STRUCT: case K.UNION: case K.ENUM: case K.ENUM64: case K.TYPEDEF: case K.FWD:
        d.top(id, referenced[id] === 0);
        break;
      default:
        break;
    }
  }
  return d.out;
}
