/**
 * {@link BloomFilter} (`BPF_MAP_TYPE_BLOOM_FILTER`): a keyless set with false positives and no
 * deletion. Requires Linux 5.16.
 * @module
 */

import { BpfCmd, Errno } from '../../syscalls/index.js';
import { MapTypes } from 'ebpf-bytecode-utils';
import { BpfMap } from './bpf-map.js';
import { viewOf, type Codec } from './codec.js';
import type { TypedMapOptions } from './typed-map.js';

/** Options of {@link BloomFilter.create}. */
export interface BloomFilterOptions<V> extends TypedMapOptions {
  /** Value encoding. */
  readonly value: Codec<V>;
  /** Number of hash functions, 1–15 (`map_extra`; the kernel's default is 5). */
  readonly hashes?: number;
}

/** A bloom filter: `add(v)`, then `has(v)` is true for every added value (and maybe others). */
export class BloomFilter<V> implements Disposable {
  /** The underlying raw map. */
  readonly map: BpfMap;
  /** Value encoding. */
  readonly value: Codec<V>;
  private readonly view: DataView;

  /** Narrows a bloom filter `map`. */
  constructor(map: BpfMap, value: Codec<V>) {
    this.map = map;
    this.value = value;
    this.view = viewOf(map.access.value);
  }

  /** Creates a `bloom_filter` map. */
  static create<V>(options: BloomFilterOptions<V>): BloomFilter<V> {
    if (options.hashes !== undefined && (!Number.isInteger(options.hashes) || options.hashes < 1 || options.hashes > 15)) {
      throw new RangeError(`bloom filter: hashes ${String(options.hashes)} is not in [1, 15]`);
    }
    const map = BpfMap.create({
      type: MapTypes.bloom_filter,
      keySize: 0,
      valueSize: options.value.size,
      maxEntries: options.maxEntries,
      ...(options.flags !== undefined ? { flags: options.flags } : {}),
      ...(options.name !== undefined ? { name: options.name } : {}),
      ...(options.hashes !== undefined ? { mapExtra: BigInt(options.hashes) } : {}),
    });
    return new BloomFilter(map, options.value);
  }

  /** Adds `value`. */
  add(value: V): this {
    void this.map.fd;
    this.value.write(this.view, 0, value);
    const r = this.map.access.update(0);
    if (r < 0) this.map.failUpdate(r);
    return this;
  }

  /** False when `value` was certainly never added; true when it probably was. */
  has(value: V): boolean {
    void this.map.fd;
    this.value.write(this.view, 0, value);
    const r = this.map.access.lookup();
    if (r === -Errno.ENOENT) return false;
    if (r < 0) this.map.fail('lookup', BpfCmd.MAP_LOOKUP_ELEM, r);
    return true;
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
