/**
 * {@link LpmTrie} (`BPF_MAP_TYPE_LPM_TRIE`): longest-prefix-match lookups. A key is
 * `struct bpf_lpm_trie_key_u8`: a u32 prefix length in bits, then the data (e.g. an IPv4 or IPv6
 * address, big-endian as on the wire). Requires Linux 4.11.
 * @module
 */

import { MapTypes } from 'ebpf-bytecode-utils';
import { BpfMap } from './bpf-map.js';
import { viewOf, type Codec } from './codec.js';
import { MapSizeError } from './map-size-error.js';
import type { TypedMapOptions } from './typed-map.js';

/** `BPF_F_NO_PREALLOC`, which LPM tries require. */
const BPF_F_NO_PREALLOC = 1;

/** Options of {@link LpmTrie.create}. */
export interface LpmTrieOptions<V> extends TypedMapOptions {
  /** Bytes of prefix data (4 for IPv4, 16 for IPv6). */
  readonly dataSize: number;
  /** Value encoding. */
  readonly value: Codec<V>;
}

/** An LPM trie: `set(prefixLen, data, value)`, `lookup(data)` finds the longest matching prefix. */
export class LpmTrie<V> implements Disposable {
  /** The underlying raw map. */
  readonly map: BpfMap;
  /** Value encoding. */
  readonly value: Codec<V>;
  /** Bytes of prefix data. */
  readonly dataSize: number;

  /** Narrows `map` (key size 4 + dataSize). */
  constructor(map: BpfMap, value: Codec<V>) {
    if (map.keySize < 5) throw new MapSizeError('narrow', map.description, 'key', 5, map.keySize, ' or more (u32 prefix length + data)');
    if (value.size !== map.valueSize) throw new MapSizeError('narrow', map.description, 'value type', map.valueSize, value.size);
    this.map = map;
    this.value = value;
    this.dataSize = map.keySize - 4;
  }

  /** Creates an `lpm_trie` map (with `BPF_F_NO_PREALLOC`, which the kernel requires). */
  static create<V>(options: LpmTrieOptions<V>): LpmTrie<V> {
    const map = BpfMap.create({
      type: MapTypes.lpm_trie,
      keySize: 4 + options.dataSize,
      valueSize: options.value.size,
      maxEntries: options.maxEntries,
      flags: (options.flags ?? 0) | BPF_F_NO_PREALLOC,
      ...(options.name !== undefined ? { name: options.name } : {}),
    });
    return new LpmTrie(map, options.value);
  }

  /** The raw key of `prefixLen` bits of `data`. */
  key(prefixLen: number, data: Uint8Array): Uint8Array {
    if (data.byteLength !== this.dataSize) throw new MapSizeError('encode key of', this.map.description, 'prefix data', this.dataSize, data.byteLength);
    if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > this.dataSize * 8) throw new RangeError(`${this.map.description}: prefix length ${String(prefixLen)} is not in [0, ${this.dataSize * 8}]`);
    const k = new Uint8Array(4 + this.dataSize);
    viewOf(k).setUint32(0, prefixLen, true);
    k.set(data, 4);
    return k;
  }

  /** Stores `value` for the prefix `data/prefixLen`. */
  set(prefixLen: number, data: Uint8Array, value: V): this {
    const v = new Uint8Array(this.value.size);
    this.value.write(viewOf(v), 0, value);
    this.map.set(this.key(prefixLen, data), v);
    return this;
  }

  /** The value of the longest prefix matching all bits of `data`, or undefined. */
  lookup(data: Uint8Array): V | undefined {
    const v = this.map.get(this.key(this.dataSize * 8, data));
    return v === undefined ? undefined : this.value.read(viewOf(v), 0);
  }

  /** Deletes the exact prefix `data/prefixLen`; returns whether it existed. */
  delete(prefixLen: number, data: Uint8Array): boolean {
    return this.map.delete(this.key(prefixLen, data));
  }

  /** Every stored prefix with its value. */
  *entries(): Generator<{ prefixLen: number; data: Uint8Array; value: V }> {
    for (const [k, v] of this.map.entries()) {
      yield { prefixLen: viewOf(k).getUint32(0, true), data: k.slice(4), value: this.value.read(viewOf(v), 0) };
    }
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
