/**
 * Maps whose values are file descriptors going in and object ids coming out:
 * {@link ProgArray} (`BPF_MAP_TYPE_PROG_ARRAY`, tail calls), {@link ArrayOfMaps},
 * {@link HashOfMaps} and {@link PerfEventArray} (`BPF_MAP_TYPE_PERF_EVENT_ARRAY`, one perf event
 * fd per CPU).
 * @module
 */

import { MapTypes } from 'ebpf-bytecode-utils';
import { BpfMap } from './bpf-map.js';
import { u32, type Codec } from './codec.js';
import type { MapSpec } from './map-spec.js';
import { possibleCpuCount as possibleCpus } from '../system/possible-cpus.js';
import { TypedMap } from './typed-map.js';

/** Anything that owns an fd (a `Program`, a `BpfMap`, a typed map), or a bare fd. */
export type FdLike = number | { readonly fd: number };

function fdOf(x: FdLike): number {
  return typeof x === 'number' ? x : x.fd;
}

/**
 * A map from keys to kernel objects: `set` takes an fd (or an object with one); `get` returns
 * the id of the object stored (what the kernel reports to user space), or undefined.
 */
export class FdMap<K> implements Disposable {
  /** The key/id view of the map. */
  readonly typed: TypedMap<K, number>;

  /** Narrows `map` (4-byte values) with `key`. */
  constructor(map: BpfMap, key: Codec<K>) {
    this.typed = new TypedMap(map, key, u32);
  }

  /** The underlying raw map. */
  get map(): BpfMap {
    return this.typed.map;
  }

  /** The fd of the underlying map. */
  get fd(): number {
    return this.typed.map.fd;
  }

  /** Stores the object `target` at `key`. */
  set(key: K, target: FdLike): this {
    this.typed.set(key, fdOf(target));
    return this;
  }

  /** The id of the object at `key`, or undefined. */
  get(key: K): number | undefined {
    return this.typed.get(key);
  }

  /** Removes the object at `key`; returns whether there was one. */
  delete(key: K): boolean {
    return this.typed.delete(key);
  }

  /** Keys that hold an object (array-based fd maps walk every index; empty slots are skipped). */
  *keys(): Generator<K> {
    for (const k of this.typed.keys()) if (this.typed.has(k)) yield k;
  }

  /** Closes the underlying map (the kernel drops its references to the stored objects when the map is freed). */
  close(): void {
    this.typed.close();
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Options of the u32-indexed fd maps. */
export interface FdArrayOptions {
  /** Capacity. */
  readonly maxEntries: number;
  /** Name. */
  readonly name?: string;
}

function createFdArray(type: number, options: FdArrayOptions, extra: Partial<MapSpec> = {}): BpfMap {
  return BpfMap.create({ type, keySize: 4, valueSize: 4, maxEntries: options.maxEntries, ...(options.name !== undefined ? { name: options.name } : {}), ...extra });
}

/** Tail-call targets: programs of one type at u32 indexes. */
export class ProgArray extends FdMap<number> {
  /** Creates a `prog_array` map. */
  static create(options: FdArrayOptions): ProgArray {
    return new ProgArray(createFdArray(MapTypes.prog_array, options), u32);
  }
}

/** Options of map-in-map types. */
export interface MapOfMapsOptions extends FdArrayOptions {
  /** The shape every inner map must have (a template, created and closed during creation). */
  readonly innerMap: MapSpec;
}

/** An array of maps. Requires Linux 4.12. */
export class ArrayOfMaps extends FdMap<number> {
  /** Creates an `array_of_maps` map. */
  static create(options: MapOfMapsOptions): ArrayOfMaps {
    return new ArrayOfMaps(createFdArray(MapTypes.array_of_maps, options, { innerMap: options.innerMap }), u32);
  }
}

/** A hash of maps with typed keys. Requires Linux 4.12. */
export class HashOfMaps<K> extends FdMap<K> {
  /** Creates a `hash_of_maps` map. */
  static create<K>(options: MapOfMapsOptions & { readonly key: Codec<K> }): HashOfMaps<K> {
    const map = BpfMap.create({
      type: MapTypes.hash_of_maps,
      keySize: options.key.size,
      valueSize: 4,
      maxEntries: options.maxEntries,
      innerMap: options.innerMap,
      ...(options.name !== undefined ? { name: options.name } : {}),
    });
    return new HashOfMaps(map, options.key);
  }
}

/** Perf event fds at CPU indexes, for `bpf_perf_event_output` (BCC's `BPF_PERF_OUTPUT`). */
export class PerfEventArray extends FdMap<number> {
  /** Creates a `perf_event_array` map with one slot per possible CPU unless `maxEntries` is given. */
  static create(options: Partial<FdArrayOptions> = {}): PerfEventArray {
    return new PerfEventArray(createFdArray(MapTypes.perf_event_array, { maxEntries: options.maxEntries ?? possibleCpus(), ...(options.name !== undefined ? { name: options.name } : {}) }), u32);
  }
}
