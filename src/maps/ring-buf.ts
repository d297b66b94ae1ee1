/**
 * {@link RingBuf} (`BPF_MAP_TYPE_RINGBUF`): creation only. Reading records needs `mmap` and a
 * reader (a later part of the "Kernel objects" work); programs can already output to it.
 * Requires Linux 5.8.
 * @module
 */

import { MapTypes } from 'ebpf-bytecode-utils';
import { BpfMap } from './bpf-map.js';

/** Options of {@link RingBuf.create}. */
export interface RingBufOptions {
  /** Data size in bytes: a power of 2 and a multiple of the page size (4096). */
  readonly size: number;
  /** Name. */
  readonly name?: string;
}

/** A ring buffer map (the kernel side of BCC's `BPF_RINGBUF_OUTPUT`). */
export class RingBuf implements Disposable {
  /** The underlying raw map. */
  readonly map: BpfMap;

  /** Wraps a ring buffer `map`. */
  constructor(map: BpfMap) {
    this.map = map;
  }

  /** Creates a `ringbuf` map of `size` bytes (checked: a power of 2, at least 4096). */
  static create(options: RingBufOptions): RingBuf {
    const { size } = options;
    if (!Number.isInteger(size) || size < 4096 || (size & (size - 1)) !== 0) throw new RangeError(`ring buffer: size ${String(size)} is not a power of 2 of at least 4096`);
    return new RingBuf(BpfMap.create({ type: MapTypes.ringbuf, keySize: 0, valueSize: 0, maxEntries: size, ...(options.name !== undefined ? { name: options.name } : {}) }));
  }

  /** The fd of the map. */
  get fd(): number {
    return this.map.fd;
  }

  /** Closes the map. */
  close(): void {
    this.map.close();
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
