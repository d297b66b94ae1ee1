/**
 * Layout of `struct bpf_map_info` (`include/uapi/linux/bpf.h`), filled by
 * `BPF_OBJ_GET_INFO_BY_FD` on a map fd.
 * @module
 */

import { defineLayout, ptr, str, u32, u64 } from './layout.js';

/** `struct bpf_map_info` fields (Linux 6.18; 104 bytes). */
export const mapInfoLayout = defineLayout(
  'bpf_map_info',
  'struct bpf_map_info',
  undefined,
  {
    type: u32(0),
    id: u32(4),
    key_size: u32(8),
    value_size: u32(12),
    max_entries: u32(16),
    map_flags: u32(20),
    name: str(24, 16),
    ifindex: u32(40),
    btf_vmlinux_value_type_id: u32(44),
    netns_dev: u64(48),
    netns_ino: u64(56),
    btf_id: u32(64),
    btf_key_type_id: u32(68),
    btf_value_type_id: u32(72),
    btf_vmlinux_id: u32(76),
    map_extra: u64(80),
    /** Buffer for the map's SHA-256 hash (exclusive maps). Requires Linux 6.18. */
    hash: ptr(88),
    hash_size: u32(96),
  },
  104,
);
/** A field name of {@link mapInfoLayout}. */
export type MapInfoField = keyof typeof mapInfoLayout.fields;
