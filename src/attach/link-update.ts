/**
 * Changing an attached {@link Link} in place: `BPF_LINK_UPDATE` (another program) and
 * `BPF_LINK_DETACH` (detach now, fd closed later).
 * @module
 */

import { linkDetach } from '../../syscalls/link-detach.js';
import { linkUpdate } from '../../syscalls/link-update.js';
import type { Link } from './link.js';

function soleLinkFd(link: Link, what: string): number {
  if (link.isClosed) throw new Error(`${what}: ${link.toString()} is closed`);
  const fds = link.linkFds;
  if (fds.length !== 1) throw new Error(`${what}: ${link.toString()} is not held by one bpf_link`);
  return fds[0]!;
}

/**
 * Makes `link` run program `newProgFd` from now on, with no moment without a program. With
 * `oldProgFd`, only if `oldProgFd` is the program attached now (else EPERM). Works for links
 * held by one bpf_link (XDP, tcx, cgroup links; not perf-event based ones). Requires Linux 5.7
 * (cgroup), 5.9 (XDP), 6.6 (tcx).
 */
export function updateLink(link: Link, newProgFd: number, oldProgFd?: number): void {
  linkUpdate(soleLinkFd(link, 'updateLink'), newProgFd, oldProgFd);
}

/**
 * Detaches `link` now (`BPF_LINK_DETACH`) while its fd stays open: the program stops running,
 * the link stays listed until {@link Link.close}. Requires Linux 5.9.
 */
export function detachLink(link: Link): void {
  linkDetach(soleLinkFd(link, 'detachLink'));
}
