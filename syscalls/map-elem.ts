/**
 * `BPF_MAP_LOOKUP_ELEM`, `BPF_MAP_UPDATE_ELEM`, `BPF_MAP_DELETE_ELEM`, `BPF_MAP_GET_NEXT_KEY`,
 * `BPF_MAP_LOOKUP_AND_DELETE_ELEM` and `BPF_MAP_FREEZE`, through {@link MapElemAccess}: one
 * object per map holding preallocated attrs whose key and value pointers are written once, so an
 * element operation allocates nothing (KERNEL.md: ~0.6–1.0 µs per lookup this way, ~5 µs when
 * allocating per call).
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { mapElemAttr, type MapElemField } from './attr/map-elem.js';
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

/** Offset of `flags` in {@link mapElemAttr}. */
const FLAGS = mapElemAttr.fields.flags.offset;

/** A buffer whose backing store lives outside the JS heap (its address never moves). */
function pinned(size: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(size));
}

/**
 * The element operations of one map, over preallocated buffers. Callers write the key into
 * {@link MapElemAccess.key} (and the value into {@link MapElemAccess.value}), call an operation,
 * and read the result from {@link MapElemAccess.value} / {@link MapElemAccess.nextKey}.
 *
 * Every operation returns the kernel's result: 0 on success or `-errno` (ENOENT = 2 for a
 * missing key), so a miss costs no exception. The object keeps every buffer referenced, so the
 * addresses stored in its attrs stay valid for its whole life. Not re-entrant (one call at a
 * time, which JS guarantees within one thread).
 */
export class MapElemAccess {
  /** The map fd the attrs name. */
  readonly fd: number;
  /** The key buffer (`keySize` bytes; empty for keyless maps, passed as NULL). */
  readonly key: Uint8Array;
  /** The value buffer (`valueSize` bytes: for per-CPU maps, the rounded size × possible CPUs). */
  readonly value: Uint8Array;
  /** Where `BPF_MAP_GET_NEXT_KEY` writes the next key (`keySize` bytes). */
  readonly nextKey: Uint8Array;
  private readonly lookupAttr: Uint8Array;
  private readonly updateAttr: Uint8Array;
  private readonly updateView: DataView;
  private readonly lookupView: DataView;
  private readonly deleteAttr: Uint8Array;
  private readonly nextKeyAttr: Uint8Array;
  private readonly firstKeyAttr: Uint8Array;
  private readonly attrs: AttrBuffer<MapElemField>[] = [];
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
    for (const [what, n] of [['keySize', keySize], ['valueSize', valueSize]] as const) {
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`MapElemAccess: ${what} ${String(n)} is not a u32`);
    }
    this.fd = fd;
    this.key = pinned(keySize);
    this.value = pinned(valueSize);
    this.nextKey = pinned(keySize);
    const make = (key: Uint8Array | null, value: Uint8Array | null, field: MapElemField = 'value'): Uint8Array => {
      const a = new AttrBuffer(mapElemAttr, mapElemAttr.size);
      a.set('map_fd', fd).pointer('key', key).pointer(field, value);
      this.attrs.push(a);
      return a.bytes;
    };
    this.lookupAttr = make(this.key, this.value);
    this.lookupView = new DataView(this.lookupAttr.buffer, this.lookupAttr.byteOffset, this.lookupAttr.byteLength);
    this.updateAttr = make(this.key, this.value);
    this.updateView = new DataView(this.updateAttr.buffer, this.updateAttr.byteOffset, this.updateAttr.byteLength);
    this.deleteAttr = make(this.key, null);
    this.nextKeyAttr = make(this.key, this.nextKey, 'next_key');
    this.firstKeyAttr = make(null, this.nextKey, 'next_key');
    const be = currentBackend();
    if (be.bpfAt !== undefined) {
      // The attrs live in ArrayBuffers (whose memory never moves) referenced by this object, so
      // their addresses stay valid; passing them as numbers is the cheapest koffi call.
      this.fast = be;
      const at = (a: Uint8Array) => Number(be.address(a));
      this.lookupAt = at(this.lookupAttr);
      this.updateAt = at(this.updateAttr);
      this.deleteAt = at(this.deleteAttr);
      this.nextKeyAt = at(this.nextKeyAttr);
      this.firstKeyAt = at(this.firstKeyAttr);
      if (be.bpfPrepared !== undefined) {
        this.lookupOp = be.bpfPrepared(BpfCmd.MAP_LOOKUP_ELEM, this.lookupAt, this.lookupAttr.byteLength);
        this.updateOp = be.bpfPrepared(BpfCmd.MAP_UPDATE_ELEM, this.updateAt, this.updateAttr.byteLength);
        this.deleteOp = be.bpfPrepared(BpfCmd.MAP_DELETE_ELEM, this.deleteAt, this.deleteAttr.byteLength);
      }
    }
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
