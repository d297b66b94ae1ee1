/**
 * The key and value types of a program's maps, kept beside their {@link DslMapSpec}s (which hold
 * only sizes, the load-time spec): an object file writes them into `.BTF` as the map's
 * `__type(key, K)` and `__type(value, V)`, so `bpftool map dump` prints typed entries.
 * @module
 */

import type { SomeType } from '../types/index.js';
import type { DslMapSpec } from './maps.js';

/** The declared types of a keyed map. */
export interface MapTypes {
  /** Key type. */
  readonly key: SomeType;
  /** Value type. */
  readonly value: SomeType;
}

const types = new WeakMap<DslMapSpec, MapTypes>();

/** Records the key and value types of `spec` (called where keyed maps are declared). */
export function recordMapTypes(spec: DslMapSpec, key: SomeType, value: SomeType): void {
  types.set(spec, Object.freeze({ key, value }));
}

/** The key and value types `spec` was declared with, or undefined for maps declared by size only. */
export function mapTypesOf(spec: DslMapSpec): MapTypes | undefined {
  return types.get(spec);
}
