/**
 * {@link BoundCodec}: a struct or union codec generated for one fixed buffer (a typed map's key
 * or value bytes). Aligned integer and pointer fields go through typed-array views over that
 * buffer at constant indices, padding and bitfield bytes are zeroed with constant stores, and no
 * view, subarray or offset check is made per call: `write` touches the value, the views and the
 * bytes; `read` allocates only the result object (and its strings, arrays and nested objects);
 * `readInto` fills a caller's object. Bytes and values are exactly those of the type's
 * `encode`/`decode` (same `EncodeError`s, char arrays NUL-padded, padding zero).
 * @module
 */

import type { SomeType } from './c-type.js';
import { ValueProblem } from './codec-entry.js';
import { canGenerateCode, Gen, readBits, readExpr, writeStmts, type AnyType } from './codegen.js';
import { isCompositeType, type CompositeType } from './composite.js';
import { EncodeError } from './errors.js';

/** A struct or union codec bound to one buffer. */
export interface BoundCodec<Out, In> {
  /** Encodes `value` into the buffer (every byte of the type written); an `EncodeError` when it does not fit. */
  write(value: In): void;
  /** Decodes the buffer into a new object. */
  read(): Out;
  /**
   * Decodes the buffer into `target`'s fields and returns it. Nested struct and union fields are
   * filled in place when `target` already holds an object there; strings, arrays and typed
   * arrays are new values. A TypeError when `target` is not an object.
   */
  readInto(target: Out): Out;
}

/** The generated factory of a type: builds its bound functions over a buffer's views. */
type Factory = (u8: Uint8Array, dv: DataView, i8: Int8Array, h16: Uint16Array, hs16: Int16Array, w32: Uint32Array, ws32: Int32Array, q64: BigUint64Array, qs64: BigInt64Array) => BoundCodec<unknown, unknown>;

const factories = new WeakMap<object, Factory>();

/** Whether typed arrays use little-endian order here (the views stand for little-endian fields). */
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Which bytes of `t` at `k` its writer always writes whatever the value (integers, bools,
 * pointers, char arrays, arrays of those, struct fields); union members and bitfields are not
 * (a union writes only the members given, a bitfield merges into the bytes there).
 */
function markWritten(t: AnyType, k: number, written: boolean[]): void {
  switch (t.kind) {
    case 'int': case 'bool': case 'ptr': case 'chars':
      for (let i = 0; i < t.size; i++) written[k + i] = true;
      return;
    case 'array':
      for (let i = 0; i < t.length; i++) markWritten(t.element as AnyType, k + i * t.element.size, written);
      return;
    case 'struct':
      for (const f of t.fields) if (f.kind === 'value') markWritten(f.type as AnyType, k + f.offset, written);
      return;
    case 'union':
      return;
  }
}

/** Statements zeroing every byte of `t` its writer may leave alone: padding, bitfields, union bytes. */
function zeroUnwritten(t: CompositeType): string {
  const written: boolean[] = new Array<boolean>(t.size).fill(false);
  markWritten(t as AnyType, 0, written);
  const out: string[] = [];
  for (let i = 0; i < t.size;) {
    if (written[i]) {
      i++;
      continue;
    }
    let end = i;
    while (end < t.size && !written[end]) end++;
    // Whole aligned words where possible, single bytes around them; a long run is one fill.
    if (end - i > 32) out.push(`u8.fill(0, ${i}, ${end});`);
    else {
      let j = i;
      while (j < end) {
        if (j % 8 === 0 && j + 8 <= end) { out.push(`q64[${j / 8}] = 0n;`); j += 8; }
        else if (j % 4 === 0 && j + 4 <= end) { out.push(`w32[${j / 4}] = 0;`); j += 4; }
        else if (j % 2 === 0 && j + 2 <= end) { out.push(`h16[${j / 2}] = 0;`); j += 2; }
        else { out.push(`u8[${j}] = 0;`); j += 1; }
      }
    }
    i = end;
  }
  return out.join('\n');
}

/** Statements decoding the fields of `t` (at byte `k` of the buffer) into the object in variable `target`. */
function readIntoStmts(g: Gen, t: CompositeType, k: number, target: string): string {
  const out: string[] = [];
  for (const f of t.fields) {
    if (f.kind === 'pad') continue;
    const slot = `${target}[${JSON.stringify(f.name)}]`;
    const ft = f.type as AnyType;
    if (f.kind === 'bits') out.push(`${slot} = ${readBits('0', k, f)};`);
    else if (ft.kind === 'struct' || ft.kind === 'union') {
      const inner = g.tmp();
      out.push(`const ${inner} = ${slot};`);
      out.push(`if (${inner} !== null && typeof ${inner} === 'object') {\n${readIntoStmts(g, ft, k + f.offset, inner)}\n} else ${slot} = ${readExpr(g, ft, '0', k + f.offset)};`);
    } else out.push(`${slot} = ${readExpr(g, ft, '0', k + f.offset)};`);
  }
  return out.join('\n');
}

function toEncodeError(cName: string, e: unknown): unknown {
  return e instanceof ValueProblem ? new EncodeError(cName, e.path, e.value, e.reason) : e;
}

function factoryOf(t: CompositeType): Factory {
  let f = factories.get(t);
  if (f !== undefined) return f;
  const g = new Gen();
  g.bound = true;
  const conv = g.ref(toEncodeError);
  const name = JSON.stringify(t.cName);
  const write = `${zeroUnwritten(t)}\ntry {\n${writeStmts(g, t as AnyType, '0', 0, 'v', '""')}\n} catch (e) { throw ${conv}(${name}, e); }`;
  const read = `return ${readExpr(g, t as AnyType, '0', 0)};`;
  const readInto = `if (target === null || typeof target !== 'object') throw new TypeError(${JSON.stringify(`readInto: the target must be an object (${t.cName}), got `)} + (target === null ? 'null' : typeof target));\n${readIntoStmts(g, t, 0, 'target')}\nreturn target;`;
  f = g.build<Factory>('u8, dv, i8, h16, hs16, w32, ws32, q64, qs64', `return {\nwrite(v) {\n${write}\n},\nread() {\n${read}\n},\nreadInto(target) {\n${readInto}\n},\n};`);
  factories.set(t, f);
  return f;
}

/**
 * The codec of `type` (any object: a map's codec) bound to the `type.size` bytes of `bytes` at its start, or undefined
 * where no bound codec applies: `type` is not a struct or union made by `struct`/`union`, the
 * bytes are shorter or not 8-byte aligned in their buffer, the host is big-endian, or code
 * generation is not allowed. Callers then use the type's `write`/`read`.
 */
export function bindCodec<Out, In>(type: SomeType | object, bytes: Uint8Array): BoundCodec<Out, In> | undefined {
  if (!isCompositeType(type) || !canGenerateCode || !littleEndianHost) return undefined;
  if (bytes.byteOffset % 8 !== 0 || bytes.byteLength < type.size) return undefined;
  const { buffer, byteOffset } = bytes;
  const size = type.size;
  const u8 = new Uint8Array(buffer, byteOffset, size);
  const dv = new DataView(buffer, byteOffset, size);
  return factoryOf(type)(
    u8, dv,
    new Int8Array(buffer, byteOffset, size),
    new Uint16Array(buffer, byteOffset, size >>> 1),
    new Int16Array(buffer, byteOffset, size >>> 1),
    new Uint32Array(buffer, byteOffset, size >>> 2),
    new Int32Array(buffer, byteOffset, size >>> 2),
    new BigUint64Array(buffer, byteOffset, size >>> 3),
    new BigInt64Array(buffer, byteOffset, size >>> 3),
  ) as BoundCodec<Out, In>;
}
