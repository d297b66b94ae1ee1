/**
 * Prepared system calls as tiny machine-code functions of no arguments (x86_64 only): for one
 * fixed `bpf(cmd, attr, size)` made again and again (a map's element operation), the bytes
 *
 * ```
 * mov eax, NR ; mov edi, CMD ; movabs rsi, ATTR ; mov edx, SIZE ; syscall ; ret
 * ```
 *
 * are written into an executable page and called through koffi as `long f(void)`.
 *
 * Why: koffi calls a function of no arguments through its cheapest path (no argument
 * conversion), the raw `syscall` instruction returns `-errno` itself (no libc wrapper, no
 * `errno` read), and fewer code and data pages are touched per call, which matters on kernels with
 * PTI and no PCID, where every system call flushes the TLB (bench/maps-variants.ts: ~4% of a map
 * lookup here). Everything else (other architectures, a system that refuses executable
 * anonymous memory, `TSBPF_SYSCALL_STUBS=0`) uses an ordinary koffi call of `syscall(2)`.
 *
 * Memory: stubs are 32-byte slots in 4 KiB pages mapped read-write while being written and
 * read-execute otherwise (never both). A slot is reused only after the JS function that calls
 * it has been garbage-collected (a FinalizationRegistry), so no live function can ever run
 * another call's code.
 * @module
 */

import type * as Koffi from 'koffi';

type KoffiModule = typeof Koffi;
type KoffiLibrary = ReturnType<KoffiModule['load']>;

const PAGE = 4096;
const SLOT = 32;
const PROT_READ = 1;
const PROT_WRITE = 2;
const PROT_EXEC = 4;
const MAP_PRIVATE = 0x02;
const MAP_ANONYMOUS = 0x20;

/**
 * Makes a prepared `bpf()` call: a function of no arguments returning the result or `-errno`;
 * undefined when no more executable memory can be had (the caller then uses an ordinary call).
 */
export type PrepareSyscall = (cmd: number, attrAddress: number, size: number) => (() => number) | undefined;

/** The x86_64 bytes of `syscall(nr, cmd, attr, size)` with every argument built in, then `ret`. */
export function x64SyscallStub(nr: number, cmd: number, attrAddress: number, size: number): Uint8Array {
  for (const [what, v] of [['nr', nr], ['cmd', cmd], ['size', size]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw new RangeError(`syscall stub: ${what} ${String(v)} is not a non-negative int`);
  }
  if (!Number.isSafeInteger(attrAddress) || attrAddress < 0) throw new RangeError(`syscall stub: attr address ${String(attrAddress)} is not a user-space address`);
  const code = new Uint8Array(28);
  const view = new DataView(code.buffer);
  code[0] = 0xb8; // mov eax, imm32
  view.setUint32(1, nr, true);
  code[5] = 0xbf; // mov edi, imm32
  view.setUint32(6, cmd, true);
  code[10] = 0x48; // movabs rsi, imm64
  code[11] = 0xbe;
  view.setBigUint64(12, BigInt(attrAddress), true);
  code[20] = 0xba; // mov edx, imm32
  view.setUint32(21, size, true);
  code[25] = 0x0f; // syscall
  code[26] = 0x05;
  code[27] = 0xc3; // ret
  return code;
}

/**
 * A {@link PrepareSyscall} that writes machine-code stubs, or undefined where stubs are not
 * used (not x86_64, `TSBPF_SYSCALL_STUBS=0`, or executable memory refused: checked once here by
 * making and running a stub of `getppid`).
 */
export function createSyscallStubs(koffi: KoffiModule, libc: KoffiLibrary, nr: number): PrepareSyscall | undefined {
  if (process.arch !== 'x64' || process.env.TSBPF_SYSCALL_STUBS === '0') return undefined;
  const mmap = libc.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, long offset)');
  const mprotect = libc.func('int mprotect(void *addr, size_t len, int prot)');
  const proto = koffi.proto('long (void)');
  /** Page addresses; free slots (the last one pushed is used first). */
  const pages: bigint[] = [];
  const free: { page: number; slot: number }[] = [];
  const registry = new FinalizationRegistry<{ page: number; slot: number }>((slot) => free.push(slot));

  const newPage = (): boolean => {
    const address = mmap(null, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) as bigint | null;
    if (address === null || address === 0n || address === 0xffffffffffffffffn) return false;
    const index = pages.length;
    pages.push(address);
    for (let slot = PAGE / SLOT - 1; slot >= 0; slot--) free.push({ page: index, slot });
    return true;
  };
  /** Writes `code` into a slot (the page is writable only meanwhile); false when mprotect refuses. */
  const write = (page: bigint, slot: number, code: Uint8Array): boolean => {
    if (mprotect(page, PAGE, PROT_READ | PROT_WRITE) !== 0) return false;
    new Uint8Array(koffi.view(page, PAGE)).set(code, slot * SLOT);
    return mprotect(page, PAGE, PROT_READ | PROT_EXEC) === 0;
  };
  const prepare = (sysNr: number, cmd: number, attrAddress: number, size: number): (() => number) | undefined => {
    if (free.length === 0 && !newPage()) return undefined;
    const at = free.pop()!;
    const page = pages[at.page]!;
    if (!write(page, at.slot, x64SyscallStub(sysNr, cmd, attrAddress, size))) {
      free.push(at);
      return undefined;
    }
    const fn = koffi.decode(page + BigInt(at.slot * SLOT), proto) as () => number;
    registry.register(fn, at);
    return fn;
  };

  // Once: a stub of getppid (110 on x86_64) must run and agree with process.ppid.
  const probe = prepare(110, 0, 0, 0);
  if (probe === undefined || Number(probe()) !== process.ppid) return undefined;
  return (cmd, attrAddress, size) => prepare(nr, cmd, attrAddress, size);
}
