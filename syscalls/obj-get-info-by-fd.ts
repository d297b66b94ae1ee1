/**
 * `BPF_OBJ_GET_INFO_BY_FD`: the raw call. {@link progInfo} and {@link mapInfo} decode the
 * program and map structures.
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { objGetInfoByFdAttr } from './attr/obj-get-info-by-fd.js';
import { bpf } from './bpf.js';
import { BpfCmd } from './bpf-cmd.js';

/**
 * Fills `info` (a zero-filled `bpf_prog_info`, `bpf_map_info`, `bpf_btf_info` or
 * `bpf_link_info`, with any pointer fields already set) for the object behind `fd`. Returns the
 * number of bytes the kernel filled. `keep` holds buffers that pointer fields inside `info` refer
 * to, kept referenced until the call returned. Throws a {@link SyscallError} on failure.
 */
export function objGetInfoByFd(fd: number, info: Uint8Array, keep: readonly Uint8Array[] = []): number {
  const a = new AttrBuffer(objGetInfoByFdAttr);
  a.set('bpf_fd', fd).set('info_len', info.byteLength).pointer('info', info).retain(...keep);
  bpf(BpfCmd.OBJ_GET_INFO_BY_FD, a);
  return a.u32('info_len');
}
