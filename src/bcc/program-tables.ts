/**
 * Tables as programs see them (BCC's `table.lookup(&k)`, `table.increment(k)`,
 * `events.perf_submit(ctx, &data, sizeof(data))`, …): one handle per declared table, made for
 * the program being built when it first touches the table. The table's map is declared in that
 * program only when used, and created once for the whole {@link BPF} object.
 *
 * ```ts
 * ($, ctx, t) => {
 *   t.counts.increment(ctx.args.id.cast(u32));                  // counts.increment(key)
 *   $.ifSome(t.infotmp.lookup(id), (v) => { … });               // infotmp.lookup(&id)
 *   t.events.perf_submit(ev);                                   // events.perf_submit(ctx, &ev, sizeof(ev))
 * }
 * ```
 * @module
 */

import type { IntType, ScalarType, SomeType } from '../types/index.js';
import { s64, u32, u64 } from '../types/index.js';
import { Expr, operandNode, type Operand } from '../dsl/expr.js';
import { MapHandle, PerfEventArrayHandle, RingBufHandle, UpdateFlag, type DslMapSpec, type Maybe } from '../dsl/maps.js';
import type { Builder } from '../dsl/program.js';
import type { ProgType } from '../dsl/context.js';
import { Ref, type ValueArg } from '../dsl/ref.js';
import { reservationOf, type Reservation } from '../dsl/ringbuf-reservation.js';
import type { S64 } from '../dsl/c-types.js';
import { BccError } from './bcc-error.js';
import { TABLE_MAP_TYPES, type TableDecl, type TableDecls, type TableKind } from './table-decl.js';

/** The builder of any program type. */
export type AnyBuilder = Builder<ProgType>;

/** The map spec of table `name` declared by `decl`. */
export function tableMapSpec(name: string, decl: TableDecl): DslMapSpec {
  return Object.freeze({
    name,
    type: TABLE_MAP_TYPES[decl.kind],
    // Perf event arrays hold u32 fds by u32 CPU; ring buffers have neither keys nor values.
    keySize: decl.kind === 'perf_output' ? 4 : decl.key.size,
    valueSize: decl.kind === 'perf_output' ? 4 : decl.kind === 'ringbuf_output' ? 0 : decl.value.size,
    maxEntries: decl.maxEntries,
    flags: decl.flags,
  });
}

/** A keyed table in a program: hash, LRU hash, array, histogram, per-CPU, LPM trie. */
export class ProgramKeyedTable<K extends SomeType, V extends SomeType> {
  readonly #b: AnyBuilder;
  readonly #map: MapHandle<K, V>;
  /** The declaration. */
  readonly decl: TableDecl;

  /** Binds table `name` in the program of `$` (internal: made by {@link programTables}). */
  constructor($: AnyBuilder, spec: DslMapSpec, decl: TableDecl) {
    this.#b = $;
    this.decl = decl;
    this.#map = new MapHandle($, spec, decl.key as K, decl.value as V);
  }

  /** `table.lookup(&key)`: a maybe-NULL value for `$.ifSome`. */
  lookup(key: ValueArg<K>): Maybe<V> { return this.#map.lookup(key); }
  /** `table.update(&key, &value)`: 0 or a negative errno. */
  update(key: ValueArg<K>, value: ValueArg<V>): Expr<S64> { return this.#map.update(key, value, UpdateFlag.ANY); }
  /** `table.insert(&key, &value)`: only when the key is absent (`BPF_NOEXIST`). */
  insert(key: ValueArg<K>, value: ValueArg<V>): Expr<S64> { return this.#map.update(key, value, UpdateFlag.NOEXIST); }
  /** `table.delete(&key)`: 0 or a negative errno. */
  delete(key: ValueArg<K>): Expr<S64> { return this.#map.delete(key); }

  /**
   * `table.lookup_or_try_init(&key, &zero)`: runs `then` with the value, inserting `init` first
   * when the key is absent (`BPF_NOEXIST`, so a concurrent insert wins); `then` does not run when
   * the insert fails (a full table). `then` is built twice (found, inserted).
   */
  lookup_or_try_init(key: ValueArg<K>, init: ValueArg<V>, then: (value: Ref<V>) => void): void {
    const $ = this.#b;
    $.ifSome(this.lookup(key), then, () => {
      this.insert(key, init);
      $.ifSome(this.lookup(key), then);
    });
  }

  /** camelCase alias of {@link ProgramKeyedTable.lookup_or_try_init}. */
  lookupOrTryInit(key: ValueArg<K>, init: ValueArg<V>, then: (value: Ref<V>) => void): void { this.lookup_or_try_init(key, init, then); }

  /**
   * `table.increment(key, by)` / `atomic_increment`: adds `by` (default 1) to the integer value
   * with an atomic add (`lock *(u64 *)(r +0) += r`, BCC's `__sync_fetch_and_add`), creating a
   * zero entry first in hashes. Arrays index in range always exist.
   */
  increment(key: ValueArg<K>, by: Expr<IntType> | number | bigint = 1): void {
    const t = this.decl.value as unknown as ScalarType;
    if (t.kind !== 'int' || (t.size !== 4 && t.size !== 8)) throw new BccError(`increment: table values are ${this.decl.value.cName}; an atomic add needs a 32- or 64-bit integer`);
    const amount = by instanceof Expr ? by.cast(t) : new Expr(operandNode(t, typeof by === 'bigint' && t.size === 4 ? Number(by) : by, 'increment'), t);
    const add = (v: Ref<V>) => (v as unknown as Ref<IntType>).atomicAdd(amount as never);
    if (this.decl.kind === 'array' || this.decl.kind === 'percpu_array') this.#b.ifSome(this.lookup(key), add);
    else this.lookup_or_try_init(key, (t.size === 8 ? 0n : 0) as never, add);
  }

  /** Same as {@link ProgramKeyedTable.increment} (BCC spells out the atomic form). */
  atomic_increment(key: ValueArg<K>, by: Expr<IntType> | number | bigint = 1): void { this.increment(key, by); }
}

/** A `BPF_PERF_OUTPUT` table in a program. */
export class ProgramPerfOutput {
  readonly #out: PerfEventArrayHandle;

  /** Binds the table (internal). */
  constructor($: AnyBuilder, spec: DslMapSpec) { this.#out = new PerfEventArrayHandle($, spec); }

  /** `events.perf_submit(ctx, &data, sizeof(data))`: 0 or a negative errno. */
  perf_submit<T extends ScalarType, R extends SomeType>(data: Expr<T> | Ref<R>): Expr<S64> { return this.#out.output(data); }
  /** camelCase alias of {@link ProgramPerfOutput.perf_submit}. */
  perfSubmit<T extends ScalarType, R extends SomeType>(data: Expr<T> | Ref<R>): Expr<S64> { return this.#out.output(data); }
}

/** A `BPF_RINGBUF_OUTPUT` table in a program. */
export class ProgramRingbufOutput {
  readonly #out: RingBufHandle;

  /** Binds the table (internal). */
  constructor($: AnyBuilder, spec: DslMapSpec) { this.#out = new RingBufHandle($, spec); }

  /** `events.ringbuf_output(&data, sizeof(data), flags)`: 0 or a negative errno. */
  ringbuf_output<T extends ScalarType, R extends SomeType>(data: Expr<T> | Ref<R>, flags = 0): Expr<S64> { return this.#out.output(data, flags); }
  /**
   * `events.ringbuf_reserve(sizeof(T))`: a maybe-NULL record for `$.ifSome`, zeroed, and
   * submitted (`ringbuf_submit`) at the end of the checked block unless
   * {@link ProgramRingbufOutput.ringbuf_discard} says otherwise.
   */
  ringbuf_reserve<T extends SomeType>(type: T): Maybe<T, Reservation> { return this.#out.reserve(type); }

  /**
   * `events.ringbuf_discard(ev, flags)`: the record `ev` (the value of a `ringbuf_reserve`
   * block) is discarded instead of submitted when the block ends; the reader never sees it.
   */
  ringbuf_discard<R extends SomeType>(ev: Ref<R>, flags = 0): void { recordOf(ev, 'ringbuf_discard').discard(flags); }

  /** `events.ringbuf_submit(ev, flags)`: the record `ev` is submitted (with `flags`) when its block ends, the default. */
  ringbuf_submit<R extends SomeType>(ev: Ref<R>, flags = 0): void { recordOf(ev, 'ringbuf_submit').submit(flags); }
}

function recordOf(ev: Ref<SomeType>, who: string): Reservation {
  const r = reservationOf(ev as Ref<never>);
  if (r === undefined) throw new BccError(`${who}: expects the record of a ringbuf_reserve block ($.ifSome(events.ringbuf_reserve(T), (ev) => …)), not a field or another value`);
  return r;
}

/** A `BPF_STACK_TRACE` table in a program. */
export class ProgramStackTrace {
  readonly #b: AnyBuilder;
  readonly #name: string;

  /** Binds the table (internal). */
  constructor($: AnyBuilder, spec: DslMapSpec) { this.#b = $; this.#name = spec.name; }

  /**
   * `stacks.get_stackid(ctx, flags)`: the id of the current stack (kernel; `BPF_F_USER_STACK`
   * = 256 for the user one), or a negative errno. Requires Linux 4.6.
   */
  get_stackid(flags = 0): Expr<S64> {
    const $ = this.#b;
    return new Expr($.call('get_stackid', [{ kind: 'ctx', ctx: $.ctx }, { kind: 'map', map: this.#name }, { kind: 'value', expr: operandNode(u64, flags, 'get_stackid') }], s64)!, s64);
  }
}

/** A `BPF_PROG_ARRAY` table in a program. */
export class ProgramProgArray {
  readonly #b: AnyBuilder;
  readonly #name: string;

  /** Binds the table (internal). */
  constructor($: AnyBuilder, spec: DslMapSpec) { this.#b = $; this.#name = spec.name; }

  /** `prog_array.call(ctx, index)`: tail call; execution continues here only when the slot is empty. */
  call(index: Operand<typeof u32>): void {
    const $ = this.#b;
    $.call('tail_call', [{ kind: 'ctx', ctx: $.ctx }, { kind: 'map', map: this.#name }, { kind: 'value', expr: operandNode(u32, index, 'call') }], undefined);
  }
}

/** A `BPF_QUEUE` or `BPF_STACK` table in a program. */
export class ProgramQueue<V extends SomeType> {
  readonly #b: AnyBuilder;
  readonly #name: string;
  readonly #value: V;

  /** Binds the table (internal). */
  constructor($: AnyBuilder, spec: DslMapSpec, value: V) { this.#b = $; this.#name = spec.name; this.#value = value; }

  /** `queue.push(&value, flags)` (`BPF_EXIST` = 2 overwrites the oldest when full): 0 or a negative errno. */
  push(value: ValueArg<V>, flags = 0): Expr<S64> {
    const $ = this.#b;
    const arg = value instanceof Ref ? value.asArg() : { kind: 'stack' as const, expr: operandNode(this.#value as unknown as ScalarType, value, 'push'), type: this.#value as unknown as ScalarType };
    return new Expr($.call('map_push_elem', [{ kind: 'map', map: this.#name }, arg, { kind: 'value', expr: operandNode(u64, flags, 'push') }], s64)!, s64);
  }

  /** `queue.pop(&into)`: 0 (and `into` filled) or a negative errno when empty. */
  pop(into: Ref<V>): Expr<S64> {
    return new Expr(this.#b.call('map_pop_elem', [{ kind: 'map', map: this.#name }, into.asArg()], s64)!, s64);
  }

  /** `queue.peek(&into)`: like pop without removing. */
  peek(into: Ref<V>): Expr<S64> {
    return new Expr(this.#b.call('map_peek_elem', [{ kind: 'map', map: this.#name }, into.asArg()], s64)!, s64);
  }
}

/** The in-program handle of a declaration of kind `Kind`. */
export type ProgramTable<D extends TableDecl> =
  D extends TableDecl<infer Kind, infer K, infer V>
    ? Kind extends 'perf_output' ? ProgramPerfOutput
      : Kind extends 'ringbuf_output' ? ProgramRingbufOutput
        : Kind extends 'stack_trace' ? ProgramStackTrace
          : Kind extends 'prog_array' ? ProgramProgArray
            : Kind extends 'queue' | 'stack' ? ProgramQueue<V>
              : ProgramKeyedTable<K, V>
    : never;

/** Every table of `D`, as the program sees them (the third argument of probe functions). */
export type ProgramTables<D extends TableDecls> = { readonly [N in keyof D]: ProgramTable<D[N]> };

const KEYED: ReadonlySet<TableKind> = new Set(['hash', 'lru_hash', 'array', 'histogram', 'percpu_hash', 'percpu_array', 'lpm_trie']);

/**
 * The tables of `decls` for the program built by `$`: each handle is made on first use, and
 * its map spec recorded in `used` (to be added to the program's maps).
 */
export function programTables<D extends TableDecls>($: AnyBuilder, decls: D, used: Map<string, DslMapSpec>): ProgramTables<D> {
  const handles = new Map<string, unknown>();
  const make = (name: string): unknown => {
    const decl = decls[name];
    const spec = tableMapSpec(name, decl);
    used.set(name, spec);
    if (KEYED.has(decl.kind)) return new ProgramKeyedTable($, spec, decl);
    switch (decl.kind) {
      case 'perf_output': return new ProgramPerfOutput($, spec);
      case 'ringbuf_output': return new ProgramRingbufOutput($, spec);
      case 'stack_trace': return new ProgramStackTrace($, spec);
      case 'prog_array': return new ProgramProgArray($, spec);
      default: return new ProgramQueue($, spec, decl.value);
    }
  };
  return new Proxy({} as ProgramTables<D>, {
    get(_t, key) {
      if (typeof key !== 'string') return undefined;
      if (!Object.hasOwn(decls, key)) throw new BccError(`no table '${key}' is declared (tables: ${Object.keys(decls).join(', ') || 'none'})`);
      let h = handles.get(key);
      if (h === undefined) { h = make(key); handles.set(key, h); }
      return h;
    },
    has: (_t, key) => typeof key === 'string' && Object.hasOwn(decls, key),
    ownKeys: () => Object.keys(decls),
  });
}
