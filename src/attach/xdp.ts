/**
 * XDP programs (`BPF_PROG_TYPE_XDP`) on a network interface, through `BPF_LINK_CREATE` with
 * attach type `BPF_XDP`.
 * @module
 */

import { AttachTypes } from 'ebpf-bytecode-utils';
import { linkCreate } from '../../syscalls/link-create.js';
import { Link, ownedFd } from './link.js';
import { ifindexOf } from './netdev.js';

/** `XDP_FLAGS_*` of `include/uapi/linux/if_link.h`, without the prefix. */
export const XdpFlags = {
  /** Fail if a program is attached already (netlink only; links always behave so). */
  UPDATE_IF_NOEXIST: 1 << 0,
  /** Generic XDP: run in the network stack, after the skb is built; works on every device. */
  SKB_MODE: 1 << 1,
  /** Native XDP: run in the driver (veth, mlx5, i40e, …). */
  DRV_MODE: 1 << 2,
  /** Offloaded XDP: run on the NIC (nfp). */
  HW_MODE: 1 << 3,
  /** Replace a given program (netlink only). */
  REPLACE: 1 << 4,
} as const;

/** XDP attach mode: `'generic'` (`XDP_FLAGS_SKB_MODE`), `'driver'` (`XDP_FLAGS_DRV_MODE`), `'offload'` (`XDP_FLAGS_HW_MODE`). */
export type XdpMode = 'generic' | 'driver' | 'offload';

const modeFlags: Readonly<Record<XdpMode, number>> = { generic: XdpFlags.SKB_MODE, driver: XdpFlags.DRV_MODE, offload: XdpFlags.HW_MODE };

/** Options of {@link attachXdp}. */
export interface XdpOptions {
  /** Where the program runs; absent: the kernel picks driver mode when the device has it, else generic. */
  readonly mode?: XdpMode;
}

/** The `flags` of `BPF_LINK_CREATE` for `options` (exported for tests). */
export function xdpLinkFlags(options: XdpOptions = {}): number {
  if (options.mode === undefined) return 0;
  const f = modeFlags[options.mode];
  if (f === undefined) throw new RangeError(`attachXdp: mode ${JSON.stringify(options.mode)} is not generic, driver or offload`);
  return f;
}

/**
 * Attaches XDP program `progFd` to interface `iface` (a name in this network namespace, or an
 * ifindex). One XDP link per interface and mode: a second attach fails with EBUSY (EEXIST on
 * older kernels). The link's program can be replaced with `updateLink`. Closing the link
 * detaches. Requires Linux 5.9.
 */
export function attachXdp(progFd: number, iface: string | number, options: XdpOptions = {}): Link {
  const flags = xdpLinkFlags(options);
  const ifindex = ifindexOf(iface);
  const fd = linkCreate({ progFd, targetFd: ifindex, attachType: AttachTypes.xdp, flags });
  const where = typeof iface === 'string' ? `${iface} (ifindex ${ifindex})` : `ifindex ${ifindex}`;
  return new Link('xdp', `${where}${options.mode === undefined ? '' : `, ${options.mode}`}`, 'bpf_link', [ownedFd(fd, true)]);
}
