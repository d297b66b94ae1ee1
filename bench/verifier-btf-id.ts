// bench/verifier-btf-id: the offline verifier's CPU time on BTF-id pointer and kfunc programs,
// side by side with the live kernel's BPF_PROG_LOAD (root only; CPU time of the syscall, log level
// 0), after 50 warm-up runs, and the one-time cost of decoding the kernel BTF. Prints a table.
// ROUNDS=n sets the side-by-side rounds (default 7).
//   node --import tsx bench/verifier-btf-id.ts
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Call, Exit, JEq, Label, LoadMem, Mov, R0, R1, R2, R6, R7, Size, decodeBtf, encode, findMember, programType, resolve, type Btf, type Instruction } from 'ebpf-bytecode-utils';
import { verify } from '../verifier-sim/verifier/index.js';
import { progLoad } from '../syscalls/prog-load.js';
import { closeFd } from '../syscalls/close-fd.js';
import { plausibleBtfIdProgram } from './verifier-btf-id-fuzz-program.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';

interface Shape {
  readonly name: string;
  readonly progs: readonly { readonly progType: string; readonly insns: readonly Instruction[] }[];
}

/** CPU time (user + system, ms) of `fn`: the kernel verifies inside the calling thread, so its work is system time here. */
function cpuMs(fn: () => unknown): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function shapes(btf: Btf): Shape[] {
  const task = btf.typeById(btf.idsByName('task_struct').find((i) => btf.kindOf(i) === 'struct')!);
  const off = (m: string) => findMember(task, m)!.bitOffset / 8;
  const fn = (name: string) => btf.idsByName(name).find((i) => btf.kindOf(i) === 'func')!;
  const walk = resolve([
    Call.helper(158),
    Mov.reg(R6, R0),
    ...Array.from({ length: 300 }, (_, i) => [LoadMem(R7, R6, off('real_parent'), Size.DW), LoadMem(R1, R7, off('pid'), Size.W), LoadMem(R2, R6, i % 2 === 0 ? off('tgid') : off('parent'), i % 2 === 0 ? Size.W : Size.DW)]).flat(),
    Mov.imm(R0, 0),
    Exit(),
  ]).instructions;
  const refs = resolve([
    ...Array.from({ length: 60 }, (_, i) => [Mov.imm(R1, i + 1), Call.kfunc(fn('bpf_task_from_pid')), JEq.imm(R0, 0, `s${i}`), LoadMem(R1, R0, off('pid'), Size.W), Mov.reg(R1, R0), Call.kfunc(fn('bpf_task_release')), Label(`s${i}`)]).flat(),
    Mov.imm(R0, 0),
    Exit(),
  ]).instructions;
  const corpus = fc.sample(plausibleBtfIdProgram(btf), { numRuns: 300, seed: 20261207 });
  return [
    { name: 'task walk, 900 field loads', progs: [{ progType: 'tracepoint', insns: walk }] },
    { name: '60 from_pid/null check/release', progs: [{ progType: 'xdp', insns: refs }] },
    { name: 'random corpus, 300 programs', progs: corpus },
  ];
}

function kernelLoad(progType: string, insns: readonly Instruction[]): void {
  try {
    closeFd(progLoad({ progType: programType(progType), insns: encode(insns), license: 'GPL', logLevel: 0 }).fd);
  } catch {
    // rejected programs cost the kernel their verification too
  }
}

const coldBefore = process.cpuUsage();
const btf = decodeBtf(readFileSync(VMLINUX));
const list = shapes(btf);
const firstMs = cpuMs(() => verify(list[0].progs[0].insns, { progType: 'tracepoint', btf }));
const cold = process.cpuUsage(coldBefore);
console.log(`vmlinux BTF decode + lookups + first verify: ${((cold.user + cold.system) / 1000).toFixed(1)} ms CPU (first verify alone ${firstMs.toFixed(1)} ms)`);

const rounds = Number(process.env.ROUNDS ?? 7);
const root = process.getuid?.() === 0;
console.log(`| shape | verify() ms CPU | kernel BPF_PROG_LOAD ms CPU | ratio |`);
console.log(`|---|---:|---:|---:|`);
for (const s of list) {
  const sim: number[] = [];
  const kern: number[] = [];
  for (let w = 0; w < 50; w++) s.progs.forEach((p) => verify(p.insns, { progType: p.progType, btf }));
  for (let r = 0; r < rounds; r++) {
    sim.push(cpuMs(() => s.progs.forEach((p) => verify(p.insns, { progType: p.progType, btf }))));
    if (root) kern.push(cpuMs(() => s.progs.forEach((p) => kernelLoad(p.progType, p.insns))));
  }
  const a = median(sim);
  const b = root ? median(kern) : NaN;
  console.log(`| ${s.name} | ${a.toFixed(2)} | ${root ? b.toFixed(2) : 'n/a (not root)'} | ${root ? (a / b).toFixed(2) : ''} |`);
}
