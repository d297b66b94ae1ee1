/**
 * Layout of the `BPF_PROG_LOAD` member of `union bpf_attr` (`include/uapi/linux/bpf.h`).
 * @module
 */

import { defineLayout, ptr, s32, str, u32 } from './layout.js';

/**
 * `BPF_PROG_LOAD` attr fields, with the kernel's names and offsets (Linux 6.18).
 *
 * Kernel quirks: `log_size` must be at least 128 when `log_level` is non-zero, and since Linux
 * 6.4 a log that does not fit fails the load with ENOSPC even for a valid program
 * (`log_true_size` then says the size needed).
 */
export const progLoadAttr = defineLayout('BPF_PROG_LOAD', 'union bpf_attr', '', {
  prog_type: u32(0),
  /** Number of 8-byte instruction slots. */
  insn_cnt: u32(4),
  insns: ptr(8),
  /** NUL-terminated license string; `GPL`-compatible ones unlock GPL-only helpers. */
  license: ptr(16),
  /** 1: the verifier's path to an error; 2: every instruction and state; 4: statistics. */
  log_level: u32(24),
  log_size: u32(28),
  log_buf: ptr(32),
  /** Ignored since Linux 5.0 (was checked for kprobes). */
  kern_version: u32(40),
  prog_flags: u32(44),
  /** Requires Linux 4.15. */
  prog_name: str(48, 16),
  /** Requires Linux 4.15. */
  prog_ifindex: u32(64),
  /** Requires Linux 4.17. */
  expected_attach_type: u32(68),
  /** Requires Linux 5.0. */
  prog_btf_fd: u32(72),
  func_info_rec_size: u32(76),
  func_info: ptr(80),
  func_info_cnt: u32(88),
  line_info_rec_size: u32(92),
  line_info: ptr(96),
  line_info_cnt: u32(104),
  /** In-kernel BTF type id to attach to (tracing, struct_ops, LSM, tp_btf). Requires Linux 5.5. */
  attach_btf_id: u32(108),
  /** Program fd to attach to (freplace, fentry on a BPF program). Shares its place with attach_btf_obj_fd. Requires Linux 5.5. */
  attach_prog_fd: u32(112),
  /** Module BTF fd of attach_btf_id, or 0 for vmlinux. Shares its place with attach_prog_fd. Requires Linux 5.11. */
  attach_btf_obj_fd: u32(112),
  /** Requires Linux 5.17. */
  core_relo_cnt: u32(116),
  /** Array of fds the instructions index (BPF_PSEUDO_MAP_IDX, kfunc module BTF). Requires Linux 5.14. */
  fd_array: ptr(120),
  core_relos: ptr(128),
  core_relo_rec_size: u32(136),
  /** Output: the size the whole log needs, NUL included. Requires Linux 6.4. */
  log_true_size: u32(140),
  /** BPF token fd (with `BPF_F_TOKEN_FD`). Requires Linux 6.9. */
  prog_token_fd: s32(144),
  /** Length of fd_array; every map in it is bound to the program. Requires Linux 6.14. */
  fd_array_cnt: u32(148),
});
/** A field name of {@link progLoadAttr}. */
export type ProgLoadField = keyof typeof progLoadAttr.fields;
