/**
 * Precision tracking against the live kernel: every row of test/unit/verifier-precision.test.ts
 * is loaded with `BPF_PROG_LOAD` at log level 2, and the kernel's processed count must equal the
 * table's and verify()'s, and its whole level 2 log (`mark_precise:` backtracking lines, `P`
 * marks in explored states, `safe` lines where the second path is pruned) must equal verify()'s
 * line for line, the stack-liveness trace of kernel/bpf/liveness.c aside. Needs root, a
 * working `bpf()` and a kernel whose verifier speaks verifier-sim's 6.18 dialect
 * (`verifierDialectMissing`); skips with the reason otherwise.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programType } from 'ebpf-bytecode-utils';
import { verify } from '../../verifier-sim/verifier/index.js';
import { precisionCases } from '../unit/verifier-precision.test.js';
import { openFuncInfoKernel, type FuncInfoKernel } from '../support/func-info-loader.js';
import { kernelTest } from '../support/kernel.js';
import { verifierDialectMissing } from '../support/kernel-lacks.js';

let kernel: FuncInfoKernel | null = null;
const load = (): FuncInfoKernel => {
  if (kernel === null) {
    const opened = openFuncInfoKernel();
    if (typeof opened === 'string') throw new Error(opened);
    kernel = opened;
  }
  return kernel;
};

/** The kernel's log without the stack-liveness lines (`(0) frame 0 insn 5 +live -8`), which verifier-sim does not print. */
function withoutLiveness(log: string): string {
  return log
    .split('\n')
    .filter((line) => !/^\([\d,]+\) (frame \d+ insn \d+ |live stack update done in )/.test(line))
    .join('\n');
}

for (const c of precisionCases) {
  kernelTest(test, `kernel agrees on precision case: ${c.name}`, () => {
    const got = load().progLoad(c.insns, programType('socket_filter'), [], 2);
    assert.ok(got.ok, `the kernel rejects the row:\n${got.log}`);
    const processed = Number(/processed (\d+) insns/.exec(got.log)?.[1]);
    const ours = verify(c.insns, { progType: 'socket_filter', logLevel: 2 });
    assert.is(processed, c.processed, 'kernel processed vs table');
    assert.is(ours.processed, processed, 'verify() processed vs kernel');
    const kernelLines = withoutLiveness(got.log).split('\n');
    const ourLines = ours.log.split('\n');
    const i = kernelLines.findIndex((line, j) => line !== ourLines[j]);
    assert.ok(i < 0 && kernelLines.length === ourLines.length, `level 2 logs differ at line ${i}: kernel ${JSON.stringify(kernelLines[i])}, ours ${JSON.stringify(ourLines[i])}`);
    assert.is(got.log.includes('mark_precise: '), !c.pruned, 'the kernel backtracks exactly where the row relies on the value');
  }, verifierDialectMissing);
}

test.run();
