/**
 * Simulated `array` and `percpu_array` maps (`kernel/bpf/arraymap.c`): preallocated, zeroed
 * values indexed by a u32 key; elements cannot be deleted; updates copy in place.
 * @module
 */

import { Errno } from '../errno.js';
import { SimMap, UpdateFlags, checkUpdateFlags, type SimMapSpec } from './sim-map.js';

/** An array map, optionally per-CPU. */
export class ArrayMap extends SimMap {
  /** Whether each element holds one value per CPU. */
  readonly perCpu: boolean;
  /** `values[cpu][index]` (one CPU row unless per-CPU). */
  private readonly values: Uint8Array[][];

  constructor(spec: SimMapSpec) {
    super(spec);
    if (spec.keySize !== 4) throw new RangeError(`map '${this.name}': an ${spec.type} map needs a 4-byte key, got ${spec.keySize}`);
    this.perCpu = spec.type === 'percpu_array';
    this.values = [];
    for (let c = 0; c < (this.perCpu ? this.cpus : 1); c++) {
      // One backing buffer per CPU row, as the kernel allocates one block.
      const block = new Uint8Array(this.valueSize * this.maxEntries);
      const row: Uint8Array[] = [];
      for (let i = 0; i < this.maxEntries; i++) row.push(block.subarray(i * this.valueSize, (i + 1) * this.valueSize));
      this.values.push(row);
    }
  }

  private index(key: Uint8Array, off: number): number {
    return (key[off] | (key[off + 1] << 8) | (key[off + 2] << 16) | (key[off + 3] << 24)) >>> 0;
  }

  override lookupElem(key: Uint8Array, off: number, cpu: number): Uint8Array | undefined {
    const i = this.index(key, off);
    if (i >= this.maxEntries) return undefined;
    return this.values[this.perCpu ? cpu : 0][i];
  }

  override updateElem(key: Uint8Array, keyOff: number, value: Uint8Array, valueOff: number, flags: bigint, cpu: number): number {
    const bad = checkUpdateFlags(flags);
    if (bad < 0) return bad;
    const i = this.index(key, keyOff);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    if (flags === BigInt(UpdateFlags.NOEXIST)) return -Errno.EEXIST;
    this.values[this.perCpu ? cpu : 0][i].set(value.subarray(valueOff, valueOff + this.valueSize));
    return 0;
  }

  override deleteElem(): number {
    return -Errno.EINVAL;
  }

  /** Test API: the value at `index` (for per-CPU maps, CPU `cpu`'s), copied. */
  at(index: number, cpu = 0): Uint8Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.maxEntries) throw new RangeError(`map '${this.name}': index ${index} is not in 0..${this.maxEntries - 1}`);
    return this.values[this.perCpu ? this.checkCpu(cpu) : 0][index].slice();
  }

  /** Test API: every CPU's value at `index` (copied). */
  getPerCpu(index: number): Uint8Array[] {
    return this.values.map((row) => row[index].slice());
  }

  override entries(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < this.maxEntries; i++) {
      const k = new Uint8Array(4);
      new DataView(k.buffer).setUint32(0, i, true);
      out.push([k, this.values[0][i].slice()]);
    }
    return out;
  }
}
