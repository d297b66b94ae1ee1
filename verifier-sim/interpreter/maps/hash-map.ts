/**
 * Simulated `hash`, `percpu_hash`, `lru_hash` and `lru_percpu_hash` maps (the kernel's
 * `kernel/bpf/hashtab.c`): keys compared byte-wise; an update of a non-per-CPU element replaces
 * the value buffer (a pointer the program got before keeps the old value, as in the kernel); an LRU
 * map evicts the least recently used element instead of failing when full.
 * @module
 */

import { Errno } from '../errno.js';
import { SimMap, UpdateFlags, checkUpdateFlags, keyString, type SimMapSpec } from './sim-map.js';

interface Entry {
  readonly key: Uint8Array;
  /** One buffer, or one per CPU. */
  values: Uint8Array[];
}

/** A hash map, optionally per-CPU and/or LRU. */
export class HashMap extends SimMap {
  /** Whether each element holds one value per CPU. */
  readonly perCpu: boolean;
  /** Whether a full map evicts its least recently used element. */
  readonly lru: boolean;
  private readonly elements = new Map<string, Entry>();

  constructor(spec: SimMapSpec) {
    super(spec);
    this.perCpu = spec.type === 'percpu_hash' || spec.type === 'lru_percpu_hash';
    this.lru = spec.type === 'lru_hash' || spec.type === 'lru_percpu_hash';
  }

  /** Number of elements. */
  get size(): number {
    return this.elements.size;
  }

  override lookupElem(key: Uint8Array, off: number, cpu: number): Uint8Array | undefined {
    const k = keyString(key, off, this.keySize);
    const e = this.elements.get(k);
    if (e === undefined) return undefined;
    if (this.lru) {
      this.elements.delete(k);
      this.elements.set(k, e);
    }
    return this.perCpu ? e.values[cpu] : e.values[0];
  }

  override updateElem(key: Uint8Array, keyOff: number, value: Uint8Array, valueOff: number, flags: bigint, cpu: number): number {
    const bad = checkUpdateFlags(flags);
    if (bad < 0) return bad;
    const k = keyString(key, keyOff, this.keySize);
    const old = this.elements.get(k);
    if (old !== undefined && flags === BigInt(UpdateFlags.NOEXIST)) return -Errno.EEXIST;
    if (old === undefined && flags === BigInt(UpdateFlags.EXIST)) return -Errno.ENOENT;
    const bytes = value.slice(valueOff, valueOff + this.valueSize);
    if (old !== undefined) {
      if (this.perCpu) old.values[cpu].set(bytes);
      else old.values = [bytes];
      if (this.lru) {
        this.elements.delete(k);
        this.elements.set(k, old);
      }
      return 0;
    }
    if (this.elements.size >= this.maxEntries) {
      if (!this.lru) return -Errno.E2BIG;
      const oldest = this.elements.keys().next();
      if (!oldest.done) this.elements.delete(oldest.value);
    }
    let values: Uint8Array[];
    if (this.perCpu) {
      values = [];
      for (let c = 0; c < this.cpus; c++) values.push(c === cpu ? bytes : new Uint8Array(this.valueSize));
    } else {
      values = [bytes];
    }
    this.elements.set(k, { key: key.slice(keyOff, keyOff + this.keySize), values });
    return 0;
  }

  override deleteElem(key: Uint8Array, off: number): number {
    return this.elements.delete(keyString(key, off, this.keySize)) ? 0 : -Errno.ENOENT;
  }

  /** Test API: sets `key` to one value per CPU (per-CPU maps). */
  setPerCpu(key: Uint8Array, values: readonly Uint8Array[]): void {
    this.checkKey(key);
    if (!this.perCpu) throw new RangeError(`map '${this.name}': setPerCpu on a ${this.type} map`);
    if (values.length !== this.cpus) throw new RangeError(`map '${this.name}': ${values.length} values for ${this.cpus} CPUs`);
    values.forEach((v, cpu) => this.set1(key, v, cpu));
  }

  private set1(key: Uint8Array, value: Uint8Array, cpu: number): void {
    if (value.length !== this.valueSize) throw new RangeError(`map '${this.name}': value of ${value.length} bytes, expected ${this.valueSize}`);
    const r = this.updateElem(key, 0, value, 0, 0n, cpu);
    if (r < 0) throw new RangeError(`map '${this.name}': update failed with errno ${-r}`);
  }

  /** Test API: every CPU's value at `key` (copied), or undefined. */
  getPerCpu(key: Uint8Array): Uint8Array[] | undefined {
    const e = this.elements.get(keyString(this.checkKey(key), 0, this.keySize));
    return e?.values.map((v) => v.slice());
  }

  override entries(): [Uint8Array, Uint8Array][] {
    return [...this.elements.values()].map((e) => [e.key.slice(), e.values[0].slice()]);
  }
}
