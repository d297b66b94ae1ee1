/**
 * The offline verifier's level 2 log (every path, the live-register table, register state after
 * every instruction, SCC enter/backedge/exit lines) against the live kernel's, line by line, for
 * every row of the case table.
 *
 * Two kinds of kernel lines are not simulated and are handled explicitly: the stack-liveness
 * debug lines of kernel/bpf/liveness.c (`(0) frame 0 insn 5 +live -8`, `(0) live stack update
 * done in 2 iterations`) are dropped from the kernel's log before comparing. Rows whose kernel
 * log shows precision backtracking (`mark_precise:` lines) are compared like the others and
 * counted. Rows that hit the complexity limit are left out (their level 2 logs run to
 * gigabytes). Every other row must match exactly.
 * The raw loader is test/support/func-info-loader.ts (4 MiB log: no row's level 2 log is truncated).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { Exit, Mov, R0, attachType, encode, mapType, programType, type Instruction } from 'ebpf-bytecode-utils';
import { verify } from '../../verifier-sim/verifier/index.js';
import { verifierCases, type VerifierCase } from '../unit/verifier-cases.test.js';
import { kernelTest } from '../support/kernel.js';
import { openFuncInfoKernel } from '../support/func-info-loader.js';

interface Loader {
  /** Loads `c` (creating and closing its maps) with `log_level` 2 and returns the kernel's log. */
  log(c: VerifierCase): string;
}

function openLoader(): Loader {
  const k = openFuncInfoKernel();
  if (typeof k === 'string') throw new Error(k);
  return { log: (c) => k.loadCase(c, 2).log };
}

/**
 * A level 2 log made comparable: map addresses (which the simulator cannot know) become `ADDR`
 * in instruction lines and in the live-register table; the kernel's stack-liveness debug lines
 * are dropped.
 */
function comparableLevel2Log(log: string): string[] {
  return log
    .replace(/^(\d+: \(18\) r\d+ = )0x[0-9a-f]+ *;/gm, '$1ADDR ;')
    .replace(/^([ 0-9]{7}: [0-9.]{10} \(18\) r\d+ = )0x[0-9a-f]+$/gm, '$1ADDR')
    .replace(/^(mark_precise: frame\d+: regs=\S* stack=\S* before \d+: \(18\) r\d+ = )0x[0-9a-f]+$/gm, '$1ADDR')
    .split('\n')
    .filter((line) => !/^\([\d,]+\) (frame \d+ insn \d+ |live stack update done in )/.test(line));
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

let loader: Loader | null = null;
const load = (): Loader => (loader ??= openLoader());

/**
 * Null when the running kernel prints level 2 logs the way Linux 6.18 does (the live-register
 * table of `r0 = 0; exit` matches ours), else the reason: older kernels print another dialect.
 */
function dialectMissing(): string | null {
  const insns = [Mov.imm(R0, 0), Exit()];
  const kernel = comparableLevel2Log(load().log({ name: 'dialect probe', progType: 'socket_filter', insns, verdict: 'accept', error: null }));
  const ours = comparableLevel2Log(verify(insns, { progType: 'socket_filter', logLevel: 2 }).log);
  const i = kernel.findIndex((line, j) => line !== ours[j]);
  return i < 0 && kernel.length === ours.length ? null : `this kernel's level 2 log differs from verifier-sim's (Linux 6.18) for 'r0 = 0; exit': kernel ${JSON.stringify(kernel[i])}, ours ${JSON.stringify(ours[i])}`;
}

kernelTest(
  test,
  'level 2 logs: ours equal the kernel\'s line for line on every row, precision backtracking included',
  () => {
    const cpus = possibleCpus();
    const diffs: string[] = [];
    let compared = 0;
    let precision = 0;
    for (const c of verifierCases) {
      // A million-instruction walk prints gigabytes at level 2 (the kernel keeps only its buffer's worth).
      if (c.error?.startsWith('BPF program is too large') === true) continue;
      const kernel = comparableLevel2Log(load().log(c));
      if (kernel.some((line) => line.startsWith('mark_precise: '))) precision++;
      compared++;
      const ours = comparableLevel2Log(verify(c.insns, { progType: c.progType, expectedAttachType: c.expectedAttachType, license: c.license, maps: c.maps, possibleCpus: cpus, logLevel: 2 }).log);
      const i = kernel.findIndex((line, j) => line !== ours[j]);
      if (i >= 0 || kernel.length !== ours.length) diffs.push(`${c.name}, line ${i}: kernel ${JSON.stringify(kernel[i])}, ours ${JSON.stringify(ours[i])}`);
    }
    console.log(`verifier vs kernel: level 2 logs identical for ${compared - diffs.length}/${compared} rows (${precision} of them with precision backtracking)`);
    assert.ok(compared >= 100, `only ${compared} rows compared`);
    assert.equal(diffs, []);
  },
  dialectMissing,
);

test.run();
