/**
 * `BPF_MAP_LOOKUP_BATCH`, `BPF_MAP_LOOKUP_AND_DELETE_BATCH`, `BPF_MAP_UPDATE_BATCH` and
 * `BPF_MAP_DELETE_BATCH`. Requires Linux 5.6.
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { mapBatchAttr, type MapBatchField } from './attr/map-batch.js';
import { bpfRaw } from './bpf.js';
import { BpfCmd } from './bpf-cmd.js';

/** The batch commands of {@link mapBatch}. */
export type MapBatchCmd =
  | typeof BpfCmd.MAP_LOOKUP_BATCH
  | typeof BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH
  | typeof BpfCmd.MAP_UPDATE_BATCH
  | typeof BpfCmd.MAP_DELETE_BATCH;

/** Input of {@link mapBatch}; the names follow the attr fields. */
export interface MapBatchOptions {
  /** The map. */
  readonly mapFd: number;
  /** Cursor from the previous lookup's `outBatch`; absent on the first lookup. */
  readonly inBatch?: Uint8Array;
  /** Where a lookup writes its cursor (the map's key size, 4 bytes for arrays). */
  readonly outBatch?: Uint8Array;
  /** `count` keys, back to back (input of update/delete, output of lookup). */
  readonly keys?: Uint8Array;
  /** `count` values, back to back (input of update, output of lookup). */
  readonly values?: Uint8Array;
  /** Elements to process, or the capacity of `keys`/`values` for lookups. */
  readonly count: number;
  /** Per-element flags (`BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`, `BPF_F_LOCK`). */
  readonly elemFlags?: number;
}

/** What a batch call did: the kernel's result (0 or `-errno`) and the elements processed. */
export interface MapBatchResult {
  /** 0, or `-errno` (`-ENOENT` from a lookup: no elements after this batch). */
  readonly ret: number;
  /** Elements processed (copied, updated or deleted), also when `ret` is an error. */
  readonly count: number;
}

/** Encodes the attr of a batch call (exported for tests). */
export function mapBatchAttrOf(options: MapBatchOptions): AttrBuffer<MapBatchField> {
  const a = new AttrBuffer(mapBatchAttr);
  a.set('map_fd', options.mapFd).set('count', options.count);
  if (options.inBatch !== undefined) a.pointer('in_batch', options.inBatch);
  if (options.outBatch !== undefined) a.pointer('out_batch', options.outBatch);
  if (options.keys !== undefined) a.pointer('keys', options.keys);
  if (options.values !== undefined) a.pointer('values', options.values);
  if (options.elemFlags !== undefined) a.set('elem_flags', options.elemFlags);
  return a;
}

/**
 * One batch call. Returns the raw result instead of throwing because a lookup's ENOENT (end of
 * map) still carries elements; the caller turns other errors into a {@link SyscallError} with
 * {@link bpfError}.
 */
export function mapBatch(cmd: MapBatchCmd, options: MapBatchOptions): MapBatchResult {
  const a = mapBatchAttrOf(options);
  const ret = bpfRaw(cmd, a);
  return { ret, count: a.u32('count') };
}
