/**
 * Layout of `struct bpf_prog_info` (`include/uapi/linux/bpf.h`), filled by
 * `BPF_OBJ_GET_INFO_BY_FD` on a program fd.
 * @module
 */

import { bit, bytes, defineLayout, ptr, str, u32, u64 } from './layout.js';

/**
 * `struct bpf_prog_info` fields (Linux 6.18; 232 bytes). Array fields (`*_insns`, `map_ids`,
 * `jited_ksyms`, …) are pointers to user buffers whose capacity goes in the matching length
 * field; the kernel writes the full length back even when it copied less.
 */
export const progInfoLayout = defineLayout(
  'bpf_prog_info',
  'struct bpf_prog_info',
  undefined,
  {
    type: u32(0),
    id: u32(4),
    /** `__u8 tag[BPF_TAG_SIZE]`: the program's SHA-1 based tag. */
    tag: bytes(8, 8),
    jited_prog_len: u32(16),
    xlated_prog_len: u32(20),
    jited_prog_insns: ptr(24),
    /** The instructions after the verifier's rewrites (map fds become addresses, unless restricted). */
    xlated_prog_insns: ptr(32),
    /** Nanoseconds since boot. */
    load_time: u64(40),
    created_by_uid: u32(48),
    nr_map_ids: u32(52),
    map_ids: ptr(56),
    name: str(64, 16),
    ifindex: u32(80),
    gpl_compatible: bit(84, 0),
    netns_dev: u64(88),
    netns_ino: u64(96),
    nr_jited_ksyms: u32(104),
    nr_jited_func_lens: u32(108),
    jited_ksyms: ptr(112),
    jited_func_lens: ptr(120),
    btf_id: u32(128),
    func_info_rec_size: u32(132),
    func_info: ptr(136),
    nr_func_info: u32(144),
    nr_line_info: u32(148),
    line_info: ptr(152),
    jited_line_info: ptr(160),
    nr_jited_line_info: u32(168),
    line_info_rec_size: u32(172),
    jited_line_info_rec_size: u32(176),
    nr_prog_tags: u32(180),
    prog_tags: ptr(184),
    run_time_ns: u64(192),
    run_cnt: u64(200),
    recursion_misses: u64(208),
    verified_insns: u32(216),
    attach_btf_obj_id: u32(220),
    attach_btf_id: u32(224),
  },
  232,
);
/** A field name of {@link progInfoLayout}. */
export type ProgInfoField = keyof typeof progInfoLayout.fields;
