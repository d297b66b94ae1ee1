/**
 * `BPF_LINK_UPDATE`: replace the program of a link in place (no window without a program).
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { linkUpdateAttr, type LinkUpdateField } from './attr/link-update.js';
import { bpf } from './bpf.js';
import { BpfCmd } from './bpf-cmd.js';

/** `BPF_F_REPLACE` of `BPF_LINK_UPDATE`: only if the current program is `old_prog_fd`. */
export const LINK_UPDATE_F_REPLACE = 1 << 2;

/** Encodes the attr of {@link linkUpdate} (exported for tests). */
export function linkUpdateAttrOf(linkFd: number, newProgFd: number, oldProgFd?: number): AttrBuffer<LinkUpdateField> {
  const a = new AttrBuffer(linkUpdateAttr).set('link_fd', linkFd).set('new_prog_fd', newProgFd);
  if (oldProgFd !== undefined) a.set('flags', LINK_UPDATE_F_REPLACE).set('old_prog_fd', oldProgFd);
  return a;
}

/**
 * Makes link `linkFd` run program `newProgFd`; with `oldProgFd`, only when `oldProgFd` is the
 * current program (else EPERM). Throws a {@link SyscallError} (EINVAL: wrong program type or
 * attach type, EOPNOTSUPP: the link kind cannot be updated, ENOLINK: the link was detached).
 * Requires Linux 5.7 (cgroup), 5.9 (xdp), 6.6 (tcx).
 */
export function linkUpdate(linkFd: number, newProgFd: number, oldProgFd?: number): void {
  bpf(BpfCmd.LINK_UPDATE, linkUpdateAttrOf(linkFd, newProgFd, oldProgFd));
}
