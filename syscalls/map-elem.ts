/**
 * `BPF_MAP_LOOKUP_ELEM`, `BPF_MAP_UPDATE_ELEM`, `BPF_MAP_DELETE_ELEM`, `BPF_MAP_GET_NEXT_KEY`,
 * `BPF_MAP_LOOKUP_AND_DELETE_ELEM` and `BPF_MAP_FREEZE`, through {@link MapElemAccess}: one
 * object per map holding preallocated attrs whose key and value pointers are written once, so an
 * element operation allocates nothing (KERNEL.md: ~0.6–1.0 µs per lookup this way, ~5 µs when
 * allocating per call).
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { mapElemAttr } from './attr/map-elem.js';
import { currentBackend, type SyscallBackend } from './backend.js';
import { bpf } from './bpf.js';
import { BpfCmd } from './bpf-cmd.js';

/** `BPF_ANY`: create or update. */
export const BPF_ANY = 0;
/** `BPF_NOEXIST`: create only. */
export const BPF_NOEXIST = 1;
/** `BPF_EXIST`: update only. */
export const BPF_EXIST = 2;
/** `BPF_F_LOCK`: take the value's `bpf_spin_lock` (lookup and update). Requires Linux 5.1. */
export const BPF_F_LOCK = 4;

/** Offsets of the fields of {@link mapElemAttr}. */
const FD = mapElemAttr.fields.map_fd.offset;
const KEY = mapElemAttr.fields.key.offset;
const VALUE = mapElemAttr.fields.value.offset;
const FLAGS = mapElemAttr.fields.flags.offset;
/** Bytes of one element attr. */
const ATTR_SIZE = mapElemAttr.size;
/** Page size the hot part of the buffer is kept within (4 KiB is the smallest page size Linux uses). */
const PAGE = 4096;

const align8 = (n: number) => (n + 7) & ~7;

/**
 * The element operations of one map, over preallocated buffers. Callers write the key into
 * {@link MapElemAccess.key} (and the value into {@link MapElemAccess.value}), call an operation,
 * and read the result from {@link MapElemAccess.value} / {@link MapElemAccess.nextKey}.
 *
 * Every operation returns the kernel's result: 0 on success or `-errno` (ENOENT = 2 for a
 * missing key), so a miss costs no exception. The object keeps every buffer referenced, so the
 * addresses stored in its attrs stay valid for its whole life. Not re-entrant (one call at a
 * time, which JS guarantees within one thread).
 *
 * Memory layout: the five attrs, the key, the value and the next key are slices of one
 * ArrayBuffer (memory outside the JS heap that never moves), with the lookup and update attrs,
 * the key and the value first and, when they fit, within one 4 KiB page. On a kernel with PTI
 * and no PCID every system call flushes the TLB, and each distinct page touched afterwards costs
 * a page walk (bench/maps-variants.ts): a lookup then touches one page of buffers, not three.
 */
export class MapElemAccess {
  /** The map fd the attrs name. */
  readonly fd: number;
  /** The key buffer (`keySize` bytes; empty for keyless maps, passed as NULL). 8-byte aligned. */
  readonly key: Uint8Array;
  /**
   * The value buffer (`valueSize` bytes: for per-CPU maps, the rounded size × possible CPUs).
   * 8-byte aligned, so a `BigUint64Array` over it works.
   */
  readonly value: Uint8Array;
  /** Where `BPF_MAP_GET_NEXT_KEY` writes the next key (`keySize` bytes). */
  readonly nextKey: Uint8Array;
  /**
   * The lookup and update attrs, the key and the value as one array (the first part of the
   * buffer): the key at {@link keyAt}, the value at {@link valueAt}. Hot paths that write the key
   * and the value through it touch one array object instead of two.
   */
  readonly hot: Uint8Array;
  /** Offset of {@link key} in {@link hot}. */
  readonly keyAt: number;
  /** Offset of {@link value} in {@link hot}. */
  readonly valueAt: number;
  /** Whether {@link invalidate} was called (the owner closed the fd). */
  closed = false;
  private readonly lookupAttr: Uint8Array;
  private readonly updateAttr: Uint8Array;
  private readonly updateView: DataView;
  private readonly lookupView: DataView;
  private readonly deleteAttr: Uint8Array;
  private readonly nextKeyAttr: Uint8Array;
  private readonly firstKeyAttr: Uint8Array;
  /** Every attr, for {@link invalidate}. */
  private readonly attrViews: DataView[];
  private lookupFlags = 0;
  private updateFlags = 0;
  /** The backend whose `bpfAt` the addresses below are for (undefined: use `bpf`). */
  private readonly fast: SyscallBackend | undefined;
  private readonly lookupAt: number = 0;
  private readonly updateAt: number = 0;
  private readonly deleteAt: number = 0;
  private readonly nextKeyAt: number = 0;
  private readonly firstKeyAt: number = 0;
  /** Prepared calls of the backend {@link fast} (see `SyscallBackend.bpfPrepared`), or undefined. */
  private readonly lookupOp: (() => number) | undefined;
  private readonly updateOp: (() => number) | undefined;
  private readonly deleteOp: (() => number) | undefined;

  /** Preallocates the buffers and attrs of map `fd` with `keySize`-byte keys and `valueSize`-byte values. */
  constructor(fd: number, keySize: number, valueSize: number) {
    for (const [what, n] of [['fd', fd], ['keySize', keySize], ['valueSize', valueSize]] as const) {
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`MapElemAccess: ${what} ${String(n)} is not a u32`);
    }
    this.fd = fd;
    const be = currentBackend();
    // Hot part: lookup attr, update attr, key, value; then delete, next-key and first-key attrs
    // and the next key.
    const keyAt = 2 * ATTR_SIZE;
    const valueAt = keyAt + align8(keySize);
    const hot = valueAt + align8(valueSize);
    const total = hot + 3 * ATTR_SIZE + align8(keySize);
    // When the hot part fits in a page, leave room to shift it so that it does not cross one.
    const slack = hot <= PAGE ? Math.min(PAGE, align8(hot)) : 0;
    const whole = new Uint8Array(new ArrayBuffer(total + slack));
    let base = 0;
    if (slack > 0) {
      // Start at the next page boundary when the hot part would cross one (then PAGE − inPage < hot ≤ slack).
      const inPage = Number(be.address(whole) & BigInt(PAGE - 1));
      if (inPage + hot > PAGE) base = PAGE - inPage;
    }
    const slice = (at: number, size: number) => whole.subarray(base + at, base + at + size);
    this.hot = slice(0, hot);
    this.keyAt = keyAt;
    this.valueAt = valueAt;
    this.lookupAttr = slice(0, ATTR_SIZE);
    this.updateAttr = slice(ATTR_SIZE, ATTR_SIZE);
    this.key = slice(keyAt, keySize);
    this.value = slice(valueAt, valueSize);
    this.deleteAttr = slice(hot, ATTR_SIZE);
    this.nextKeyAttr = slice(hot + ATTR_SIZE, ATTR_SIZE);
    this.firstKeyAttr = slice(hot + 2 * ATTR_SIZE, ATTR_SIZE);
    this.nextKey = slice(hot + 3 * ATTR_SIZE, keySize);
    const ptr = (buf: Uint8Array | null) => (buf === null || buf.byteLength === 0 ? 0n : be.address(buf));
    const fill = (attr: Uint8Array, key: Uint8Array | null, value: Uint8Array | null): DataView => {
      const v = new DataView(attr.buffer, attr.byteOffset, attr.byteLength);
      v.setUint32(FD, fd, true);
      v.setBigUint64(KEY, ptr(key), true);
      v.setBigUint64(VALUE, ptr(value), true);
      return v;
    };
    this.lookupView = fill(this.lookupAttr, this.key, this.value);
    this.updateView = fill(this.updateAttr, this.key, this.value);
    this.attrViews = [
      this.lookupView,
      this.updateView,
      fill(this.deleteAttr, this.key, null),
      fill(this.nextKeyAttr, this.key, this.nextKey),
      // `next_key` shares `value`'s offset.
      fill(this.firstKeyAttr, null, this.nextKey),
    ];
    if (be.bpfAt !== undefined) {
      // The attrs live in an ArrayBuffer (whose memory never moves) referenced by this object,
      // so their addresses stay valid; passing them as numbers is the cheapest koffi call.
      this.fast = be;
      const at = (a: Uint8Array) => Number(be.address(a));
      this.lookupAt = at(this.lookupAttr);
      this.updateAt = at(this.updateAttr);
      this.deleteAt = at(this.deleteAttr);
      this.nextKeyAt = at(this.nextKeyAttr);
      this.firstKeyAt = at(this.firstKeyAttr);
      if (be.bpfPrepared !== undefined) {
        this.lookupOp = be.bpfPrepared(BpfCmd.MAP_LOOKUP_ELEM, this.lookupAt, ATTR_SIZE);
        this.updateOp = be.bpfPrepared(BpfCmd.MAP_UPDATE_ELEM, this.updateAt, ATTR_SIZE);
        this.deleteOp = be.bpfPrepared(BpfCmd.MAP_DELETE_ELEM, this.deleteAt, ATTR_SIZE);
      }
    }
  }

  /**
   * Marks the access closed and points every attr at fd -1 (`EBADF`), so that a call after the
   * owner closed the fd cannot reach another object that reuses the fd number.
   */
  invalidate(): void {
    this.closed = true;
    for (const v of this.attrViews) v.setUint32(FD, 0xffffffff, true);
  }

  /** `bpf(cmd, attr)` through the fast form when the backend that gave the addresses is current. */
  private call(cmd: number, attr: Uint8Array, at: number): number {
    const be = currentBackend();
    return be === this.fast ? be.bpfAt!(cmd, at, attr.byteLength) : be.bpf(cmd, attr, attr.byteLength);
  }

  /** `BPF_MAP_LOOKUP_ELEM` of {@link key} into {@link value}; `flags` may be {@link BPF_F_LOCK}. 0 or `-errno`. */
  lookup(flags = 0): number {
    if (flags !== this.lookupFlags) {
      this.lookupView.setUint32(FLAGS, flags, true);
      this.lookupFlags = flags;
    }
    const op = this.lookupOp;
    if (op !== undefined && currentBackend() === this.fast) return op();
    return this.call(BpfCmd.MAP_LOOKUP_ELEM, this.lookupAttr, this.lookupAt);
  }

  /** `BPF_MAP_UPDATE_ELEM` of {@link key} to {@link value} with `flags` ({@link BPF_ANY}, …). 0 or `-errno`. */
  update(flags = 0): number {
    if (flags !== this.updateFlags) {
      this.updateView.setUint32(FLAGS, flags, true);
      this.updateFlags = flags;
    }
    const op = this.updateOp;
    if (op !== undefined && currentBackend() === this.fast) return op();
    return this.call(BpfCmd.MAP_UPDATE_ELEM, this.updateAttr, this.updateAt);
  }

  /** `BPF_MAP_DELETE_ELEM` of {@link key}. 0 or `-errno`. */
  delete(): number {
    const op = this.deleteOp;
    if (op !== undefined && currentBackend() === this.fast) return op();
    return this.call(BpfCmd.MAP_DELETE_ELEM, this.deleteAttr, this.deleteAt);
  }

  /**
   * `BPF_MAP_GET_NEXT_KEY`: the key after {@link key} (or the first key when `first`) into
   * {@link nextKey}. 0, or `-ENOENT` after the last key, or another `-errno`.
   */
  next(first = false): number {
    return first ? this.call(BpfCmd.MAP_GET_NEXT_KEY, this.firstKeyAttr, this.firstKeyAt) : this.call(BpfCmd.MAP_GET_NEXT_KEY, this.nextKeyAttr, this.nextKeyAt);
  }

  /**
   * `BPF_MAP_LOOKUP_AND_DELETE_ELEM` of {@link key} into {@link value} (queue/stack pop; hash
   * maps since Linux 5.14). 0 or `-errno`. Requires Linux 4.20.
   */
  lookupAndDelete(flags = 0): number {
    if (flags !== this.lookupFlags) {
      this.lookupView.setUint32(FLAGS, flags, true);
      this.lookupFlags = flags;
    }
    return this.call(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, this.lookupAttr, this.lookupAt);
  }
}

/** `BPF_MAP_FREEZE`: makes map `fd` read-only for user space. Throws a {@link SyscallError}. Requires Linux 5.2. */
export function mapFreeze(fd: number): void {
  bpf(BpfCmd.MAP_FREEZE, new AttrBuffer(mapElemAttr).set('map_fd', fd));
}
