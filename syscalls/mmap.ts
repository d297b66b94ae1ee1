/**
 * `mmap(2)`/`munmap(2)` of kernel objects (perf rings, ring buffer maps) and zero-copy views of
 * the mapped memory.
 * @module
 */

import { SyscallError } from './errors.js';
import { backendMember } from './backend.js';

/** `PROT_*` protection bits. */
export const Prot = { READ: 1, WRITE: 2 } as const;
/** `MAP_*` flags. */
export const MapFlag = { SHARED: 1, PRIVATE: 2 } as const;

/** The system page size (4096 on the supported x86_64 and aarch64 configurations). */
export const PAGE_SIZE = 4096;

/**
 * Maps `length` bytes of `fd` at `offset` (shared); returns the address. Throws a
 * {@link SyscallError} (`mmap`) on failure.
 */
export function mmap(fd: number, length: number, prot: number, offset = 0, flags: number = MapFlag.SHARED): bigint {
  const p = backendMember('mmap')(length, prot, flags, fd, offset);
  if (p < 0n) throw new SyscallError('mmap', Number(-p));
  return p;
}

/** Unmaps `length` bytes at `addr`; throws a {@link SyscallError} (`munmap`) on failure. */
export function munmap(addr: bigint, length: number): void {
  const r = backendMember('munmap')(addr, length);
  if (r < 0) throw new SyscallError('munmap', -r);
}

/**
 * An ArrayBuffer over `length` bytes at `addr` (zero copy). The owner of the mapping must drop
 * every view before {@link munmap}: touching a view of unmapped memory crashes the process.
 */
export function nativeView(addr: bigint, length: number): ArrayBuffer {
  return backendMember('view')(addr, length);
}
