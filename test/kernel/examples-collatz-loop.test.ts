/**
 * examples/collatz-loop.ts (a subprogram, a bpf_loop callback and ring buffer discards) in the
 * live kernel and in the interpreter: the events read back are those of the numbers needing at
 * least MIN_STEPS steps, with the step counts and peaks computed here in JS; the other records
 * were discarded and never reach the reader.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Call } from 'ebpf-bytecode-utils';
import { MAX_STEPS, MIN_STEPS, collatzProgram, runInInterpreter, runInKernel } from '../../examples/collatz-loop.js';
import { kernelTest } from '../support/kernel.js';
import { programLacks } from '../support/kernel-lacks.js';

const test = suite('examples: collatz-loop (kernel)');

/** Steps down to 1 (at most MAX_STEPS) and the highest value reached. */
function collatz(start: number): { steps: number; peak: bigint } {
  let n = BigInt(start);
  let peak = n;
  let steps = 0;
  while (n > 1n && steps < MAX_STEPS) {
    n = n % 2n === 1n ? 3n * n + 1n : n / 2n;
    if (n > peak) peak = n;
    steps++;
  }
  return { steps, peak };
}

const NUMBERS = [0, 1, 2, 7, 8, 9, 27, 97, 871, 6171, 77031, 837799, 4294967295];

function expected(): { start: number; steps: number; peak: bigint }[] {
  return NUMBERS.map((start) => ({ start, ...collatz(start) })).filter((e) => e.steps >= MIN_STEPS);
}

kernelTest(test, 'the kernel reports exactly the long Collatz runs, with the steps and peaks JS computes', () => {
  const got = runInKernel(collatzProgram(), NUMBERS);
  assert.equal(got.map((e) => ({ start: e.start, steps: e.steps, peak: e.peak })), expected());
  assert.ok(expected().length < NUMBERS.length, 'some records were discarded');
}, () => programLacks('xdp', [Call.helper(181), Call.helper(131), Call.helper(133)]));

test('the interpreter reports the same events', () => {
  const got = runInInterpreter(collatzProgram(), NUMBERS);
  assert.equal(got.map((e) => ({ start: e.start, steps: e.steps, peak: e.peak })), expected());
});

test.run();
