// bench/interp-kfuncs: the interpreter on kfunc-heavy code, an eDSL `$.iterNum` loop (three
// kfunc calls set up the iterator, one `bpf_iter_num_next` per iteration), interpreted and
// compiled, side by side with the kernel's BPF_PROG_TEST_RUN of the same program when root.
// Rates are instructions per second of process CPU time. Prints a table.
//   node --import tsx bench/interp-kfuncs.ts
// The machines are noisy (2 vCPUs shared with other jobs): compare columns of one run only.
import { compile, loadCompiled, program, s32, simulate, u32, type CompiledProgram } from '../src/dsl/index.js';
import { progTestRun } from '../syscalls/prog-test-run.js';

const N = 20_000;

function iterProgram(): CompiledProgram {
  return compile(program('iter_bench', 'xdp', ($) => {
    const sum = $.let(u32, 0);
    $.iterNum(0, N, (i) => sum.set(sum.add(i.cast(u32)).xor(i.cast(u32).shl(3))));
    return sum;
  }));
}

function cpuSeconds(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1e6;
}

let c: CompiledProgram;
try {
  c = iterProgram();
} catch (err) {
  console.log(`cannot build the program (the kfuncs are looked up in the running kernel's BTF): ${(err as Error).message}`);
  process.exit(0);
}
const data = new Uint8Array(64);
const rows: string[] = [];
let insnsPerRun = 0;
let want: bigint | undefined;
for (const tier of [false, true]) {
  const sim = simulate(c, { compile: tier });
  const first = sim.run({ data });
  insnsPerRun = first.instructions;
  want ??= first.retval;
  if (first.retval !== want) throw new Error('the tiers disagree');
  const repeat = 40;
  const s = cpuSeconds(() => sim.run({ data, repeat }));
  rows.push(`${((insnsPerRun * repeat) / s / 1e6).toFixed(1)} M/s`);
}
let kernel = 'n/a (not root)';
if (process.getuid?.() === 0) {
  try {
    using loaded = loadCompiled(c);
    const repeat = 200;
    const r = progTestRun({ progFd: loaded.progFd, dataIn: data, repeat });
    if (BigInt(r.retval) !== want) throw new Error(`kernel retval ${r.retval}, interpreter ${want}`);
    kernel = `${(insnsPerRun / (r.duration / 1e9) / 1e6).toFixed(1)} M/s (${r.duration} ns/run)`;
  } catch (err) {
    kernel = `n/a (${(err as Error).message})`;
  }
}
console.log('| program | insns/run | interpreter | compiled (new Function) | kernel BPF_PROG_TEST_RUN (JIT) |');
console.log('|---|---|---|---|---|');
console.log(`| $.iterNum(0, ${N}) (kfunc next per iteration) | ${insnsPerRun} | ${rows[0]} | ${rows[1]} | ${kernel} |`);
