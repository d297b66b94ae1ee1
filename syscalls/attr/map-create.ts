/**
 * Layout of the `BPF_MAP_CREATE` member of `union bpf_attr` (`include/uapi/linux/bpf.h`).
 * @module
 */

import { defineLayout, s32, str, u32, u64 } from './layout.js';

/**
 * `BPF_MAP_CREATE` attr fields, with the kernel's names and offsets (Linux 6.18). Fields newer
 * than a running kernel must stay zero there: the kernel rejects unknown non-zero attr bytes.
 */
export const mapCreateAttr = defineLayout('BPF_MAP_CREATE', 'union bpf_attr', '', {
  map_type: u32(0),
  key_size: u32(4),
  value_size: u32(8),
  max_entries: u32(12),
  map_flags: u32(16),
  inner_map_fd: u32(20),
  /** Effective only with `BPF_F_NUMA_NODE` in map_flags. */
  numa_node: u32(24),
  /** `char[BPF_OBJ_NAME_LEN]`: 15 bytes and a NUL; letters, digits, `_` and `.`. Requires Linux 4.15. */
  map_name: str(28, 16),
  map_ifindex: u32(44),
  /** Requires Linux 4.18. */
  btf_fd: u32(48),
  btf_key_type_id: u32(52),
  btf_value_type_id: u32(56),
  /** For struct_ops maps. Requires Linux 5.6. */
  btf_vmlinux_value_type_id: u32(60),
  /** Bloom filter hash count, arena mmap address. Requires Linux 5.16. */
  map_extra: u64(64),
  /** Module BTF fd for btf_vmlinux_value_type_id. Requires Linux 6.9. */
  value_type_btf_obj_fd: s32(72),
  /** BPF token fd (with `BPF_F_TOKEN_FD`). Requires Linux 6.9. */
  map_token_fd: s32(76),
});
/** A field name of {@link mapCreateAttr}. */
export type MapCreateField = keyof typeof mapCreateAttr.fields;
