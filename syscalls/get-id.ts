/**
 * `BPF_{PROG,MAP,BTF,LINK}_GET_NEXT_ID` and `BPF_{PROG,MAP,BTF,LINK}_GET_FD_BY_ID`: walking the
 * kernel's object ids and opening objects by id (needs CAP_SYS_ADMIN).
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { getIdAttr } from './attr/get-id.js';
import { bpf, bpfRaw } from './bpf.js';
import { BpfCmd } from './bpf-cmd.js';
import { Errno } from './errno.js';
import { bpfError } from './errors.js';

/** The kinds of kernel object that have ids. */
export type BpfObjectKind = 'prog' | 'map' | 'btf' | 'link';

const nextIdCmd = { prog: BpfCmd.PROG_GET_NEXT_ID, map: BpfCmd.MAP_GET_NEXT_ID, btf: BpfCmd.BTF_GET_NEXT_ID, link: BpfCmd.LINK_GET_NEXT_ID } as const;
const fdByIdCmd = { prog: BpfCmd.PROG_GET_FD_BY_ID, map: BpfCmd.MAP_GET_FD_BY_ID, btf: BpfCmd.BTF_GET_FD_BY_ID, link: BpfCmd.LINK_GET_FD_BY_ID } as const;

/**
 * The smallest id of a `kind` object greater than `startId`, or undefined after the last.
 * Throws a {@link SyscallError} on other failures (EPERM without CAP_SYS_ADMIN). Requires
 * Linux 4.13 (btf 5.4, link 5.8).
 */
export function getNextId(kind: BpfObjectKind, startId: number): number | undefined {
  const a = new AttrBuffer(getIdAttr).set('start_id', startId);
  const r = bpfRaw(nextIdCmd[kind], a);
  if (r === -Errno.ENOENT) return undefined;
  if (r < 0) throw bpfError(nextIdCmd[kind], -r);
  return a.u32('next_id');
}

/** Every id of `kind` objects alive now, ascending. See {@link getNextId}. */
export function listIds(kind: BpfObjectKind): number[] {
  const ids: number[] = [];
  for (let id = getNextId(kind, 0); id !== undefined; id = getNextId(kind, id)) ids.push(id);
  return ids;
}

/**
 * Opens the `kind` object with `id`; returns a new fd (owned by the caller). `openFlags` is
 * `BPF_F_RDONLY`/`BPF_F_WRONLY` for maps. Throws a {@link SyscallError} (ENOENT: no such id).
 */
export function getFdById(kind: BpfObjectKind, id: number, openFlags = 0): number {
  const a = new AttrBuffer(getIdAttr).set('start_id', id);
  if (openFlags !== 0) a.set('open_flags', openFlags);
  return bpf(fdByIdCmd[kind], a);
}
