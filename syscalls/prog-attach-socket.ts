/**
 * Socket filters: `setsockopt(SO_ATTACH_BPF)` / `SO_DETACH_BPF`, and `socket(2)` to make the
 * socket.
 * @module
 */

import { backendMember } from './backend.js';
import { SyscallError } from './errors.js';

/** Socket constants tsbpf uses (x86_64 and aarch64 share them). */
export const Sock = {
  /** `AF_PACKET`: raw link-layer packets. */
  AF_PACKET: 17,
  /** `AF_INET`. */
  AF_INET: 2,
  /** `AF_UNIX`. */
  AF_UNIX: 1,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_RAW: 3,
  /** `SOCK_CLOEXEC` (or-ed into the type). */
  SOCK_CLOEXEC: 0x80000,
  /** `SOCK_NONBLOCK` (or-ed into the type). */
  SOCK_NONBLOCK: 0x800,
  SOL_SOCKET: 1,
  /** `SO_ATTACH_BPF`: the value is an `int` program fd. Requires Linux 3.19. */
  SO_ATTACH_BPF: 50,
  /** `SO_DETACH_BPF` (same number as `SO_DETACH_FILTER`). */
  SO_DETACH_BPF: 27,
} as const;

/** `socket(domain, type | SOCK_CLOEXEC, protocol)`; returns the fd or throws a {@link SyscallError}. */
export function socket(domain: number, type: number, protocol = 0): number {
  const r = backendMember('socket')(domain, type | Sock.SOCK_CLOEXEC, protocol);
  if (r < 0) throw new SyscallError('socket', -r);
  return r;
}

/** Attaches socket filter program `progFd` to socket `sockFd` (`SO_ATTACH_BPF`). */
export function attachSocketFilter(sockFd: number, progFd: number): void {
  const v = new Uint8Array(4);
  new DataView(v.buffer).setInt32(0, progFd, true);
  const r = backendMember('setsockopt')(sockFd, Sock.SOL_SOCKET, Sock.SO_ATTACH_BPF, v);
  if (r < 0) throw new SyscallError('setsockopt(SO_ATTACH_BPF)', -r);
}

/** Detaches the socket filter of `sockFd` (`SO_DETACH_BPF`). */
export function detachSocketFilter(sockFd: number): void {
  const v = new Uint8Array(4);
  const r = backendMember('setsockopt')(sockFd, Sock.SOL_SOCKET, Sock.SO_DETACH_BPF, v);
  if (r < 0) throw new SyscallError('setsockopt(SO_DETACH_BPF)', -r);
}
