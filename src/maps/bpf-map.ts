/**
 * {@link BpfMap}: a kernel map owned through its fd, with element, iteration and batch
 * operations over raw bytes. The typed maps (`HashMap`, `ArrayMap`, …) wrap it.
 * @module
 */

import {
  BPF_ANY, BPF_EXIST, BPF_NOEXIST, BpfCmd, Errno, MapElemAccess, bpfError, closeFd,
  getFdById, mapBatch, mapCreate, mapFreeze, mapInfo, objGet, objPin, SyscallError, type MapInfo,
} from '../../syscalls/index.js';
import { BPFFS_PATH, ensureBpffs } from './bpffs.js';
import { pinnedMapMismatch } from './pin-by-name.js';
import { loadMapBtf, type LoadedMapBtf } from './map-btf.js';
import { KernelObjectError } from '../errors.js';
import { trackFd, untrackFd } from './leak-tracker.js';
import { describeMap, isArrayLike, isMapInMap, isPerCpu, mapTypeOf, objectNameProblem, perCpuStride, type MapSpec } from './map-spec.js';
import { MapSizeError } from './map-size-error.js';
import { possibleCpuCount as possibleCpus } from '../system/possible-cpus.js';

/** Update flags by name: `'any'` (`BPF_ANY`), `'noexist'` (`BPF_NOEXIST`), `'exist'` (`BPF_EXIST`), or a number. */
export type UpdateFlag = 'any' | 'noexist' | 'exist' | number;

const updateFlags = { any: BPF_ANY, noexist: BPF_NOEXIST, exist: BPF_EXIST } as const;

/**
 * The number of update flag `flag`; a RangeError for an unknown name or a number that is not a
 * u32 (both used to reach the kernel as `BPF_ANY`).
 */
export function updateFlagNumber(flag: UpdateFlag): number {
  if (flag === 'any') return BPF_ANY;
  if (typeof flag === 'number') {
    if (flag >>> 0 !== flag) throw new RangeError(`update flag ${String(flag)} is not a u32`);
    return flag;
  }
  const n = Object.hasOwn(updateFlags, flag) ? updateFlags[flag] : undefined;
  if (n === undefined) throw new RangeError(`unknown update flag '${String(flag)}' (expected 'any', 'noexist', 'exist' or a number)`);
  return n;
}

const flagValue = updateFlagNumber;

/** Keys and values of a batch, back to back. */
export interface MapBatch {
  /** `count` keys of `keySize` bytes. */
  readonly keys: Uint8Array;
  /** `count` values of the map's value buffer size. */
  readonly values: Uint8Array;
  /** Number of elements. */
  readonly count: number;
}

/** Options of {@link BpfMap.batches}. */
export interface BatchLookupOptions {
  /** Elements per system call (default: min(maxEntries, 4096)). */
  readonly batchSize?: number;
  /** Delete what was read (`BPF_MAP_LOOKUP_AND_DELETE_BATCH`). */
  readonly delete?: boolean;
}

function updateReason(errno: number): string | undefined {
  switch (errno) {
    case Errno.EEXIST:
      return 'the key exists (flag noexist)';
    case Errno.ENOENT:
      return 'no such key (flag exist)';
    case Errno.E2BIG:
      return 'the map is full (max_entries reached), or the index is out of range';
    case Errno.EPERM:
      return 'permission denied (the map is frozen or read-only, or needs CAP_BPF or root)';
    default:
      return undefined;
  }
}

function createReason(errno: number): string | undefined {
  return errno === Errno.EINVAL ? 'invalid argument (a size, flag or type this kernel does not accept for the map type)' : undefined;
}

/**
 * A kernel map. Keys and values are `Uint8Array`s of exactly {@link keySize} /
 * {@link valueBufferSize} bytes (a wrong size is a {@link MapSizeError} before any system call).
 * For per-CPU maps a value is the per-CPU array: one slot per possible CPU, each
 * `valueSize` rounded up to 8 bytes.
 *
 * Owns its fd: {@link close} (or `using`) closes it exactly once; a map collected without
 * close is reported by the leak hook of `leak-tracker.ts` and its fd closed. Element operations
 * reuse preallocated attrs and buffers ({@link MapElemAccess}); {@link getInto} allocates nothing.
 *
 * Zero-copy access to mmapable arrays (`BPF_F_MMAPABLE`): {@link MappedArray} / `ArrayMap.mmap()`.
 */
export class BpfMap implements Disposable {
  /** `enum bpf_map_type` value. */
  readonly type: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes (one CPU's, for per-CPU maps). */
  readonly valueSize: number;
  /** Bytes of a value as user space reads and writes it (per-CPU: {@link perCpuStride} × {@link cpus}). */
  readonly valueBufferSize: number;
  /** Capacity. */
  readonly maxEntries: number;
  /** `BPF_F_*` flags. */
  readonly flags: number;
  /** Name ('' when unnamed). */
  readonly name: string;
  /** Possible CPUs for per-CPU maps, else 1. */
  readonly cpus: number;
  /** How messages name this map: `map "events"`, `hash map`. */
  readonly description: string;
  /** The preallocated element operations (for typed wrappers and hot loops). */
  readonly access: MapElemAccess;
  /** `access.hot`, `access.keyAt`, `access.valueAt`, `keySize` and `valueBufferSize`, read by the hot paths from this object. */
  private readonly hotBytes: Uint8Array;
  private readonly hotKeyAt: number;
  private readonly hotValueAt: number;
  #fd: number;
  #pinnedPath: string | undefined;
  #reusedPin = false;

  /** Adopts `fd` (owned from now on) of a map with these properties. Use {@link BpfMap.create} or {@link BpfMap.fromFd}. */
  protected constructor(fd: number, type: number, keySize: number, valueSize: number, maxEntries: number, flags: number, name: string) {
    this.#fd = fd;
    this.type = type;
    this.keySize = keySize;
    this.valueSize = valueSize;
    this.maxEntries = maxEntries;
    this.flags = flags;
    this.name = name;
    this.cpus = isPerCpu(type) ? possibleCpus() : 1;
    this.valueBufferSize = isPerCpu(type) ? perCpuStride(valueSize) * this.cpus : valueSize;
    this.description = describeMap(type, name);
    this.access = new MapElemAccess(fd, keySize, this.valueBufferSize);
    this.hotBytes = this.access.hot;
    this.hotKeyAt = this.access.keyAt;
    this.hotValueAt = this.access.valueAt;
    trackFd(this, 'map', this.description, fd);
  }

  /**
   * Creates a map. An `innerMap` template is created first and closed once the outer map exists.
   * @throws KernelObjectError `create map "events": permission denied (needs CAP_BPF or root)`.
   */
  static create(spec: MapSpec): BpfMap {
    if (spec.pinning === 'by_name') return BpfMap.#createPinnedByName(spec);
    if (spec.pinning !== undefined && spec.pinning !== 'none') {
      throw new KernelObjectError('create', describeMap(mapTypeOf(spec), spec.name), `unknown pinning '${String(spec.pinning)}' (expected 'none' or 'by_name')`);
    }
    return BpfMap.#createNew(spec);
  }

  /**
   * libbpf's `LIBBPF_PIN_BY_NAME`: opens the map pinned at `<pinRoot>/<name>` when there is one
   * and it is compatible, else creates the map and pins it there.
   */
  static #createPinnedByName(spec: MapSpec): BpfMap {
    const type = mapTypeOf(spec);
    const description = describeMap(type, spec.name);
    if (spec.name === undefined || spec.name === '') throw new KernelObjectError('create', description, "pinning 'by_name' needs a name");
    const badName = objectNameProblem(spec.name);
    if (badName !== undefined) throw new KernelObjectError('create', description, badName);
    let root: string;
    try {
      root = ensureBpffs(spec.pinRoot ?? BPFFS_PATH);
    } catch (err) {
      throw new KernelObjectError('create', description, `cannot pin by name: ${(err as Error).message}`);
    }
    const path = `${root.replace(/\/+$/, '')}/${spec.name}`;
    // Twice at most: when another process pins between our lookup and our pin, reuse its map.
    for (let attempt = 0; ; attempt++) {
      const existing = BpfMap.#openPinnedIfAny(path, description);
      if (existing !== undefined) {
        const why = pinnedMapMismatch({ type, keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: spec.maxEntries, flags: spec.flags ?? 0, mapExtra: spec.mapExtra ?? 0n }, existing.info());
        if (why !== undefined) {
          existing.close();
          throw new KernelObjectError('create', description, `the map pinned at '${path}' is incompatible: ${why}; unpin it (rm ${path}) or change the spec`);
        }
        existing.#pinnedPath = path;
        existing.#reusedPin = true;
        return existing;
      }
      const created = BpfMap.#createNew(spec);
      try {
        objPin(created.fd, path);
      } catch (err) {
        created.close();
        if (attempt === 0 && err instanceof SyscallError && err.errno === Errno.EEXIST) continue;
        throw KernelObjectError.wrap('pin', description, err);
      }
      created.#pinnedPath = path;
      return created;
    }
  }

  /** The map pinned at `path`, or undefined when nothing is pinned there. */
  static #openPinnedIfAny(path: string, description: string): BpfMap | undefined {
    let fd: number;
    try {
      fd = objGet(path);
    } catch (err) {
      if (err instanceof SyscallError && err.errno === Errno.ENOENT) return undefined;
      throw KernelObjectError.wrap('create', description, err, (e) => (e === Errno.EINVAL ? `'${path}' is pinned but is not a map` : undefined));
    }
    try {
      return BpfMap.fromFd(fd);
    } catch (err) {
      closeFd(fd);
      throw err instanceof KernelObjectError ? new KernelObjectError('create', description, `'${path}' is pinned but is not a map (${err.message})`) : err;
    }
  }

  /** Where the map is pinned by {@link pin} or by-name pinning, or undefined. */
  get pinnedPath(): string | undefined {
    return this.#pinnedPath;
  }

  /** Whether by-name pinning reused a map that was already pinned (rather than creating one). */
  get reusedPin(): boolean {
    return this.#reusedPin;
  }

  static #createNew(spec: MapSpec): BpfMap {
    const type = mapTypeOf(spec);
    const description = describeMap(type, spec.name);
    const badName = spec.name === undefined ? undefined : objectNameProblem(spec.name);
    if (badName !== undefined) throw new KernelObjectError('create', description, badName);
    let inner: BpfMap | undefined;
    let btf: LoadedMapBtf | undefined;
    try {
      if (spec.innerMap !== undefined) inner = BpfMap.create(spec.innerMap);
      else if (isMapInMap(type)) throw new KernelObjectError('create', description, 'a map-in-map needs innerMap');
      if (spec.btf !== undefined) btf = loadMapBtf(spec.btf, spec.keySize, spec.valueSize, description);
      const fd = mapCreate({
        ...(btf !== undefined ? { btfFd: btf.fd, btfKeyTypeId: btf.keyId, btfValueTypeId: btf.valueId } : {}),
        mapType: type,
        keySize: spec.keySize,
        valueSize: spec.valueSize,
        maxEntries: spec.maxEntries,
        ...(spec.flags ? { mapFlags: spec.flags } : {}),
        ...(inner ? { innerMapFd: inner.fd } : {}),
        ...(spec.numaNode !== undefined ? { numaNode: spec.numaNode } : {}),
        ...(spec.name ? { mapName: spec.name } : {}),
        ...(spec.mapExtra !== undefined ? { mapExtra: spec.mapExtra } : {}),
      });
      return new BpfMap(fd, type, spec.keySize, spec.valueSize, spec.maxEntries, spec.flags ?? 0, spec.name ?? '');
    } catch (err) {
      throw KernelObjectError.wrap('create', description, err, createReason);
    } finally {
      inner?.close();
      // The map holds its own reference to the BTF.
      if (btf !== undefined) closeFd(btf.fd);
    }
  }

  /** Adopts map fd `fd` (closed by this object from now on); its properties come from `bpf_map_info`. */
  static fromFd(fd: number): BpfMap {
    let info: MapInfo;
    try {
      info = mapInfo(fd);
    } catch (err) {
      throw KernelObjectError.wrap('open', `map fd ${fd}`, err);
    }
    return new BpfMap(fd, info.type, info.keySize, info.valueSize, info.maxEntries, info.mapFlags, info.name);
  }

  /** Opens the map with kernel id `id` (needs CAP_SYS_ADMIN). */
  static fromId(id: number): BpfMap {
    let fd: number;
    try {
      fd = getFdById('map', id);
    } catch (err) {
      throw KernelObjectError.wrap('open', `map id ${id}`, err);
    }
    return BpfMap.fromFd(fd);
  }

  /** Opens the map pinned at `path` in bpffs. */
  static fromPin(path: string): BpfMap {
    let fd: number;
    try {
      fd = objGet(path);
    } catch (err) {
      throw KernelObjectError.wrap('open', `pinned map '${path}'`, err);
    }
    return BpfMap.fromFd(fd);
  }

  /** The fd. Throws once the map is closed. */
  get fd(): number {
    if (this.#fd < 0) throw new KernelObjectError('use', this.description, 'the map is closed');
    return this.#fd;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Closes the fd (once; later calls do nothing). The kernel frees the map when nothing else holds it. */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    this.access.invalidate();
    untrackFd(this);
    closeFd(fd);
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Throws unless the map is open; returns the fd. */
  protected open(op: string): number {
    if (this.#fd < 0) throw new KernelObjectError(op, this.description, 'the map is closed');
    return this.#fd;
  }

  /** Copies `key` into the access buffer after checking its size. */
  protected putKey(op: string, key: Uint8Array): void {
    if (key.byteLength !== this.keySize) throw new MapSizeError(op, this.description, 'key', this.keySize, key.byteLength);
    copy(this.access.key, key);
  }

  /** Copies `value` into the access buffer after checking its size. */
  protected putValue(op: string, value: Uint8Array): void {
    if (value.byteLength !== this.valueBufferSize) {
      const note = this.cpus > 1 || isPerCpu(this.type) ? ` (${this.cpus} possible CPUs × ${perCpuStride(this.valueSize)}-byte slots)` : '';
      throw new MapSizeError(op, this.description, 'value', this.valueBufferSize, value.byteLength, note);
    }
    copy(this.access.value, value);
  }

  /**
   * Throws the KernelObjectError of element call `cmd` that returned `ret` (`-errno`); for typed
   * wrappers. On a closed map (whose attrs name fd -1, hence `EBADF`) the error says so.
   */
  fail(op: string, cmd: number, ret: number, explain?: (errno: number) => string | undefined): never {
    this.open(op);
    throw KernelObjectError.wrap(op, this.description, bpfError(cmd, -ret), explain);
  }

  /** Throws the KernelObjectError of a failed `BPF_MAP_DELETE_ELEM` that returned `ret`; for typed wrappers. */
  failDelete(ret: number): never {
    this.fail('delete', BpfCmd.MAP_DELETE_ELEM, ret, (e) => (e === Errno.EINVAL && isArrayLike(this.type) ? 'array elements cannot be deleted' : undefined));
  }

  /** Throws the KernelObjectError of a failed `BPF_MAP_UPDATE_ELEM` that returned `ret`; for typed wrappers. */
  failUpdate(ret: number): never {
    this.fail('update', BpfCmd.MAP_UPDATE_ELEM, ret, updateReason);
  }

  /** The value of `key` (a new array), or undefined when absent. */
  get(key: Uint8Array): Uint8Array | undefined {
    return this.getInto(key, undefined) ? this.access.value.slice() : undefined;
  }

  /**
   * Looks `key` up; copies the value into `out` when given (allocation-free) and returns whether
   * the key exists. Without `out` the value stays in `access.value` until the next operation.
   */
  getInto(key: Uint8Array, out: Uint8Array | undefined, flags = 0): boolean {
    // The hot path reads only the access object and the arrays it copies (each distinct object
    // is a page to refill after the system call on kernels with PTI and no PCID); any problem
    // goes to checkLookup for the precise error.
    const acc = this.access;
    if (acc.closed || key.byteLength !== this.keySize || (out !== undefined && out.byteLength !== this.valueBufferSize)) this.checkLookup(key, out);
    const hot = this.hotBytes;
    copyIn(hot, this.hotKeyAt, key);
    const r = acc.lookup(flags);
    if (r !== 0) {
      if (r === -Errno.ENOENT) return false;
      if (r < 0) this.fail('lookup', BpfCmd.MAP_LOOKUP_ELEM, r);
    }
    if (out !== undefined) {
      if (out.length > 32) out.set(acc.value);
      else copyOut(out, hot, this.hotValueAt);
    }
    return true;
  }

  /** Throws the error of a lookup on this map with `key` and `out`: closed, wrong key size, wrong output size. */
  private checkLookup(key: Uint8Array, out: Uint8Array | undefined): void {
    this.open('lookup');
    this.putKey('lookup', key);
    if (out !== undefined && out.byteLength !== this.valueBufferSize) throw new MapSizeError('lookup', this.description, 'output buffer', this.valueBufferSize, out.byteLength);
  }

  /** Whether `key` exists. */
  has(key: Uint8Array): boolean {
    return this.getInto(key, undefined);
  }

  /** Creates or updates `key` (`'any'`), only creates (`'noexist'`) or only updates (`'exist'`). */
  set(key: Uint8Array, value: Uint8Array, flag: UpdateFlag = 'any'): this {
    const flags = flag === 'any' ? 0 : flagValue(flag); // 0 = BPF_ANY (a literal: an imported binding is one more object to read)
    const acc = this.access;
    if (acc.closed || key.byteLength !== this.keySize || value.byteLength !== this.valueBufferSize) {
      this.open('update');
      this.putKey('update', key);
      this.putValue('update', value);
    }
    const hot = this.hotBytes;
    copyIn(hot, this.hotKeyAt, key);
    copyIn(hot, this.hotValueAt, value);
    const r = acc.update(flags);
    if (r < 0) this.failUpdate(r);
    return this;
  }

  /** Deletes `key`; returns whether it existed. */
  delete(key: Uint8Array): boolean {
    const acc = this.access;
    if (acc.closed || key.byteLength !== this.keySize) {
      this.open('delete');
      this.putKey('delete', key);
    }
    copyIn(this.hotBytes, this.hotKeyAt, key);
    const r = acc.delete();
    if (r !== 0) {
      if (r === -Errno.ENOENT) return false;
      if (r < 0) this.failDelete(r);
    }
    return true;
  }

  /**
   * Removes and returns the value of `key` (omit `key` for queue and stack maps: pop), or
   * undefined when absent/empty. Requires Linux 4.20 (hash maps: 5.14).
   */
  lookupAndDelete(key?: Uint8Array): Uint8Array | undefined {
    this.open('lookup and delete');
    if (key !== undefined || this.keySize !== 0) this.putKey('lookup and delete', key ?? new Uint8Array(0));
    const r = this.access.lookupAndDelete();
    if (r === -Errno.ENOENT) return undefined;
    if (r < 0) this.fail('lookup and delete', BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, r);
    return this.access.value.slice();
  }

  /** Makes the map read-only for user space (programs may still write). Requires Linux 5.2. */
  freeze(): void {
    try {
      mapFreeze(this.open('freeze'));
    } catch (err) {
      throw KernelObjectError.wrap('freeze', this.description, err);
    }
  }

  /** Pins the map at `path` in bpffs. */
  pin(path: string): void {
    try {
      objPin(this.open('pin'), path);
      this.#pinnedPath = path;
    } catch (err) {
      throw KernelObjectError.wrap('pin', this.description, err);
    }
  }

  /** `bpf_map_info` of the map (id, sizes, flags, name, BTF ids). */
  info(): MapInfo {
    try {
      return mapInfo(this.open('read info of'));
    } catch (err) {
      throw KernelObjectError.wrap('read info of', this.description, err);
    }
  }

  /**
   * Every key, in the kernel's order (`BPF_MAP_GET_NEXT_KEY`). Each key is a new array.
   * Deleting the current key of a hash map while iterating restarts the walk from the first key
   * (kernel behaviour); collect the keys first to delete while walking.
   */
  *keys(): Generator<Uint8Array> {
    this.open('iterate');
    let cursor: Uint8Array | undefined;
    for (;;) {
      if (cursor !== undefined) this.access.key.set(cursor);
      const r = this.access.next(cursor === undefined);
      if (r === -Errno.ENOENT) return;
      if (r < 0) this.fail('iterate', BpfCmd.MAP_GET_NEXT_KEY, r);
      cursor = this.access.nextKey.slice();
      yield cursor;
    }
  }

  /** Every `[key, value]` pair (a key deleted between the two calls is skipped). */
  *entries(): Generator<[Uint8Array, Uint8Array]> {
    for (const key of this.keys()) {
      const value = this.get(key);
      if (value !== undefined) yield [key, value];
    }
  }

  /** Every value. */
  *values(): Generator<Uint8Array> {
    for (const [, value] of this.entries()) yield value;
  }

  /** Same as {@link entries}. */
  [Symbol.iterator](): Generator<[Uint8Array, Uint8Array]> {
    return this.entries();
  }

  /**
   * Reads the whole map in batches (`BPF_MAP_LOOKUP_BATCH`, or `…_AND_DELETE_BATCH` with
   * `delete`). The yielded buffers are reused: copy what must outlive the next iteration.
   * Requires Linux 5.6.
   */
  *batches(options: BatchLookupOptions = {}): Generator<MapBatch> {
    const op = options.delete ? 'batch lookup and delete' : 'batch lookup';
    const cmd = options.delete ? BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH : BpfCmd.MAP_LOOKUP_BATCH;
    const mapFd = this.open(op);
    let size = options.batchSize ?? Math.max(1, Math.min(this.maxEntries, 4096));
    if (!Number.isInteger(size) || size < 1 || size > 0xffffffff) throw new RangeError(`${op} ${this.description}: batchSize ${String(size)} is not a positive u32`);
    let keys = new Uint8Array(new ArrayBuffer(size * this.keySize));
    let values = new Uint8Array(new ArrayBuffer(size * this.valueBufferSize));
    const cursor = Math.max(this.keySize, 8);
    let inBatch: Uint8Array | undefined;
    let outBatch: Uint8Array = new Uint8Array(new ArrayBuffer(cursor));
    for (;;) {
      const { ret, count } = mapBatch(cmd, { mapFd, ...(inBatch ? { inBatch } : {}), outBatch, keys, values, count: size });
      if (ret === -Errno.ENOSPC && count === 0) {
        // A hash bucket holds more elements than one batch: grow and retry the same batch.
        size *= 2;
        keys = new Uint8Array(new ArrayBuffer(size * this.keySize));
        values = new Uint8Array(new ArrayBuffer(size * this.valueBufferSize));
        continue;
      }
      if (ret < 0 && ret !== -Errno.ENOENT) this.fail(op, cmd, ret);
      if (count > 0) yield { keys: keys.subarray(0, count * this.keySize), values: values.subarray(0, count * this.valueBufferSize), count };
      if (ret === -Errno.ENOENT) return;
      const next = inBatch ?? new Uint8Array(new ArrayBuffer(cursor));
      inBatch = outBatch;
      outBatch = next;
    }
  }

  /** The whole map as one batch (keys and values back to back, new arrays). Requires Linux 5.6. */
  lookupBatch(options: BatchLookupOptions = {}): MapBatch {
    const keyParts: Uint8Array[] = [];
    const valueParts: Uint8Array[] = [];
    let total = 0;
    for (const b of this.batches(options)) {
      keyParts.push(b.keys.slice());
      valueParts.push(b.values.slice());
      total += b.count;
    }
    return { keys: concat(keyParts, total * this.keySize), values: concat(valueParts, total * this.valueBufferSize), count: total };
  }

  private packed(op: string, what: 'keys' | 'values', items: Uint8Array | readonly Uint8Array[], size: number): { bytes: Uint8Array; count: number } {
    if (items instanceof Uint8Array) {
      if (size === 0 || items.byteLength % size !== 0) throw new MapSizeError(op, this.description, what, size, items.byteLength, ` (a multiple of ${size})`);
      return { bytes: items, count: items.byteLength / size };
    }
    const bytes = new Uint8Array(new ArrayBuffer(items.length * size));
    items.forEach((item, i) => {
      if (item.byteLength !== size) throw new MapSizeError(op, this.description, `${what}[${i}]`, size, item.byteLength);
      bytes.set(item, i * size);
    });
    return { bytes, count: items.length };
  }

  /**
   * Updates many elements in one call (`BPF_MAP_UPDATE_BATCH`): `keys` and `values` as arrays or
   * back to back. Returns the number updated. Requires Linux 5.6.
   */
  updateBatch(keys: Uint8Array | readonly Uint8Array[], values: Uint8Array | readonly Uint8Array[], flag: UpdateFlag = 'any'): number {
    const op = 'batch update';
    const mapFd = this.open(op);
    const k = this.packed(op, 'keys', keys, this.keySize);
    const v = this.packed(op, 'values', values, this.valueBufferSize);
    if (k.count !== v.count) throw new RangeError(`${op} ${this.description}: ${k.count} keys but ${v.count} values`);
    if (k.count === 0) return 0;
    const { ret, count } = mapBatch(BpfCmd.MAP_UPDATE_BATCH, { mapFd, keys: k.bytes, values: v.bytes, count: k.count, elemFlags: flagValue(flag) });
    if (ret < 0) this.fail(op, BpfCmd.MAP_UPDATE_BATCH, ret, updateReason);
    return count;
  }

  /** Deletes many keys in one call (`BPF_MAP_DELETE_BATCH`); returns the number deleted. Requires Linux 5.6. */
  deleteBatch(keys: Uint8Array | readonly Uint8Array[]): number {
    const op = 'batch delete';
    const mapFd = this.open(op);
    const k = this.packed(op, 'keys', keys, this.keySize);
    if (k.count === 0) return 0;
    const { ret, count } = mapBatch(BpfCmd.MAP_DELETE_BATCH, { mapFd, keys: k.bytes, count: k.count });
    if (ret < 0) this.fail(op, BpfCmd.MAP_DELETE_BATCH, ret);
    return count;
  }

  /** Removes every element (arrays: sets every value to zero). */
  clear(): void {
    this.open('clear');
    if (isArrayLike(this.type)) {
      const key = new Uint8Array(4);
      const view = new DataView(key.buffer);
      const zero = new Uint8Array(this.valueBufferSize);
      for (let i = 0; i < this.maxEntries; i++) {
        view.setUint32(0, i, true);
        this.set(key, zero);
      }
      return;
    }
    for (;;) {
      const r = this.access.next(true);
      if (r === -Errno.ENOENT) return;
      if (r < 0) this.fail('clear', BpfCmd.MAP_GET_NEXT_KEY, r);
      this.access.key.set(this.access.nextKey);
      const d = this.access.delete();
      if (d < 0 && d !== -Errno.ENOENT) this.fail('clear', BpfCmd.MAP_DELETE_ELEM, d);
    }
  }
}

/** Copies `src` into the start of `dst`: a plain loop for small arrays (cheaper than `set` there). */
function copy(dst: Uint8Array, src: Uint8Array): void {
  const n = src.length;
  if (n > 32) {
    dst.set(src);
    return;
  }
  for (let i = 0; i < n; i++) dst[i] = src[i];
}

/** Copies `src` into `dst` at `at`: a plain loop for small arrays. */
function copyIn(dst: Uint8Array, at: number, src: Uint8Array): void {
  const n = src.length;
  if (n > 32) {
    dst.set(src, at);
    return;
  }
  for (let i = 0; i < n; i++) dst[at + i] = src[i]!;
}

/** Copies `dst.length` bytes of `src` from `at` into `dst` (a plain loop: for small arrays). */
function copyOut(dst: Uint8Array, src: Uint8Array, at: number): void {
  const n = dst.length;
  for (let i = 0; i < n; i++) dst[i] = src[at + i]!;
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
