/**
 * {@link HashMap} (`BPF_MAP_TYPE_HASH`, BCC's `BPF_HASH`) and {@link LruHash}
 * (`BPF_MAP_TYPE_LRU_HASH`).
 * @module
 */

import { MapTypes } from 'ebpf-bytecode-utils';
import { BpfMap } from './bpf-map.js';
import type { Codec } from './codec.js';
import { TypedMap, type TypedMapOptions } from './typed-map.js';

/** Options of {@link HashMap.create}: codecs and capacity. */
export interface HashMapOptions<K, V> extends TypedMapOptions {
  /** Key encoding (`u32`, `u64`, `bytes(16)`, …). */
  readonly key: Codec<K>;
  /** Value encoding. */
  readonly value: Codec<V>;
}

/** A hash map with typed keys and values: `HashMap.create({key: u32, value: u64, maxEntries: 1024})`. */
export class HashMap<K, V> extends TypedMap<K, V> {
  /** Creates a `hash` map. */
  static create<K, V>(options: HashMapOptions<K, V>): HashMap<K, V> {
    return new HashMap(createTyped(MapTypes.hash, options), options.key, options.value);
  }
}

/** A hash map that evicts the least recently used element when full. Requires Linux 4.10. */
export class LruHash<K, V> extends TypedMap<K, V> {
  /** Creates an `lru_hash` map. */
  static create<K, V>(options: HashMapOptions<K, V>): LruHash<K, V> {
    return new LruHash(createTyped(MapTypes.lru_hash, options), options.key, options.value);
  }
}

/** Creates the raw map of a typed map of `type` with `options`' codec sizes. */
export function createTyped(type: number, options: TypedMapOptions & { readonly key: Codec<unknown>; readonly value: Codec<unknown> }): BpfMap {
  return BpfMap.create({
    type,
    keySize: options.key.size,
    valueSize: options.value.size,
    maxEntries: options.maxEntries,
    ...(options.flags !== undefined ? { flags: options.flags } : {}),
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.key.btf !== undefined && options.value.btf !== undefined ? { btf: { key: options.key.btf(), value: options.value.btf() } } : {}),
  });
}
