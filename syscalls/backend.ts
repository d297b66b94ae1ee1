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
 * A later issue adds `perfEventOpen`, `ioctl`, `mmap`/`munmap` and `epoll_*` here; fakes that do
 * not implement them keep working, because those members are added as optional.
 */
export interface SyscallBackend {
  /** A name for messages and debugging (`'koffi'`, `'fake'`). */
  readonly name: string;
  /**
   * `bpf(cmd, attr, size)`: `attr` is the zero-filled `union bpf_attr` prefix of `size` bytes,
   * which the kernel may write to (e.g. `log_true_size`, `retval`). Returns the result or `-errno`.
   */
  bpf(cmd: number, attr: Uint8Array, size: number): number;
  /** `close(fd)`: 0 or `-errno`. */
  close(fd: number): number;
  /**
   * The user-space address of `buf[0]`, to store in an attr pointer field (`__aligned_u64`).
   * The caller keeps `buf` referenced until the system call using the address has returned.
   * An empty buffer may have address 0.
   */
  address(buf: Uint8Array): bigint;
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

type KoffiModule = typeof Koffi;

let koffiModule: KoffiModule | undefined;

/**
 * koffi, loaded on first use. Throws an Error that says why when it cannot be loaded (not
 * installed, no prebuilt binary for this platform).
 */
export function loadKoffi(): KoffiModule {
  if (koffiModule === undefined) {
    try {
      koffiModule = createRequire(import.meta.url)('koffi') as KoffiModule;
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
  const closeFn = libc.func('int close(int fd)');
  return {
    name: 'koffi',
    bpf(cmd, attr, size) {
      const r = Number(syscall4(nr, cmd, attr, size));
      // errno must be read before anything else can run a system call.
      return r < 0 ? -koffi.errno() : r;
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
