/**
 * {@link Queue} (`BPF_MAP_TYPE_QUEUE`, FIFO) and {@link Stack} (`BPF_MAP_TYPE_STACK`, LIFO):
 * keyless maps with push, pop and peek. Requires Linux 4.20.
 * @module
 */

import { BpfCmd, Errno, BPF_EXIST } from '../../syscalls/index.js';
import { MapTypes } from 'ebpf-bytecode-utils';
import { BpfMap } from './bpf-map.js';
import { viewOf, type Codec } from './codec.js';
import { MapSizeError } from './map-size-error.js';
import type { TypedMapOptions } from './typed-map.js';

/** Options of {@link Queue.create} / {@link Stack.create}. */
export interface QueueOptions<V> extends TypedMapOptions {
  /** Value encoding. */
  readonly value: Codec<V>;
}

/** The push/pop/peek surface shared by queues and stacks. */
export class PushPopMap<V> implements Disposable {
  /** The underlying raw map. */
  readonly map: BpfMap;
  /** Value encoding. */
  readonly value: Codec<V>;
  private readonly view: DataView;

  /** Narrows a keyless `map`. */
  constructor(map: BpfMap, value: Codec<V>) {
    if (map.keySize !== 0) throw new MapSizeError('narrow', map.description, 'key', 0, map.keySize);
    if (value.size !== map.valueSize) throw new MapSizeError('narrow', map.description, 'value type', map.valueSize, value.size);
    this.map = map;
    this.value = value;
    this.view = viewOf(map.access.value);
  }

  /** Adds `value`; when full, fails with E2BIG unless `overwrite` (then the oldest element is dropped). */
  push(value: V, overwrite = false): this {
    void this.map.fd;
    this.value.write(this.view, 0, value);
    const r = this.map.access.update(overwrite ? BPF_EXIST : 0);
    if (r < 0) this.map.failUpdate(r);
    return this;
  }

  /** Removes and returns the next element, or undefined when empty. */
  pop(): V | undefined {
    void this.map.fd;
    const r = this.map.access.lookupAndDelete();
    if (r === -Errno.ENOENT) return undefined;
    if (r < 0) this.map.fail('pop', BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, r);
    return this.value.read(this.view, 0);
  }

  /** Returns the next element without removing it, or undefined when empty. */
  peek(): V | undefined {
    void this.map.fd;
    const r = this.map.access.lookup();
    if (r === -Errno.ENOENT) return undefined;
    if (r < 0) this.map.fail('peek', BpfCmd.MAP_LOOKUP_ELEM, r);
    return this.value.read(this.view, 0);
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

function createKeyless(type: number, options: QueueOptions<unknown>): BpfMap {
  return BpfMap.create({
    type,
    keySize: 0,
    valueSize: options.value.size,
    maxEntries: options.maxEntries,
    ...(options.flags !== undefined ? { flags: options.flags } : {}),
    ...(options.name !== undefined ? { name: options.name } : {}),
  });
}

/** A FIFO queue: `pop` returns the oldest element. */
export class Queue<V> extends PushPopMap<V> {
  /** Creates a `queue` map. */
  static create<V>(options: QueueOptions<V>): Queue<V> {
    return new Queue(createKeyless(MapTypes.queue, options), options.value);
  }
}

/** A LIFO stack: `pop` returns the newest element. */
export class Stack<V> extends PushPopMap<V> {
  /** Creates a `stack` map. */
  static create<V>(options: QueueOptions<V>): Stack<V> {
    return new Stack(createKeyless(MapTypes.stack, options), options.value);
  }
}
