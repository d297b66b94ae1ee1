/**
 * {@link linkInfo}: the common head of `struct bpf_link_info` of a link fd.
 * @module
 */

import { objGetInfoByFd } from './obj-get-info-by-fd.js';

/** The fields every `struct bpf_link_info` starts with. */
export interface LinkInfo {
  /** `enum bpf_link_type` value (`BPF_LINK_TYPE_RAW_TRACEPOINT` = 1, `PERF_EVENT` = 7, …). */
  readonly type: number;
  /** The link's id (as in `BPF_LINK_GET_NEXT_ID` and `bpftool link`). */
  readonly id: number;
  /** The id of the attached program. */
  readonly progId: number;
}

/**
 * Reads the head of `bpf_link_info` of link `fd` (`type` u32 at 0, `id` at 4, `prog_id` at 8;
 * the per-type union is not asked for). Throws a SyscallError on failure. Requires Linux 5.8.
 */
export function linkInfo(fd: number): LinkInfo {
  const info = new Uint8Array(16);
  objGetInfoByFd(fd, info);
  const dv = new DataView(info.buffer);
  return { type: dv.getUint32(0, true), id: dv.getUint32(4, true), progId: dv.getUint32(8, true) };
}
