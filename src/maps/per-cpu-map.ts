/**
 * Per-CPU maps: {@link PerCpuHash} (`BPF_MAP_TYPE_PERCPU_HASH`), {@link PerCpuArray}
 * (`BPF_MAP_TYPE_PERCPU_ARRAY`) and {@link LruPerCpuHash}. A value is one element per *possible*
 * CPU (`/sys/devices/system/cpu/possible`), each in a slot of the value size rounded up to 8 bytes.
 * @module
 */

import { MapTypes } from 'ebpf-bytecode-utils';
import { BpfMap } from './bpf-map.js';
import { u32, type Codec } from './codec.js';
import { perCpuStride } from './map-spec.js';
import { possibleCpuCount as possibleCpus } from '../system/possible-cpus.js';
import { TypedMap, type TypedMapOptions } from './typed-map.js';

/**
 * The codec of a whole per-CPU value: `cpus` values of `codec`, `perCpuStride(codec.size)` apart.
 * Writing a single value (not an array) stores it for every CPU.
 */
export function perCpu<T>(codec: Codec<T>, cpus: number = possibleCpus()): Codec<T[]> {
  const stride = perCpuStride(codec.size);
  return {
    size: stride * cpus,
    write(view, offset, values) {
      if (!Array.isArray(values) || values.length !== cpus) throw new RangeError(`per-CPU value: expected an array of ${cpus} values (one per possible CPU), got ${Array.isArray(values) ? values.length : typeof values}`);
      for (let i = 0; i < cpus; i++) codec.write(view, offset + i * stride, values[i]);
    },
    read(view, offset) {
      const out: T[] = new Array<T>(cpus);
      for (let i = 0; i < cpus; i++) out[i] = codec.read(view, offset + i * stride);
      return out;
    },
  };
}

/** Options of per-CPU hash maps. */
export interface PerCpuHashOptions<K, V> extends TypedMapOptions {
  /** Key encoding. */
  readonly key: Codec<K>;
  /** Encoding of one CPU's value. */
  readonly value: Codec<V>;
}

function createPerCpu(type: number, key: Codec<unknown>, value: Codec<unknown>, options: TypedMapOptions): BpfMap {
  return BpfMap.create({
    type,
    keySize: key.size,
    valueSize: value.size,
    maxEntries: options.maxEntries,
    ...(options.flags !== undefined ? { flags: options.flags } : {}),
    ...(options.name !== undefined ? { name: options.name } : {}),
  });
}

/** A per-CPU hash map: `get` returns one value per possible CPU. Requires Linux 4.6. */
export class PerCpuHash<K, V> extends TypedMap<K, V[]> {
  /** Creates a `percpu_hash` map. */
  static create<K, V>(options: PerCpuHashOptions<K, V>): PerCpuHash<K, V> {
    const map = createPerCpu(MapTypes.percpu_hash, options.key, options.value, options);
    return new PerCpuHash(map, options.key, perCpu(options.value, map.cpus));
  }

  /** Sets `key` to `value` on every CPU. */
  setAll(key: K, value: V): this {
    return this.set(key, new Array<V>(this.map.cpus).fill(value));
  }
}

/** An LRU per-CPU hash map. Requires Linux 4.10. */
export class LruPerCpuHash<K, V> extends TypedMap<K, V[]> {
  /** Creates an `lru_percpu_hash` map. */
  static create<K, V>(options: PerCpuHashOptions<K, V>): LruPerCpuHash<K, V> {
    const map = createPerCpu(MapTypes.lru_percpu_hash, options.key, options.value, options);
    return new LruPerCpuHash(map, options.key, perCpu(options.value, map.cpus));
  }
}

/** Options of {@link PerCpuArray.create}. */
export interface PerCpuArrayOptions<V> extends TypedMapOptions {
  /** Encoding of one CPU's value. */
  readonly value: Codec<V>;
}

/** A per-CPU array indexed by u32: `get(i)` returns one value per possible CPU. Requires Linux 4.6. */
export class PerCpuArray<V> extends TypedMap<number, V[]> {
  /** Creates a `percpu_array` map. */
  static create<V>(options: PerCpuArrayOptions<V>): PerCpuArray<V> {
    const map = createPerCpu(MapTypes.percpu_array, u32, options.value, options);
    return new PerCpuArray(map, u32, perCpu(options.value, map.cpus));
  }

  /** Sets index `key` to `value` on every CPU. */
  setAll(key: number, value: V): this {
    return this.set(key, new Array<V>(this.map.cpus).fill(value));
  }
}
