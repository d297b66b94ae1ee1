/**
 * Callbacks against the live kernel: every row of the callback case table is loaded with
 * `BPF_PROG_LOAD` (log level 1, program BTF with one `FUNC` per subprogram and the row's
 * func_info) after creating its maps, and the kernel's verdict and first error line (and
 * processed count where the row records one) are compared with `verify()`'s and with the
 * table. Accepted rows that say what they return are also run with `BPF_PROG_TEST_RUN` and by
 * both interpreter tiers on the same input and map contents. Needs root and a working
 * `bpf()`; skips with the reason otherwise.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mapType, programType, type Instruction } from 'ebpf-bytecode-utils';
import { verify } from '../../verifier-sim/verifier/index.js';
import { Interpreter } from '../../verifier-sim/interpreter/index.js';
import { createMap } from '../../verifier-sim/interpreter/maps/create-map.js';
import { callbackCases, caseFuncInfo, type CallbackCase } from '../unit/verifier-callbacks.test.js';
import { openFuncInfoKernel, type FuncInfoKernel } from '../support/func-info-loader.js';
import { kernelErrorLine } from '../../bench/verifier-kernel-log.js';
import { unsignedNullCheckMissing } from '../support/kernel-lacks.js';

/** Rows whose 6.18 outcome hangs on a verifier feature outside callbacks, with its probe. */
const ROW_NEEDS: Readonly<Record<string, () => string | null>> = {
  'bpf_loop with a map value ctx': unsignedNullCheckMissing,
};

const opened = openFuncInfoKernel();
const kernel: FuncInfoKernel | null = typeof opened === 'string' ? null : opened;
if (kernel === null) console.log(`verifier-callbacks-vs-kernel: skipped: ${opened as string}`);

/** Creates the row's maps, runs `fn` with the program patched to their fds, closes them. */
function withMaps<T>(k: FuncInfoKernel, c: CallbackCase, fn: (insns: Instruction[], fds: number[]) => T): T {
  const fds: number[] = [];
  try {
    for (const m of c.maps ?? []) fds.push(k.mapCreate(mapType(m.type), m.keySize, m.valueSize, m.maxEntries, m.flags ?? 0));
    const insns = c.insns.map((i) => (i.code === 0x18 && i.src === 1 ? { ...i, imm: BigInt(fds[Number(i.imm)]) } : i));
    return fn(insns, fds);
  } finally {
    for (const fd of fds) k.close(fd);
  }
}

/** What the kernel says about a row: its verdict, first error line and processed count. */
function kernelOutcome(k: FuncInfoKernel, c: CallbackCase): { ok: boolean; error: string | null; processed: number | null; log: string } {
  const got = withMaps(k, c, (insns) => k.progLoad(insns, programType(c.progType), caseFuncInfo(c)));
  // Some func_info messages end without a newline, so the statistics line follows on the same line.
  const error = got.ok ? null : (kernelErrorLine(got.log, c.insns)?.replace(/processed \d+ insns \(limit.*$/, '') ?? null);
  const processed = /processed (\d+) insns/.exec(got.log);
  return { ok: got.ok, error, processed: processed === null ? null : Number(processed[1]), log: got.log };
}

/**
 * Null when the running kernel verifies callbacks as Linux 6.18 does (the table's truth): the
 * rows 'bpf_loop with a callback returning 0' (callbacks explored as loop iterations: the
 * processed count) and 'bpf_loop callback returning 2' (the callback return range check, and
 * func_info args of callbacks accepted) get the table's outcome. Else the first difference:
 * before Linux 6.8 the verifier checked a callback body once (fewer processed instructions),
 * and 6.1 refuses the scalar args of a callback's func_info ('reg type unsupported for arg#0').
 */
function callbackSemanticsMissing(k: FuncInfoKernel): string | null {
  for (const name of ['bpf_loop with a callback returning 0', 'bpf_loop callback returning 2']) {
    const c = callbackCases.find((r) => r.name === name);
    if (c === undefined) throw new Error(`callback probe: no row named '${name}'`);
    const got = kernelOutcome(k, c);
    const verdict = got.ok ? 'accept' : 'reject';
    if (verdict !== c.verdict || got.error !== c.error || (c.processed !== undefined && got.processed !== c.processed)) {
      return `this kernel verifies callbacks unlike Linux 6.18 (the table): row '${name}' gets ${verdict} ${JSON.stringify(got.error)} after ${got.processed ?? '?'} insns, the table says ${c.verdict} ${JSON.stringify(c.error)} after ${c.processed ?? '?'}`;
    }
  }
  return null;
}

const semantics = kernel === null ? null : callbackSemanticsMissing(kernel);

if (kernel !== null && semantics !== null) {
  console.log(`skip: kernel agrees on callback case (${callbackCases.length} rows): ${semantics}`);
  test.skip('kernel agrees on callback case', () => {});
} else if (kernel !== null) {
  for (const c of callbackCases) {
    const lacks = ROW_NEEDS[c.name]?.() ?? null;
    if (lacks !== null) {
      console.log(`skip: kernel agrees on callback case: ${c.name}: ${lacks}`);
      test.skip(`kernel agrees on callback case: ${c.name}`, () => {});
      continue;
    }
    test(`kernel agrees on callback case: ${c.name}`, () => {
      const funcInfo = caseFuncInfo(c);
      const got = withMaps(kernel, c, (insns) => kernel.progLoad(insns, programType(c.progType), funcInfo));
      // Some func_info messages end without a newline, so the statistics line follows on the same line.
      const kernelError = got.ok ? null : (kernelErrorLine(got.log, c.insns)?.replace(/processed \d+ insns \(limit.*$/, '') ?? null);
      const sim = verify(c.insns, { progType: c.progType, maps: c.maps, funcInfo });
      const processed = /processed (\d+) insns/.exec(got.log);
      const context = `kernel log tail:\n${got.log.split('\n').slice(-12).join('\n')}`;
      assert.is(got.ok ? 'accept' : 'reject', c.verdict, `kernel verdict vs table; ${context}`);
      assert.is(kernelError, c.error, `kernel error line vs table; ${context}`);
      assert.is(sim.verdict, c.verdict, 'simulator verdict');
      assert.is(sim.error, kernelError, 'simulator error line vs kernel');
      if (c.processed !== undefined && processed !== null) {
        assert.is(Number(processed[1]), c.processed, 'kernel processed vs table');
        assert.is(sim.processed, c.processed, 'simulator processed');
      }
    });
  }

}

if (kernel !== null) {
  for (const c of callbackCases.filter((r) => r.verdict === 'accept' && r.returns !== undefined)) {
    const name = `interpreter equals BPF_PROG_TEST_RUN on callback case: ${c.name}`;
    // On a kernel with older callback semantics (probed above), a row the kernel refuses has nothing to run.
    const refused = semantics === null ? null : kernelOutcome(kernel, c);
    if (refused !== null && !refused.ok) {
      console.log(`skip: ${name}: this kernel refuses the row (${JSON.stringify(refused.error)}), and ${semantics}`);
      test.skip(name, () => {});
      continue;
    }
    test(name, () => {
      const data = new Uint8Array(64);
      const retval = withMaps(kernel, c, (insns, fds) => {
        for (const [m, key, value] of c.mapInit ?? []) kernel.mapUpdate(fds[m], Uint8Array.from(key), Uint8Array.from(value));
        const fd = kernel.progLoadFd(insns, programType(c.progType), caseFuncInfo(c));
        assert.ok(fd >= 0, `load failed: errno ${-fd}`);
        try {
          return kernel.testRun(fd, data);
        } finally {
          kernel.close(fd);
        }
      });
      assert.is(retval, c.returns, 'kernel retval vs table');
      for (const compile of [false, true]) {
        const maps = (c.maps ?? []).map((m) => createMap(m));
        for (const [m, key, value] of c.mapInit ?? []) maps[m].set(Uint8Array.from(key), Uint8Array.from(value));
        const run = new Interpreter(c.insns, { progType: c.progType, maps, compile }).run({ data });
        assert.is(Number(run.retval), retval, `interpreter (compile=${compile}) vs kernel`);
      }
    });
  }
}

test.run();
