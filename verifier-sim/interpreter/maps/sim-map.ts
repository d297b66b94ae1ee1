/**
 * The base of simulated maps: the spec a map is created from, the operations helpers call
 * (taking the key or value as a range of simulated memory, so a lookup allocates nothing), and
 * the small JS API tests use to pre-fill and read maps.
 * @module
 */

import { Errno } from '../errno.js';

/** Map flags the simulation honours (`BPF_F_…` of `include/uapi/linux/bpf.h`). */
export const MapFlags = {
  /** `BPF_F_NO_PREALLOC`. */
  NO_PREALLOC: 1 << 0,
  /** `BPF_F_RDONLY_PROG`: the program may read values but not write them. */
  RDONLY_PROG: 1 << 7,
} as const;

/** Update flags of `bpf_map_update_elem` (`BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`). */
export const UpdateFlags = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;

/** What a map is created from (the fields of `BPF_MAP_CREATE`, plus the simulated CPU count). */
export interface SimMapSpec {
  /** Map type name as the kernel's `bpf_map_type` without prefix: `hash`, `array`, `ringbuf`, … */
  readonly type: string;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Maximum entries (for a ring buffer: its size in bytes). */
  readonly maxEntries: number;
  /** `map_flags`. */
  readonly flags?: number;
  /** A name for messages. */
  readonly name?: string;
  /** Number of simulated CPUs (per-CPU maps hold one value per CPU); 1 unless said. */
  readonly cpus?: number;
}

/** A simulated map. Subclasses implement the operations their kernel map type supports. */
export abstract class SimMap {
  /** The type name (`hash`, `percpu_array`, …). */
  readonly type: string;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Maximum entries. */
  readonly maxEntries: number;
  /** `map_flags`. */
  readonly flags: number;
  /** Name for messages. */
  readonly name: string;
  /** Number of simulated CPUs. */
  readonly cpus: number;

  constructor(spec: SimMapSpec) {
    this.type = spec.type;
    this.keySize = spec.keySize;
    this.valueSize = spec.valueSize;
    this.maxEntries = spec.maxEntries;
    this.flags = spec.flags ?? 0;
    this.name = spec.name ?? spec.type;
    this.cpus = spec.cpus ?? 1;
    if (!Number.isInteger(this.cpus) || this.cpus < 1) throw new RangeError(`map '${this.name}': cpus ${String(spec.cpus)} must be a positive integer`);
  }

  /** Whether the program may not write values (`BPF_F_RDONLY_PROG`). */
  get readOnlyForProgram(): boolean {
    return (this.flags & MapFlags.RDONLY_PROG) !== 0;
  }

  /** Program lookup: the value buffer for the key at `key[off..]` on `cpu`, or undefined. */
  lookupElem(_key: Uint8Array, _off: number, _cpu: number): Uint8Array | undefined {
    return undefined;
  }

  /** Program update: 0 or `-errno`. */
  updateElem(_key: Uint8Array, _keyOff: number, _value: Uint8Array, _valueOff: number, _flags: bigint, _cpu: number): number {
    return -Errno.EINVAL;
  }

  /** Program delete: 0 or `-errno`. */
  deleteElem(_key: Uint8Array, _off: number): number {
    return -Errno.EINVAL;
  }

  /** Program push (queue/stack): 0 or `-errno`. */
  pushElem(_value: Uint8Array, _off: number, _flags: bigint): number {
    return -Errno.EINVAL;
  }

  /** Program pop/peek (queue/stack): the value or `-errno`. */
  popElem(_remove: boolean): Uint8Array | number {
    return -Errno.EINVAL;
  }

  /** Test API: the value at `key` (for per-CPU maps, CPU `cpu`'s), copied; undefined when absent. */
  get(key: Uint8Array, cpu = 0): Uint8Array | undefined {
    const v = this.lookupElem(this.checkKey(key), 0, this.checkCpu(cpu));
    return v === undefined ? undefined : v.slice();
  }

  /** Test API: sets `key` to `value` (for per-CPU maps, on every CPU). Throws when the map refuses. */
  set(key: Uint8Array, value: Uint8Array): void {
    this.checkKey(key);
    if (value.length !== this.valueSize) throw new RangeError(`map '${this.name}': value of ${value.length} bytes, expected ${this.valueSize}`);
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const r = this.updateElem(key, 0, value, 0, 0n, cpu);
      if (r < 0) throw new RangeError(`map '${this.name}': update failed with errno ${-r}`);
    }
  }

  /** Test API: deletes `key`; whether it was there. */
  delete(key: Uint8Array): boolean {
    return this.deleteElem(this.checkKey(key), 0) === 0;
  }

  /** Test API: every (key, value) pair, values copied (CPU 0's for per-CPU maps). */
  entries(): [Uint8Array, Uint8Array][] {
    return [];
  }

  /** Checks a key's length. */
  protected checkKey(key: Uint8Array): Uint8Array {
    if (key.length !== this.keySize) throw new RangeError(`map '${this.name}': key of ${key.length} bytes, expected ${this.keySize}`);
    return key;
  }

  /** Checks a CPU number. */
  protected checkCpu(cpu: number): number {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpus) throw new RangeError(`map '${this.name}': cpu ${cpu} is not in 0..${this.cpus - 1}`);
    return cpu;
  }
}

/** The key bytes `buf[off..off+size]` as a string usable as a JS Map key. */
export function keyString(buf: Uint8Array, off: number, size: number): string {
  // Two bytes per UTF-16 code unit; a map's keys all have the same size, so this is injective.
  if (size === 4) return String.fromCharCode(buf[off] | (buf[off + 1] << 8), buf[off + 2] | (buf[off + 3] << 8));
  if (size === 8) {
    return String.fromCharCode(buf[off] | (buf[off + 1] << 8), buf[off + 2] | (buf[off + 3] << 8), buf[off + 4] | (buf[off + 5] << 8), buf[off + 6] | (buf[off + 7] << 8));
  }
  let s = '';
  let i = 0;
  for (; i + 1 < size; i += 2) s += String.fromCharCode(buf[off + i] | (buf[off + i + 1] << 8));
  if (i < size) s += String.fromCharCode(buf[off + i]);
  return s;
}

/** Checks the common update flags: 0 or `-EINVAL`. */
export function checkUpdateFlags(flags: bigint): number {
  return flags > 2n ? -Errno.EINVAL : 0;
}
