/**
 * `BPF_RAW_TRACEPOINT_OPEN`.
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { rawTracepointOpenAttr, type RawTracepointOpenField } from './attr/raw-tracepoint-open.js';
import { bpf } from './bpf.js';
import { BpfCmd } from './bpf-cmd.js';

const encoder = new TextEncoder();

/** Encodes the attr (exported for tests); `name` undefined for BTF-typed programs. */
export function rawTracepointOpenAttrOf(progFd: number, name?: string, cookie?: bigint): AttrBuffer<RawTracepointOpenField> {
  const a = new AttrBuffer(rawTracepointOpenAttr);
  a.set('prog_fd', progFd);
  if (name !== undefined) {
    if (name.includes('\0') || name === '') throw new RangeError(`rawTracepointOpen: bad tracepoint name '${name}'`);
    a.pointer('name', encoder.encode(`${name}\0`));
  }
  if (cookie !== undefined) a.set('cookie', cookie);
  return a;
}

/**
 * Attaches program `progFd` to raw tracepoint `name` (a raw_tracepoint program), or to the
 * target chosen at load time (`name` undefined: tp_btf, fentry, fexit, LSM). Returns the link fd;
 * closing it detaches. Requires Linux 4.17.
 */
export function rawTracepointOpen(progFd: number, name?: string, cookie?: bigint): number {
  return bpf(BpfCmd.RAW_TRACEPOINT_OPEN, rawTracepointOpenAttrOf(progFd, name, cookie));
}
