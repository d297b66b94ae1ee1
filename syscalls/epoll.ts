/**
 * `epoll(7)` and readability watches on the Node event loop.
 * @module
 */

import { SyscallError } from './errors.js';
import { backendMember, type FdWatch } from './backend.js';

/** `EPOLL*` event bits and `epoll_ctl` operations. */
export const Epoll = {
  IN: 0x001,
  ERR: 0x008,
  HUP: 0x010,
  /** Edge-triggered: report an fd once per wake-up, not as long as it stays readable. */
  ET: 0x8000_0000,
  CTL_ADD: 1,
  CTL_DEL: 2,
  CTL_MOD: 3,
  /** `EPOLL_CLOEXEC` for `epoll_create1`. */
  CLOEXEC: 0x80000,
} as const;

/** Creates an epoll instance (close-on-exec); returns its fd. */
export function epollCreate(): number {
  const r = backendMember('epollCreate1')(Epoll.CLOEXEC);
  if (r < 0) throw new SyscallError('epoll_create1', -r);
  return r;
}

/** Adds `fd` to `epfd`, watched for `events` (default `EPOLLIN`), reporting `data` when ready. */
export function epollAdd(epfd: number, fd: number, data: bigint, events: number = Epoll.IN): void {
  const r = backendMember('epollCtl')(epfd, Epoll.CTL_ADD, fd, events >>> 0, data);
  if (r < 0) throw new SyscallError('epoll_ctl(EPOLL_CTL_ADD)', -r);
}

/** Size of one `struct epoll_event` on this architecture. */
export function epollEventSize(): number {
  return backendMember('epollEventSize');
}

/** Reads the `data` of the `i`-th event of an {@link epollWait} buffer. */
export function epollEventData(events: Uint8Array, i: number): bigint {
  const size = epollEventSize();
  return new DataView(events.buffer, events.byteOffset, events.byteLength).getBigUint64(i * size + (size === 12 ? 4 : 8), true);
}

/**
 * Waits up to `timeoutMs` (blocking the thread; 0 polls) for fds of `epfd`; returns how many
 * events were written to `events`. EINTR counts as 0 events.
 */
export function epollWait(epfd: number, events: Uint8Array, timeoutMs: number): number {
  const max = Math.floor(events.byteLength / epollEventSize());
  const r = backendMember('epollWait')(epfd, events, max, timeoutMs);
  if (r === -4) return 0;
  if (r < 0) throw new SyscallError('epoll_wait', -r);
  return r;
}

/** {@link epollWait} on a worker thread: the event loop keeps running. */
export async function epollWaitAsync(epfd: number, events: Uint8Array, timeoutMs: number): Promise<number> {
  const max = Math.floor(events.byteLength / epollEventSize());
  const r = await backendMember('epollWaitAsync')(epfd, events, max, timeoutMs);
  if (r === -4) return 0;
  if (r < 0) throw new SyscallError('epoll_wait', -r);
  return r;
}

/**
 * Whether the backend can watch fds on the event loop without a thread ({@link watchReadable});
 * otherwise readers fall back to {@link epollWaitAsync}.
 */
export function canWatchReadable(): boolean {
  try {
    backendMember('watchReadable');
    return true;
  } catch {
    return false;
  }
}

/** Calls `onReadable` on the event loop whenever `fd` becomes readable, until the watch is closed. */
export function watchReadable(fd: number, onReadable: () => void): FdWatch {
  return backendMember('watchReadable')(fd, onReadable);
}
