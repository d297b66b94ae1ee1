/**
 * `queue` (FIFO) and `stack` (LIFO) maps (BCC's `BPF_QUEUE` / `BPF_STACK`): keyless maps of
 * values, used with `bpf_map_push_elem`, `bpf_map_pop_elem` and `bpf_map_peek_elem`. Requires
 * Linux 4.20.
 *
 * ```ts
 * const q = $.queue('q', u64, { maxEntries: 64 });
 * q.push(42n);
 * const slot = $.struct(Slot);
 * $.if(q.pop(slot.field('v')).eq(0), () => { … });   // 0: popped, -ENOENT: empty
 * ```
 * @module
 */

import type { SomeType } from '../types/index.js';
import { s64, type S64 } from './c-types.js';
import type { Emitter } from './emitter.js';
import { Expr, operandNode } from './expr.js';
import type { DslMapSpec } from './maps.js';
import { valueArg, type Ref, type ValueArg } from './ref.js';

/** `BPF_EXIST` for `push`: when full, drop the oldest element instead of failing with -E2BIG. */
export const PUSH_EXIST = 2;

/** A `queue` or `stack` map of values of type `V`. */
export class QueueHandle<V extends SomeType> {
  readonly #out: Emitter;
  /** The map's spec. */
  readonly spec: DslMapSpec;
  /** Value type. */
  readonly valueType: V;

  /** Declares the map (internal: made by `$.queue` and `$.stack`). */
  constructor(out: Emitter, spec: DslMapSpec, valueType: V) {
    this.#out = out;
    this.spec = spec;
    this.valueType = valueType;
  }

  /** `bpf_map_push_elem(&map, &value, flags)`: 0 or a negative errno (-E2BIG when full without {@link PUSH_EXIST}). */
  push(value: ValueArg<V>, flags = 0): Expr<S64> {
    const r = this.#out.call('map_push_elem', [{ kind: 'map', map: this.spec.name }, valueArg(this.valueType, value, 'push'), { kind: 'value', expr: operandNode(s64, flags, 'push flags') }], s64);
    return new Expr(r!, s64);
  }

  /** `bpf_map_pop_elem(&map, &into)`: removes the next value into `into`; 0 or -ENOENT when empty. */
  pop(into: Ref<V>): Expr<S64> {
    return this.#take('map_pop_elem', into);
  }

  /** `bpf_map_peek_elem(&map, &into)`: copies the next value without removing it; 0 or -ENOENT. */
  peek(into: Ref<V>): Expr<S64> {
    return this.#take('map_peek_elem', into);
  }

  #take(helper: string, into: Ref<V>): Expr<S64> {
    const r = this.#out.call(helper, [{ kind: 'map', map: this.spec.name }, valueArg(this.valueType, into, helper)], s64);
    return new Expr(r!, s64);
  }
}
