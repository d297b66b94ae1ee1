/**
 * A region of simulated memory: a stack frame, the context, the packet, a map value, memory a
 * helper returned. Pointers are (region, offset) pairs; in a register they are a fake 64-bit
 * address whose high word names the region (`0x8000_0000 | id`) and whose low word is the offset,
 * so pointer arithmetic is ordinary 64-bit arithmetic and the region can always be recovered.
 * @module
 */

import type { SimMap } from './maps/sim-map.js';

/** What a region holds; also the name printed in memory errors. */
export type RegionKind = 'stack' | 'ctx' | 'packet' | 'map_value' | 'map' | 'mem' | 'ringbuf_record' | 'func' | 'external' | 'socket' | 'task';

/** A context field whose load yields a pointer (e.g. `__sk_buff.data`) rather than bytes. */
export interface PointerField {
  /** Size of the load that reads the field (4 for `__u32 data`). */
  readonly size: number;
  /** The pointer: region and offset, or null for a NULL pointer. */
  readonly get: () => readonly [Region, number] | null;
}

/** One region of simulated memory. */
export interface Region {
  /** Index in the run's region table; also the tag of registers pointing here (never 0). */
  readonly id: number;
  /** High word of every address in the region: `0x8000_0000 | id`, as an int32. */
  readonly baseHi: number;
  /** What the region holds. */
  readonly kind: RegionKind;
  /** The bytes. */
  bytes: Uint8Array;
  /** A little-endian view of {@link bytes}. */
  view: DataView;
  /** First valid offset. */
  start: number;
  /** One past the last valid offset. */
  end: number;
  /** Whether the program may load from it. */
  readable: boolean;
  /** Whether the program may store to it. */
  writable: boolean;
  /** Pointer tags of spilled registers, one per 8-byte slot (stack only), else null. */
  readonly slotTags: Int32Array | null;
  /** Context fields that load as pointers, by offset (ctx only), else null. */
  readonly fields: ReadonlyMap<number, PointerField> | null;
  /** The map a `map` region stands for, or that owns a `map_value` region. */
  readonly map: SimMap | null;
  /** For `func` regions: the slot index of the subprogram. */
  readonly funcSlot: number;
  /** For `ringbuf_record` regions: 0 while reserved, 1 submitted, 2 discarded; for `socket` regions: 0 while held, 1 released, 2 never acquired (`skb->sk`); for `task` regions: the reference count. */
  state: number;
  /** Free-form note for messages (`map 0 value`, `frame 1`). */
  readonly label: string;
}

/** The high word of addresses in region `id`. */
export function regionBaseHi(id: number): number {
  return (0x80000000 | id) | 0;
}

/** Offset of the address (hi, lo) from the start of `region` (a double; may be negative or huge). */
export function offsetIn(region: Region, lo: number, hi: number): number {
  return (hi - region.baseHi) * 4294967296 + (lo >>> 0);
}
