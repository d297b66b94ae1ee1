/**
 * `BPF_PROG_ATTACH` and `BPF_PROG_DETACH`: the link-less attachment of cgroup (and other)
 * programs. The attachment outlives the program fd; only `BPF_PROG_DETACH` removes it.
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { progAttachAttr, type ProgAttachField } from './attr/prog-attach.js';
import { bpf } from './bpf.js';
import { BpfCmd } from './bpf-cmd.js';

/** What {@link progAttach} / {@link progDetach} act on; the names follow the attr fields. */
export interface ProgAttachOptions {
  /** The target: a cgroup fd (or, for tcx, an ifindex). */
  readonly targetFd: number;
  /** The program fd (for detach: which program, needed with `BPF_F_ALLOW_MULTI`; 0 for the only one). */
  readonly progFd: number;
  /** `enum bpf_attach_type` value. */
  readonly attachType: number;
  /** `AttachFlags` bits (attach: `ALLOW_MULTI`, `REPLACE`, …). */
  readonly flags?: number;
  /** With `BPF_F_REPLACE`: the program to replace. Requires Linux 5.6. */
  readonly replaceProgFd?: number;
  /** With `BPF_F_BEFORE`/`BPF_F_AFTER`: the relative fd or id. Requires Linux 6.6. */
  readonly relativeFd?: number;
  /** Expected revision of the hook (0: no check). Requires Linux 6.6. */
  readonly expectedRevision?: bigint;
}

/** Encodes the attr of `options` (exported for tests). */
export function progAttachAttrOf(options: ProgAttachOptions): AttrBuffer<ProgAttachField> {
  const a = new AttrBuffer(progAttachAttr);
  a.set('target_fd', options.targetFd).set('attach_bpf_fd', options.progFd).set('attach_type', options.attachType);
  if (options.flags !== undefined) a.set('attach_flags', options.flags);
  if (options.replaceProgFd !== undefined) a.set('replace_bpf_fd', options.replaceProgFd);
  if (options.relativeFd !== undefined) a.set('relative_fd', options.relativeFd);
  if (options.expectedRevision !== undefined) a.set('expected_revision', options.expectedRevision);
  return a;
}

/** Attaches a program (`BPF_PROG_ATTACH`). Throws a {@link SyscallError} on failure. Requires Linux 4.10. */
export function progAttach(options: ProgAttachOptions): void {
  bpf(BpfCmd.PROG_ATTACH, progAttachAttrOf(options));
}

/** Detaches a program (`BPF_PROG_DETACH`). Throws a {@link SyscallError} on failure (ENOENT: not attached). Requires Linux 4.10. */
export function progDetach(options: ProgAttachOptions): void {
  bpf(BpfCmd.PROG_DETACH, progAttachAttrOf(options));
}
