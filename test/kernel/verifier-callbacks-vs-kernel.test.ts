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

if (kernel !== null) {
  for (const c of callbackCases) {
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

  for (const c of callbackCases.filter((r) => r.verdict === 'accept' && r.returns !== undefined)) {
    test(`interpreter equals BPF_PROG_TEST_RUN on callback case: ${c.name}`, () => {
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
