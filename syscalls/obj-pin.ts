/**
 * `BPF_OBJ_PIN` and `BPF_OBJ_GET`: pinning objects in bpffs and opening pinned ones.
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { objPinAttr } from './attr/obj-pin.js';
import { bpf } from './bpf.js';
import { BpfCmd } from './bpf-cmd.js';

const encoder = new TextEncoder();

function pathBytes(path: string): Uint8Array {
  if (path.includes('\0')) throw new RangeError(`objPin: path '${path}' contains NUL`);
  return encoder.encode(`${path}\0`);
}

/** Pins the object behind `fd` at `path` (inside a bpffs mount). Throws a {@link SyscallError}. Requires Linux 4.4. */
export function objPin(fd: number, path: string): void {
  const a = new AttrBuffer(objPinAttr).pointer('pathname', pathBytes(path)).set('bpf_fd', fd);
  bpf(BpfCmd.OBJ_PIN, a);
}

/**
 * Opens the object pinned at `path`; returns a new fd (owned by the caller). `fileFlags` is
 * `BPF_F_RDONLY` (8) / `BPF_F_WRONLY` (16) for maps. Throws a {@link SyscallError}. Requires Linux 4.4.
 */
export function objGet(path: string, fileFlags = 0): number {
  const a = new AttrBuffer(objPinAttr).pointer('pathname', pathBytes(path)).set('file_flags', fileFlags);
  return bpf(BpfCmd.OBJ_GET, a);
}
