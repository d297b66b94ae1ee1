/**
 * {@link ArrayMap} (`BPF_MAP_TYPE_ARRAY`, BCC's `BPF_ARRAY`): u32 indexes, every element exists
 * from creation (zeroed) and cannot be deleted.
 * @module
 */

import { MapTypes } from 'ebpf-bytecode-utils';
import { u32, type Codec } from './codec.js';
import { createTyped } from './hash-map.js';
import { MappedArray, type MapArrayOptions } from './mapped-array.js';
import { TypedMap, type TypedMapOptions } from './typed-map.js';

/** Options of {@link ArrayMap.create}. */
export interface ArrayMapOptions<V> extends TypedMapOptions {
  /** Value encoding. */
  readonly value: Codec<V>;
}

/** An array map indexed by u32: `ArrayMap.create({value: u64, maxEntries: 256})`. */
export class ArrayMap<V> extends TypedMap<number, V> {
  /** Creates an `array` map (`flags` may hold `BPF_F_MMAPABLE`, `BPF_F_RDONLY_PROG`, …). */
  static create<V>(options: ArrayMapOptions<V>): ArrayMap<V> {
    return new ArrayMap(createTyped(MapTypes.array, { ...options, key: u32 }), u32, options.value);
  }

  /**
   * Maps the values into this process for zero-copy access (the map needs `BPF_F_MMAPABLE` in
   * `flags`); close the mapping before or with the map. Requires Linux 5.5.
   */
  mmap(options?: MapArrayOptions): MappedArray<V> {
    return MappedArray.of(this.map, this.valueCodec, options);
  }
}
