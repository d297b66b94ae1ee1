/**
 * Socket filters (`BPF_PROG_TYPE_SOCKET_FILTER`) on a socket with `SO_ATTACH_BPF`.
 * @module
 */

import { attachSocketFilter as soAttach, detachSocketFilter } from '../../syscalls/prog-attach-socket.js';
import { Link } from './link.js';

/**
 * Attaches socket filter `progFd` to socket `sockFd` (which the caller keeps owning). Closing the
 * link detaches the filter (`SO_DETACH_BPF`); closing the socket also drops it. Requires Linux 3.19.
 */
export function attachSocketFilter(progFd: number, sockFd: number): Link {
  soAttach(sockFd, progFd);
  return new Link('socket_filter', `socket fd ${sockFd}`, 'sockopt', [{ fd: sockFd, isBpfLink: false, release: () => detachSocketFilter(sockFd) }]);
}
