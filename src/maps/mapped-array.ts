/**
 * {@link MappedArray}: the values of an mmapable array map (`BPF_F_MMAPABLE`) mapped into this
 * process, read and written with no system call and no copy.
 * @module
 */

import { MapTypes } from 'ebpf-bytecode-utils';
import { Errno, PAGE_SIZE, Prot, SyscallError, mmap, munmap, nativeView } from '../../syscalls/index.js';
import { KernelObjectError } from '../errors.js';
import type { BpfMap } from './bpf-map.js';
import type { Codec } from './codec.js';
import { trackMapping, untrackMapping } from './leak-tracker.js';

/** `BPF_F_MMAPABLE`: the array map's values can be mapped with `mmap(2)`. Requires Linux 5.5. */
export const BPF_F_MMAPABLE = 0x400;

/** Options of {@link MappedArray.of}. */
export interface MapArrayOptions {
  /**
   * Map for writing (true), for reading only (false), or writable when the kernel allows it and
   * read-only when the map is frozen or `BPF_F_RDONLY` (undefined, the default). True on a
   * frozen map is a {@link KernelObjectError}.
   */
  readonly writable?: boolean;
}

/**
 * The values of an `array` map created with {@link BPF_F_MMAPABLE}, mapped into this process:
 * value `i` lives at byte `i * stride` ({@link stride} is the value size rounded up to 8), and
 * what programs write is visible at once (and the other way round), with no system call.
 *
 * {@link get} and {@link set} go through the value codec; {@link bytes} and {@link view} expose
 * the memory itself for writable mappings. Reading through a view of a read-only mapping is fine,
 * but writing to one would kill the process, so read-only mappings do not hand out views.
 *
 * {@link close} unmaps the memory (once). Views taken from {@link bytes} / {@link view} must not
 * be touched after that: the pages are gone and touching them crashes the process. A mapping
 * never closed is unmapped when its memory (and every view of it) is collected, and reported by
 * the leak hook of `leak-tracker.ts` like an unclosed fd.
 */
export class MappedArray<V> implements Disposable {
  /** The map (not owned: closing this mapping does not close the map). */
  readonly map: BpfMap;
  /** Number of values (the map's `maxEntries`). */
  readonly length: number;
  /** Bytes from one value to the next: the value size rounded up to 8. */
  readonly stride: number;
  /** Whether the mapping is writable (false for frozen and `BPF_F_RDONLY` maps). */
  readonly writable: boolean;
  /** How values are read and written by {@link get} / {@link set}. */
  readonly codec: Codec<V>;
  #addr: bigint;
  readonly #mappedLength: number;
  #bytes: Uint8Array | undefined;
  #view: DataView | undefined;

  private constructor(map: BpfMap, codec: Codec<V>, addr: bigint, mappedLength: number, writable: boolean) {
    this.map = map;
    this.codec = codec;
    this.length = map.maxEntries;
    this.stride = (map.valueSize + 7) & ~7;
    this.writable = writable;
    this.#addr = addr;
    this.#mappedLength = mappedLength;
    const buffer = nativeView(addr, mappedLength);
    this.#bytes = new Uint8Array(buffer, 0, this.length * this.stride);
    this.#view = new DataView(buffer, 0, this.length * this.stride);
    trackMapping(buffer, this, `mapping of ${map.description}`, addr, mappedLength);
  }

  /**
   * Maps the values of `map` (an `array` map created with {@link BPF_F_MMAPABLE}), read and
   * written through `codec` (whose size must be the map's value size).
   * @throws KernelObjectError when the map is not an mmapable array, is closed, or the kernel
   *   refuses the mapping (`writable: true` on a frozen map: permission denied).
   */
  static of<V>(map: BpfMap, codec: Codec<V>, options: MapArrayOptions = {}): MappedArray<V> {
    const op = 'mmap';
    if (map.type !== MapTypes.array) throw new KernelObjectError(op, map.description, 'only array maps can be mapped (this is not an array map)');
    if ((map.flags & BPF_F_MMAPABLE) === 0) throw new KernelObjectError(op, map.description, 'the map was not created with BPF_F_MMAPABLE (flags 0x400)');
    if (codec.size !== map.valueSize) throw new KernelObjectError(op, map.description, `the value codec is ${codec.size} bytes but values are ${map.valueSize} bytes`);
    const fd = map.fd;
    const stride = (map.valueSize + 7) & ~7;
    const length = Math.ceil((map.maxEntries * stride) / PAGE_SIZE) * PAGE_SIZE;
    if (options.writable !== false) {
      try {
        return new MappedArray(map, codec, mmap(fd, length, Prot.READ | Prot.WRITE), length, true);
      } catch (err) {
        const denied = err instanceof SyscallError && err.errno === Errno.EPERM;
        if (!denied || options.writable === true) {
          throw KernelObjectError.wrap(op, map.description, err, (e) => (e === Errno.EPERM ? 'permission denied: the map is frozen or read-only for user space (map it with writable: false)' : undefined));
        }
      }
    }
    try {
      return new MappedArray(map, codec, mmap(fd, length, Prot.READ), length, false);
    } catch (err) {
      throw KernelObjectError.wrap(op, map.description, err);
    }
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#bytes === undefined;
  }

  #live(what: string): DataView {
    if (this.#view === undefined) throw new KernelObjectError(what, `mapping of ${this.map.description}`, 'the mapping is closed');
    return this.#view;
  }

  #index(what: string, i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new RangeError(`${what} ${this.map.description}: index ${String(i)} is out of range [0, ${this.length})`);
    return i * this.stride;
  }

  /** Value `i`, decoded from the mapped memory (a RangeError for an index out of range). */
  get(i: number): V {
    const view = this.#live('read');
    return this.codec.read(view, this.#index('read', i));
  }

  /** Writes value `i` into the mapped memory (a KernelObjectError on a read-only mapping). */
  set(i: number, value: V): void {
    const view = this.#live('write');
    if (!this.writable) throw new KernelObjectError('write', `mapping of ${this.map.description}`, 'the mapping is read-only (the map is frozen or read-only for user space)');
    this.codec.write(view, this.#index('write', i), value);
  }

  /**
   * Every value's bytes, `stride` apart (writable mappings only; a view: do not touch it after
   * {@link close}).
   */
  get bytes(): Uint8Array {
    this.#live('view');
    this.#writableOnly();
    return this.#bytes!;
  }

  /** A DataView over {@link bytes} (writable mappings only; do not touch it after {@link close}). */
  get view(): DataView {
    const view = this.#live('view');
    this.#writableOnly();
    return view;
  }

  #writableOnly(): void {
    if (!this.writable) throw new KernelObjectError('view', `mapping of ${this.map.description}`, 'a read-only mapping gives no views (a write through one would crash the process): use get()');
  }

  /** Unmaps the memory (once; later calls do nothing). */
  close(): void {
    if (this.#bytes === undefined) return;
    this.#bytes = undefined;
    this.#view = undefined;
    untrackMapping(this);
    munmap(this.#addr, this.#mappedLength);
    this.#addr = 0n;
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
