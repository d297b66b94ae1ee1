/**
 * Layout of the `BPF_PROG_ATTACH` / `BPF_PROG_DETACH` member of `union bpf_attr`.
 * @module
 */

import { defineLayout, u32, u64 } from './layout.js';

/**
 * `BPF_PROG_ATTACH` / `BPF_PROG_DETACH` attr fields (an anonymous struct of `union bpf_attr`,
 * Linux 6.18). `target_fd` and `target_ifindex` share offset 0; `relative_fd` and `relative_id`
 * share offset 20.
 */
export const progAttachAttr = defineLayout('BPF_PROG_ATTACH', 'union bpf_attr', '', {
  /** The cgroup fd (or other target object). */
  target_fd: u32(0),
  /** The ifindex (tcx via PROG_ATTACH). Requires Linux 6.6. */
  target_ifindex: u32(0),
  /** The program fd to attach or detach. */
  attach_bpf_fd: u32(4),
  /** `enum bpf_attach_type`. */
  attach_type: u32(8),
  /** `BPF_F_ALLOW_OVERRIDE`, `BPF_F_ALLOW_MULTI`, `BPF_F_REPLACE`, `BPF_F_BEFORE`, … */
  attach_flags: u32(12),
  /** With `BPF_F_REPLACE`: the attached program to replace. Requires Linux 5.6. */
  replace_bpf_fd: u32(16),
  /** With `BPF_F_BEFORE`/`BPF_F_AFTER`: the program (or link) to order against. Requires Linux 6.6. */
  relative_fd: u32(20),
  /** Same as `relative_fd`, as an id (with `BPF_F_ID`). Requires Linux 6.6. */
  relative_id: u32(20),
  /** Fails with ESTALE unless the hook's revision is this (0: no check). Requires Linux 6.6. */
  expected_revision: u64(24),
});
/** A field name of {@link progAttachAttr}. */
export type ProgAttachField = keyof typeof progAttachAttr.fields;

/**
 * `BPF_F_*` flags of `BPF_PROG_ATTACH`, `BPF_PROG_DETACH` and `BPF_LINK_CREATE` (tcx, cgroup
 * ordering), named like the kernel macros without the `BPF_F_` prefix.
 */
export const AttachFlags = {
  /** `BPF_F_ALLOW_OVERRIDE`: a descendant cgroup may override this program. Requires Linux 4.10. */
  ALLOW_OVERRIDE: 1 << 0,
  /** `BPF_F_ALLOW_MULTI`: several programs on one cgroup hook, all run. Requires Linux 4.15. */
  ALLOW_MULTI: 1 << 1,
  /** `BPF_F_REPLACE`: replace `replace_bpf_fd` atomically. Requires Linux 5.6. */
  REPLACE: 1 << 2,
  /** `BPF_F_BEFORE`: insert before the relative program or link. Requires Linux 6.6. */
  BEFORE: 1 << 3,
  /** `BPF_F_AFTER`: insert after the relative program or link. Requires Linux 6.6. */
  AFTER: 1 << 4,
  /** `BPF_F_ID`: `relative_fd` holds an id. Requires Linux 6.6. */
  ID: 1 << 5,
  /** `BPF_F_LINK`: the relative object is a link. Requires Linux 6.6. */
  LINK: 1 << 13,
} as const;
