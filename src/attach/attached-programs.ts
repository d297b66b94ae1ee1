/**
 * Which programs are attached to a hook, through `BPF_PROG_QUERY`: a cgroup's attach type
 * (directly attached, or the effective set inherited from ancestors), a tcx direction of a
 * device, or a netkit device's primary/peer side.
 * @module
 */

import { closeSync } from 'node:fs';
import { attachType as attachTypeNumber, attachTypeName, type AttachTypeName } from 'ebpf-bytecode-utils';
import { BPF_F_QUERY_EFFECTIVE } from '../../syscalls/attr/prog-query.js';
import { progQuery } from '../../syscalls/prog-query.js';
import { cgroupAttachProgramTypes, openCgroup } from './cgroup.js';
import { ifindexOf } from './netdev.js';
import type { TcxDirection } from './tcx.js';

/** The hook to ask about. */
export type QueryHook =
  | { readonly cgroup: string | number; readonly attachType: AttachTypeName | number; readonly effective?: boolean }
  | { readonly tcx: string | number; readonly direction: TcxDirection }
  | { readonly netkit: string | number; readonly peer?: boolean };

/** One attached program. */
export interface AttachedProgram {
  /** The program id (open it with `getFdById('prog', id)`). */
  readonly id: number;
  /** Its attach flags (cgroup, when not `effective`: `BPF_F_ALLOW_MULTI`, …). */
  readonly attachFlags: number;
  /** The bpf_link id holding it; absent for link-less attachments (and for cgroup hooks, which do not report links). */
  readonly linkId?: number;
}

/** What is attached to a hook. */
export interface AttachedPrograms {
  /** The hook's own flags (cgroup: how it was attached). */
  readonly attachFlags: number;
  /** The programs, in the order they run. */
  readonly programs: AttachedProgram[];
  /** The hook's revision (tcx, netkit); 0n for cgroups. */
  readonly revision: bigint;
}

/**
 * The programs attached to `hook` (`BPF_PROG_QUERY`). Throws a RangeError for an attach type
 * that is not a cgroup one, a NetdevError for an unknown interface, a SyscallError from the
 * kernel (EINVAL: the hook does not exist here, e.g. netkit on a veth). Requires Linux 4.15;
 * tcx and netkit Linux 6.6 / 6.7.
 */
export function attachedPrograms(hook: QueryHook): AttachedPrograms {
  let target: number;
  let type: number;
  let flags = 0;
  let close: (() => void) | undefined;
  if ('cgroup' in hook) {
    type = attachTypeNumber(hook.attachType);
    if (cgroupAttachProgramTypes[attachTypeName(type)] === undefined) throw new RangeError(`attachedPrograms: ${attachTypeName(type)} is not a cgroup attach type`);
    if (typeof hook.cgroup === 'string') {
      target = openCgroup(hook.cgroup);
      const fd = target;
      close = () => closeSync(fd);
    } else target = hook.cgroup;
    if (hook.effective === true) flags = BPF_F_QUERY_EFFECTIVE;
  } else if ('tcx' in hook) {
    if (hook.direction !== 'ingress' && hook.direction !== 'egress') throw new RangeError(`attachedPrograms: tcx direction ${JSON.stringify(hook.direction)} is not ingress or egress`);
    target = ifindexOf(hook.tcx);
    type = attachTypeNumber(hook.direction === 'ingress' ? 'tcx_ingress' : 'tcx_egress');
  } else {
    target = ifindexOf(hook.netkit);
    type = attachTypeNumber(hook.peer === true ? 'netkit_peer' : 'netkit_primary');
  }
  try {
    const r = progQuery({ target, attachType: type, queryFlags: flags });
    const isCgroup = 'cgroup' in hook;
    return {
      attachFlags: r.attachFlags,
      revision: r.revision,
      programs: r.progIds.map((id, i) => (isCgroup || r.linkIds[i] === 0 ? { id, attachFlags: r.progAttachFlags[i] } : { id, attachFlags: r.progAttachFlags[i], linkId: r.linkIds[i] })),
    };
  } finally {
    close?.();
  }
}
