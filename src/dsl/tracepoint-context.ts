/**
 * The context of `tracepoint` programs: R1 points at the tracepoint's record, laid out as its
 * tracefs `format` file says. `ctx.args.<field>` reads a field (BCC's `args->field`) with the
 * type the format gives it: integers by size and signedness, pointers as `u64` addresses (user
 * addresses for syscall arguments: read what they point to with `$.probeReadUserStr`),
 * `__data_loc` fields as their raw `u32` locator.
 *
 * ```ts
 * const fmt = tracepointFormat('syscalls', 'sys_enter_openat');
 * const ctx = makeTracepointContext(fmt, pointer);
 * ctx.args.filename;   // Expr<u64>: *(u64 *)(r1 +24)
 * ctx.args.flags;      // Expr<u64>: syscall tracepoints store every argument in 8 bytes
 * ```
 * @module
 */

import type { TracepointField, TracepointFormat } from '../tracefs/format.js';
import { s16, s32, s64, s8, typeName, u16, u32, u64, u8, type IntType } from './c-types.js';
import { DslError } from './errors.js';
import { Expr } from './expr.js';
import * as fold from './fold.js';
import type { VarNode } from './nodes.js';

/** Declared types of a tracepoint's fields, by name. */
export type TracepointArgTypes = { readonly [field: string]: IntType };

/** `ctx.args`: each field as an expression of its type. */
export type TracepointArgs<A extends TracepointArgTypes> = { readonly [K in keyof A]: Expr<A[K]> };

/** The context of a tracepoint program whose fields have the types `A`. */
export interface TracepointContext<A extends TracepointArgTypes = TracepointArgTypes> {
  /** The program type. */
  readonly progType: 'tracepoint';
  /** The variable holding the context pointer (internal). */
  readonly pointer: VarNode;
  /** The record's fields (BCC's `args->…`), read where they are used. */
  readonly args: TracepointArgs<A>;
  /** The tracefs format the fields come from. */
  readonly format: TracepointFormat;
}

const UNSIGNED: Readonly<Record<number, IntType>> = { 1: u8, 2: u16, 4: u32, 8: u64 };
const SIGNED: Readonly<Record<number, IntType>> = { 1: s8, 2: s16, 4: s32, 8: s64 };

/**
 * The eDSL type of a tracepoint field: by size and signedness for integers, `u64` for pointers
 * (`const char *` is an address), `u32` for `__data_loc`/`__rel_loc` locators; undefined for
 * fixed and flexible arrays (not readable as one scalar).
 */
export function tracepointFieldType(field: TracepointField): IntType | undefined {
  if (field.kind === 'data_loc' || field.kind === 'rel_loc') return u32;
  if (field.kind !== 'scalar') return undefined;
  if (field.type.trim().endsWith('*')) return field.size === 8 ? u64 : UNSIGNED[field.size];
  return (field.signed ? SIGNED : UNSIGNED)[field.size];
}

/**
 * Checks declared field types `declared` against `format`: every declared field must exist with
 * exactly that type. Throws a {@link DslError} naming the first mismatch.
 */
export function checkTracepointArgs(format: TracepointFormat, declared: TracepointArgTypes, who: string): void {
  for (const [name, type] of Object.entries(declared)) {
    const f = format.fields.find((x) => x.name === name);
    if (f === undefined) throw new DslError(`${who}: tracepoint ${format.name} has no field '${name}'`);
    const actual = tracepointFieldType(f);
    if (actual === undefined) throw new DslError(`${who}: field '${name}' of ${format.name} is an array (${f.type}[]), not a scalar`);
    if (actual !== type) throw new DslError(`${who}: field '${name}' of ${format.name} is ${typeName(actual)} in this kernel's format (${f.type}, ${f.size} bytes, ${f.signed ? 'signed' : 'unsigned'}), declared ${typeName(type)}`);
  }
}

/**
 * Builds the context of a tracepoint program over `format`, with the pointer variable
 * `pointer`. Reading a field the format lacks throws a {@link DslError} listing the fields.
 */
export function makeTracepointContext<A extends TracepointArgTypes = TracepointArgTypes>(format: TracepointFormat, pointer: VarNode): TracepointContext<A> {
  const byName = new Map(format.fields.map((f) => [f.name, f]));
  const read = (name: string): Expr<IntType> => {
    const f = byName.get(name);
    if (f === undefined) {
      const names = format.fields.filter((x) => !x.common).map((x) => x.name).join(', ');
      throw new DslError(`tracepoint ${format.name} has no field '${name}' (fields: ${names})`);
    }
    const t = tracepointFieldType(f);
    if (t === undefined) throw new DslError(`tracepoint ${format.name}: field '${name}' is an array (${f.type}[${f.arrayLength ?? ''}]), not a scalar`);
    if (f.offset % t.size !== 0) throw new DslError(`tracepoint ${format.name}: field '${name}' at offset ${f.offset} is not aligned to its ${t.size} bytes`);
    // Context loads zero-extend; a narrow signed field is loaded unsigned and converted.
    if (t.signed && t.size < 4) {
      const raw = UNSIGNED[t.size];
      return new Expr(fold.cast(t, { kind: 'load', type: raw, base: pointer, off: f.offset }), t);
    }
    return new Expr({ kind: 'load', type: t, base: pointer, off: f.offset }, t);
  };
  const args = new Proxy({} as Record<string, Expr<IntType>>, {
    get: (_target, key) => (typeof key === 'string' ? read(key) : undefined),
    has: (_target, key) => typeof key === 'string' && byName.has(key),
    ownKeys: () => format.fields.filter((f) => tracepointFieldType(f) !== undefined).map((f) => f.name),
    getOwnPropertyDescriptor: (_target, key) => (typeof key === 'string' && byName.has(key) && tracepointFieldType(byName.get(key)!) !== undefined ? { enumerable: true, configurable: true, value: read(key) } : undefined),
  });
  return Object.freeze({ progType: 'tracepoint' as const, pointer, args: args as unknown as TracepointArgs<A>, format });
}
