/**
 * Codecs generated per type, once: a type's reader and writer are specialised JS functions
 * built with `new Function`, with every offset a constant and nested structs and unions inlined
 * into one object literal, so decoding an event is one straight-line function. Arrays of
 * non-integers call a generated per-element function in a loop; arrays of integers are one
 * copy. Where `new Function` is not allowed (a content security policy), {@link compilePlan}'s
 * closures are used instead. The same generators, in bound mode ({@link Gen.bound}), make the
 * codecs of `bound-codec.ts` for one fixed buffer (a typed map's key or value bytes).
 * @module
 */

import type { ArrayOfType } from './array.js';
import type { CharsType } from './chars.js';
import type { SomeType } from './c-type.js';
import { showValue, ValueProblem, type RawCodec, type RawRead, type RawWrite } from './codec-entry.js';
import { readCString, writeCString } from './c-string.js';
import type { CompositeType } from './composite.js';
import type { FieldLayout } from './layout.js';
import type { PtrType } from './pointer.js';
import type { BoolType, IntName, IntType } from './scalars.js';
import { compilePlan } from './plan.js';

/** Every type kind, for exhaustive switches. */
export type AnyType = IntType | BoolType | CharsType | ArrayOfType | PtrType | CompositeType;

/** Throws the {@link ValueProblem} a generated writer reports (shared by every generated codec). */
export function fail(path: string, value: unknown, reason: string): never {
  throw new ValueProblem(path, value, `${showValue(value)} ${reason}`);
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const getters: Record<IntName, string> = {
  u8: '', s8: 'Int8', u16: 'Uint16', s16: 'Int16', u32: 'Uint32', s32: 'Int32', u64: 'BigUint64', s64: 'BigInt64',
};

/** The JS condition that is true when `v` is NOT a valid value of the integer type. */
function intInvalid(t: IntType, v: string): string {
  switch (t.name) {
    case 'u8': return `(${v} & 255) !== ${v}`;
    case 's8': return `(${v} << 24 >> 24) !== ${v}`;
    case 'u16': return `(${v} & 65535) !== ${v}`;
    case 's16': return `(${v} << 16 >> 16) !== ${v}`;
    case 'u32': return `(${v} >>> 0) !== ${v}`;
    case 's32': return `(${v} | 0) !== ${v}`;
    case 'u64': return `typeof ${v} !== 'bigint' || ${v} < 0n || ${v} > 18446744073709551615n`;
    case 's64': return `typeof ${v} !== 'bigint' || ${v} < -9223372036854775808n || ${v} > 9223372036854775807n`;
  }
}

function intReason(t: IntType): string {
  return t.bits === 64
    ? `is not a ${t.name} (a bigint in [${t.min}, ${t.max}])`
    : `is not a ${t.name} (an integer in [${t.min}, ${t.max}])`;
}

/**
 * Code generation state: values the generated code refers to, and fresh names. With `bound`
 * set, the code is for one fixed 8-byte-aligned buffer (base `'0'`): integers and pointers at
 * offsets that are a multiple of their size go through typed-array views over that buffer
 * (`h16`, `hs16`, `w32`, `ws32`, `q64`, `qs64`, `i8`, by element index) instead of the DataView.
 */
export class Gen {
  /** Whether the code is for a fixed buffer with typed-array views (see the class comment). */
  bound = false;
  /** Names of the values in {@link values}, in order. */
  readonly names: string[] = [];
  /** Values the generated code refers to by the names in {@link names}. */
  readonly values: unknown[] = [];
  private n = 0;
  /** The name under which the generated code refers to `value`. */
  ref(value: unknown): string {
    const i = this.values.indexOf(value);
    if (i >= 0) return this.names[i];
    const name = `$${this.names.length}`;
    this.names.push(name);
    this.values.push(value);
    return name;
  }
  /** A fresh local variable name. */
  tmp(): string {
    return `t${this.n++}`;
  }
  /** Compiles `function (params) { body }` with the referenced values in scope. */
  build<F>(params: string, body: string): F {
    return new Function(...this.names, `"use strict"; return function (${params}) {\n${body}\n};`)(...this.values) as F;
  }
}

function at(base: string, k: number): string {
  return k === 0 ? base : `${base} + ${k}`;
}

function str(s: string): string {
  return JSON.stringify(s);
}

/** JS expression reading `nb` (1–5) little-endian bytes at `pos` as a number. */
function loadBytes(pos: string, nb: number): string {
  switch (nb) {
    case 1: return `u8[${pos}]`;
    case 2: return `dv.getUint16(${pos}, true)`;
    case 3: return `(dv.getUint16(${pos}, true) + u8[${pos} + 2] * 65536)`;
    case 4: return `dv.getUint32(${pos}, true)`;
    default: return `(dv.getUint32(${pos}, true) + u8[${pos} + 4] * 4294967296)`;
  }
}

/** JS statements storing number `x` (< 2^(8·nb)) as `nb` (1–5) little-endian bytes at `pos`. */
function storeBytes(pos: string, nb: number, x: string): string {
  switch (nb) {
    case 1: return `u8[${pos}] = ${x};`;
    case 2: return `dv.setUint16(${pos}, ${x}, true);`;
    case 3: return `dv.setUint16(${pos}, ${x} & 65535, true); u8[${pos} + 2] = ${x} >>> 16;`;
    case 4: return `dv.setUint32(${pos}, ${x}, true);`;
    default: return `dv.setUint32(${pos}, ${x} >>> 0, true); u8[${pos} + 4] = Math.floor(${x} / 4294967296);`;
  }
}

interface BitPlace {
  /** Byte position expression of the first byte. */
  readonly pos: (base: string, k: number) => string;
  readonly first: number;
  readonly shift: number;
  readonly nb: number;
  readonly width: number;
}

function bitPlace(k: number, f: FieldLayout): BitPlace {
  const first = k + Math.floor(f.bitOffset / 8);
  const shift = f.bitOffset % 8;
  return { pos: (base) => at(base, first), first, shift, nb: Math.ceil((shift + f.bitSize) / 8), width: f.bitSize };
}

/** JS expression decoding bitfield `f` of the struct at byte `base + k`. */
export function readBits(base: string, k: number, f: FieldLayout): string {
  const p = bitPlace(k, f);
  const pos = p.pos(base, k);
  const w = p.width;
  const t = f.type as IntType | BoolType;
  const signed = t.kind === 'int' && t.signed;
  if (p.nb <= 4) {
    const raw = loadBytes(pos, p.nb);
    if (t.kind === 'bool') return `((${raw} >>> ${p.shift}) & 1) !== 0`;
    if (signed) return `((${raw} << ${32 - p.shift - w}) >> ${32 - w})`;
    if (w === 32) return `(${raw} >>> 0)`;
    return `((${raw} >>> ${p.shift}) & ${2 ** w - 1})`;
  }
  const raw = `(BigInt(${loadBytes(pos, 4)}) | (BigInt(${loadBytes(`${pos} + 4`, p.nb - 4)}) << 32n))`;
  const masked = `((${raw} >> ${p.shift}n) & ${(1n << BigInt(w)) - 1n}n)`;
  const v = signed ? `BigInt.asIntN(${w}, ${masked})` : masked;
  return w <= 32 ? `Number(${v})` : v;
}

function writeBits(g: Gen, base: string, k: number, f: FieldLayout, v: string, path: string): string {
  const p = bitPlace(k, f);
  const pos = p.pos(base, k);
  const w = p.width;
  const t = f.type as IntType | BoolType;
  const signed = t.kind === 'int' && t.signed;
  const out: string[] = [];
  let check: string;
  let reason: string;
  if (t.kind === 'bool') {
    check = `typeof ${v} !== 'boolean'`;
    reason = 'is not a boolean';
  } else if (w <= 32) {
    const min = signed ? -(2 ** (w - 1)) : 0;
    const max = signed ? 2 ** (w - 1) - 1 : 2 ** w - 1;
    check = `typeof ${v} !== 'number' || !(${v} >= ${min} && ${v} <= ${max}) || Math.floor(${v}) !== ${v}`;
    reason = `is not a ${w}-bit ${signed ? 'signed' : 'unsigned'} bitfield value (an integer in [${min}, ${max}])`;
  } else {
    const min = signed ? -(1n << BigInt(w - 1)) : 0n;
    const max = signed ? (1n << BigInt(w - 1)) - 1n : (1n << BigInt(w)) - 1n;
    check = `typeof ${v} !== 'bigint' || ${v} < ${min}n || ${v} > ${max}n`;
    reason = `is not a ${w}-bit ${signed ? 'signed' : 'unsigned'} bitfield value (a bigint in [${min}, ${max}])`;
  }
  out.push(`if (${check}) ${g.ref(fail)}(${path}, ${v}, ${str(reason)});`);
  const x = g.tmp();
  if (p.nb <= 4) {
    const mask = w === 32 ? 0xffffffff : 2 ** w - 1;
    const val = t.kind === 'bool' ? `(${v} ? 1 : 0)` : v;
    out.push(`const ${x} = ((${loadBytes(pos, p.nb)} & ~(${mask} << ${p.shift})) | ((${val} & ${mask}) << ${p.shift})) >>> 0;`);
    out.push(storeBytes(pos, p.nb, x));
  } else {
    const mask = (1n << BigInt(w)) - 1n;
    out.push(`const ${x} = ((BigInt(${loadBytes(pos, 4)}) | (BigInt(${loadBytes(`${pos} + 4`, p.nb - 4)}) << 32n)) & ~(${mask}n << ${p.shift}n)) | ((BigInt(${v}) & ${mask}n) << ${p.shift}n);`);
    out.push(storeBytes(pos, 4, `Number(${x} & 4294967295n)`));
    out.push(storeBytes(`${pos} + 4`, p.nb - 4, `Number(${x} >> 32n)`));
  }
  return out.join('\n');
}

/** Typed-array view names of the bound mode, by integer type. */
const boundViews: Record<IntName, string> = { u8: 'u8', s8: 'i8', u16: 'h16', s16: 'hs16', u32: 'w32', s32: 'ws32', u64: 'q64', s64: 'qs64' };

/** In bound mode, the typed-array element expression of a `size`-byte integer at constant byte `base + k`, when aligned. */
function boundSlot(g: Gen, name: IntName, size: number, base: string, k: number): string | undefined {
  if (!g.bound || base !== '0' || k % size !== 0) return undefined;
  return `${boundViews[name]}[${k / size}]`;
}

/** JS expression decoding `t` at byte `base + k`. */
export function readExpr(g: Gen, t: AnyType, base: string, k: number): string {
  const pos = at(base, k);
  switch (t.kind) {
    case 'int': {
      const slot = boundSlot(g, t.name, t.size, base, k);
      if (slot !== undefined) return slot;
      return t.name === 'u8' ? `u8[${pos}]` : t.name === 's8' ? `dv.getInt8(${pos})` : `dv.get${getters[t.name]}(${pos}, true)`;
    }
    case 'bool':
      return `(u8[${pos}] !== 0)`;
    case 'ptr':
      return boundSlot(g, 'u64', 8, base, k) ?? `dv.getBigUint64(${pos}, true)`;
    case 'chars':
      return `${g.ref(readCString)}(u8, ${pos}, ${t.length})`;
    case 'array':
      return `${g.ref(compileCodec(t).read)}(dv, u8, ${pos})`;
    case 'struct': case 'union': {
      const parts: string[] = [];
      for (const f of t.fields) {
        if (f.kind === 'pad') continue;
        parts.push(`${str(f.name)}: ${f.kind === 'bits' ? readBits(base, k, f) : readExpr(g, f.type as AnyType, base, k + f.offset)}`);
      }
      return `{ ${parts.join(', ')} }`;
    }
  }
}

/** JS statements encoding the value in variable `v` as `t` at byte `base + k`; `path` is code for the value's path. */
export function writeStmts(g: Gen, t: AnyType, base: string, k: number, v: string, path: string): string {
  const pos = at(base, k);
  const f = g.ref(fail);
  switch (t.kind) {
    case 'int': {
      const slot = boundSlot(g, t.name, t.size, base, k);
      const set = slot !== undefined ? `${slot} = ${v};` : t.name === 'u8' ? `u8[${pos}] = ${v};` : t.name === 's8' ? `dv.setInt8(${pos}, ${v});` : `dv.set${getters[t.name]}(${pos}, ${v}, true);`;
      return `if (${intInvalid(t, v)}) ${f}(${path}, ${v}, ${str(intReason(t))});\n${set}`;
    }
    case 'bool':
      return `if (typeof ${v} !== 'boolean') ${f}(${path}, ${v}, "is not a boolean");\nu8[${pos}] = ${v} ? 1 : 0;`;
    case 'ptr': {
      const slot = boundSlot(g, 'u64', 8, base, k);
      const set = slot !== undefined ? `${slot} = ${v};` : `dv.setBigUint64(${pos}, ${v}, true);`;
      return `if (typeof ${v} !== 'bigint' || ${v} < 0n || ${v} > 18446744073709551615n) ${f}(${path}, ${v}, "is not a pointer (a bigint in [0, 2^64))");\n${set}`;
    }
    case 'chars': {
      const call = `${g.ref(writeCString)}(u8, ${pos}, ${t.length}, ${v}, ${path});`;
      if (!g.bound || base !== '0' || t.length > 32) return call;
      // Bound mode, small array: ASCII strings copied and NUL-padded inline; anything else
      // (non-ASCII, NUL inside, too long, not a string) through writeCString, which rewrites it all.
      const n = t.length;
      const i = g.tmp();
      const len = g.tmp();
      return [
        `let ${i} = -1;`,
        `if (typeof ${v} === 'string' && ${v}.length <= ${n}) {`,
        `const ${len} = ${v}.length;`,
        `for (${i} = 0; ${i} < ${len}; ${i}++) { const c = ${v}.charCodeAt(${i}); if (c === 0 || c > 127) break; u8[${k} + ${i}] = c; }`,
        `if (${i} === ${len}) { for (; ${i} < ${n}; ${i}++) u8[${k} + ${i}] = 0; } else ${i} = -1;`,
        '}',
        `if (${i} < 0) ${call}`,
      ].join('\n');
    }
    case 'array':
      return `${g.ref(compileCodec(t).write)}(dv, u8, ${pos}, ${v}, ${path});`;
    case 'struct': case 'union': {
      const out = [`if (${v} === null || typeof ${v} !== 'object') ${f}(${path}, ${v}, ${str(`is not an object (${t.cName})`)});`];
      for (const fl of t.fields) {
        if (fl.kind === 'pad') continue;
        const x = g.tmp();
        const sub = `${path} + ${str(`.${fl.name}`)}`;
        out.push(`const ${x} = ${v}[${str(fl.name)}];`);
        const body = fl.kind === 'bits' ? writeBits(g, base, k, fl, x, sub) : writeStmts(g, fl.type as AnyType, base, k + fl.offset, x, sub);
        out.push(t.kind === 'union' ? `if (${x} !== undefined) {\n${body}\n}` : body);
      }
      return out.join('\n');
    }
  }
}

const typedArrays: Record<IntName, { new (b: ArrayBuffer): ArrayLike<number | bigint> }> = {
  u8: Uint8Array, s8: Int8Array, u16: Uint16Array, s16: Int16Array, u32: Uint32Array, s32: Int32Array, u64: BigUint64Array, s64: BigInt64Array,
};

function compileArray(g: Gen, t: ArrayOfType): { read: string; write: string } {
  const e = t.element as AnyType;
  const n = t.length;
  const f = g.ref(fail);
  let read: string;
  if (e.kind === 'int') {
    const ctor = g.ref(typedArrays[e.name]);
    read = littleEndianHost || e.size === 1
      ? `return new ${ctor}(u8.slice(o, o + ${t.size}).buffer);`
      : `const a = new ${ctor}(new ArrayBuffer(${t.size}));\nfor (let i = 0; i < ${n}; i++) a[i] = ${readExpr(g, e, `o + i * ${e.size}`, 0)};\nreturn a;`;
  } else {
    read = `const a = new Array(${n});\nfor (let i = 0; i < ${n}; i++) { const e = o + i * ${e.size}; a[i] = ${readExpr(g, e, 'e', 0)}; }\nreturn a;`;
  }
  const what = e.kind === 'int' ? 'an array-like' : 'an array';
  const write = [
    `if (v === null || typeof v !== 'object' || v.length !== ${n}) ${f}(p, v, ${str(`is not ${what} of length ${n} (${t.cName})`)});`,
    `for (let i = 0; i < ${n}; i++) {`,
    `const x = v[i]; const e = o + i * ${e.size};`,
    writeStmts(g, e, 'e', 0, 'x', 'p + "[" + i + "]"'),
    '}',
  ].join('\n');
  return { read, write };
}

const compiled = new WeakMap<object, RawCodec<unknown, unknown>>();

/** Whether `new Function` works here; false under a content security policy without `unsafe-eval`. */
export const canGenerateCode: boolean = (() => {
  try {
    return new Function('return 1')() === 1;
  } catch {
    return false;
  }
})();

/** The generated reader/writer pair of `t` (built on first call, then cached). */
export function compileCodec<Out, In>(type: SomeType): RawCodec<Out, In> {
  const t = type as AnyType;
  let c = compiled.get(t);
  if (c !== undefined) return c as RawCodec<Out, In>;
  if (!canGenerateCode) {
    c = compilePlan(t);
  } else if (t.kind === 'array') {
    const g = new Gen();
    const { read, write } = compileArray(g, t);
    c = { read: g.build<RawRead<unknown>>('dv, u8, o', read), write: g.build<RawWrite<unknown>>('dv, u8, o, v, p', write) };
  } else {
    const g = new Gen();
    const read = g.build<RawRead<unknown>>('dv, u8, o', `return ${readExpr(g, t, 'o', 0)};`);
    const w = new Gen();
    const write = w.build<RawWrite<unknown>>('dv, u8, o, v, p', writeStmts(w, t, 'o', 0, 'v', 'p'));
    c = { read, write };
  }
  compiled.set(t, c);
  return c as RawCodec<Out, In>;
}

/** The body of the reader generated for `type` (parameters `dv`, `u8`, `o`), to inspect what a decode runs. */
export function readerSource(type: SomeType): string {
  const g = new Gen();
  const t = type as AnyType;
  return t.kind === 'array' ? compileArray(g, t).read : `return ${readExpr(g, t, 'o', 0)};`;
}
