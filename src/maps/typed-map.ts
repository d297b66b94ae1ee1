/**
 * {@link TypedMap}: a {@link BpfMap} seen through a key and a value {@link Codec}, for maps
 * whose elements are looked up, updated and deleted by key.
 * @module
 */

import { BpfCmd, Errno, type MapElemAccess } from '../../syscalls/index.js';
import { BpfMap, type UpdateFlag } from './bpf-map.js';
import { viewOf, type Codec } from './codec.js';
import { MapSizeError } from './map-size-error.js';

const flagNumbers = { any: 0, noexist: 1, exist: 2 } as const;

/** What typed map constructors take besides the codecs. */
export interface TypedMapOptions {
  /** Capacity. */
  readonly maxEntries: number;
  /** Name, at most 15 bytes. */
  readonly name?: string;
  /** `BPF_F_*` flags. */
  readonly flags?: number;
}

/**
 * A map with typed keys and values. Keys and values are encoded straight into the map's
 * preallocated buffers: `get` of a number key allocates only the decoded value.
 */
export class TypedMap<K, V> implements Disposable {
  /** The underlying raw map. */
  readonly map: BpfMap;
  /** Key encoding. */
  readonly keyCodec: Codec<K>;
  /** Value encoding (for per-CPU maps: all CPUs' values). */
  readonly valueCodec: Codec<V>;
  private readonly keyView: DataView;
  private readonly valueView: DataView;
  /** The map's element access (one object hop less per operation than `map.access`). */
  private readonly access: MapElemAccess;

  /** Narrows `map` to these codecs; a MapSizeError when their sizes are not the map's. */
  constructor(map: BpfMap, keyCodec: Codec<K>, valueCodec: Codec<V>) {
    if (keyCodec.size !== map.keySize) throw new MapSizeError('narrow', map.description, 'key type', map.keySize, keyCodec.size);
    if (valueCodec.size !== map.valueBufferSize) throw new MapSizeError('narrow', map.description, 'value type', map.valueBufferSize, valueCodec.size);
    this.map = map;
    this.keyCodec = keyCodec;
    this.valueCodec = valueCodec;
    this.keyView = viewOf(map.access.key);
    this.valueView = viewOf(map.access.value);
    this.access = map.access;
  }

  /** The fd of the underlying map. */
  get fd(): number {
    return this.map.fd;
  }

  /** The value of `key`, or undefined. */
  get(key: K): V | undefined {
    void this.map.fd; // throws when closed
    this.keyCodec.write(this.keyView, 0, key);
    const r = this.access.lookup();
    if (r === -Errno.ENOENT) return undefined;
    if (r < 0) this.map.fail('lookup', BpfCmd.MAP_LOOKUP_ELEM, r);
    return this.valueCodec.read(this.valueView, 0);
  }

  /** Whether `key` exists. */
  has(key: K): boolean {
    void this.map.fd;
    this.keyCodec.write(this.keyView, 0, key);
    const r = this.map.access.lookup();
    if (r === -Errno.ENOENT) return false;
    if (r < 0) this.map.fail('lookup', BpfCmd.MAP_LOOKUP_ELEM, r);
    return true;
  }

  /** Sets `key` to `value` (`flag`: `'any'`, `'noexist'`, `'exist'`). */
  set(key: K, value: V, flag: UpdateFlag = 'any'): this {
    void this.map.fd;
    this.keyCodec.write(this.keyView, 0, key);
    this.valueCodec.write(this.valueView, 0, value);
    const r = this.access.update(typeof flag === 'number' ? flag : flagNumbers[flag]);
    if (r < 0) this.map.failUpdate(r);
    return this;
  }

  /** Deletes `key`; returns whether it existed. */
  delete(key: K): boolean {
    const k = new Uint8Array(this.keyCodec.size);
    this.keyCodec.write(viewOf(k), 0, key);
    return this.map.delete(k);
  }

  /** Every key. */
  *keys(): Generator<K> {
    for (const k of this.map.keys()) yield this.keyCodec.read(viewOf(k), 0);
  }

  /** Every `[key, value]` pair. */
  *entries(): Generator<[K, V]> {
    for (const [k, v] of this.map.entries()) yield [this.keyCodec.read(viewOf(k), 0), this.valueCodec.read(viewOf(v), 0)];
  }

  /** Every value. */
  *values(): Generator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  /** Same as {@link entries}. */
  [Symbol.iterator](): Generator<[K, V]> {
    return this.entries();
  }

  /** Removes every element (arrays: zeroes every value). */
  clear(): void {
    this.map.clear();
  }

  /** Closes the underlying map. */
  close(): void {
    this.map.close();
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
