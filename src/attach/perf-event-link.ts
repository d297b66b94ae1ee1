/**
 * Attaching a program to one perf event fd: `BPF_LINK_CREATE` with attach type
 * `BPF_PERF_EVENT` (Linux 5.15), or `PERF_EVENT_IOC_SET_BPF` + `PERF_EVENT_IOC_ENABLE` on older
 * kernels.
 * @module
 */

import { AttachTypes } from 'ebpf-bytecode-utils';
import { Errno } from '../../syscalls/errno.js';
import { SyscallError } from '../../syscalls/errors.js';
import { ioctl, PerfEventIoc } from '../../syscalls/ioctl.js';
import { linkCreate } from '../../syscalls/link-create.js';
import { ownedFd, type LinkMode, type LinkPart } from './link.js';

/** How to attach to a perf event: `'auto'` tries a bpf_link and falls back to the ioctl. */
export type PerfAttachMode = 'auto' | 'bpf_link' | 'perf_ioctl';

/**
 * Attaches `progFd` to perf event `perfFd` and hands the parts to release (link fd first, then the
 * perf event fd, which the caller gives up ownership of) to `add`. Returns the mode used.
 */
export function attachToPerfEvent(progFd: number, perfFd: number, mode: PerfAttachMode, add: (part: LinkPart) => void, cookie?: bigint): LinkMode {
  if (mode !== 'perf_ioctl') {
    try {
      const linkFd = linkCreate({ progFd, targetFd: perfFd, attachType: AttachTypes.perf_event, ...(cookie === undefined ? {} : { bpfCookie: cookie }) });
      add(ownedFd(linkFd, true));
      add(ownedFd(perfFd, false));
      return 'bpf_link';
    } catch (err) {
      // Kernels before 5.15 reject the attach type with EINVAL.
      const old = err instanceof SyscallError && (err.errno === Errno.EINVAL || err.errno === Errno.EOPNOTSUPP || err.errno === Errno.ENOTSUPP);
      if (mode === 'bpf_link' || !old) {
        add(ownedFd(perfFd, false));
        throw err;
      }
    }
  }
  add(ownedFd(perfFd, false));
  ioctl(perfFd, PerfEventIoc.SET_BPF, progFd);
  ioctl(perfFd, PerfEventIoc.ENABLE, 0);
  return 'perf_ioctl';
}
