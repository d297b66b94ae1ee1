// bench/verifier: the offline verifier's CPU time (and processed instructions per second) on a
// few program shapes, side by side with the live kernel's BPF_PROG_LOAD when run as root.
// Prints a table. ROUNDS=n sets the number of side-by-side rounds (default 7); ONLY=text keeps the
// shapes whose name contains text.
//   node --expose-gc --import tsx bench/verifier.ts
// With --expose-gc the heap is collected before each measured run (outside the timing), so a run
// does not pay for garbage left by the previous one.
import { createRequire } from 'node:module';
import { Add, And, Call, Exit, JEq, JGT, JLT, Label, LoadFunc, LoadMapPtr, LoadMem, Mov, R0, R1, R2, R3, R4, R6, R10, Size, StoreImm, StoreMem, encode, resolve, type Instruction } from 'ebpf-bytecode-utils';
import { verify, type FuncInfo, type MapSpec } from '../verifier-sim/verifier/index.js';

interface Shape {
  readonly name: string;
  readonly insns: Instruction[];
  readonly maps?: MapSpec[];
  /** BTF func_info (static functions), for programs with callbacks. */
  readonly funcInfo?: FuncInfo[];
}

const straight: Instruction[] = resolve([Mov.imm(R0, 0), ...Array.from({ length: 4000 }, (_, i) => Add.imm(R0, i & 7)), Exit()]).instructions;
const loop = (n: number): Instruction[] => resolve([Mov.imm(R0, 0), Label('l'), Add.imm(R0, 1), JLT.imm(R0, n, 'l'), Exit()]).instructions;
const branchy: Instruction[] = resolve([
  LoadMem(R6, R1, 0, Size.W),
  Mov.imm(R0, 0),
  ...Array.from({ length: 200 }, (_, i) => [JGT.imm(R6, i * 3, `s${i}`), Add.imm(R0, 1), Label(`s${i}`)]).flat(),
  Exit(),
]).instructions;
const maps: Instruction[] = resolve([
  ...Array.from({ length: 100 }, () => [StoreImm(R10, -4, 0, Size.W), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapPtr(R1, 0), Call.helper(1), JEq.imm(R0, 0, 1), LoadMem(R0, R0, 0, Size.DW)]).flat(),
  Mov.imm(R0, 0),
  Exit(),
]).instructions;

// 40 bpf_loop calls; the callback branches on its index and counts in a stack ctx, so each call's
// callback is explored until the state at the call converges.
const callbacks: Instruction[] = resolve([
  StoreImm(R10, -8, 0, Size.DW),
  LoadMem(R6, R1, 0, Size.W),
  ...Array.from({ length: 40 }, () => [Mov.reg(R1, R6), And.imm(R1, 15), LoadFunc(R2, 'cb'), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 0), Call.helper(181)]).flat(),
  Mov.imm(R0, 0),
  Exit(),
  Label('cb'),
  LoadMem(R3, R2, 0, Size.DW),
  JGT.imm(R1, 7, 'odd'),
  Add.imm(R3, 1),
  Label('odd'),
  StoreMem(R2, 0, R3, Size.DW),
  Mov.imm(R0, 0),
  JLT.imm(R1, 12, 'done'),
  Mov.imm(R0, 1),
  Label('done'),
  Exit(),
]).instructions;
/** The callback's first slot: the target of the first `ld_imm64` of a subprogram address. */
const callbackStart = (() => {
  let slot = 0;
  for (const i of callbacks) {
    if (i.code === 0x18 && i.src === 4) return slot + Number(i.imm) + 1;
    slot += typeof i.imm === 'bigint' ? 2 : 1;
  }
  throw new Error('no callback');
})();

const shapes: Shape[] = [
  { name: 'straight line, 4k insns', insns: straight },
  { name: 'bounded loop, 100k iterations', insns: loop(100_000) },
  { name: '200 forward branches', insns: branchy },
  { name: '100 map lookups', insns: maps, maps: [{ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16 }] },
  { name: '40 bpf_loop callbacks', insns: callbacks, funcInfo: [{ insnOff: 0, typeId: 4 }, { insnOff: callbackStart, typeId: 5 }] },
];

/** Program BTF for `funcInfo`: int (1), void * (2), `int (void *)` (3), then one static FUNC per record (4, 5, …). */
function funcInfoBtf(count: number): Buffer {
  const names = Array.from({ length: count }, (_, i) => `f${i}`);
  const str = Buffer.from(`\0int\0ctx\0${names.join('\0')}\0`);
  const types = [1, 1 << 24, 4, (1 << 24) | 32, 0, 2 << 24, 0, 0, (13 << 24) | 1, 1, 5, 2];
  names.forEach((_, i) => types.push(9 + names.slice(0, i).reduce((n, s) => n + s.length + 1, 0), 12 << 24, 3));
  const b = Buffer.alloc(24 + types.length * 4 + str.length);
  b.writeUInt16LE(0xeb9f, 0);
  b.writeUInt8(1, 2);
  b.writeUInt32LE(24, 4);
  b.writeUInt32LE(types.length * 4, 12);
  b.writeUInt32LE(types.length * 4, 16);
  b.writeUInt32LE(str.length, 20);
  types.forEach((w, i) => b.writeUInt32LE(w >>> 0, 24 + i * 4));
  str.copy(b, 24 + types.length * 4);
  return b;
}

/** CPU time (user + system, ms) of `fn`: the kernel verifies inside the calling thread, so its work is system time here. */
function cpuMs(fn: () => unknown): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** A full collection when node runs with --expose-gc; otherwise nothing. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** A loader of one shape into the live kernel (root only); returns false when the kernel rejects it. */
function kernelLoader(): ((s: Shape) => boolean) | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi');
    const libc = koffi.load('libc.so.6');
    const sys = libc.func('long syscall(long nr, int cmd, void *attr, unsigned int size)');
    const close = libc.func('int close(int fd)');
    return (s) => {
      const fds: number[] = [];
      for (const m of s.maps ?? []) {
        const a = Buffer.alloc(168);
        a.writeUInt32LE(1, 0);
        a.writeUInt32LE(m.keySize, 4);
        a.writeUInt32LE(m.valueSize, 8);
        a.writeUInt32LE(m.maxEntries, 12);
        fds.push(Number(sys(321, 0, a, 168)));
      }
      const insns = s.insns.map((i) => (i.code === 0x18 && i.src === 1 ? { ...i, imm: BigInt(fds[0]) } : i));
      const fi = s.funcInfo ?? [];
      let btfFd = -1;
      let records: Buffer | null = null;
      if (fi.length > 0) {
        // Like the maps above, the program BTF is created inside the timed call.
        const btf = funcInfoBtf(fi.length);
        const b = Buffer.alloc(168);
        b.writeBigUInt64LE(BigInt(koffi.address(btf)), 0);
        b.writeUInt32LE(btf.length, 16);
        btfFd = Number(sys(321, 18, b, 168));
        records = Buffer.alloc(8 * fi.length);
        fi.forEach((f, i) => {
          records!.writeUInt32LE(f.insnOff, i * 8);
          records!.writeUInt32LE(f.typeId, i * 8 + 4);
        });
      }
      const code = Buffer.from(encode(insns));
      const lic = Buffer.from('GPL\0');
      const a = Buffer.alloc(168);
      a.writeUInt32LE(1, 0);
      a.writeUInt32LE(code.length / 8, 4);
      a.writeBigUInt64LE(BigInt(koffi.address(code)), 8);
      a.writeBigUInt64LE(BigInt(koffi.address(lic)), 16);
      if (records !== null) {
        a.writeUInt32LE(btfFd, 72);
        a.writeUInt32LE(8, 76);
        a.writeBigUInt64LE(BigInt(koffi.address(records)), 80);
        a.writeUInt32LE(fi.length, 88);
      }
      let fd = -1;
      try {
        fd = Number(sys(321, 5, a, 168));
      } finally {
        if (fd >= 0) close(fd);
        if (btfFd >= 0) close(btfFd);
        for (const f of fds) close(f);
      }
      return fd >= 0;
    };
  } catch {
    return null;
  }
}

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const kernel = kernelLoader();
console.log(`CPU time (user + system), median of ${ROUNDS} side-by-side rounds after 30 warm-up runs; the kernel's is the BPF_PROG_LOAD syscall alone.`);
console.log('| program | processed | ours (ms) | ours (M insns/s) | kernel load (ms) | ours / kernel |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const s of shapes.filter((x) => x.name.includes(process.env.ONLY ?? ''))) {
  const options = { progType: 'socket_filter', maps: s.maps, funcInfo: s.funcInfo };
  const r = verify(s.insns, options);
  // Warm up until V8's optimising tier has compiled the hot paths: 30 runs (at most 3 s of CPU).
  for (let i = 0, spent = 0; i < 30 && spent < 3000; i++) spent += cpuMs(() => verify(s.insns, options));
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    collectGarbage();
    ours.push(cpuMs(() => verify(s.insns, options)));
    if (kernel !== null) {
      let ok = true;
      theirs.push(cpuMs(() => (ok = kernel(s))));
      if (!ok) theirs.length = 0;
    }
  }
  const ms = median(ours);
  const k = theirs.length === ROUNDS ? median(theirs) : null;
  console.log(`| ${s.name} | ${r.processed} | ${ms.toFixed(2)} | ${(r.processed / ms / 1000).toFixed(2)} | ${k === null ? 'n/a' : k.toFixed(2)} | ${k === null ? 'n/a' : (ms / k).toFixed(2)} |`);
}
