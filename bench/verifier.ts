// bench/verifier: throughput of the offline verifier (processed instructions per second) on
// a few program shapes, against the live kernel's own verification time when run as root.
// Prints a table.
//   node --import tsx bench/verifier.ts
import { createRequire } from 'node:module';
import { Add, Call, Exit, JEq, JGT, JLT, Label, LoadMapPtr, LoadMem, Mov, R0, R1, R2, R6, R10, Size, StoreImm, encode, resolve, type Instruction } from 'ebpf-bytecode-utils';
import { verify, type MapSpec } from '../verifier-sim/verifier/index.js';

interface Shape {
  readonly name: string;
  readonly insns: Instruction[];
  readonly maps?: MapSpec[];
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

const shapes: Shape[] = [
  { name: 'straight line, 4k insns', insns: straight },
  { name: 'bounded loop, 100k iterations', insns: loop(100_000) },
  { name: '200 forward branches', insns: branchy },
  { name: '100 map lookups', insns: maps, maps: [{ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16 }] },
];

function kernelLoader(): ((s: Shape) => number | null) | null {
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
      const code = Buffer.from(encode(insns));
      const lic = Buffer.from('GPL\0');
      const a = Buffer.alloc(168);
      a.writeUInt32LE(1, 0);
      a.writeUInt32LE(code.length / 8, 4);
      a.writeBigUInt64LE(BigInt(koffi.address(code)), 8);
      a.writeBigUInt64LE(BigInt(koffi.address(lic)), 16);
      const t = process.hrtime.bigint();
      const fd = Number(sys(321, 5, a, 168));
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (fd >= 0) close(fd);
      for (const f of fds) close(f);
      return fd >= 0 ? ms : null;
    };
  } catch {
    return null;
  }
}

const kernel = kernelLoader();
console.log('| program | processed | ours (ms) | ours (M insns/s) | kernel load (ms) |');
console.log('|---|---:|---:|---:|---:|');
for (const s of shapes) {
  verify(s.insns, { progType: 'socket_filter', maps: s.maps });
  const t = process.hrtime.bigint();
  const r = verify(s.insns, { progType: 'socket_filter', maps: s.maps });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  const k = kernel?.(s);
  console.log(`| ${s.name} | ${r.processed} | ${ms.toFixed(1)} | ${(r.processed / ms / 1000).toFixed(2)} | ${k === undefined || k === null ? 'n/a' : k.toFixed(1)} |`);
}
