/**
 * `bpf_probe_read*` on simulated memory: any region, or memory the environment placed at an
 * address. A fault zeroes the destination and returns `-EFAULT`, as the kernel does.
 * @module
 */

import { Errno } from '../errno.js';
import type { Located } from '../memory.js';
import { argMem, argSize, setR0 } from './args.js';
import type { HelperContext, HelperFn } from './helper-context.js';

function probeRead(name: string): HelperFn {
  return (h) => {
    const size = argSize(h, 2);
    if (size === 0) {
      setR0(h, 0);
      return;
    }
    const dst = argMem(h, 1, size, 'write', name);
    const src = h.memory.probe(h.tag[3], h.lo[3], h.hi[3], size);
    if (src === null) {
      h.memory.write(dst, new Uint8Array(size));
      setR0(h, -Errno.EFAULT);
      return;
    }
    h.memory.write(dst, h.memory.read(src, size));
    setR0(h, 0);
  };
}

/**
 * Reads a NUL-terminated string of at most `size - 1` bytes from the address in R3; the bytes and
 * the length including the NUL, or null on a fault.
 */
export function readString(h: HelperContext, reg: number, size: number): Uint8Array | null {
  const at: Located | null = h.memory.probe(h.tag[reg], h.lo[reg], h.hi[reg], 1);
  if (at === null) return null;
  const { region, offset } = at;
  const limit = Math.min(region.end, offset + Math.max(size - 1, 0));
  let end = offset;
  while (end < limit && region.bytes[end] !== 0) end++;
  if (end === region.end && end < offset + size - 1) return null;
  const out = new Uint8Array(end - offset + 1);
  out.set(region.bytes.subarray(offset, end));
  return out;
}

function probeReadStr(name: string): HelperFn {
  return (h) => {
    const size = argSize(h, 2);
    if (size === 0) {
      setR0(h, 0);
      return;
    }
    const dst = argMem(h, 1, size, 'write', name);
    const s = readString(h, 3, size);
    if (s === null) {
      h.memory.write(dst, new Uint8Array(size));
      setR0(h, -Errno.EFAULT);
      return;
    }
    h.memory.write({ region: dst.region, offset: dst.offset }, s);
    setR0(h, s.length);
  };
}

/** `long bpf_probe_read(dst, size, unsafe_ptr)`. */
export const probeReadCompat: HelperFn = probeRead('bpf_probe_read');
/** `long bpf_probe_read_kernel(dst, size, unsafe_ptr)`. */
export const probeReadKernel: HelperFn = probeRead('bpf_probe_read_kernel');
/** `long bpf_probe_read_user(dst, size, unsafe_ptr)`. */
export const probeReadUser: HelperFn = probeRead('bpf_probe_read_user');
/** `long bpf_probe_read_str(dst, size, unsafe_ptr)`. */
export const probeReadStrCompat: HelperFn = probeReadStr('bpf_probe_read_str');
/** `long bpf_probe_read_kernel_str(dst, size, unsafe_ptr)`. */
export const probeReadKernelStr: HelperFn = probeReadStr('bpf_probe_read_kernel_str');
/** `long bpf_probe_read_user_str(dst, size, unsafe_ptr)`. */
export const probeReadUserStr: HelperFn = probeReadStr('bpf_probe_read_user_str');
