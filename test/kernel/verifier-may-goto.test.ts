/**
 * Differential fuzzing of `may_goto` loops (Linux 6.9+): random loop bodies (ALU, stack spills
 * and fills, stack pointer arithmetic, context loads) between a `may_goto` and a back jump, each
 * loaded into the live kernel with `log_level` 1 and verified by verifier-sim.
 *
 * Verdicts and error lines must agree on every program. Processed counts and logs agree on most
 * but not all: the kernel's precision tracking and its dynamic stack liveness (liveness.c) keep
 * some loops iterating once more before they converge, which verifier-sim does not model; the
 * test prints those agreement counts and requires at least 90%.
 *
 * The koffi wrapper is private to this file on purpose (x86_64: `bpf` = 321, BPF_PROG_LOAD = 5;
 * `union bpf_attr` is 168 bytes on 6.18).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import {
  Add, And, Exit, Ja, Label, LoadMem, LSh, MayGoto, Mov, Or, R0, R1, R2, R3, R4, R6, R7, R10, RSh, Size, StoreImm, StoreMem, Sub, Xor, disassembleKernel, encode, makeInstruction,
  resolve, type Instruction,
} from 'ebpf-bytecode-utils';
import { verify } from '../../verifier-sim/verifier/index.js';
import { kernelTest } from '../support/kernel.js';
import { numRuns } from '../support/num-runs.js';

/** Loads a socket filter with `log_level` 1 and returns whether it loaded and the log. */
function openLoader(): (insns: readonly Instruction[], level: number) => { ok: boolean; log: string } {
  const koffi = createRequire(import.meta.url)('koffi');
  const libc = koffi.load('libc.so.6');
  const syscall = libc.func('long syscall(long nr, int cmd, void *attr, unsigned int size)');
  const closeFd = libc.func('int close(int fd)');
  return (insns, level) => {
    const code = Buffer.from(encode(insns));
    const lic = Buffer.from('GPL\0');
    const log = Buffer.alloc(1 << 20);
    const a = Buffer.alloc(168);
    a.writeUInt32LE(1, 0);
    a.writeUInt32LE(code.length / 8, 4);
    a.writeBigUInt64LE(BigInt(koffi.address(code)), 8);
    a.writeBigUInt64LE(BigInt(koffi.address(lic)), 16);
    a.writeUInt32LE(level, 24);
    a.writeUInt32LE(log.length, 28);
    a.writeBigUInt64LE(BigInt(koffi.address(log)), 32);
    const fd = Number(syscall(321, 5, a, 168));
    if (fd >= 0) closeFd(fd);
    const end = log.indexOf(0);
    return { ok: fd >= 0, log: log.subarray(0, end < 0 ? log.length : end).toString() };
  };
}

let loader: ReturnType<typeof openLoader> | null = null;
const load = (insns: readonly Instruction[], level: number) => (loader ??= openLoader())(insns, level);

const REGS = [R0, R2, R3, R4, R6, R7];
const ALUS = [Mov, Add, Sub, And, Or, Xor, LSh, RSh];

/** Random `may_goto` loops: an initialised prologue, a few instructions, the loop, an exit. */
const mayGotoProgram = (() => {
  const reg = fc.integer({ min: 0, max: REGS.length - 1 }).map((i) => REGS[i]);
  const imm = fc.oneof(fc.integer({ min: -8, max: 8 }), fc.constantFrom(0xff, 0xffff, 63));
  const op = fc.integer({ min: 0, max: ALUS.length - 1 }).map((i) => ALUS[i]);
  const item: fc.Arbitrary<Instruction[]> = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(op, reg, imm).map(([o, d, v]) => [o.imm(d, v)]) },
    { weight: 3, arbitrary: fc.tuple(op, reg, reg).map(([o, d, s]) => [o.reg(d, s)]) },
    { weight: 2, arbitrary: fc.tuple(reg, fc.constantFrom(-8, -16)).map(([r, off]) => [StoreMem(R10, off, r, Size.DW)]) },
    { weight: 2, arbitrary: fc.tuple(reg, fc.constantFrom(-8, -16)).map(([r, off]) => [LoadMem(r, R10, off, Size.DW)]) },
    { weight: 1, arbitrary: fc.tuple(reg, fc.constantFrom(-8, -16)).map(([r, off]) => [Mov.reg(r, R10), Add.imm(r, off)]) },
    { weight: 1, arbitrary: fc.tuple(reg, fc.integer({ min: 0, max: 3 })).map(([r, n]) => [LoadMem(r, R1, n * 4, Size.W)]) },
    { weight: 1, arbitrary: fc.tuple(reg, fc.constantFrom(16, 32, 64)).map(([r, bits]) => [makeInstruction(0xdc, r, 0, 0, bits)]) },
  );
  const init = [Mov.imm(R0, 0), Mov.imm(R2, 1), Mov.imm(R3, 2), Mov.imm(R4, 3), Mov.imm(R6, 0), Mov.imm(R7, 0), StoreImm(R10, -8, 0, Size.DW), StoreImm(R10, -16, 0, Size.DW)];
  return fc
    .tuple(fc.array(item, { maxLength: 4 }), fc.array(item, { minLength: 1, maxLength: 6 }), fc.option(reg, { nil: undefined }))
    .map(([pre, body, use]) =>
      resolve([...init, ...pre.flat(), Label('loop'), MayGoto('out'), ...body.flat(), Ja('loop'), Label('out'), ...(use === undefined ? [] : [Mov.reg(R0, use)]), Mov.imm(R0, 0), Exit()]).instructions,
    );
})();

/** Null when the running kernel knows `may_goto` (Linux 6.9+), else the reason. */
function mayGotoMissing(): string | null {
  const r = load(resolve([Mov.imm(R0, 0), MayGoto(0), Exit()]).instructions, 1);
  return r.ok ? null : `this kernel rejects may_goto (Linux 6.9+): ${r.log.trim().split('\n').at(-2) ?? 'no log'}`;
}

kernelTest(
  test,
  `may_goto fuzzing: ${numRuns(200)} random loops get the kernel's verdict and error line`,
  () => {
    const samples = fc.sample(mayGotoProgram, { numRuns: numRuns(200), seed: 20261207 });
    const diffs: string[] = [];
    let sameProcessed = 0;
    let sameLog = 0;
    for (const insns of samples) {
      const kr = load(insns, 1);
      const ours = verify(insns, { progType: 'socket_filter', logLevel: 1 });
      const kernelVerdict = kr.ok ? 'accept' : 'reject';
      const lines = kr.log.trimEnd().split('\n');
      const kernelError = kr.ok ? null : (lines.at(-2) ?? null);
      if (kernelVerdict !== ours.verdict || kernelError !== ours.error) {
        diffs.push(`kernel ${kernelVerdict} ${JSON.stringify(kernelError)}, ours ${ours.verdict} ${JSON.stringify(ours.error)}: ${disassembleKernel(insns).join(' | ')}`);
      }
      if (Number(/processed (\d+) insns/.exec(kr.log)?.[1]) === ours.processed) sameProcessed++;
      if (kr.log === ours.log) sameLog++;
    }
    const n = samples.length;
    console.log(`verifier vs kernel: may_goto fuzzing agrees on verdict and error for ${n - diffs.length}/${n}, processed count ${sameProcessed}/${n}, level 1 log ${sameLog}/${n}`);
    assert.equal(diffs, []);
    assert.ok(sameLog >= n * 0.9, `only ${sameLog}/${n} identical logs`);
  },
  mayGotoMissing,
);

test.run();
