/**
 * cgroup v2 hooks (`cgroup_skb`, `cgroup_sock`, `cgroup_sock_addr`, `cgroup_sysctl`,
 * `cgroup_device`, …): through `BPF_LINK_CREATE` with the cgroup as target, or through
 * `BPF_PROG_ATTACH` / `BPF_PROG_DETACH` (with `BPF_F_ALLOW_MULTI` by default).
 * @module
 */

import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import { attachType as attachTypeNumber, attachTypeName, type AttachTypeName, type ProgramTypeName } from 'ebpf-bytecode-utils';
import { AttachFlags } from '../../syscalls/attr/prog-attach.js';
import { closeFd } from '../../syscalls/close-fd.js';
import { getFdById } from '../../syscalls/get-id.js';
import { linkCreate } from '../../syscalls/link-create.js';
import { progAttach, progDetach } from '../../syscalls/prog-attach.js';
import { progInfo } from '../../syscalls/prog-info.js';
import { detachOnExit } from './cleanup.js';
import { Link, acquireAll, ownedFd } from './link.js';

/** Where cgroup v2 is mounted when nothing else is (the systemd and kernel-doc default). */
export const CGROUP2_DEFAULT_ROOT = '/sys/fs/cgroup';

/** The mount point of the first `cgroup2` file system in `mounts` (`/proc/self/mounts` text), or undefined. */
export function cgroup2MountIn(mounts: string): string | undefined {
  for (const line of mounts.split('\n')) {
    const [, dir, type] = line.split(' ');
    if (type === 'cgroup2' && dir !== undefined) return dir.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  }
  return undefined;
}

/**
 * The cgroup v2 root: the first `cgroup2` mount in `/proc/self/mounts` (`/sys/fs/cgroup`, or
 * `/sys/fs/cgroup/unified` on hybrid systems). When there is none and `mountIfMissing` is set,
 * mounts cgroup2 at `/sys/fs/cgroup` (needs root). Throws an Error saying what is missing.
 */
export function cgroup2Root(mountIfMissing = true): string {
  const found = cgroup2MountIn(readFileSync('/proc/self/mounts', 'utf8'));
  if (found !== undefined) return found;
  if (!mountIfMissing) throw new Error('cgroup v2: no cgroup2 file system is mounted');
  try {
    if (!existsSync(CGROUP2_DEFAULT_ROOT)) throw new Error(`${CGROUP2_DEFAULT_ROOT} does not exist`);
    execFileSync('mount', ['-t', 'cgroup2', 'none', CGROUP2_DEFAULT_ROOT], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new Error(`cgroup v2: no cgroup2 file system is mounted, and mounting one at ${CGROUP2_DEFAULT_ROOT} failed: ${why}`);
  }
  return CGROUP2_DEFAULT_ROOT;
}

/** How {@link attachCgroup} attaches. */
export type CgroupAttachMethod = 'link' | 'prog_attach';

/** Options of {@link attachCgroup}. */
export interface CgroupOptions {
  /**
   * `'link'` (`BPF_LINK_CREATE`, default: detached when the link is closed, and also when the
   * process dies) or `'prog_attach'` (`BPF_PROG_ATTACH`: outlives the process unless detached; the clean-up registry detaches it on
   * exit, SIGINT/SIGTERM/SIGHUP and uncaught exceptions, see `detachOnExit`).
   */
  readonly method?: CgroupAttachMethod;
  /** `BPF_PROG_ATTACH` flags (`AttachFlags`); default `ALLOW_MULTI`. Ignored for links. */
  readonly flags?: number;
}

/** The cgroup attach types {@link attachCgroup} knows, with the program type each needs. */
export const cgroupAttachProgramTypes: Readonly<Partial<Record<AttachTypeName, ProgramTypeName>>> = {
  cgroup_inet_ingress: 'cgroup_skb',
  cgroup_inet_egress: 'cgroup_skb',
  cgroup_inet_sock_create: 'cgroup_sock',
  cgroup_inet_sock_release: 'cgroup_sock',
  cgroup_inet4_post_bind: 'cgroup_sock',
  cgroup_inet6_post_bind: 'cgroup_sock',
  cgroup_inet4_bind: 'cgroup_sock_addr',
  cgroup_inet6_bind: 'cgroup_sock_addr',
  cgroup_inet4_connect: 'cgroup_sock_addr',
  cgroup_inet6_connect: 'cgroup_sock_addr',
  cgroup_udp4_sendmsg: 'cgroup_sock_addr',
  cgroup_udp6_sendmsg: 'cgroup_sock_addr',
  cgroup_udp4_recvmsg: 'cgroup_sock_addr',
  cgroup_udp6_recvmsg: 'cgroup_sock_addr',
  cgroup_inet4_getpeername: 'cgroup_sock_addr',
  cgroup_inet6_getpeername: 'cgroup_sock_addr',
  cgroup_inet4_getsockname: 'cgroup_sock_addr',
  cgroup_inet6_getsockname: 'cgroup_sock_addr',
  cgroup_sock_ops: 'sock_ops',
  cgroup_device: 'cgroup_device',
  cgroup_sysctl: 'cgroup_sysctl',
  cgroup_getsockopt: 'cgroup_sockopt',
  cgroup_setsockopt: 'cgroup_sockopt',
};

/** Opens cgroup directory `path` read-only (`O_DIRECTORY`); the caller closes it with `closeSync`. */
export function openCgroup(path: string): number {
  return openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
}

function fsFd(fd: number): { fd: number; isBpfLink: false; release: () => void } {
  return { fd, isBpfLink: false, release: () => closeSync(fd) };
}

/**
 * Attaches cgroup program `progFd` to cgroup `cgroup` (a cgroup v2 directory path, or an open
 * fd of one, which the caller keeps owning) at hook `attachType` (`'cgroup_inet_egress'`,
 * `'cgroup_inet4_connect'`, … or the number). The program must have been loaded with that
 * expected attach type where its type needs one (`cgroup_sock_addr`, `cgroup_sock`).
 *
 * With `method: 'prog_attach'` the link owns its own fds of the program and the cgroup (so
 * `BPF_PROG_DETACH` works after the caller closed theirs) and detaches on close. Requires
 * Linux 5.7 for links, 4.10 for PROG_ATTACH (`ALLOW_MULTI` 4.15).
 */
export function attachCgroup(progFd: number, cgroup: string | number, attachType: AttachTypeName | number, options: CgroupOptions = {}): Link {
  const type = attachTypeNumber(attachType);
  const typeName = attachTypeName(type);
  if (cgroupAttachProgramTypes[typeName] === undefined) throw new RangeError(`attachCgroup: ${typeName} is not a cgroup attach type`);
  const method = options.method ?? 'link';
  if (method !== 'link' && method !== 'prog_attach') throw new RangeError(`attachCgroup: method ${JSON.stringify(method)} is not link or prog_attach`);
  const target = `${typeof cgroup === 'string' ? cgroup : `cgroup fd ${cgroup}`} ${typeName}`;
  const parts = acquireAll((add) => {
    let cgFd: number;
    if (typeof cgroup === 'string') {
      cgFd = openCgroup(cgroup);
      add(fsFd(cgFd));
    } else if (method === 'prog_attach') {
      // Our own fd of the same cgroup, valid however long the caller keeps theirs.
      cgFd = openSync(`/proc/self/fd/${cgroup}`, constants.O_RDONLY | constants.O_DIRECTORY);
      add(fsFd(cgFd));
    } else {
      cgFd = cgroup;
    }
    if (method === 'link') {
      add(ownedFd(linkCreate({ progFd, targetFd: cgFd, attachType: type }), true));
      return;
    }
    const ownProg = getFdById('prog', progInfo(progFd).id);
    add(ownedFd(ownProg, false));
    const flags = options.flags ?? AttachFlags.ALLOW_MULTI;
    progAttach({ targetFd: cgFd, progFd: ownProg, attachType: type, flags });
    add({ fd: cgFd, isBpfLink: false, release: () => progDetach({ targetFd: cgFd, progFd: ownProg, attachType: type }) });
  });
  if (method === 'link') {
    // The link holds the cgroup; our fd of it is no longer needed. Release the fd last.
    const [cg, link] = typeof cgroup === 'string' ? [parts[0]!, parts[1]!] : [undefined, parts[0]!];
    cg?.release();
    return new Link('cgroup', target, 'bpf_link', [link]);
  }
  // Detach first, then close the program and cgroup fds. PROG_ATTACH outlives the process: detach on exit too.
  return detachOnExit(new Link('cgroup', target, 'prog_attach', [...parts].reverse()));
}
