/**
 * Map-in-map (`hash_of_maps`, `array_of_maps`; BCC's `BPF_HASH_OF_MAPS` / `BPF_ARRAY_OF_MAPS`):
 * an outer map whose values are maps of one shape. A lookup yields a {@link MaybeMap}; inside
 * `$.ifSomeMap(maybe, inner => …)` the inner map is a {@link MapHandle} like any other. User space
 * puts inner map fds into the outer map. Requires Linux 4.12. The interpreter does not simulate
 * these map types.
 *
 * ```ts
 * const perCgroup = $.hashOfMaps('per_cg', u64, { type: 'hash', key: u32, value: u64, maxEntries: 64 }, { maxEntries: 16 });
 * $.ifSomeMap(perCgroup.lookup(cgroupId), (counts) => { counts.update(pid, 1n); });
 * ```
 * @module
 */

import { helperByName } from 'ebpf-bytecode-utils';
import type { SomeType } from '../types/index.js';
import { DslError } from './errors.js';
import type { CallStmt } from './nodes.js';
import { valueArg, type ValueArg } from './ref.js';
import type { DslMapSpec } from './maps.js';

/** Map types an inner map may have in the eDSL (keyed maps: their handles are ordinary `MapHandle`s). */
export type InnerMapType = 'hash' | 'array' | 'lru_hash' | 'percpu_hash' | 'percpu_array';

/** The inner maps' shape of a map-in-map declaration. */
export interface InnerMapTemplate<IK extends SomeType, IV extends SomeType> {
  /** Map type of every inner map. */
  readonly type: InnerMapType;
  /** Key type (arrays: u32). */
  readonly key: IK;
  /** Value type. */
  readonly value: IV;
  /** Capacity of every inner map. */
  readonly maxEntries: number;
  /** Map flags (0 by default). */
  readonly flags?: number;
}

/** A maybe-NULL inner map (the result of a map-in-map lookup), usable only through `$.ifSomeMap`. */
export class MaybeMap<IK extends SomeType, IV extends SomeType> {
  /** The lookup call (internal). */
  readonly call: CallStmt;
  /** The inner maps' shape. */
  readonly inner: InnerMapTemplate<IK, IV>;
  /** The outer map's name (for dumps and messages). */
  readonly outer: string;

  /** Wraps a map-in-map lookup (internal: made by `lookup`). */
  constructor(call: CallStmt, inner: InnerMapTemplate<IK, IV>, outer: string) {
    this.call = call;
    this.inner = inner;
    this.outer = outer;
  }
}

/** A `hash_of_maps` or `array_of_maps` with outer key type `K`. */
export class MapOfMapsHandle<K extends SomeType, IK extends SomeType, IV extends SomeType> {
  /** The outer map's spec (with `innerMap`). */
  readonly spec: DslMapSpec;
  /** Outer key type. */
  readonly keyType: K;
  /** The inner maps' shape. */
  readonly inner: InnerMapTemplate<IK, IV>;

  /** Declares the map (internal: made by `$.hashOfMaps` / `$.arrayOfMaps`). */
  constructor(spec: DslMapSpec, keyType: K, inner: InnerMapTemplate<IK, IV>) {
    this.spec = spec;
    this.keyType = keyType;
    this.inner = inner;
  }

  /** `bpf_map_lookup_elem(&outer, &key)`: the inner map, maybe NULL, for `$.ifSomeMap`. */
  lookup(key: ValueArg<K>): MaybeMap<IK, IV> {
    const h = helperByName('map_lookup_elem');
    if (h === undefined) throw new DslError('lookup: helper bpf_map_lookup_elem is missing from the helper table');
    const call: CallStmt = { kind: 'call', helper: h.id, name: h.name, args: [{ kind: 'map', map: this.spec.name }, valueArg(this.keyType, key, 'lookup')], result: undefined };
    return new MaybeMap(call, this.inner, this.spec.name);
  }
}
