/**
 * {@link Ref}: a typed place in memory the program may read and write: a map value behind a
 * checked pointer (inside `$.ifSome`), or a stack object (`$.struct(Event, …)`), or a field of
 * either. Scalars are read (`get`), written (`set`) and atomically added to (`atomicAdd`); struct
 * fields are reached by name with their C layout (`ev.field('pid')`), misspelt names do not
 * compile.
 * @module
 */

import type { SomeType, StructType, Fields } from '../types/index.js';
import { typeName, type IntType, type ScalarType } from './c-types.js';
import type { Emitter } from './emitter.js';
import { DslError } from './errors.js';
import { Expr, operandNode, type Operand } from './expr.js';
import type { ArgNode, Place } from './nodes.js';

/** Names of the fields (not padding or bitfields) of struct type `V` that can be addressed. */
export type FieldName<V> = V extends { readonly kind: 'struct' | 'union'; readonly spec: infer F extends Fields }
  ? { [K in keyof F & string]: F[K] extends SomeType ? K : never }[keyof F & string]
  : never;

/** The type of field `K` of struct type `V`. */
export type FieldType<V, K> = V extends { readonly spec: infer F extends Fields } ? (K extends keyof F ? Extract<F[K], SomeType> : never) : never;

/** A typed place in memory (see the module notes). */
export class Ref<V extends SomeType> {
  readonly #out: Emitter;
  /** Where it is (internal). */
  readonly place: Place;
  /** Its type. */
  readonly type: V;
  /** Why the place cannot be written (the key of a `$.forEachElem` callback), or undefined when it can. */
  readonly readOnly: string | undefined;

  /** Binds a place (internal: made by `$.ifSome`, `$.struct` and {@link Ref.field}); `readOnly` says why writes are refused, if they are. */
  constructor(out: Emitter, place: Place, type: V, readOnly?: string) {
    this.#out = out;
    this.place = place;
    this.type = type;
    this.readOnly = readOnly;
  }

  #writable(who: string): void {
    if (this.readOnly !== undefined) throw new DslError(`${who}: ${this.readOnly}`);
  }

  #scalar(who: string): ScalarType {
    const t = this.type as unknown as ScalarType;
    if (t.kind !== 'int' && t.kind !== 'bool') throw new DslError(`${who}: needs a scalar, this is ${this.type.cName}`);
    return t;
  }

  /** Reads the value now (`r = *(u64 *)(r6 +0)`); later writes do not change the result. */
  get<T extends ScalarType>(this: Ref<T>): Expr<T> {
    const t = this.#scalar('get') as T;
    const v = this.#out.newVar(t, 'val');
    this.#out.emit({ kind: 'read', target: v, place: this.place, type: t, swap: false });
    return new Expr(v, t);
  }

  /** Writes the value: `*(u64 *)(r6 +0) = r1`. */
  set<T extends ScalarType>(this: Ref<T>, value: Operand<T>): void {
    this.#writable('set');
    const t = this.#scalar('set');
    this.#out.emit({ kind: 'store', place: this.place, type: t, value: operandNode(t, value, 'set') });
  }

  /**
   * Atomically adds to the value: `lock *(u64 *)(r6 +0) += r1`, BCC's `__sync_fetch_and_add`
   * and `table.atomic_increment()`. Only 32- and 64-bit integers (the instruction's sizes).
   */
  atomicAdd<T extends IntType>(this: Ref<T>, value: Operand<T>): void {
    this.#writable('atomicAdd');
    const t = this.#scalar('atomicAdd');
    if (t.kind !== 'int' || (t.size !== 4 && t.size !== 8)) throw new DslError(`atomicAdd: needs a 32- or 64-bit integer, got ${typeName(t)}`);
    this.#out.emit({ kind: 'atomicAdd', place: this.place, type: t, value: operandNode(t, value, 'atomicAdd') });
  }

  /** The field `name` of a struct, at its C offset: `ev.field('pid').set(pid)`. */
  field<K extends FieldName<V>>(name: K): Ref<FieldType<V, K>> {
    const s = this.type as unknown as StructType;
    if (s.kind !== 'struct' && s.kind !== 'union') throw new DslError(`field '${String(name)}': ${this.type.cName} is not a struct`);
    const f = s.field(name);
    if (f.kind !== 'value') throw new DslError(`field '${String(name)}' of ${s.cName} is a ${f.kind === 'bits' ? 'bitfield' : 'padding'}, not addressable`);
    const place: Place = { ...this.place, off: this.place.off + f.offset };
    return new Ref(this.#out, place, f.type as FieldType<V, K>, this.readOnly);
  }

  /** This place as a helper argument: a pointer to its bytes. */
  asArg(): ArgNode {
    return { kind: 'pointer', place: this.place, size: this.type.size };
  }
}

/** What a helper taking a `T` by pointer accepts: a scalar expression or literal (copied to the stack), or a {@link Ref}. */
export type ValueArg<T extends SomeType> = (T extends ScalarType ? Operand<T> : never) | Ref<T>;

/** The argument node of a {@link ValueArg} of type `type`. */
export function valueArg(type: SomeType, value: unknown, who: string): ArgNode {
  if (value instanceof Ref) {
    if (value.type !== type && value.type.size !== type.size) throw new DslError(`${who}: ${value.type.cName} where ${type.cName} is expected`);
    return value.asArg();
  }
  const t = type as ScalarType;
  if (t.kind !== 'int' && t.kind !== 'bool') throw new DslError(`${who}: a ${type.cName} must be passed as a Ref (a stack object or map value)`);
  return { kind: 'stack', expr: operandNode(t, value, who), type: t };
}
