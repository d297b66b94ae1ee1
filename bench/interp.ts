// bench/interp: instructions per second of the interpreter (verifier-sim) on a loop-heavy and a
// map-heavy program, side by side with the kernel's BPF_PROG_TEST_RUN of the same program
// (repeat N; the kernel reports the average duration per run). Prints a table. Our columns are
// instructions per second of process CPU time.
//   node --import tsx bench/interp.ts
// Targets (issue verifier-sim): ≥ 20 M insns/s for the plain interpreter, ≥ 100 M/s compiled.
// The machines are noisy (2 vCPUs shared with other jobs): compare columns of one run only.
import {
  Add, Atomic, Call, Exit, JEq, JNE, Label, LoadMapPtr, LSh, Mov, Mul, R0, R1, R2, R3, R4, R6, R7, R10, RSh, Size, StoreImm, StoreMem, Xor, And,
  encode, helperByName, mapType, programType, resolve, type Instruction,
} from 'ebpf-bytecode-utils';
import { mapCreate } from '../syscalls/map-create.js';
import { progLoad } from '../syscalls/prog-load.js';
import { progTestRun } from '../syscalls/prog-test-run.js';
import { Interpreter, createMap, type SimMap } from '../verifier-sim/index.js';

const LOOP_N = 50_000;
const MAP_N = 2_000;
const id = (n: string) => helperByName(n)!.id;

/** Arithmetic in a counted loop (8 instructions per iteration). */
const loopHeavy: Instruction[] = resolve([
  Mov.imm(R0, 0),
  Mov.imm(R1, LOOP_N),
  Label('loop'),
  Add.reg(R0, R1),
  Xor.imm(R0, 0x5a5a),
  Mul.imm(R0, 3),
  Mov.reg(R2, R0),
  RSh.imm(R2, 7),
  Add.reg(R0, R2),
  Add.imm(R1, -1),
  JNE.imm(R1, 0, 'loop'),
  Exit(),
]).instructions;

/** A hash map counter per key (key = i & 63): lookup, then atomic add or insert. */
const mapHeavy: Instruction[] = resolve([
  Mov.imm(R6, MAP_N),
  Label('loop'),
  Mov.reg(R7, R6),
  And.imm(R7, 63),
  StoreMem(R10, -8, R7, Size.DW),
  LoadMapPtr(R1, 0),
  Mov.reg(R2, R10),
  Add.imm(R2, -8),
  Call.helper(id('bpf_map_lookup_elem')),
  JEq.imm(R0, 0, 'insert'),
  Mov.imm(R1, 1),
  Atomic.add(R0, 0, R1, Size.DW),
  Label('next'),
  Add.imm(R6, -1),
  JNE.imm(R6, 0, 'loop'),
  Mov.imm(R0, 0),
  Exit(),
  Label('insert'),
  StoreImm(R10, -16, 1, Size.DW),
  LoadMapPtr(R1, 0),
  Mov.reg(R2, R10),
  Add.imm(R2, -8),
  Mov.reg(R3, R10),
  Add.imm(R3, -16),
  Mov.imm(R4, 0),
  Call.helper(id('bpf_map_update_elem')),
  JEq.imm(R0, 0, 'next'),
  Exit(),
]).instructions;
void LSh;

// ---- the kernel side, through syscalls/ (needs root) ----
interface Kernel {
  load(insns: readonly Instruction[], mapFds: number[]): number;
  map(type: string, keySize: number, valueSize: number, maxEntries: number): number;
  run(fd: number, data: Uint8Array, repeat: number): { retval: number; durationNs: number };
}

function openKernel(): Kernel | string {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  return {
    map: (type, keySize, valueSize, maxEntries) => mapCreate({ mapType: mapType(type), keySize, valueSize, maxEntries }),
    load(insns, fds) {
      const patched = insns.map((i) => (typeof i.imm === 'bigint' && i.src === 1 ? { ...i, imm: BigInt(fds[Number(i.imm)]) } : i));
      return progLoad({ progType: programType('socket_filter'), insns: encode(patched), license: 'GPL' }).fd;
    },
    run(fd, data, repeat) {
      const r = progTestRun({ progFd: fd, dataIn: data, dataSizeOut: data.length + 64, repeat });
      return { retval: r.retval, durationNs: r.duration };
    },
  };
}

const frame = new Uint8Array(64);
frame[12] = 0x08;

interface Row {
  name: string;
  insnsPerRun: number;
  interp: number;
  compiled: number;
  kernel: number | string;
}

/** Instructions per second of one tier, over about 2 s of repeated runs. */
function measure(insns: Instruction[], maps: SimMap[], compile: boolean): { perRun: number; rate: number; retval: bigint } {
  const vm = new Interpreter(insns, { progType: 'socket_filter', maps, compile });
  vm.run({ data: frame, repeat: 20 }); // warm up
  // CPU time of this process, not wall time: the machines are shared, and a descheduled
  // process is not a slower interpreter.
  let runs = 0;
  let perRun = 0;
  let retval = 0n;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < 2000) {
    const r = vm.run({ data: frame, repeat: 10 });
    perRun = r.instructions;
    retval = r.retval;
    runs += 10;
  }
  const cpu = process.cpuUsage(cpu0);
  const seconds = (cpu.user + cpu.system) / 1e6;
  return { perRun, rate: (perRun * runs) / seconds, retval };
}

function bench(name: string, insns: Instruction[], maps: () => SimMap[], kernelMaps: (k: Kernel) => number[], k: Kernel | string): Row {
  const { perRun, rate: interp, retval } = measure(insns, maps(), false);
  const { rate: compiled } = measure(insns, maps(), true);
  let kernel: number | string;
  if (typeof k === 'string') kernel = `skipped: ${k}`;
  else {
    try {
      const fd = k.load(insns, kernelMaps(k));
      const repeat = Math.max(1, Math.round(2e9 / (perRun * 2)));
      const r = k.run(fd, frame, Math.min(repeat, 100000));
      kernel = perRun / (r.durationNs / 1e9);
      if (BigInt(r.retval) !== retval) kernel = `retval differs: kernel ${r.retval}, interpreter ${retval}`;
    } catch (e) {
      kernel = `failed: ${(e as Error).message}`;
    }
  }
  return { name, insnsPerRun: perRun, interp, compiled, kernel };
}

const k = openKernel();
const rows = [
  bench('loop-heavy (ALU loop)', loopHeavy, () => [], () => [], k),
  bench('map-heavy (hash lookup/update + atomic add)', mapHeavy, () => [createMap({ type: 'hash', keySize: 8, valueSize: 8, maxEntries: 64 })], (kk) => [kk.map('hash', 8, 8, 64)], k),
];
const fmt = (x: number | string) => (typeof x === 'string' ? x : `${(x / 1e6).toFixed(1)} M/s`);
console.log('| program | insns/run | interpreter | compiled (new Function) | kernel BPF_PROG_TEST_RUN (JIT) | kernel / compiled |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  const ratio = typeof r.kernel === 'number' ? `${(r.kernel / r.compiled).toFixed(1)}×` : '–';
  console.log(`| ${r.name} | ${r.insnsPerRun} | ${fmt(r.interp)} | ${fmt(r.compiled)} | ${fmt(r.kernel)} | ${ratio} |`);
}
