/**
 * libbpf's pin-by-name rule: whether a map already pinned at a map's by-name path may stand in
 * for the map a spec describes.
 * @module
 */

import type { MapInfo } from '../../syscalls/index.js';

/** What {@link pinnedMapMismatch} compares: the properties libbpf's `map_is_reuse_compat` checks. */
export interface PinnedMapExpectation {
  /** `enum bpf_map_type` value. */
  readonly type: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Capacity. */
  readonly maxEntries: number;
  /** `BPF_F_*` flags. */
  readonly flags: number;
  /** Map extra (bloom filter hash count). */
  readonly mapExtra: bigint;
}

/**
 * Why the pinned map described by `info` cannot be reused for `want` (e.g.
 * `max_entries 128 (pinned: 64)`), or undefined when it can.
 */
export function pinnedMapMismatch(want: PinnedMapExpectation, info: MapInfo): string | undefined {
  const diffs: string[] = [];
  const check = (field: string, wanted: number | bigint, pinned: number | bigint, hex = false) => {
    if (wanted === pinned) return;
    const show = (v: number | bigint) => (hex ? `0x${v.toString(16)}` : String(v));
    diffs.push(`${field} ${show(wanted)} (pinned: ${show(pinned)})`);
  };
  check('map_type', want.type, info.type);
  check('key_size', want.keySize, info.keySize);
  check('value_size', want.valueSize, info.valueSize);
  check('max_entries', want.maxEntries, info.maxEntries);
  check('map_flags', want.flags, info.mapFlags, true);
  check('map_extra', want.mapExtra, info.mapExtra);
  return diffs.length === 0 ? undefined : diffs.join(', ');
}
