/**
 * The one dispatch point of every system call tsbpf makes. {@link currentBackend} is the real
 * koffi-based backend unless a test installed a fake with {@link installBackend}.
 *
 * koffi is loaded lazily, on the first call that needs it: importing `syscalls/` on a machine
 * without koffi (or not on Linux) works, and fails only when a system call is made.
 * @module
 */

import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

/**
 * The system calls tsbpf needs, as one replaceable object. Results follow the kernel's
 * convention: a non-negative value on success, `-errno` on failure (so no errno is lost between
 * the call and the check).
 *
 * The members after {@link SyscallBackend.address} (perf events, ioctl, mmap, epoll, sockets,
 * native memory views and fd polling) are optional, so fakes that only script `bpf()` keep
 * working; the functions that need one throw a clear error when the backend lacks it.
 */
export interface SyscallBackend {
  /** A name for messages and debugging (`'koffi'`, `'fake'`). */
  readonly name: string;
  /**
   * `bpf(cmd, attr, size)`: `attr` is the zero-filled `union bpf_attr` prefix of `size` bytes,
   * which the kernel may write to (e.g. `log_true_size`, `retval`). Returns the result or `-errno`.
   */
  bpf(cmd: number, attr: Uint8Array, size: number): number;
  /**
   * Optional fast form of {@link SyscallBackend.bpf} for hot loops: `attrAddress` is the address
   * of an attr buffer (from {@link SyscallBackend.address}) that the caller keeps referenced.
   * Passing a number instead of a buffer saves koffi's per-call buffer handling (~100 ns).
   */
  bpfAt?(cmd: number, attrAddress: number, size: number): number;
  /**
   * Optional fastest form for one fixed call made again and again (a map's element operation):
   * a function of no arguments that makes `bpf(cmd, attrAddress, size)` and returns the result or
   * `-errno`. Everything is bound once, so a call touches as little memory as possible: on a
   * kernel with PTI and no PCID every system call flushes the TLB, and each page the JS side
   * touches afterwards costs a refill (bench/maps-variants.ts).
   */
  bpfPrepared?(cmd: number, attrAddress: number, size: number): () => number;
  /** `close(fd)`: 0 or `-errno`. */
  close(fd: number): number;
  /**
   * The user-space address of `buf[0]`, to store in an attr pointer field (`__aligned_u64`).
   * The caller keeps `buf` referenced until the system call using the address has returned.
   * An empty buffer may have address 0.
   */
  address(buf: Uint8Array): bigint;

  /**
   * `perf_event_open(attr, pid, cpu, group_fd, flags)`: `attr` is a zero-filled
   * `struct perf_event_attr` whose `size` field is set. Returns the fd or `-errno`.
   */
  perfEventOpen?(attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number): number;
  /** `ioctl(fd, request, arg)` with an integer argument: the result or `-errno`. */
  ioctl?(fd: number, request: number, arg: number): number;
  /**
   * `mmap(NULL, length, prot, flags, fd, offset)`: the address of the mapping, or `-errno` as a
   * negative bigint.
   */
  mmap?(length: number, prot: number, flags: number, fd: number, offset: number): bigint;
  /** `munmap(addr, length)`: 0 or `-errno`. */
  munmap?(addr: bigint, length: number): number;
  /**
   * An ArrayBuffer over `length` bytes of native memory at `addr` (no copy). It must not be
   * touched after the memory is unmapped: the process would crash.
   */
  view?(addr: bigint, length: number): ArrayBuffer;
  /** `epoll_create1(flags)`: the fd or `-errno`. */
  epollCreate1?(flags: number): number;
  /**
   * `epoll_ctl(epfd, op, fd, {events, data})`, `data` being the `u64` handed back by
   * {@link SyscallBackend.epollWait}: 0 or `-errno`.
   */
  epollCtl?(epfd: number, op: number, fd: number, events: number, data: bigint): number;
  /**
   * `epoll_wait(epfd, events, maxEvents, timeoutMs)`, blocking the thread up to `timeoutMs`
   * (-1: forever, 0: no wait). `events` receives `maxEvents` records of `struct epoll_event`
   * ({@link SyscallBackend.epollEventSize} bytes each). Returns the number of ready fds or `-errno`.
   */
  epollWait?(epfd: number, events: Uint8Array, maxEvents: number, timeoutMs: number): number;
  /** {@link SyscallBackend.epollWait} on a worker thread, not blocking the event loop. */
  epollWaitAsync?(epfd: number, events: Uint8Array, maxEvents: number, timeoutMs: number): Promise<number>;
  /** `sizeof(struct epoll_event)`: 12 on x86_64 (packed), 16 on aarch64. */
  readonly epollEventSize?: number;
  /**
   * Watches `fd` for readability on the Node event loop (libuv, no thread), calling `onReadable`
   * each time it becomes readable, until the returned handle is closed. `unref()` lets the process
   * exit while the watch is active.
   */
  watchReadable?(fd: number, onReadable: () => void): FdWatch;
  /** `socket(domain, type, protocol)`: the fd or `-errno`. */
  socket?(domain: number, type: number, protocol: number): number;
  /** `setsockopt(fd, level, name, value, value.length)`: 0 or `-errno`. */
  setsockopt?(fd: number, level: number, name: number, value: Uint8Array): number;
}

/** A readability watch of {@link SyscallBackend.watchReadable}. */
export interface FdWatch {
  /** Stops watching (idempotent). */
  close(): void;
  /** Lets the process exit while the watch is active. */
  unref(): void;
  /** Keeps the process alive while the watch is active (the default). */
  ref(): void;
}

/** `bpf` and `perf_event_open` numbers of the architectures tsbpf supports. */
const syscallNumbers: Readonly<Record<string, { readonly bpf: number; readonly perfEventOpen: number }>> = {
  x64: { bpf: 321, perfEventOpen: 298 },
  arm64: { bpf: 280, perfEventOpen: 241 },
};

/** The `bpf` system call number for `arch` (a `process.arch` value), or undefined when unsupported. */
export function bpfSyscallNumber(arch: string = process.arch): number | undefined {
  return syscallNumbers[arch]?.bpf;
}

/** The `perf_event_open` system call number for `arch` (a `process.arch` value), or undefined when unsupported. */
export function perfEventOpenSyscallNumber(arch: string = process.arch): number | undefined {
  return syscallNumbers[arch]?.perfEventOpen;
}

type KoffiModule = typeof Koffi;
/** A function declared with `lib.func(...)`. */
type KoffiFunction = ReturnType<ReturnType<KoffiModule['load']>['func']>;

let koffiModule: KoffiModule | undefined;
let koffiLoader: (() => unknown) | undefined;

/**
 * Makes {@link loadKoffi} try `load` first: an entry point that knows where koffi's native module
 * is (bin/ for a fast entry, from the build's record) loads it by path, which skips module
 * resolution (~2 ms of `tsbpf opensnoop`'s start-up, issue #6). When `load` returns undefined or
 * throws, koffi is required by name as usual. No effect once koffi is loaded.
 */
export function useKoffiLoader(load: () => unknown): void {
  koffiLoader = load;
}

/** What {@link useKoffiLoader}'s function gives, or undefined when it fails or there is none. */
function preloadedKoffi(): KoffiModule | undefined {
  try {
    return (koffiLoader?.() ?? undefined) as KoffiModule | undefined;
  } catch {
    return undefined;
  }
}

/**
 * koffi, loaded on first use. Throws an Error that says why when it cannot be loaded (not
 * installed, no prebuilt binary for this platform).
 */
export function loadKoffi(): KoffiModule {
  if (koffiModule === undefined) {
    try {
      koffiModule = preloadedKoffi() ?? (createRequire(import.meta.url)('koffi') as KoffiModule);
    } catch (err) {
      throw new Error(`syscalls: cannot load koffi (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
  }
  return koffiModule;
}

/** Creates the real backend: `syscall(2)` and `close(2)` from libc through koffi. */
export function createKoffiBackend(): SyscallBackend {
  if (process.platform !== 'linux') throw new Error(`syscalls: bpf() exists only on Linux, not on ${process.platform}`);
  const nr = bpfSyscallNumber();
  if (nr === undefined) throw new Error(`syscalls: unsupported architecture ${process.arch} (supported: ${Object.keys(syscallNumbers).join(', ')})`);
  const koffi = loadKoffi();
  const libc = koffi.load(null);
  // Fixed arity: the variadic declaration of syscall(2) costs 1.5–3× per call.
  const syscall4 = libc.func('long syscall(long nr, int cmd, void *attr, unsigned int size)');
  const syscall4At = libc.func('long syscall(long nr, int cmd, uintptr_t attr, unsigned int size)');
  const closeFn = libc.func('int close(int fd)');
  const perfNr = perfEventOpenSyscallNumber()!;
  // Declared on first use: a program that never opens a perf event does not pay for these.
  let perfEventOpen5: KoffiFunction | undefined;
  let ioctl3: KoffiFunction | undefined;
  let mmap6: KoffiFunction | undefined;
  let munmap2: KoffiFunction | undefined;
  let epollCreate: KoffiFunction | undefined;
  let epollCtl4: KoffiFunction | undefined;
  let epollWait4: KoffiFunction | undefined;
  let socket3: KoffiFunction | undefined;
  let setsockopt5: KoffiFunction | undefined;
  const epollEventSize = process.arch === 'x64' ? 12 : 16;
  const result = (r: number | bigint) => {
    const n = Number(r);
    return n < 0 ? -koffi.errno() : n;
  };
  return {
    epollEventSize,
    perfEventOpen(attr, pid, cpu, groupFd, flags) {
      perfEventOpen5 ??= libc.func('long syscall(long nr, void *attr, int pid, int cpu, int group_fd, unsigned long flags)');
      return result(perfEventOpen5(perfNr, attr, pid, cpu, groupFd, flags));
    },
    ioctl(fd, request, arg) {
      ioctl3 ??= libc.func('int ioctl(int fd, unsigned long request, unsigned long arg)');
      return result(ioctl3(fd, request, arg));
    },
    mmap(length, prot, flags, fd, offset) {
      mmap6 ??= libc.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, long offset)');
      const p = mmap6(null, length, prot, flags, fd, offset) as bigint | null;
      // MAP_FAILED is (void *)-1.
      if (p === null || p === 0xffffffffffffffffn) return -BigInt(koffi.errno());
      return p;
    },
    munmap(addr, length) {
      munmap2 ??= libc.func('int munmap(void *addr, size_t length)');
      return result(munmap2(addr, length));
    },
    view(addr, length) {
      return koffi.view(addr, length);
    },
    epollCreate1(flags) {
      epollCreate ??= libc.func('int epoll_create1(int flags)');
      return result(epollCreate(flags));
    },
    epollCtl(epfd, op, fd, events, data) {
      epollCtl4 ??= libc.func('int epoll_ctl(int epfd, int op, int fd, void *event)');
      const ev = new Uint8Array(epollEventSize);
      const dv = new DataView(ev.buffer);
      dv.setUint32(0, events >>> 0, true);
      dv.setBigUint64(epollEventSize === 12 ? 4 : 8, data, true);
      return result(epollCtl4(epfd, op, fd, op === 2 /* EPOLL_CTL_DEL */ ? null : ev));
    },
    epollWait(epfd, events, maxEvents, timeoutMs) {
      epollWait4 ??= libc.func('int epoll_wait(int epfd, void *events, int maxevents, int timeout)');
      return result(epollWait4(epfd, events, maxEvents, timeoutMs));
    },
    epollWaitAsync(epfd, events, maxEvents, timeoutMs) {
      epollWait4 ??= libc.func('int epoll_wait(int epfd, void *events, int maxevents, int timeout)');
      const fn = epollWait4;
      return new Promise<number>((resolve, reject) => {
        // errno of a call on a worker thread is not readable here; report EINTR-like -1 as -EINTR.
        fn.async(epfd, events, maxEvents, timeoutMs, (err: unknown, r: number) => {
          if (err) reject(err instanceof Error ? err : new Error(String(err)));
          else resolve(r < 0 ? -4 : r);
        });
      });
    },
    watchReadable(fd, onReadable) {
      // koffi 3.3 calls back with (status, events), not (events) as its typings say; accept both.
      const cb = (a: unknown, b?: unknown) => {
        const ev = (typeof a === 'object' && a !== null ? a : b) as { readable?: boolean; disconnect?: boolean } | undefined;
        // A negative status (an error on the fd) also wakes the reader, which then sees the error.
        if (ev === undefined || ev.readable || ev.disconnect || (typeof a === 'number' && a < 0)) onReadable();
      };
      const handle = koffi.node.poll(fd, { readable: true }, cb as unknown as (ev: { readable: boolean; writable: boolean; disconnect: boolean }) => void);
      let closed = false;
      return {
        close() {
          if (closed) return;
          closed = true;
          handle.close();
        },
        unref() {
          if (!closed) handle.unref();
        },
        ref() {
          if (!closed) handle.ref();
        },
      };
    },
    socket(domain, type, protocol) {
      socket3 ??= libc.func('int socket(int domain, int type, int protocol)');
      return result(socket3(domain, type, protocol));
    },
    setsockopt(fd, level, name, value) {
      setsockopt5 ??= libc.func('int setsockopt(int fd, int level, int name, void *value, unsigned int len)');
      return result(setsockopt5(fd, level, name, value, value.byteLength));
    },
    name: 'koffi',
    bpf(cmd, attr, size) {
      const r = Number(syscall4(nr, cmd, attr, size));
      // errno must be read before anything else can run a system call.
      return r < 0 ? -koffi.errno() : r;
    },
    bpfAt(cmd, attrAddress, size) {
      const r = Number(syscall4At(nr, cmd, attrAddress, size));
      return r < 0 ? -koffi.errno() : r;
    },
    bpfPrepared(cmd, attrAddress, size) {
      return () => {
        const r = syscall4At(nr, cmd, attrAddress, size) as number;
        return r < 0 ? -koffi.errno() : r;
      };
    },
    close(fd) {
      const r = closeFn(fd) as number;
      return r < 0 ? -koffi.errno() : r;
    },
    address(buf) {
      return buf.byteLength === 0 ? 0n : koffi.address(buf);
    },
  };
}

let realBackend: SyscallBackend | undefined;
let installed: SyscallBackend | undefined;

/**
 * Member `name` of the backend in effect (bound to it), or an Error saying that the installed
 * backend lacks it: for the optional members of {@link SyscallBackend}.
 */
export function backendMember<K extends keyof SyscallBackend>(name: K): NonNullable<SyscallBackend[K]> {
  const b = currentBackend();
  const m = b[name];
  if (m === undefined) throw new Error(`syscalls: the '${b.name}' backend does not implement ${String(name)}`);
  return (typeof m === 'function' ? m.bind(b) : m) as NonNullable<SyscallBackend[K]>;
}

/** The backend in effect: the installed fake, else the real one (created on first use). */
export function currentBackend(): SyscallBackend {
  if (installed !== undefined) return installed;
  realBackend ??= createKoffiBackend();
  return realBackend;
}

/**
 * Routes every system call to `backend` until the returned function (or {@link restoreBackend})
 * is called. For unit tests; nesting restores the previous backend.
 */
export function installBackend(backend: SyscallBackend): () => void {
  const previous = installed;
  installed = backend;
  return () => {
    installed = previous;
  };
}

/** Drops any installed backend: system calls go to the real kernel again. */
export function restoreBackend(): void {
  installed = undefined;
}
