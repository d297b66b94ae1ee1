/**
 * A raw `BPF_PROG_LOAD` with program BTF and func_info, for tests that compare the offline
 * verifier with the live kernel on programs with subprograms and callbacks. The BTF is built
 * here by hand (independently of the product's encoder): `int`, `void *`, `int (void *)` and one
 * `FUNC fN` per subprogram with the linkage the test asks for. The koffi wrapper is private to
 * test code (x86_64: `bpf` = 321; BPF_MAP_CREATE 0, BPF_PROG_LOAD 5, BPF_BTF_LOAD 18;
 * `union bpf_attr` is 168 bytes on 6.18).
 * @module
 */

import { createRequire } from 'node:module';
import { attachType, encode, mapType, programType, type Instruction } from 'ebpf-bytecode-utils';
import type { FuncInfo } from '../../verifier-sim/verifier/index.js';

/** Result of one load. */
export interface LoadResult {
  /** Whether the kernel accepted the program. */
  readonly ok: boolean;
  /** errno of a failed load. */
  readonly errno: number;
  /** The level-1 verifier log. */
  readonly log: string;
}

/** A program with its maps as the verifier case tables describe it (map references are `ld_imm64` with `imm` = map index). */
export interface KernelLoadCase {
  readonly progType: string;
  readonly expectedAttachType?: string;
  readonly license?: string;
  readonly maps?: readonly { readonly type: string | number; readonly keySize: number; readonly valueSize: number; readonly maxEntries: number; readonly flags?: number }[];
  readonly insns: readonly Instruction[];
}

/** What a test can do with the kernel. */
export interface FuncInfoKernel {
  /** `BPF_MAP_CREATE`; returns the fd. */
  mapCreate(type: number, keySize: number, valueSize: number, maxEntries: number, flags: number): number;
  /** Loads `insns` (map fds already patched in) with `funcInfo` (none when empty) and a log at `logLevel` (default 1). */
  progLoad(insns: readonly Instruction[], progType: number, funcInfo: readonly FuncInfo[], logLevel?: 1 | 2): LoadResult;
  /** Creates `c`'s maps, loads `c` with its license and expected attach type and a log at `logLevel`, and closes everything again. */
  loadCase(c: KernelLoadCase, logLevel: 1 | 2): LoadResult;
  /** Loads and returns the program fd (the caller closes it), or a negative errno. */
  progLoadFd(insns: readonly Instruction[], progType: number, funcInfo: readonly FuncInfo[]): number;
  /** `BPF_PROG_TEST_RUN` once with `data`; returns the program's return value. */
  testRun(progFd: number, data: Uint8Array): number;
  /** `BPF_MAP_UPDATE_ELEM`. */
  mapUpdate(fd: number, key: Uint8Array, value: Uint8Array): void;
  /** `BPF_MAP_LOOKUP_ELEM`; undefined when absent. */
  mapLookup(fd: number, key: Uint8Array, valueSize: number): Uint8Array | undefined;
  /** close(2). */
  close(fd: number): void;
}

const LINKAGE = { static: 0, global: 1, extern: 2 } as const;

/** The BTF blob: types 1 int, 2 void *, 3 `int (void *ctx)`, then `FUNC fN` as type 4 + N. */
export function funcInfoBtf(funcInfo: readonly FuncInfo[]): Uint8Array {
  const strings = ['', 'int', 'ctx', ...funcInfo.map((_, i) => `f${i}`)];
  const off = (s: string): number => {
    let o = 0;
    for (const t of strings) {
      if (t === s) return o;
      o += Buffer.byteLength(t) + 1;
    }
    throw new Error(s);
  };
  const types = [off('int'), 1 << 24, 4, (1 << 24) | 32, 0, 2 << 24, 0, 0, (13 << 24) | 1, 1, off('ctx'), 2];
  funcInfo.forEach((f, i) => types.push(off(`f${i}`), (12 << 24) | LINKAGE[f.linkage ?? 'static'], 3));
  const str = Buffer.from(`${strings.join('\0')}\0`);
  const typeLen = types.length * 4;
  const b = Buffer.alloc(24 + typeLen + str.length);
  b.writeUInt16LE(0xeb9f, 0);
  b.writeUInt8(1, 2);
  b.writeUInt32LE(24, 4);
  b.writeUInt32LE(0, 8);
  b.writeUInt32LE(typeLen, 12);
  b.writeUInt32LE(typeLen, 16);
  b.writeUInt32LE(str.length, 20);
  types.forEach((w, i) => b.writeUInt32LE(w >>> 0, 24 + i * 4));
  str.copy(b, 24 + typeLen);
  return b;
}

/** Opens the kernel, or returns why it cannot be used. */
export function openFuncInfoKernel(): FuncInfoKernel | string {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `needs Linux on x86_64 (have ${process.platform}/${process.arch})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return `not root (uid ${process.getuid?.() ?? '?'})`;
  let koffi: any;
  try {
    koffi = createRequire(import.meta.url)('koffi');
  } catch (e) {
    return `koffi is not available: ${(e as Error).message}`;
  }
  const libc = koffi.load('libc.so.6');
  const syscall = libc.func('long syscall(long nr, int cmd, void *attr, unsigned int size)');
  const closeFd = libc.func('int close(int fd)');
  const bpf = (cmd: number, a: Buffer): number => Number(syscall(321, cmd, a, 168));
  const addr = (b: Buffer): bigint => BigInt(koffi.address(b));

  const load = (insns: readonly Instruction[], progType: number, funcInfo: readonly FuncInfo[], log: Buffer | null, logLevel = 1, license = 'GPL', expectedAttach = 0): { fd: number; errno: number } => {
    const code = Buffer.from(encode(insns));
    const lic = Buffer.from(`${license}\0`);
    let btfFd = -1;
    const a = Buffer.alloc(168);
    a.writeUInt32LE(progType, 0);
    a.writeUInt32LE(code.length / 8, 4);
    a.writeBigUInt64LE(addr(code), 8);
    a.writeBigUInt64LE(addr(lic), 16);
    if (log !== null) {
      a.writeUInt32LE(logLevel, 24);
      a.writeUInt32LE(log.length, 28);
      a.writeBigUInt64LE(addr(log), 32);
    }
    a.writeUInt32LE(expectedAttach, 68); // expected_attach_type
    let recs: Buffer | null = null;
    if (funcInfo.length > 0) {
      const btf = Buffer.from(funcInfoBtf(funcInfo));
      const ba = Buffer.alloc(168);
      ba.writeBigUInt64LE(addr(btf), 0);
      ba.writeUInt32LE(btf.length, 16);
      btfFd = bpf(18, ba);
      if (btfFd < 0) throw new Error(`BPF_BTF_LOAD: errno ${koffi.errno()}`);
      recs = Buffer.alloc(8 * funcInfo.length);
      funcInfo.forEach((f, i) => {
        recs!.writeUInt32LE(f.insnOff >>> 0, i * 8);
        recs!.writeUInt32LE(f.typeId >>> 0, i * 8 + 4);
      });
      a.writeUInt32LE(btfFd, 72); // prog_btf_fd
      a.writeUInt32LE(8, 76); // func_info_rec_size
      a.writeBigUInt64LE(addr(recs), 80); // func_info
      a.writeUInt32LE(funcInfo.length, 88); // func_info_cnt
    }
    const fd = bpf(5, a);
    const errno = fd < 0 ? koffi.errno() : 0;
    if (btfFd >= 0) closeFd(btfFd);
    return { fd, errno };
  };

  const loadWithLog = (insns: readonly Instruction[], progType: number, funcInfo: readonly FuncInfo[], logLevel: number, license: string, expectedAttach: number): LoadResult => {
    const log = Buffer.alloc(1 << 22);
    const { fd, errno } = load(insns, progType, funcInfo, log, logLevel, license, expectedAttach);
    if (fd >= 0) closeFd(fd);
    const end = log.indexOf(0);
    return { ok: fd >= 0, errno, log: log.subarray(0, end < 0 ? log.length : end).toString() };
  };

  const k: FuncInfoKernel = {
    mapCreate(type, keySize, valueSize, maxEntries, flags) {
      const a = Buffer.alloc(168);
      a.writeUInt32LE(type, 0);
      a.writeUInt32LE(keySize, 4);
      a.writeUInt32LE(valueSize, 8);
      a.writeUInt32LE(maxEntries, 12);
      a.writeUInt32LE(flags, 16);
      const fd = bpf(0, a);
      if (fd < 0) throw new Error(`BPF_MAP_CREATE: errno ${koffi.errno()}`);
      return fd;
    },
    progLoad(insns, progType, funcInfo, logLevel = 1) {
      return loadWithLog(insns, progType, funcInfo, logLevel, 'GPL', 0);
    },
    loadCase(c, logLevel) {
      const fds = (c.maps ?? []).map((m) => k.mapCreate(mapType(m.type), m.keySize, m.valueSize, m.maxEntries, m.flags ?? 0));
      try {
        return loadWithLog(withMapFds(c.insns, fds), programType(c.progType), [], logLevel, c.license ?? 'GPL', c.expectedAttachType ? attachType(c.expectedAttachType) : 0);
      } finally {
        for (const fd of fds) k.close(fd);
      }
    },
    progLoadFd(insns, progType, funcInfo) {
      const { fd, errno } = load(insns, progType, funcInfo, null);
      return fd >= 0 ? fd : -errno;
    },
    testRun(progFd, data) {
      const input = Buffer.from(data);
      const a = Buffer.alloc(168);
      a.writeUInt32LE(progFd, 0);
      a.writeUInt32LE(input.length, 8);
      a.writeBigUInt64LE(addr(input), 16);
      a.writeUInt32LE(1, 32); // repeat
      if (bpf(10, a) < 0) throw new Error(`BPF_PROG_TEST_RUN: errno ${koffi.errno()}`);
      return a.readUInt32LE(4);
    },
    mapUpdate(fd, key, value) {
      const kb = Buffer.from(key);
      const vb = Buffer.from(value);
      const a = Buffer.alloc(168);
      a.writeUInt32LE(fd, 0);
      a.writeBigUInt64LE(addr(kb), 8);
      a.writeBigUInt64LE(addr(vb), 16);
      if (bpf(2, a) < 0) throw new Error(`BPF_MAP_UPDATE_ELEM: errno ${koffi.errno()}`);
    },
    mapLookup(fd, key, valueSize) {
      const kb = Buffer.from(key);
      const vb = Buffer.alloc(valueSize);
      const a = Buffer.alloc(168);
      a.writeUInt32LE(fd, 0);
      a.writeBigUInt64LE(addr(kb), 8);
      a.writeBigUInt64LE(addr(vb), 16);
      return bpf(1, a) < 0 ? undefined : new Uint8Array(vb);
    },
    close: (fd) => void closeFd(fd),
  };
  try {
    k.close(k.mapCreate(2, 4, 4, 1, 0));
  } catch (e) {
    return `bpf() does not work here: ${(e as Error).message}`;
  }
  return k;
}

/** Replaces map indexes in `ld_imm64` map references (`src` 1 or 2) by real fds. */
export function withMapFds(insns: readonly Instruction[], fds: readonly number[]): Instruction[] {
  return insns.map((i) => {
    if (i.code !== 0x18 || typeof i.imm !== 'bigint' || (i.src !== 1 && i.src !== 2)) return i;
    const index = Number(i.imm & 0xffffffffn);
    if (index >= fds.length) return i;
    return { ...i, imm: (i.imm & ~0xffffffffn) | BigInt(fds[index]) };
  });
}
