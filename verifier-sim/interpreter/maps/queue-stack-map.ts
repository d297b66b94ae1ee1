/**
 * Simulated `queue` (FIFO) and `stack` (LIFO) maps (`kernel/bpf/queue_stack_maps.c`): no keys;
 * `bpf_map_push_elem` with `BPF_EXIST` on a full map drops the oldest element.
 * @module
 */

import { Errno } from '../errno.js';
import { SimMap, UpdateFlags, type SimMapSpec } from './sim-map.js';

/** A queue or stack map. */
export class QueueStackMap extends SimMap {
  /** Whether pop takes the newest element (stack) rather than the oldest (queue). */
  readonly lifo: boolean;
  private readonly items: Uint8Array[] = [];

  constructor(spec: SimMapSpec) {
    super(spec);
    if (spec.keySize !== 0) throw new RangeError(`map '${this.name}': a ${spec.type} map has no key (key size 0), got ${spec.keySize}`);
    this.lifo = spec.type === 'stack';
  }

  override pushElem(value: Uint8Array, off: number, flags: bigint): number {
    if ((flags & ~BigInt(UpdateFlags.EXIST)) !== 0n) return -Errno.EINVAL;
    if (this.items.length >= this.maxEntries) {
      if (flags !== BigInt(UpdateFlags.EXIST)) return -Errno.E2BIG;
      this.items.shift();
    }
    this.items.push(value.slice(off, off + this.valueSize));
    return 0;
  }

  override popElem(remove: boolean): Uint8Array | number {
    if (this.items.length === 0) return -Errno.ENOENT;
    if (!remove) return this.lifo ? this.items[this.items.length - 1] : this.items[0];
    return (this.lifo ? this.items.pop() : this.items.shift()) as Uint8Array;
  }

  override updateElem(_key: Uint8Array, _keyOff: number, value: Uint8Array, valueOff: number, flags: bigint): number {
    return this.pushElem(value, valueOff, flags);
  }

  /** Test API: appends a value (as `bpf_map_update_elem` from user space does). */
  push(value: Uint8Array): void {
    if (value.length !== this.valueSize) throw new RangeError(`map '${this.name}': value of ${value.length} bytes, expected ${this.valueSize}`);
    const r = this.pushElem(value, 0, 0n);
    if (r < 0) throw new RangeError(`map '${this.name}': push failed with errno ${-r}`);
  }

  /** Test API: removes and returns the next value, or undefined when empty. */
  pop(): Uint8Array | undefined {
    const r = this.popElem(true);
    return typeof r === 'number' ? undefined : r;
  }

  /** Test API: the values in pop order (copied). */
  values(): Uint8Array[] {
    const v = this.items.map((x) => x.slice());
    return this.lifo ? v.reverse() : v;
  }

  override entries(): [Uint8Array, Uint8Array][] {
    return this.values().map((v) => [new Uint8Array(0), v]);
  }
}
