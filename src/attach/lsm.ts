/**
 * BPF LSM programs (`BPF_PROG_TYPE_LSM`, expected attach type `BPF_LSM_MAC`) on a security hook:
 * the target is the `bpf_lsm_<hook>` function of vmlinux BTF (`file_open` → `bpf_lsm_file_open`),
 * fixed at load time; a non-zero return (`-EPERM`) denies the operation. Requires Linux 5.7 with
 * CONFIG_BPF_LSM and `bpf` in the active LSM list (`lsm=` boot parameter).
 * @module
 */

import { AttachTypes } from 'ebpf-bytecode-utils';
import { linkCreate } from '../../syscalls/link-create.js';
import { rawTracepointOpen } from '../../syscalls/raw-tracepoint-open.js';
import { assertSupported } from '../features/assert-supported.js';
import { Link, ownedFd } from './link.js';
import { btfFunctionId, type BtfAttachTarget, type BtfTargetOptions } from './tracing.js';

/**
 * What an LSM program on hook `hook` (`'file_open'`, without `bpf_lsm_`) is loaded with:
 * `{type: 'lsm', expectedAttachType: 'lsm_mac', attachBtfId}`, to spread into `Program.load`.
 * Throws a BtfTargetError for an unknown hook, a NotSupportedError when the BPF LSM is not
 * active. Requires Linux 5.7.
 */
export function lsmTarget(hook: string, options: BtfTargetOptions = {}): BtfAttachTarget<'lsm', 'lsm_mac'> {
  const bare = hook.replace(/^bpf_lsm_/, '');
  const attachBtfId = btfFunctionId(`bpf_lsm_${bare}`, `lsm hook ${bare}`, options.btfPath);
  if (options.check !== false) assertSupported({ attach: 'lsm' });
  return { type: 'lsm', expectedAttachType: 'lsm_mac', attachBtfId };
}

/** Options of {@link attachLsm}. */
export interface LsmAttachOptions {
  /** `bpf_get_attach_cookie` value (through `BPF_LINK_CREATE`). Requires Linux 6.0. */
  readonly cookie?: bigint;
}

/**
 * Attaches a loaded LSM program (its hook fixed at load time by {@link lsmTarget}); `hook` is for
 * messages. Requires Linux 5.7.
 */
export function attachLsm(progFd: number, hook = '?', options: LsmAttachOptions = {}): Link {
  const fd = options.cookie === undefined ? rawTracepointOpen(progFd) : linkCreate({ progFd, targetFd: 0, attachType: AttachTypes.lsm_mac, tracingCookie: options.cookie });
  return new Link('lsm', hook.replace(/^bpf_lsm_/, ''), 'bpf_link', [ownedFd(fd, true)]);
}
