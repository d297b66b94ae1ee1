/**
 * The generic, typed helper call: `$.callHelper('bpf_skb_store_bytes', ctx, 12, buf, 0)` calls
 * any helper of the helper table whose prototype the eDSL can express, typed from the generated
 * table (src/dsl/helper-prototypes.generated.ts, made from the kernel's `bpf_func_proto`s):
 *
 * | kernel argument | what the caller passes |
 * |---|---|
 * | `ARG_ANYTHING`, `ARG_CONST_SIZE…` not after a pointer | an integer `Expr` or literal |
 * | `ARG_PTR_TO_CTX(_OR_NULL)` | the program's `ctx` |
 * | `ARG_CONST_MAP_PTR` | a map handle of a kind the kernel allows for the helper |
 * | `ARG_PTR_TO_MAP_KEY` / `_VALUE` | a key / value of that map (a scalar is copied to the stack, or a `Ref`) |
 * | `ARG_PTR_TO_MEM`/`UNINIT_MEM`/`MEM_OR_NULL` + `ARG_CONST_SIZE(_OR_ZERO)` | a `Ref` (stack object or map value); the size is omitted and filled in (`null` where the pointer may be NULL) |
 * | `ARG_PTR_TO_FIXED_SIZE_MEM` | a `Ref` of at least the size the kernel's prototype fixes |
 * | `ARG_PTR_TO_CONST_STR` (`bpf_strncmp`, `bpf_snprintf`) | a JS string, kept in the program's read-only `.rodata` map |
 *
 * Names are the kernel's, with the `bpf_` prefix. A `RET_INTEGER` result is an `Expr<s64>`
 * (errno-style results are negative), `RET_VOID` gives nothing, `RET_PTR_TO_MAP_VALUE_OR_NULL`
 * a {@link Maybe} for `$.ifSome`. Helpers taking or returning what the eDSL has no value for
 * (BTF-typed kernel objects, sockets, dynptrs, timers, spin locks, kptrs,
 * callbacks) are refused at compile time with the reason as the type of the first argument, and
 * at run time with a {@link DslError} naming the dedicated method where one exists.
 * @module
 */

import { helperByName } from 'ebpf-bytecode-utils';
import type { SomeType } from '../types/index.js';
import { s64, u64, type Bool, type IntType, type S64 } from './c-types.js';
import type { Emitter } from './emitter.js';
import { DslError, type DslTypeError } from './errors.js';
import { Expr, operandNode } from './expr.js';
import { helperPrototypes } from './helper-prototypes.generated.js';
import type { HelperParamKind } from 'ebpf-bytecode-utils';
import { MapHandle, Maybe, PerfEventArrayHandle, RingBufHandle, type DslMapSpec } from './maps.js';
import { MapOfMapsHandle } from './map-of-maps.js';
import type { ArgNode, CallStmt, VarNode } from './nodes.js';
import { ProgArrayHandle } from './prog-array.js';
import { QueueHandle } from './queue-map.js';
import { Ref, valueArg, type ValueArg } from './ref.js';
import { StackTraceHandle } from './stack-trace-map.js';
import { snprintfConversions } from './snprintf-format.js';
import { mapFitsHelper } from '../../verifier-sim/verifier/map-helper-compat.js';

type Prototypes = typeof helperPrototypes;

/** Every helper name of the table (`bpf_map_lookup_elem`, …). */
export type HelperName = keyof Prototypes;

/** The helpers `$.callHelper` can call. */
export type CallableHelperName = { [N in HelperName]: Prototypes[N] extends { readonly params: readonly unknown[] } ? N : never }[HelperName];

/** Map handle kinds of the generated table, and their classes. */
interface HandleKinds<K extends SomeType, V extends SomeType> {
  keyed: MapHandle<K, V>;
  ringbuf: RingBufHandle;
  perfEventArray: PerfEventArrayHandle;
  progArray: ProgArrayHandle;
  stackTrace: StackTraceHandle;
  queue: QueueHandle<V>;
  mapOfMaps: MapOfMapsHandle<K, SomeType, SomeType>;
}

/** Any map handle of the eDSL. */
export type AnyMapHandle = HandleKinds<any, any>[keyof HandleKinds<SomeType, SomeType>];

/** What the caller passes for the program's context (the `ctx` the program callback receives). */
export interface CtxArg {
  /** The context pointer variable. */
  readonly pointer: VarNode;
}

/** A scalar argument: an integer (or bool) expression or a literal. */
export type ScalarArg = Expr<IntType> | Expr<Bool> | number | bigint;

type KeyOf<M> = M extends MapHandle<infer K, SomeType> ? ValueArg<K> : M extends MapOfMapsHandle<infer K, SomeType, SomeType> ? ValueArg<K> : ValueArg<SomeType>;
type ValueOf<M> = M extends MapHandle<SomeType, infer V> ? ValueArg<V> : M extends QueueHandle<infer V> ? ValueArg<V> : ValueArg<SomeType>;
type ValueRefOf<M> = M extends MapHandle<SomeType, infer V> ? Ref<V> : M extends QueueHandle<infer V> ? Ref<V> : Ref<SomeType>;
type MapsOf<N extends HelperName> = Prototypes[N] extends { readonly maps: readonly (infer K extends keyof HandleKinds<SomeType, SomeType>)[] } ? HandleKinds<any, any>[K] : never;

/** The argument type of one parameter kind of helper `N`, given the map handle `M` passed to it. */
export type HelperParam<P extends HelperParamKind, N extends HelperName, M> =
  P extends 'scalar' ? ScalarArg
  : P extends 'ctx' ? CtxArg
  : P extends 'ctxOrNull' ? CtxArg | null
  : P extends 'map' ? MapsOf<N>
  : P extends 'key' ? KeyOf<M>
  : P extends 'value' ? ValueOf<M>
  : P extends 'valueOut' ? ValueRefOf<M>
  : P extends 'mem' | 'fixedMem' ? Ref<SomeType>
  : P extends 'memOrNull' ? Ref<SomeType> | null
  : never;

/**
 * The helpers with an `ARG_PTR_TO_CONST_STR` argument that `$.callHelper` calls: the string is a
 * JS string, placed in the program's read-only `.rodata` map (read-only-data.ts); sizes after
 * pointers are implied as elsewhere. `bpf_snprintf`'s data is a `Ref` to a u64 array (8 bytes per
 * conversion of the format) or null; {@link Builder.snprintf} builds that array for you.
 */
export interface ConstStrHelperArgs {
  /** `bpf_strncmp(s1, sizeof(s1), "s2")`. */
  bpf_strncmp: [s1: Ref<SomeType>, s2: string];
  /** `bpf_snprintf(out, sizeof(out), "fmt", data, sizeof(data))`. */
  bpf_snprintf: [out: Ref<SomeType> | null, fmt: string, data: Ref<SomeType> | null];
}

/** Parameter kinds of the {@link ConstStrHelperArgs} helpers: the table's, plus the constant string. */
type ConstStrParamKind = HelperParamKind | 'constStr';

const CONST_STR_PROTOTYPES: Readonly<Record<keyof ConstStrHelperArgs, { readonly params: readonly ConstStrParamKind[]; readonly result: 'integer' }>> = {
  bpf_strncmp: { params: ['mem', 'constStr'], result: 'integer' },
  bpf_snprintf: { params: ['memOrNull', 'constStr', 'memOrNull'], result: 'integer' },
};

/** The arguments of helper `N` (the rest parameters of `$.callHelper`), given the arguments `A` passed. */
export type HelperArgs<N extends HelperName, A extends readonly unknown[]> =
  N extends keyof ConstStrHelperArgs ? ConstStrHelperArgs[N] :
  Prototypes[N] extends { readonly params: infer P extends readonly HelperParamKind[] }
    ? { -readonly [I in keyof P]: HelperParam<P[I], N, Extract<A[number], AnyMapHandle>> }
    : Prototypes[N] extends { readonly refusal: infer R extends string } ? [refused: DslTypeError<R>, ...rest: unknown[]] : never;

/** The result of helper `N` called with arguments `A`. */
export type HelperResult<N extends HelperName, A extends readonly unknown[]> =
  N extends keyof ConstStrHelperArgs ? Expr<S64> :
  Prototypes[N] extends { readonly result: 'integer' } ? Expr<S64>
  : Prototypes[N] extends { readonly result: 'void' } ? void
  : Prototypes[N] extends { readonly result: 'mapValue' }
    ? (Extract<A[number], AnyMapHandle> extends MapHandle<SomeType, infer V> ? Maybe<V> : DslTypeError<'a map-in-map lookup yields an inner map: use outer.lookup(key) with $.ifSomeMap'>)
  : never;

/** What a call needs from the builder. */
export interface HelperCallScope {
  /** Where statements go. */
  readonly out: Emitter;
  /** The program type. */
  readonly progType: string;
  /** The program's license. */
  readonly license: string;
  /** Whether `license` is GPL-compatible. */
  readonly gplCompatible: boolean;
  /** The argument pointing at read-only string constant `text` (the program's `.rodata`). */
  readonly constString: (text: string, who: string) => ArgNode;
}

const MAP_HANDLE_CLASSES = [MapHandle, RingBufHandle, PerfEventArrayHandle, ProgArrayHandle, StackTraceHandle, QueueHandle, MapOfMapsHandle] as const;

function isMapHandle(x: unknown): x is AnyMapHandle {
  return MAP_HANDLE_CLASSES.some((c) => x instanceof c);
}

function isCtx(x: unknown, ctx: VarNode): boolean {
  if (x === ctx) return true;
  return typeof x === 'object' && x !== null && (x as Partial<CtxArg>).pointer === ctx;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x instanceof Ref) return `a Ref to ${x.type.cName}`;
  if (x instanceof Expr) return 'an expression';
  if (isMapHandle(x)) return `map '${x.spec.name}' (${x.spec.type})`;
  if (typeof x === 'object') return (x as { constructor?: { name?: string } }).constructor?.name ?? 'an object';
  return `${typeof x} ${String(x)}`;
}

/** `bpf_snprintf`'s data array must hold one u64 per conversion of `fmt` (the kernel checks `data_len` against the format). */
function checkSnprintfData(fmt: string, data: unknown, where: string): void {
  const n = snprintfConversions(fmt, where).length;
  const bytes = data instanceof Ref ? data.type.size : 0;
  if (data !== null && !(data instanceof Ref)) return; // reported by the next argument's check
  if (bytes !== 8 * n) throw new DslError(`${where}: format ${JSON.stringify(fmt)} has ${n} conversion${n === 1 ? '' : 's'}, so the data must be ${n === 0 ? 'null' : `a Ref of ${8 * n} bytes (one u64 each)`}, got ${data === null ? 'null' : `${bytes} bytes`}`);
}

/**
 * Emits a call of helper `name` with `args` after checking them against the helper's prototype,
 * the program type (against the helper table's program types, an over-approximation of what the
 * running kernel offers) and the license. Backs `$.callHelper`; see the module notes.
 */
export function callHelper(scope: HelperCallScope, name: string, args: readonly unknown[]): Expr<S64> | Maybe<SomeType> | undefined {
  if (typeof name !== 'string') throw new DslError(`callHelper: the helper name must be a string, got ${describe(name)}`);
  type Proto = { readonly params?: readonly ConstStrParamKind[]; readonly result?: string; readonly refusal?: string; readonly fixedSizes?: Readonly<Record<number, number>> };
  const protos: Readonly<Record<string, Proto>> = helperPrototypes;
  const proto: Proto | undefined = Object.hasOwn(CONST_STR_PROTOTYPES, name) ? CONST_STR_PROTOTYPES[name as keyof ConstStrHelperArgs] : Object.hasOwn(protos, name) ? protos[name] : undefined;
  if (proto === undefined) {
    const hint = helperByName(name) !== undefined ? ` (helpers are named as the kernel names them: '${helperByName(name)!.name}')` : '';
    throw new DslError(`callHelper: '${name}' is not a helper of the helper table${hint}`);
  }
  if (proto.params === undefined) throw new DslError(`callHelper: ${proto.refusal!}`);
  const h = helperByName(name)!;
  const params = proto.params;
  if (args.length !== params.length) throw new DslError(`callHelper: ${name} takes ${params.length} argument${params.length === 1 ? '' : 's'} (${params.join(', ')}; sizes after pointers are implied), got ${args.length}`);
  if (!h.programTypes.includes(scope.progType)) {
    throw new DslError(`callHelper: ${name} is not offered to ${scope.progType} programs (the helper table, read from the kernel source, lists ${h.programTypes.length === 0 ? 'no program type' : h.programTypes.join(', ')}; that list is an over-approximation, so a listed helper may still be refused by the running kernel)`);
  }
  if (h.gplOnly && !scope.gplCompatible) throw new DslError(`callHelper: ${name} is GPL-only and the license is '${scope.license}'`);
  const map = args.find(isMapHandle);
  const nodes: ArgNode[] = [];
  params.forEach((p, i) => {
    const a = args[i];
    const where = `callHelper: ${name} argument ${i + 1} (${p})`;
    switch (p) {
      case 'scalar': {
        if (a instanceof Expr) {
          const t = (a as Expr<IntType>).type;
          if (t.kind !== 'int' && t.kind !== 'bool') throw new DslError(`${where}: needs an integer, got an expression of type ${String((t as { cName?: string }).cName)}`);
          nodes.push({ kind: 'value', expr: a.node });
        } else if (typeof a === 'number' || typeof a === 'bigint') {
          nodes.push({ kind: 'value', expr: operandNode(a < 0 ? s64 : u64, a, where) });
        } else throw new DslError(`${where}: needs an integer expression or literal, got ${describe(a)}`);
        return;
      }
      case 'ctx': case 'ctxOrNull': {
        if (a === null && p === 'ctxOrNull') { nodes.push({ kind: 'value', expr: operandNode(u64, 0, where) }); return; }
        if (!isCtx(a, scope.out.ctx)) throw new DslError(`${where}: needs the program's ctx, got ${describe(a)}`);
        nodes.push({ kind: 'ctx', ctx: scope.out.ctx });
        return;
      }
      case 'map': {
        if (!isMapHandle(a)) throw new DslError(`${where}: needs a map handle, got ${describe(a)}`);
        const short = name.replace(/^bpf_/, '');
        if (!mapFitsHelper(a.spec.type, short)) throw new DslError(`${where}: the kernel does not let ${name} take a ${a.spec.type} map ('${a.spec.name}')`);
        nodes.push(a instanceof MapHandle ? a.mapArg : { kind: 'map', map: a.spec.name });
        return;
      }
      case 'key': case 'value': case 'valueOut': {
        if (map === undefined) throw new DslError(`${where}: no map argument to take the type from`);
        const typed = p === 'key' ? (map as { keyType?: SomeType }).keyType : (map as { valueType?: SomeType }).valueType;
        if (p === 'valueOut' && !(a instanceof Ref)) throw new DslError(`${where}: needs a Ref the helper writes the value into, got ${describe(a)}`);
        if (typed !== undefined) { nodes.push(valueArg(typed, a, where)); return; }
        const size = p === 'key' ? map.spec.keySize : map.spec.valueSize;
        if (!(a instanceof Ref)) throw new DslError(`${where}: needs a Ref of ${size} bytes for map '${map.spec.name}', got ${describe(a)}`);
        if (a.type.size !== size) throw new DslError(`${where}: ${a.type.cName} is ${a.type.size} bytes, map '${map.spec.name}' has ${p === 'key' ? 'keys' : 'values'} of ${size} bytes`);
        nodes.push(a.asArg());
        return;
      }
      case 'mem': case 'memOrNull': case 'fixedMem': {
        if (a === null && p === 'memOrNull') {
          nodes.push({ kind: 'value', expr: operandNode(u64, 0, where) }, { kind: 'value', expr: operandNode(u64, 0, where) });
          return;
        }
        if (!(a instanceof Ref)) throw new DslError(`${where}: needs a Ref to a stack object or map value${p === 'memOrNull' ? ' (or null)' : ''}, got ${describe(a)}`);
        const fixed = p === 'fixedMem' ? proto.fixedSizes?.[i] : undefined;
        if (fixed !== undefined && a.type.size < fixed) throw new DslError(`${where}: ${a.type.cName} is ${a.type.size} bytes, the kernel's prototype fixes ${fixed}`);
        const at = nodes.length;
        nodes.push(a.asArg());
        if (p !== 'fixedMem') nodes.push({ kind: 'sizeof', index: at });
        return;
      }
      case 'constStr': {
        if (typeof a !== 'string') throw new DslError(`${where}: needs a string constant (a JS string, placed in the program's read-only .rodata map), got ${describe(a)}`);
        if (name === 'bpf_snprintf') checkSnprintfData(a, args[i + 1], where);
        nodes.push(scope.constString(a, where));
        return;
      }
    }
  });
  if (proto.result === 'mapValue') {
    if (!(map instanceof MapHandle)) throw new DslError(`callHelper: ${name} on ${describe(map)} yields an inner map, not a value: use outer.lookup(key) with $.ifSomeMap`);
    const call: CallStmt = { kind: 'call', helper: h.id, name: h.name, args: nodes, result: undefined };
    return new Maybe(call, map.valueType as SomeType, (map.spec as DslMapSpec).valueSize);
  }
  if (proto.result === 'void') {
    scope.out.call(h.name, nodes, undefined);
    return undefined;
  }
  return new Expr(scope.out.call(h.name, nodes, s64)!, s64);
}
