/**
 * {@link TypedMap}: a {@link BpfMap} seen through a key and a value {@link Codec}, for maps
 * whose elements are looked up, updated and deleted by key.
 * @module
 */

import { BpfCmd, Errno, type MapElemAccess } from '../../syscalls/index.js';
import { BpfMap, updateFlagNumber, type UpdateFlag } from './bpf-map.js';
import { i32, i64, u32, u64, viewOf, type Codec } from './codec.js';
import { MapSizeError } from './map-size-error.js';
import { bindCodec, isCompositeType, type BoundCodec } from '../types/index.js';

/**
 * How a codec's values are moved on the fast path: the scalar codecs of `codec.ts` through a
 * typed array over the map's buffer (one store or load, no DataView call, no codec object
 * touched), struct and union types through a {@link BoundCodec} generated for the map's buffer
 * (`Bound`), any other codec through its `write`/`read`.
 */
// The switches on hot paths use the numbers as literals: reading `Kind` there would touch one more
// object per call.
const Kind = { Generic: 0, U32: 1, I32: 2, U64: 3, I64: 4, Bound: 5 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/** Whether typed arrays use little-endian order here (they use the platform's; BPF maps the kernel's). */
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function kindOf(codec: Codec<unknown>): Kind {
  if (!littleEndian) return Kind.Generic;
  if (codec === u32) return Kind.U32;
  if (codec === i32) return Kind.I32;
  if (codec === u64) return Kind.U64;
  if (codec === i64) return Kind.I64;
  return Kind.Generic;
}

/** `2^64 − 1`, `2^63 − 1`, `−2^63`: bounds of the 64-bit fast paths, computed once. */
const U64_MAX = (1n << 64n) - 1n;
const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);

/** Copies `from`'s fields into `to`, nested plain objects in place (getInto without a bound codec). */
function fillFrom(to: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const name of Object.keys(from)) {
    const v = from[name];
    const old = to[name];
    const nested = v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && !Array.isArray(v);
    if (nested && old !== null && typeof old === 'object') fillFrom(old as Record<string, unknown>, v as Record<string, unknown>);
    else to[name] = v;
  }
}

/** What typed map constructors take besides the codecs. */
export interface TypedMapOptions {
  /** Capacity. */
  readonly maxEntries: number;
  /** Name, at most 15 bytes. */
  readonly name?: string;
  /** `BPF_F_*` flags. */
  readonly flags?: number;
}

/**
 * A map with typed keys and values. Keys and values are encoded straight into the map's
 * preallocated buffers: `get` of a number key allocates only the decoded value (a `bigint` for
 * the 64-bit codecs, the object for a struct), `set` and `has` allocate nothing.
 *
 * Single-element operations are the hot path of user code, and on a kernel with PTI and no PCID
 * each distinct memory page touched after a system call costs a TLB refill (see
 * bench/maps-variants.ts). So `get`/`set`/`has`/`delete` touch few objects: this map, its
 * {@link MapElemAccess} (whose attrs, key and value share one page), and, for the scalar codecs
 * (`u32`, `i32`, `u64`, `i64`), one typed array over the key or value instead of the codec and a
 * DataView; struct and union types (`src/types`) through a codec generated for this map's
 * buffers ({@link bindCodec}: typed-array views at constant indices, no view or subarray per
 * call), so `set` of a struct allocates nothing and `get` only the result object, and
 * {@link getInto} fills a caller's object instead. Other codecs (`bytes(n)`, user codecs) go
 * through their `write`/`read`. Both paths give the same results and errors (the tests
 * `maps-typed-fast-path` and `maps-struct-fast-path` check them against each other).
 */
export class TypedMap<K, V> implements Disposable {
  /** The underlying raw map. */
  readonly map: BpfMap;
  /** Key encoding. */
  readonly keyCodec: Codec<K>;
  /** Value encoding (for per-CPU maps: all CPUs' values). */
  readonly valueCodec: Codec<V>;
  private readonly keyView: DataView;
  private readonly valueView: DataView;
  /** The map's element access (one object hop less per operation than `map.access`). */
  private readonly access: MapElemAccess;
  private readonly keyKind: Kind;
  private readonly valueKind: Kind;
  /** 32-bit and 64-bit views of the key and value buffers, for the scalar kinds (empty when unused). */
  private readonly keyWords: Uint32Array;
  private readonly keyLongs: BigUint64Array;
  private readonly valueWords: Uint32Array;
  private readonly valueLongs: BigUint64Array;
  private readonly valueSignedLongs: BigInt64Array;
  /** Struct/union key and value codecs bound to the map's buffers (Kind.Bound), else placeholders never called. */
  private readonly keyWrite: (key: K) => void;
  private readonly valueWrite: (value: V) => void;
  private readonly valueRead: () => V;
  private readonly valueReadInto: (target: V) => V;

  /** Narrows `map` to these codecs; a MapSizeError when their sizes are not the map's. */
  constructor(map: BpfMap, keyCodec: Codec<K>, valueCodec: Codec<V>) {
    if (keyCodec.size !== map.keySize) throw new MapSizeError('narrow', map.description, 'key type', map.keySize, keyCodec.size);
    if (valueCodec.size !== map.valueBufferSize) throw new MapSizeError('narrow', map.description, 'value type', map.valueBufferSize, valueCodec.size);
    this.map = map;
    this.keyCodec = keyCodec;
    this.valueCodec = valueCodec;
    const { key, value } = map.access;
    this.keyView = viewOf(key);
    this.valueView = viewOf(value);
    this.access = map.access;
    // The access buffers are 8-byte aligned (MapElemAccess), as typed arrays over them need.
    const aligned = key.byteOffset % 8 === 0 && value.byteOffset % 8 === 0;
    this.keyKind = aligned ? kindOf(keyCodec as Codec<unknown>) : Kind.Generic;
    this.valueKind = aligned ? kindOf(valueCodec as Codec<unknown>) : Kind.Generic;
    const words = (kind: Kind) => (kind === Kind.U32 || kind === Kind.I32 ? 1 : 0);
    const longs = (kind: Kind) => (kind === Kind.U64 || kind === Kind.I64 ? 1 : 0);
    this.keyWords = new Uint32Array(key.buffer, key.byteOffset, words(this.keyKind));
    this.keyLongs = new BigUint64Array(key.buffer, key.byteOffset, longs(this.keyKind));
    this.valueWords = new Uint32Array(value.buffer, value.byteOffset, words(this.valueKind));
    this.valueLongs = new BigUint64Array(value.buffer, value.byteOffset, longs(this.valueKind));
    this.valueSignedLongs = new BigInt64Array(value.buffer, value.byteOffset, longs(this.valueKind));
    const keyBound = aligned && this.keyKind === Kind.Generic ? bindCodec<K, K>(keyCodec, key) : undefined;
    const valueBound: BoundCodec<V, V> | undefined = aligned && this.valueKind === Kind.Generic ? bindCodec<V, V>(valueCodec, value) : undefined;
    if (keyBound !== undefined) this.keyKind = Kind.Bound;
    if (valueBound !== undefined) this.valueKind = Kind.Bound;
    const unused = (): never => {
      throw new Error('BUG: typed map bound codec used without one');
    };
    this.keyWrite = keyBound?.write ?? unused;
    this.valueWrite = valueBound?.write ?? unused;
    this.valueRead = valueBound?.read ?? unused;
    this.valueReadInto = valueBound?.readInto ?? unused;
  }

  /** The fd of the underlying map. */
  get fd(): number {
    return this.map.fd;
  }

  /**
   * Encodes `key` into the access key buffer: a RangeError (the codec's) for a key that does not
   * fit; the closed-map error first when the map is closed.
   */
  private putKey(key: K): void {
    if (this.access.closed) void this.map.fd; // throws: the map is closed
    switch (this.keyKind) {
      case 1 /* Kind.U32 */:
        if (typeof key !== 'number' || key >>> 0 !== key) this.keyCodec.write(this.keyView, 0, key);
        this.keyWords[0] = key as number;
        return;
      case 2 /* Kind.I32 */:
        if (typeof key !== 'number' || (key | 0) !== key) this.keyCodec.write(this.keyView, 0, key);
        this.keyWords[0] = key as number;
        return;
      case 3 /* Kind.U64 */:
        if (typeof key !== 'bigint' || key < 0n || key > U64_MAX) this.keyCodec.write(this.keyView, 0, key);
        this.keyLongs[0] = key as bigint;
        return;
      case 4 /* Kind.I64 */:
        if (typeof key !== 'bigint' || key < I64_MIN || key > I64_MAX) this.keyCodec.write(this.keyView, 0, key);
        this.keyLongs[0] = key as bigint;
        return;
      case 5 /* Kind.Bound */:
        this.keyWrite(key);
        return;
      default:
        this.keyCodec.write(this.keyView, 0, key);
    }
  }

  /** Encodes `value` into the access value buffer (a RangeError for a value that does not fit). */
  private putValue(value: V): void {
    switch (this.valueKind) {
      case 1 /* Kind.U32 */:
        if (typeof value !== 'number' || value >>> 0 !== value) this.valueCodec.write(this.valueView, 0, value);
        this.valueWords[0] = value as number;
        return;
      case 2 /* Kind.I32 */:
        if (typeof value !== 'number' || (value | 0) !== value) this.valueCodec.write(this.valueView, 0, value);
        this.valueWords[0] = value as number;
        return;
      case 3 /* Kind.U64 */:
        if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) this.valueCodec.write(this.valueView, 0, value);
        this.valueLongs[0] = value as bigint;
        return;
      case 4 /* Kind.I64 */:
        if (typeof value !== 'bigint' || value < I64_MIN || value > I64_MAX) this.valueCodec.write(this.valueView, 0, value);
        this.valueLongs[0] = value as bigint;
        return;
      case 5 /* Kind.Bound */:
        this.valueWrite(value);
        return;
      default:
        this.valueCodec.write(this.valueView, 0, value);
    }
  }

  /** Decodes the access value buffer. */
  private takeValue(): V {
    switch (this.valueKind) {
      case 1 /* Kind.U32 */:
        return this.valueWords[0] as V;
      case 2 /* Kind.I32 */:
        return (this.valueWords[0]! | 0) as V;
      case 3 /* Kind.U64 */:
        return this.valueLongs[0] as V;
      case 4 /* Kind.I64 */:
        return this.valueSignedLongs[0] as V;
      case 5 /* Kind.Bound */:
        return this.valueRead();
      default:
        return this.valueCodec.read(this.valueView, 0);
    }
  }

  /** The value of `key`, or undefined. */
  get(key: K): V | undefined {
    this.putKey(key);
    const r = this.access.lookup();
    if (r !== 0) {
      if (r === -Errno.ENOENT) return undefined;
      if (r < 0) this.map.fail('lookup', BpfCmd.MAP_LOOKUP_ELEM, r);
    }
    return this.takeValue();
  }

  /**
   * Looks `key` up and, when it exists, decodes the value into `target` instead of a new object
   * (struct and union value types only); returns whether the key exists. Nested struct fields
   * are filled in place when `target` holds objects there; strings and arrays are new values.
   * A TypeError for other value types or a `target` that is not an object.
   */
  getInto(key: K, target: V): boolean {
    if (this.valueKind !== 5 /* Kind.Bound */ && !isCompositeType(this.valueCodec)) {
      throw new TypeError(`getInto: ${this.map.description} has no struct or union value type (use get)`);
    }
    if (target === null || typeof target !== 'object') throw new TypeError(`getInto: the target must be an object, got ${target === null ? 'null' : typeof target}`);
    this.putKey(key);
    const r = this.access.lookup();
    if (r !== 0) {
      if (r === -Errno.ENOENT) return false;
      if (r < 0) this.map.fail('lookup', BpfCmd.MAP_LOOKUP_ELEM, r);
    }
    if (this.valueKind === 5 /* Kind.Bound */) this.valueReadInto(target);
    else fillFrom(target as Record<string, unknown>, this.valueCodec.read(this.valueView, 0) as Record<string, unknown>);
    return true;
  }

  /** Whether `key` exists. */
  has(key: K): boolean {
    this.putKey(key);
    const r = this.access.lookup();
    if (r !== 0) {
      if (r === -Errno.ENOENT) return false;
      if (r < 0) this.map.fail('lookup', BpfCmd.MAP_LOOKUP_ELEM, r);
    }
    return true;
  }

  /**
   * Sets `key` to `value` (`flag`: `'any'`, `'noexist'`, `'exist'`, or a number such as
   * `BPF_F_LOCK | BPF_EXIST`). The key exists (`noexist`) or is missing (`exist`): a
   * KernelObjectError that says so.
   */
  set(key: K, value: V, flag: UpdateFlag = 'any'): this {
    const flags = flag === 'any' ? 0 : updateFlagNumber(flag);
    this.putKey(key);
    this.putValue(value);
    const r = this.access.update(flags);
    if (r < 0) this.map.failUpdate(r);
    return this;
  }

  /** Deletes `key`; returns whether it existed. */
  delete(key: K): boolean {
    this.putKey(key);
    const r = this.access.delete();
    if (r !== 0) {
      if (r === -Errno.ENOENT) return false;
      if (r < 0) this.map.failDelete(r);
    }
    return true;
  }

  /** Every key. */
  *keys(): Generator<K> {
    for (const k of this.map.keys()) yield this.keyCodec.read(viewOf(k), 0);
  }

  /** Every `[key, value]` pair. */
  *entries(): Generator<[K, V]> {
    for (const [k, v] of this.map.entries()) yield [this.keyCodec.read(viewOf(k), 0), this.valueCodec.read(viewOf(v), 0)];
  }

  /** Every value. */
  *values(): Generator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  /** Same as {@link entries}. */
  [Symbol.iterator](): Generator<[K, V]> {
    return this.entries();
  }

  /** Removes every element (arrays: zeroes every value). */
  clear(): void {
    this.map.clear();
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
