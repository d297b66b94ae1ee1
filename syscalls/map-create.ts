/**
 * `BPF_MAP_CREATE`.
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { mapCreateAttr } from './attr/map-create.js';
import { bpf } from './bpf.js';
import { BpfCmd } from './bpf-cmd.js';

/** What {@link mapCreate} creates; the names follow the attr fields (`map_type` → `mapType`). */
export interface MapCreateOptions {
  /** `enum bpf_map_type` value (`BPF_MAP_TYPE_HASH` = 1, `ARRAY` = 2, …). */
  readonly mapType: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Capacity. */
  readonly maxEntries: number;
  /** `BPF_F_*` map flags. */
  readonly mapFlags?: number;
  /** Template inner map for map-in-map types. */
  readonly innerMapFd?: number;
  /** NUMA node (with `BPF_F_NUMA_NODE`). */
  readonly numaNode?: number;
  /** Name, at most 15 bytes of letters, digits, `_` and `.`. Requires Linux 4.15. */
  readonly mapName?: string;
  /** Network device for offloaded maps. */
  readonly mapIfindex?: number;
  /** BTF fd describing key and value. Requires Linux 4.18. */
  readonly btfFd?: number;
  /** BTF type id of the key. */
  readonly btfKeyTypeId?: number;
  /** BTF type id of the value. */
  readonly btfValueTypeId?: number;
  /** vmlinux BTF type id of a struct_ops value. Requires Linux 5.6. */
  readonly btfVmlinuxValueTypeId?: number;
  /** Per-type extra (bloom filter hash count, arena address). Requires Linux 5.16. */
  readonly mapExtra?: bigint;
  /** Module BTF fd of btfVmlinuxValueTypeId. Requires Linux 6.9. */
  readonly valueTypeBtfObjFd?: number;
  /** BPF token fd (with `BPF_F_TOKEN_FD` in mapFlags). Requires Linux 6.9. */
  readonly mapTokenFd?: number;
}

/** Encodes the `BPF_MAP_CREATE` attr of `options` (exported for tests). */
export function mapCreateAttrOf(options: MapCreateOptions): AttrBuffer<keyof typeof mapCreateAttr.fields> {
  const a = new AttrBuffer(mapCreateAttr);
  a.set('map_type', options.mapType).set('key_size', options.keySize).set('value_size', options.valueSize).set('max_entries', options.maxEntries);
  if (options.mapFlags !== undefined) a.set('map_flags', options.mapFlags);
  if (options.innerMapFd !== undefined) a.set('inner_map_fd', options.innerMapFd);
  if (options.numaNode !== undefined) a.set('numa_node', options.numaNode);
  if (options.mapName !== undefined) a.string('map_name', options.mapName);
  if (options.mapIfindex !== undefined) a.set('map_ifindex', options.mapIfindex);
  if (options.btfFd !== undefined) a.set('btf_fd', options.btfFd);
  if (options.btfKeyTypeId !== undefined) a.set('btf_key_type_id', options.btfKeyTypeId);
  if (options.btfValueTypeId !== undefined) a.set('btf_value_type_id', options.btfValueTypeId);
  if (options.btfVmlinuxValueTypeId !== undefined) a.set('btf_vmlinux_value_type_id', options.btfVmlinuxValueTypeId);
  if (options.mapExtra !== undefined) a.set('map_extra', options.mapExtra);
  if (options.valueTypeBtfObjFd !== undefined) a.set('value_type_btf_obj_fd', options.valueTypeBtfObjFd);
  if (options.mapTokenFd !== undefined) a.set('map_token_fd', options.mapTokenFd);
  return a;
}

/** Creates a map; returns its fd (the caller owns it). Throws a {@link SyscallError} on failure. */
export function mapCreate(options: MapCreateOptions): number {
  return bpf(BpfCmd.MAP_CREATE, mapCreateAttrOf(options));
}
