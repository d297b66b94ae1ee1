/**
 * tcx: the link-based tc hook (`BPF_PROG_TYPE_SCHED_CLS` on `BPF_TCX_INGRESS` /
 * `BPF_TCX_EGRESS`) of a network interface, through `BPF_LINK_CREATE`.
 * @module
 */

import { AttachTypes } from 'ebpf-bytecode-utils';
import { AttrBuffer } from '../../syscalls/attr/layout.js';
import { AttachFlags } from '../../syscalls/attr/prog-attach.js';
import type { LinkCreateField } from '../../syscalls/attr/link-create.js';
import { bpf } from '../../syscalls/bpf.js';
import { BpfCmd } from '../../syscalls/bpf-cmd.js';
import { linkCreateAttrOf } from '../../syscalls/link-create.js';
import { Link, ownedFd } from './link.js';
import { ifindexOf } from './netdev.js';

/** Which way a tcx program sees packets. */
export type TcxDirection = 'ingress' | 'egress';

/**
 * tcx verdicts (`enum tcx_action_base`): a program returns one of these (or a `TC_ACT_*` value).
 * `NEXT` passes the packet to the next program of the hook.
 */
export const TcxAction = {
  /** `TCX_NEXT` (-1): run the next program; the last one's `NEXT` means pass. */
  NEXT: -1,
  /** `TCX_PASS` (0, `TC_ACT_OK`): accept the packet. */
  PASS: 0,
  /** `TCX_DROP` (2, `TC_ACT_SHOT`): drop the packet. */
  DROP: 2,
  /** `TCX_REDIRECT` (7, `TC_ACT_REDIRECT`): redirect (after `bpf_redirect`). */
  REDIRECT: 7,
} as const;

/** Where in the hook's program list a new tcx program goes. */
export interface TcxOrder {
  /** Before or after {@link TcxOrder.relativeTo}. */
  readonly where: 'before' | 'after';
  /** A program fd, or a tcx {@link Link}; absent: first (`before`) or last (`after`) of all. */
  readonly relativeTo?: number | Link;
}

/** Options of {@link attachTcx}. */
export interface TcxOptions {
  /** Position in the hook's program list; absent: appended (last). */
  readonly order?: TcxOrder;
  /** Fail with ESTALE unless the hook's revision is this (0n: no check). */
  readonly expectedRevision?: bigint;
}

/** The `BPF_LINK_CREATE` attr of {@link attachTcx} (exported for tests). */
export function tcxLinkAttrOf(progFd: number, ifindex: number, direction: TcxDirection, options: TcxOptions = {}): AttrBuffer<LinkCreateField> {
  if (direction !== 'ingress' && direction !== 'egress') throw new RangeError(`attachTcx: direction ${JSON.stringify(direction)} is not ingress or egress`);
  const attachType = direction === 'ingress' ? AttachTypes.tcx_ingress : AttachTypes.tcx_egress;
  let flags = 0;
  let relativeFd = 0;
  const order = options.order;
  if (order !== undefined) {
    flags |= order.where === 'before' ? AttachFlags.BEFORE : AttachFlags.AFTER;
    const rel = order.relativeTo;
    if (rel instanceof Link) {
      const fds = rel.linkFds;
      if (fds.length !== 1) throw new RangeError(`attachTcx: ${rel.toString()} has no bpf_link fd to order against`);
      flags |= AttachFlags.LINK;
      relativeFd = fds[0]!;
    } else if (rel !== undefined) {
      relativeFd = rel;
    }
  }
  const a = linkCreateAttrOf({ progFd, targetFd: ifindex, attachType, flags });
  if (relativeFd !== 0) a.set('relative_fd', relativeFd);
  if (options.expectedRevision !== undefined) a.set('expected_revision', options.expectedRevision);
  return a;
}

/**
 * Attaches tc program `progFd` (type `sched_cls`) to the `direction` hook of interface `iface`
 * (a name in this network namespace, or an ifindex). Several programs may share a hook; they
 * run in order until one returns other than {@link TcxAction.NEXT}. Closing the link detaches.
 * Requires Linux 6.6.
 */
export function attachTcx(progFd: number, iface: string | number, direction: TcxDirection, options: TcxOptions = {}): Link {
  const ifindex = ifindexOf(iface);
  const fd = bpf(BpfCmd.LINK_CREATE, tcxLinkAttrOf(progFd, ifindex, direction, options));
  const where = typeof iface === 'string' ? `${iface} (ifindex ${ifindex})` : `ifindex ${ifindex}`;
  return new Link('tcx', `${where} ${direction}`, 'bpf_link', [ownedFd(fd, true)]);
}
