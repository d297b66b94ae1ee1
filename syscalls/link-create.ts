/**
 * `BPF_LINK_CREATE`.
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { linkCreateAttr, type LinkCreateField } from './attr/link-create.js';
import { bpf } from './bpf.js';
import { BpfCmd } from './bpf-cmd.js';

/** What {@link linkCreate} attaches; the names follow the attr fields. */
export interface LinkCreateOptions {
  /** The program fd. */
  readonly progFd: number;
  /** The target fd (perf event, cgroup, netns, …) or ifindex. */
  readonly targetFd: number;
  /** `enum bpf_attach_type` value. */
  readonly attachType: number;
  /** Attach flags. */
  readonly flags?: number;
  /** `target_btf_id`. Requires Linux 5.10. */
  readonly targetBtfId?: number;
  /** `perf_event.bpf_cookie` (attach type `BPF_PERF_EVENT`). Requires Linux 5.15. */
  readonly bpfCookie?: bigint;
}

/** Encodes the attr of `options` (exported for tests). */
export function linkCreateAttrOf(options: LinkCreateOptions): AttrBuffer<LinkCreateField> {
  const a = new AttrBuffer(linkCreateAttr);
  a.set('prog_fd', options.progFd).set('target_fd', options.targetFd).set('attach_type', options.attachType);
  if (options.flags !== undefined) a.set('flags', options.flags);
  if (options.targetBtfId !== undefined && options.bpfCookie !== undefined) throw new RangeError('linkCreate: targetBtfId and bpfCookie share one attr field; give one');
  if (options.targetBtfId !== undefined) a.set('target_btf_id', options.targetBtfId);
  if (options.bpfCookie !== undefined) a.set('bpf_cookie', options.bpfCookie);
  return a;
}

/** Creates a link; returns its fd (closing it detaches). Throws a {@link SyscallError} on failure. */
export function linkCreate(options: LinkCreateOptions): number {
  return bpf(BpfCmd.LINK_CREATE, linkCreateAttrOf(options));
}
