/**
 * `BPF_LINK_DETACH`: detach a link while its fd stays open.
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { linkDetachAttr, type LinkDetachField } from './attr/link-detach.js';
import { bpf } from './bpf.js';
import { BpfCmd } from './bpf-cmd.js';

/** Encodes the attr of {@link linkDetach} (exported for tests). */
export function linkDetachAttrOf(linkFd: number): AttrBuffer<LinkDetachField> {
  return new AttrBuffer(linkDetachAttr).set('link_fd', linkFd);
}

/**
 * Detaches link `linkFd` (the fd stays valid; the link is defunct until closed). Throws a
 * {@link SyscallError} (EOPNOTSUPP for link kinds without detach). Requires Linux 5.9.
 */
export function linkDetach(linkFd: number): void {
  bpf(BpfCmd.LINK_DETACH, linkDetachAttrOf(linkFd));
}
