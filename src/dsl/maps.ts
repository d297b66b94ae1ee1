/**
 * Maps declared in a program (`$.hash('counts', u32, u64, { maxEntries: 1024 })`) and what a
 * program does with them. A lookup yields a {@link Maybe}, usable only through
 * `$.ifSome(maybe, v => …)`, which emits the NULL check the verifier demands; inside, `v` is a
 * {@link Ref} to the value. Map references are symbolic (`LoadMapPtr(R1, 'counts')`) until load.
 * @module
 */

import { helperByName } from 'ebpf-bytecode-utils';
import type { SomeType } from '../types/index.js';
import { s64, u32, type S64, type ScalarType } from './c-types.js';
import type { Emitter } from './emitter.js';
import { DslError } from './errors.js';
import { Expr, operandNode } from './expr.js';
import type { ArgNode, CallStmt } from './nodes.js';
import { Ref, valueArg, type ValueArg } from './ref.js';
import type { Reservation } from './ringbuf-reservation.js';

/** What the program needs created for one of its maps (the program spec's map fields). */
export interface DslMapSpec {
  /** The name instructions refer to (`LoadMapPtr(R1, name)`); at most 15 bytes in the kernel. */
  readonly name: string;
  /** Map type, the kernel's lower-case name: `hash`, `array`, `percpu_hash`, `ringbuf`, … */
  readonly type: string;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Capacity (ring buffer: its size in bytes). */
  readonly maxEntries: number;
  /** `BPF_F_*` map flags. */
  readonly flags: number;
  /** Map-in-map types (`hash_of_maps`, `array_of_maps`): the inner maps' shape (the template map created for `inner_map_fd`). */
  readonly innerMap?: InnerMapSpec;
  /**
   * A read-only data map (the program's `.rodata`: an array of one element, `BPF_F_RDONLY_PROG`):
   * the bytes of element 0, written when the map is created and then frozen (`BPF_MAP_FREEZE`),
   * as libbpf does for a `.rodata` section, so the verifier treats them as constants.
   */
  readonly rodata?: Uint8Array;
}

/** The shape every inner map of a map-in-map must have. */
export interface InnerMapSpec {
  /** Map type, the kernel's lower-case name. */
  readonly type: string;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Capacity. */
  readonly maxEntries: number;
  /** `BPF_F_*` map flags. */
  readonly flags: number;
}

/** Options of a keyed map declaration. */
export interface MapOptions {
  /** Capacity. */
  readonly maxEntries: number;
  /** `BPF_F_*` map flags (0 by default). */
  readonly flags?: number;
}

/** Update flags of `bpf_map_update_elem`. */
export const UpdateFlag = {
  /** `BPF_ANY`: create or update. */
  ANY: 0,
  /** `BPF_NOEXIST`: create only. */
  NOEXIST: 1,
  /** `BPF_EXIST`: update only. */
  EXIST: 2,
} as const;

declare const maybeBrand: unique symbol;

/**
 * A maybe-NULL map value pointer (the result of `lookup`). It has no operations of its own: the
 * only way in is `$.ifSome(maybe, v => …)`, so an unchecked dereference does not compile.
 * `Rec` is what the checked block receives besides the value: a {@link Reservation} for a ring
 * buffer record (to discard it), nothing (`never`) for a map lookup.
 */
export class Maybe<V extends SomeType, Rec = never> {
  declare private readonly [maybeBrand]: [V, Rec];
  /** The lookup call (internal). */
  readonly call: CallStmt;
  /** The value type. */
  readonly valueType: V;
  /** The map's value size (internal: bounds of the pointer). */
  readonly valueSize: number;
  /**
   * The helper that must release the pointer at the end of the checked block, if any
   * (`bpf_ringbuf_submit` for a ring buffer reservation).
   */
  readonly release: string | undefined;

  /** Wraps a call returning a maybe-NULL pointer (internal: made by `lookup` and `reserve`). */
  constructor(call: CallStmt, valueType: V, valueSize: number, release?: string) {
    this.call = call;
    this.valueType = valueType;
    this.valueSize = valueSize;
    this.release = release;
  }
}

/** What walks a map's elements with a callback: the program builder's `$.forEachElem` (see program.ts). */
export interface ElementWalker {
  /** Runs `body` for each element of `map` (with `shared`, when given); the number of elements visited. */
  forEachElem<K extends SomeType, V extends SomeType>(map: MapHandle<K, V>, body: (key: Ref<K>, value: Ref<V>) => void): Expr<S64>;
  forEachElem<K extends SomeType, V extends SomeType, S extends SomeType>(map: MapHandle<K, V>, shared: Ref<S>, body: (key: Ref<K>, value: Ref<V>, shared: Ref<S>) => void): Expr<S64>;
}

/** A keyed map (hash, array, their per-CPU and LRU variants) with key type `K` and value type `V`. */
export class MapHandle<K extends SomeType, V extends SomeType> {
  readonly #out: Emitter;
  /** The map's spec. */
  readonly spec: DslMapSpec;
  /** Key type. */
  readonly keyType: K;
  /** Value type. */
  readonly valueType: V;

  readonly #mapArg: ArgNode;

  /**
   * Declares a map (internal: made by `$.hash`, `$.array`, …). `mapArg` is how helpers receive
   * the map: its symbolic reference by default, a checked inner-map pointer inside `$.ifSomeMap`.
   */
  constructor(out: Emitter, spec: DslMapSpec, keyType: K, valueType: V, mapArg?: ArgNode) {
    this.#out = out;
    this.spec = spec;
    this.keyType = keyType;
    this.valueType = valueType;
    this.#mapArg = mapArg ?? { kind: 'map', map: spec.name };
  }

  /** How helpers receive this map (internal: its symbolic reference, or a checked inner-map pointer). */
  get mapArg(): ArgNode { return this.#mapArg; }

  /** `bpf_map_lookup_elem(&map, &key)`: a maybe-NULL value pointer for `$.ifSome`. */
  lookup(key: ValueArg<K>): Maybe<V> {
    const h = helperByName('map_lookup_elem');
    if (h === undefined) throw new DslError('lookup: helper bpf_map_lookup_elem is missing from the helper table');
    const call: CallStmt = {
      kind: 'call',
      helper: h.id,
      name: h.name,
      args: [this.#mapArg, valueArg(this.keyType, key, 'lookup')],
      result: undefined,
    };
    return new Maybe(call, this.valueType, this.spec.valueSize);
  }

  /** `bpf_map_update_elem(&map, &key, &value, flags)`: 0 or a negative errno. */
  update(key: ValueArg<K>, value: ValueArg<V>, flags: number = UpdateFlag.ANY): Expr<S64> {
    const r = this.#out.call('map_update_elem', [
      this.#mapArg,
      valueArg(this.keyType, key, 'update'),
      valueArg(this.valueType, value, 'update'),
      { kind: 'value', expr: operandNode(s64, flags, 'update flags') },
    ], s64);
    return new Expr(r!, s64);
  }

  /**
   * `bpf_for_each_map_elem(&map, callback, &shared, 0)`: the same as `$.forEachElem(map, …)`
   * (see {@link ElementWalker}); the result is the number of elements visited.
   */
  forEach(body: (key: Ref<K>, value: Ref<V>) => void): Expr<S64>;
  forEach<S extends SomeType>(shared: Ref<S>, body: (key: Ref<K>, value: Ref<V>, shared: Ref<S>) => void): Expr<S64>;
  forEach<S extends SomeType>(sharedOrBody: Ref<S> | ((key: Ref<K>, value: Ref<V>) => void), body?: (key: Ref<K>, value: Ref<V>, shared: Ref<S>) => void): Expr<S64> {
    const walker = this.#out as Partial<ElementWalker>;
    if (typeof walker.forEachElem !== 'function') throw new DslError(`forEach: map '${this.spec.name}' was not declared by a program builder`);
    return body === undefined ? walker.forEachElem(this, sharedOrBody as (key: Ref<K>, value: Ref<V>) => void) : walker.forEachElem(this, sharedOrBody as Ref<S>, body);
  }

  /** `bpf_map_delete_elem(&map, &key)`: 0 or a negative errno. */
  delete(key: ValueArg<K>): Expr<S64> {
    const r = this.#out.call('map_delete_elem', [
      this.#mapArg,
      valueArg(this.keyType, key, 'delete'),
    ], s64);
    return new Expr(r!, s64);
  }
}

/** `BPF_F_CURRENT_CPU`: the perf event array slot of the current CPU. */
export const BPF_F_CURRENT_CPU = 0xffffffff;

/** A `perf_event_array` map (BCC's `BPF_PERF_OUTPUT`). */
export class PerfEventArrayHandle {
  readonly #out: Emitter;
  /** The map's spec. */
  readonly spec: DslMapSpec;

  /** Declares the map (internal: made by `$.perfEventArray`). */
  constructor(out: Emitter, spec: DslMapSpec) {
    this.#out = out;
    this.spec = spec;
  }

  /**
   * `bpf_perf_event_output(ctx, &map, BPF_F_CURRENT_CPU, &data, sizeof(data))` (BCC's
   * `perf_submit`): 0 or a negative errno.
   */
  output<T extends ScalarType, R extends SomeType>(data: Expr<T> | Ref<R>): Expr<S64> {
    const out = this.#out;
    const r = out.call('perf_event_output', [
      { kind: 'ctx', ctx: out.ctx },
      { kind: 'map', map: this.spec.name },
      { kind: 'value', expr: { kind: 'const', type: u32, value: BigInt(BPF_F_CURRENT_CPU) } },
      dataArg(data),
      { kind: 'sizeof', index: 3 },
    ], s64);
    return new Expr(r!, s64);
  }
}

/** A `ringbuf` map (BCC's `BPF_RINGBUF_OUTPUT`). */
export class RingBufHandle {
  readonly #out: Emitter;
  /** The map's spec. */
  readonly spec: DslMapSpec;

  /** Declares the map (internal: made by `$.ringbuf`). */
  constructor(out: Emitter, spec: DslMapSpec) {
    this.#out = out;
    this.spec = spec;
  }

  /**
   * `bpf_ringbuf_reserve(&map, sizeof(T), 0)`: a maybe-NULL record for `$.ifSome`, which zeroes
   * it first (no stale bytes reach user space through padding) and submits
   * it (`bpf_ringbuf_submit`) at the end of the checked block, so the verifier's reference
   * tracking is satisfied on every path; the block's second parameter, a {@link Reservation},
   * can discard it instead (`record.discard()`: `bpf_ringbuf_discard`). Returning from inside
   * that block is refused at build time. Requires Linux 5.8.
   */
  reserve<T extends SomeType>(type: T): Maybe<T, Reservation> {
    const h = helperByName('ringbuf_reserve');
    if (h === undefined) throw new DslError('reserve: helper bpf_ringbuf_reserve is missing from the helper table');
    if (type.size <= 0 || type.size > this.spec.maxEntries) throw new DslError(`reserve: a ${type.cName} of ${type.size} bytes does not fit ring buffer '${this.spec.name}'`);
    const call: CallStmt = {
      kind: 'call',
      helper: h.id,
      name: h.name,
      args: [{ kind: 'map', map: this.spec.name }, { kind: 'value', expr: operandNode(s64, type.size, 'reserve') }, { kind: 'value', expr: operandNode(s64, 0, 'reserve') }],
      result: undefined,
    };
    return new Maybe<T, Reservation>(call, type, type.size, 'ringbuf_submit');
  }

  /** `bpf_ringbuf_output(&map, &data, sizeof(data), flags)`: 0 or a negative errno. */
  output<T extends ScalarType, R extends SomeType>(data: Expr<T> | Ref<R>, flags = 0): Expr<S64> {
    const r = this.#out.call('ringbuf_output', [
      { kind: 'map', map: this.spec.name },
      dataArg(data),
      { kind: 'sizeof', index: 1 },
      { kind: 'value', expr: operandNode(s64, flags, 'ringbuf_output flags') },
    ], s64);
    return new Expr(r!, s64);
  }
}

function dataArg(data: Expr<ScalarType> | Ref<SomeType> | object): ArgNode {
  if (data instanceof Ref) return data.asArg();
  if (!(data instanceof Expr)) throw new DslError(`output: ${String(data)} is neither an expression nor a Ref`);
  return { kind: 'stack', expr: data.node, type: data.type };
}

export { Ref };
