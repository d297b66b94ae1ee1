/**
 * {@link mapInfo}: `struct bpf_map_info` of a map fd, decoded.
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { mapInfoLayout } from './attr/map-info.js';
import { objGetInfoByFd } from './obj-get-info-by-fd.js';

/** A map's `struct bpf_map_info`, in JS types (64-bit fields as bigint). */
export interface MapInfo {
  /** `enum bpf_map_type` value. */
  readonly type: number;
  /** Map id. */
  readonly id: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Capacity. */
  readonly maxEntries: number;
  /** `BPF_F_*` flags. */
  readonly mapFlags: number;
  /** Name given at creation. */
  readonly name: string;
  /** Offload device. */
  readonly ifindex: number;
  /** BTF object id (0 when none). */
  readonly btfId: number;
  /** BTF type id of the key. */
  readonly btfKeyTypeId: number;
  /** BTF type id of the value. */
  readonly btfValueTypeId: number;
  /** vmlinux BTF type id of a struct_ops value. */
  readonly btfVmlinuxValueTypeId: number;
  /** Per-type extra. */
  readonly mapExtra: bigint;
}

/** Reads `bpf_map_info` of map `fd`. Throws a {@link SyscallError} on failure. */
export function mapInfo(fd: number): MapInfo {
  const info = new AttrBuffer(mapInfoLayout);
  objGetInfoByFd(fd, info.bytes);
  return {
    type: info.u32('type'),
    id: info.u32('id'),
    keySize: info.u32('key_size'),
    valueSize: info.u32('value_size'),
    maxEntries: info.u32('max_entries'),
    mapFlags: info.u32('map_flags'),
    name: info.text('name'),
    ifindex: info.u32('ifindex'),
    btfId: info.u32('btf_id'),
    btfKeyTypeId: info.u32('btf_key_type_id'),
    btfValueTypeId: info.u32('btf_value_type_id'),
    btfVmlinuxValueTypeId: info.u32('btf_vmlinux_value_type_id'),
    mapExtra: info.u64('map_extra'),
  };
}
