/**
 * The offline verifier against the live kernel: every row of the case table is loaded with
 * `BPF_PROG_LOAD` (log level 1, 1 MiB log buffer) after creating its maps, and the kernel's
 * verdict, first error line and processed-instruction count are compared with `verify()`'s and
 * with the table. Needs root and a working `bpf()`; skips with the reason otherwise.
 *
 * The koffi wrapper is private to this file on purpose (x86_64 numbers: `bpf` = 321,
 * BPF_MAP_CREATE = 0, BPF_PROG_LOAD = 5; `union bpf_attr` is 168 bytes on 6.18).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  Add, And, ArSh, Call, Div, Exit, JEq, JGE, JGT, JLE, JLT, JNE, JSet, JSGT, JSLT, LoadMapPtr, LoadMem, LSh, Mod, Mov, Mul, Neg, Or, R0, R1, R2, R3, R4, R5,
  R6, R7, R8, R9, R10, RSh, Size, StoreImm, StoreMem, Sub, Xor, attachType, disassembleKernel, encode, mapType, programType, type Instruction,
} from 'ebpf-bytecode-utils';
import { verify } from '../../verifier-sim/verifier/index.js';
import { verifierCases, type VerifierCase } from '../unit/verifier-cases.test.js';

interface Kernel {
  mapCreate(type: number, keySize: number, valueSize: number, maxEntries: number, flags: number): number;
  progLoad(insns: readonly Instruction[], progType: number, license: string, attach: number): { ok: boolean; errno: number; log: string };
  close(fd: number): void;
}

function openKernel(): Kernel | string {
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
  const k: Kernel = {
    mapCreate(type, keySize, valueSize, maxEntries, flags) {
      const a = Buffer.alloc(168);
      a.writeUInt32LE(type, 0);
      a.writeUInt32LE(keySize, 4);
      a.writeUInt32LE(valueSize, 8);
      a.writeUInt32LE(maxEntries, 12);
      a.writeUInt32LE(flags, 16);
      const fd = Number(syscall(321, 0, a, 168));
      if (fd < 0) throw new Error(`BPF_MAP_CREATE: errno ${koffi.errno()}`);
      return fd;
    },
    progLoad(insns, progType, license, attach) {
      const code = Buffer.from(encode(insns));
      const lic = Buffer.from(`${license}\0`);
      const log = Buffer.alloc(1 << 20);
      const a = Buffer.alloc(168);
      a.writeUInt32LE(progType, 0);
      a.writeUInt32LE(code.length / 8, 4);
      a.writeBigUInt64LE(BigInt(koffi.address(code)), 8);
      a.writeBigUInt64LE(BigInt(koffi.address(lic)), 16);
      a.writeUInt32LE(1, 24);
      a.writeUInt32LE(log.length, 28);
      a.writeBigUInt64LE(BigInt(koffi.address(log)), 32);
      a.writeUInt32LE(attach, 68);
      const fd = Number(syscall(321, 5, a, 168));
      const errno = fd < 0 ? koffi.errno() : 0;
      if (fd >= 0) closeFd(fd);
      const end = log.indexOf(0);
      return { ok: fd >= 0, errno, log: log.subarray(0, end < 0 ? log.length : end).toString() };
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

/**
 * The kernel's first error line: the first line after the last instruction line that is not a
 * state line. When the log was rewound into a padded instruction line (a popped branch cuts the
 * jump's state tail), the message continues that line: `8: (a5) if r6 < 0xa goto pc-1 infinite
 * loop detected at insn 8`; then the text after the instruction is the error.
 */
export function kernelErrorLine(log: string, insns: readonly Instruction[]): string | null {
  const lines = log.split('\n');
  const end = lines.findIndex((l) => l.startsWith('processed '));
  const body = (end < 0 ? lines : lines.slice(0, end)).filter((l) => l.length > 0);
  const isState = (l: string) => /^\d+: (R\d|safe)/.test(l) || l.startsWith('from ');
  let last = -1;
  body.forEach((l, i) => {
    if (/^\d+: \([0-9a-f]{2}\)/.test(l)) last = i;
  });
  if (last >= 0) {
    const text = disassembleKernel(insns).find((d) => body[last].startsWith(`${d} `));
    const rest = text === undefined ? '' : body[last].slice(text.length).trimStart();
    if (rest.length > 0 && !rest.startsWith(';') && !isState(rest)) return rest;
  }
  for (let i = last + 1; i < body.length; i++) if (!isState(body[i])) return body[i];
  return null;
}

/**
 * Rows whose logs differ for a reason the simulator does not model yet (the first error line
 * and verdict still agree): the kernel prints `P` (precise) on registers of explored states
 * marked by precision backtracking, which the simulator does not do.
 */
const KNOWN_LOG_DIFFERENCES = new Set(['infinite loop']);

/**
 * `ld_imm64` map references print the map's kernel address (`r1 = 0xffff8881…`), which the
 * simulator cannot know: both sides print `ADDR`, with the state tail re-aligned.
 */
function normalizeMapAddresses(log: string): string {
  return log.replace(/^(\d+: \(18\) r\d+ = )0x[0-9a-f]+ *;/gm, '$1ADDR ;');
}

/**
 * A log with map addresses normalised and without the precision marks (`P`) the kernel prints
 * on explored states after an infinite loop was detected (precision is not modelled).
 */
function comparableLog(log: string): string {
  return normalizeMapAddresses(log).replace(/^(old state:.*)$/gm, (line) => line.replace(/=P/g, '='));
}

/** Replaces map indexes in `ld_imm64` map references by real fds. */
function withFds(insns: readonly Instruction[], fds: readonly number[]): Instruction[] {
  return insns.map((i) => {
    if (i.code !== 0x18 || typeof i.imm !== 'bigint' || (i.src !== 1 && i.src !== 2)) return i;
    const index = Number(i.imm & 0xffffffffn);
    if (index >= fds.length) return i;
    return { ...i, imm: (i.imm & ~0xffffffffn) | BigInt(fds[index]) };
  });
}

function loadInKernel(k: Kernel, c: VerifierCase): { verdict: 'accept' | 'reject'; error: string | null; processed: number; log: string } {
  const fds = (c.maps ?? []).map((m) => k.mapCreate(mapType(m.type), m.keySize, m.valueSize, m.maxEntries, m.flags ?? 0));
  try {
    const r = k.progLoad(withFds(c.insns, fds), programType(c.progType), c.license ?? 'GPL', c.expectedAttachType ? attachType(c.expectedAttachType) : 0);
    return { verdict: r.ok ? 'accept' : 'reject', error: r.ok ? null : kernelErrorLine(r.log, c.insns), processed: Number(/processed (\d+) insns/.exec(r.log)?.[1] ?? NaN), log: r.log };
  } finally {
    for (const fd of fds) k.close(fd);
  }
}

/** The kernel's `nr_cpu_ids` (it bounds `bpf_get_smp_processor_id()`), or undefined. */
function possibleCpus(): number | undefined {
  try {
    const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    return Math.max(...text.split(',').map((r) => Number(r.split('-').pop()))) + 1;
  } catch {
    return undefined;
  }
}

const REGS = [R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10];
const ALUS = [Mov, Add, Sub, Mul, And, Or, Xor, LSh, RSh, ArSh, Div, Mod];
const JUMPS = [JEq, JNE, JGT, JGE, JLT, JLE, JSGT, JSLT, JSet];
const SIZES = [Size.B, Size.H, Size.W, Size.DW];

/** Random, mostly plausible programs: ALU, context and stack loads/stores, short forward jumps, helper calls. */
const fuzzProgram = (() => {
  const reg = fc.integer({ min: 0, max: 9 }).map((i) => REGS[i]);
  const anyReg = fc.integer({ min: 0, max: 10 }).map((i) => REGS[i]);
  const imm = fc.oneof(fc.integer({ min: -20, max: 20 }), fc.constantFrom(0, 1, 7, 8, 15, 16, 31, 32, 63, 255, 0xffff, -1, 0x7fffffff));
  const size = fc.integer({ min: 0, max: 3 }).map((i) => SIZES[i]);
  const op = fc.integer({ min: 0, max: ALUS.length - 1 }).map((i) => ALUS[i]);
  const jump = fc.integer({ min: 0, max: JUMPS.length - 1 }).map((i) => JUMPS[i]);
  const item: fc.Arbitrary<Instruction[]> = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(op, reg, imm, fc.boolean()).map(([o, d, v, w]) => [w ? o.imm32(d, v) : o.imm(d, v)]) },
    { weight: 3, arbitrary: fc.tuple(op, reg, anyReg, fc.boolean()).map(([o, d, r, w]) => [w ? o.reg32(d, r) : o.reg(d, r)]) },
    { weight: 1, arbitrary: reg.map((d) => [Neg.reg(d)]) },
    { weight: 3, arbitrary: fc.tuple(reg, fc.constantFrom(0, 1, 2, 4, 8, 12, 16, 48, 76, 80, 140), size).map(([d, off, z]) => [LoadMem(d, R1, off, z)]) },
    { weight: 3, arbitrary: fc.tuple(anyReg, fc.constantFrom(-1, -4, -8, -16, -24, 0), size).map(([r, off, z]) => [StoreMem(R10, off, r, z)]) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(-4, -8, -16, -24), imm, size).map(([off, v, z]) => [StoreImm(R10, off, v, z)]) },
    { weight: 3, arbitrary: fc.tuple(reg, fc.constantFrom(-2, -4, -8, -16, -24), size).map(([d, off, z]) => [LoadMem(d, R10, off, z)]) },
    { weight: 2, arbitrary: fc.tuple(reg, reg, fc.integer({ min: -4, max: 24 }), size).map(([d, r, off, z]) => [LoadMem(d, r, off, z)]) },
    { weight: 4, arbitrary: fc.tuple(jump, reg, imm, fc.integer({ min: 0, max: 4 }), fc.boolean()).map(([j, d, v, off, w]) => [w ? j.imm32(d, v, off) : j.imm(d, v, off)]) },
    { weight: 1, arbitrary: fc.tuple(jump, reg, reg, fc.integer({ min: 0, max: 4 })).map(([j, d, r, off]) => [j.reg(d, r, off)]) },
    { weight: 1, arbitrary: fc.tuple(reg, fc.constantFrom(-4, -8, -16)).map(([r, off]) => [Mov.reg(r, R10), Add.imm(r, off)]) },
    { weight: 1, arbitrary: fc.constant<Instruction[]>([StoreImm(R10, -4, 0, Size.W), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapPtr(R1, 0), Call.helper(1)]) },
    { weight: 1, arbitrary: fc.constantFrom(5, 7, 8, 14).map((h) => [Call.helper(h)]) },
    // Calls of the subprogram appended after the main program (offsets fixed up below).
    { weight: 1, arbitrary: fc.constant<Instruction[]>([Mov.reg(R1, R10), Add.imm(R1, -8), Call.subprog(0)]) },
    { weight: 1, arbitrary: fc.constant<Instruction[]>([Call.subprog(0)]) },
  );
  const subprog = [StoreImm(R1, 0, 1, Size.W), Mov.reg(R0, R1), Add.imm(R0, 1), Exit()];
  const withSubprog = (main: Instruction[]): Instruction[] => {
    const start = main.reduce((n, i) => n + (typeof i.imm === 'bigint' ? 2 : 1), 0);
    let slot = 0;
    const fixed = main.map((i) => {
      const here = slot;
      slot += typeof i.imm === 'bigint' ? 2 : 1;
      return i.code === 0x85 && i.src === 1 ? { ...i, imm: start - here - 1 } : i;
    });
    return fixed.some((i) => i.code === 0x85 && i.src === 1) ? [...fixed, ...subprog] : fixed;
  };
  const init = [Mov.imm(R0, 0), Mov.imm(R2, 1), Mov.imm(R3, 2), Mov.imm(R4, 3), Mov.imm(R5, 4), Mov.reg(R6, R1)];
  return fc
    .tuple(fc.array(item, { minLength: 1, maxLength: 14 }), fc.constantFrom('socket_filter', 'xdp', 'sched_cls'), fc.boolean())
    .map(([items, progType, withInit]) => ({ progType, insns: withSubprog([...(withInit ? init : []), ...items.flat(), Mov.imm(R0, 0), Exit()]) }));
})();

const kernel = openKernel();
if (typeof kernel === 'string') {
  console.log(`skip: verifier vs kernel: ${kernel}`);
  test.skip('every row: our verdict and error line equal the kernel\'s', () => {});
} else {
  const k = kernel;
  test('every row: our verdict and error line equal the kernel\'s, and the table records them', () => {
    const mismatches: string[] = [];
    let sameVerdict = 0;
    let sameError = 0;
    let sameProcessed = 0;
    for (const c of verifierCases) {
      const kr = loadInKernel(k, c);
      const ours = verify(c.insns, { progType: c.progType, expectedAttachType: c.expectedAttachType, license: c.license, maps: c.maps });
      if (kr.verdict === ours.verdict) sameVerdict++;
      if (kr.error === ours.error) sameError++;
      if (kr.processed === ours.processed) sameProcessed++;
      if (kr.verdict !== ours.verdict || kr.error !== ours.error) mismatches.push(`${c.name}: kernel ${kr.verdict} ${JSON.stringify(kr.error)}, ours ${ours.verdict} ${JSON.stringify(ours.error)}`);
      else if (kr.verdict !== c.verdict || kr.error !== c.error) mismatches.push(`${c.name}: table says ${c.verdict} ${JSON.stringify(c.error)}, kernel ${kr.verdict} ${JSON.stringify(kr.error)}`);
    }
    const n = verifierCases.length;
    console.log(`verifier vs kernel: ${n} rows, verdict ${sameVerdict}/${n}, error line ${sameError}/${n}, processed ${sameProcessed}/${n}`);
    assert.equal(mismatches, []);
  });

  test('differential fuzzing: 300 random programs get the kernel\'s verdict, error line, processed count and level 1 log', () => {
    const cpus = possibleCpus();
    const maps = [{ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4 }];
    const samples = fc.sample(fuzzProgram, { numRuns: 300, seed: 20251125 });
    const diffs: string[] = [];
    for (const { progType, insns } of samples) {
      const kr = loadInKernel(k, { name: 'fuzz', progType, insns, maps, verdict: 'accept', error: null });
      const ours = verify(insns, { progType, maps, possibleCpus: cpus, logLevel: 1 });
      if (kr.verdict !== ours.verdict || kr.error !== ours.error || kr.processed !== ours.processed) {
        diffs.push(`${progType}: kernel ${kr.verdict} ${JSON.stringify(kr.error)} p=${kr.processed}, ours ${ours.verdict} ${JSON.stringify(ours.error)} p=${ours.processed}: ${disassembleKernel(insns).join(' | ')}`);
      } else if (kr.log.length < (1 << 20) - 1 && comparableLog(kr.log) !== comparableLog(ours.log)) {
        const a = comparableLog(kr.log).split('\n');
        const b = comparableLog(ours.log).split('\n');
        const i = a.findIndex((line, j) => line !== b[j]);
        diffs.push(`${progType}: log line ${i}: kernel ${JSON.stringify(a[i])}, ours ${JSON.stringify(b[i])}: ${disassembleKernel(insns).join(' | ')}`);
      }
    }
    console.log(`verifier vs kernel: fuzzing agrees on ${samples.length - diffs.length}/${samples.length} programs`);
    assert.equal(diffs, []);
  });

  test('level 1 logs: ours equal the kernel\'s line for line (map addresses aside)', () => {
    const diffs: string[] = [];
    let compared = 0;
    for (const c of verifierCases) {
      const kr = loadInKernel(k, c);
      // A log that filled the 1 MiB buffer was rotated by the kernel; compare only whole logs.
      if (kr.log.length >= (1 << 20) - 1) continue;
      compared++;
      const ours = verify(c.insns, { progType: c.progType, expectedAttachType: c.expectedAttachType, license: c.license, maps: c.maps, logLevel: 1 });
      const a = normalizeMapAddresses(kr.log).split('\n');
      const b = normalizeMapAddresses(ours.log).split('\n');
      const i = a.findIndex((line, j) => line !== b[j]);
      if (KNOWN_LOG_DIFFERENCES.has(c.name)) continue;
      if (i >= 0 || a.length !== b.length) diffs.push(`${c.name}, line ${i}: kernel ${JSON.stringify(a[i])}, ours ${JSON.stringify(b[i])}`);
    }
    console.log(`verifier vs kernel: level 1 logs identical for ${compared - diffs.length - KNOWN_LOG_DIFFERENCES.size}/${compared} rows (${KNOWN_LOG_DIFFERENCES.size} known difference)`);
    assert.equal(diffs, []);
  });
}

test.run();
