/**
 * kfuncs in the offline interpreter against the live kernel: eDSL programs calling kfuncs
 * (built against the running kernel's BTF, so their `call` immediates are its BTF ids) run with
 * BPF_PROG_TEST_RUN and in the interpreter, both tiers, with the program's own kfunc table
 * (`CompiledProgram.kfuncs`). `$.iterNum` with random bounds read from the packet (fast-check)
 * in sched_cls, xdp and socket_filter programs, compared with the kernel iterator in JS too;
 * `bpf_iter_num_new`'s return values (0, -EINVAL, -E2BIG) at the limits; bpf_rcu_read_lock/
 * unlock and bpf_task_from_pid / acquire / release (the interpreter's fake task table holds
 * our tgid at the kernel's `task_struct.tgid` offset). The offline verifier must accept what
 * the kernel loads, and `tsbpf run` (kfunc names from the running kernel's BTF) prints what
 * `tsbpf krun` prints. Skips with the reason when not root or when the kernel lacks the kfuncs.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, encode } from 'ebpf-bytecode-utils';
import { main } from '../../src/cli/main.js';
import { BpfIterNum, bpfIterNumDestroy, bpfIterNumNew, compile, kernelBtf, loadCompiled, program, s32, simulate, u32, verifyCompiled, type CompiledProgram } from '../../src/dsl/index.js';
import { struct } from '../../src/types/index.js';
import { progTestRun } from '../../syscalls/prog-test-run.js';
import { kernelTest } from '../support/kernel.js';
import { numRuns } from '../support/num-runs.js';
import { lacksKfuncs, taskLookupScore } from '../support/kfunc-fixtures.js';

const test = suite('interpreter kfuncs vs kernel');

const lacksIter = lacksKfuncs('bpf_iter_num_new', 'bpf_iter_num_next', 'bpf_iter_num_destroy');

const Bounds = struct('bounds', { from: u32, to: u32 });
type IterType = 'sched_cls' | 'xdp' | 'socket_filter';

/** `$.iterNum(from, to)` with the bounds read from the packet: sum * 65536 + count. */
function iterProgram(progType: IterType): CompiledProgram {
  return compile(program('iter_diff', progType, ($, ctx) => {
    const out = $.let(u32, 0xdead);
    const body = (from: ReturnType<typeof s32Of>, to: ReturnType<typeof s32Of>) => {
      const sum = $.let(u32, 0);
      const count = $.let(u32, 0);
      $.iterNum(from, to, (i) => {
        sum.set(sum.add(i.cast(u32)));
        count.set(count.add(1));
      });
      out.set(sum.shl(16).add(count));
    };
    if (progType === 'socket_filter') {
      const b = $.struct(Bounds);
      $.skbLoadBytes(0, b);
      body(s32Of(b.field('from').get()), s32Of(b.field('to').get()));
    } else {
      $.ifPacket(ctx as never, 0, 8, (p) => body(s32Of(p.u32(0)), s32Of(p.u32(4))));
    }
    return out;
  }));
}
function s32Of(e: import('../../src/dsl/index.js').Expr<typeof u32>) {
  return e.cast(s32);
}

function iterInJs(from: number, to: number): number {
  if (from > to || to - from > 1 << 23) return 0;
  let sum = 0;
  for (let i = from; i < to; i++) sum = (sum + i) | 0;
  return ((sum << 16) + (to - from)) >>> 0;
}

/** A frame with the bounds at `at` (socket filters read from skb->data, after the 14-byte Ethernet header). */
function frame(from: number, to: number, at: number): Uint8Array {
  const data = new Uint8Array(64);
  const dv = new DataView(data.buffer);
  dv.setInt32(at, from, true);
  dv.setInt32(at + 4, to, true);
  return data;
}

function offlineAccepts(c: CompiledProgram, what: string): void {
  const r = verifyCompiled(c);
  assert.is(r.error, null, `verifier-sim rejects ${what} (the kernel accepts it): ${r.error}`);
}

kernelTest(test, '$.iterNum with random bounds: kernel = interpreter (both tiers) = JS, in sched_cls, xdp and socket_filter', () => {
  for (const progType of ['sched_cls', 'xdp', 'socket_filter'] as const) {
    const c = iterProgram(progType);
    using loaded = loadCompiled(c);
    const interp = simulate(c);
    const compiled = simulate(c, { compile: true });
    const at = progType === 'socket_filter' ? 14 : 0;
    const bound = fc.integer({ min: -2000, max: 2000 });
    const edge = fc.constantFrom(-0x80000000, 0x7fffffff, 0);
    fc.assert(fc.property(fc.oneof(bound, edge), fc.oneof(bound, edge), (from, to) => {
      const data = frame(from, to, at);
      const kernel = BigInt(progTestRun({ progFd: loaded.progFd, dataIn: data }).retval);
      assert.is(kernel, BigInt(iterInJs(from, to)), `kernel ${progType} ${from}..${to}`);
      assert.is(interp.run({ data }).retval, kernel, `interpreter ${progType} ${from}..${to}`);
      assert.is(compiled.run({ data }).retval, kernel, `compiled tier ${progType} ${from}..${to}`);
    }), { numRuns: numRuns(25) });
    offlineAccepts(c, `the ${progType} iterNum program`);
  }
}, lacksIter);

kernelTest(test, 'bpf_iter_num_new returns 0, -EINVAL and -E2BIG at the same bounds in the kernel and the interpreter', () => {
  const c = compile(program('iter_new', 'xdp', ($, ctx) => {
    const out = $.let(u32, 0xdead);
    $.ifPacket(ctx, 0, 8, (p) => {
      const it = $.struct(BpfIterNum);
      out.set($.kfunc(bpfIterNumNew, it, p.u32(0).cast(s32), p.u32(4).cast(s32)).cast(u32));
      $.kfunc(bpfIterNumDestroy, it);
    });
    return out;
  }));
  using loaded = loadCompiled(c);
  const max = 1 << 23;
  for (const [from, to] of [[0, 0], [3, 2], [0, max], [0, max + 1], [-1, max - 1], [-1, max], [-0x80000000, 0x7fffffff], [0x7fffffff, 0x7fffffff], [-0x80000000, -0x80000000]]) {
    const data = frame(from, to, 0);
    const kernel = BigInt(progTestRun({ progFd: loaded.progFd, dataIn: data }).retval);
    for (const tier of [false, true]) assert.is(simulate(c, { compile: tier }).run({ data }).retval, kernel, `${from}..${to} (${tier ? 'compiled' : 'interpreted'})`);
    assert.ok([0n, 0xffffffean, 0xfffffff9n].includes(kernel), `${from}..${to}: ${kernel}`);
  }
  offlineAccepts(c, 'the bpf_iter_num_new program');
}, lacksIter);

kernelTest(test, 'rcu lock/unlock and task_from_pid/acquire/release: the interpreter with a fake task table agrees with the kernel', () => {
  const build = (pid: number) => compile(program('task_diff', 'sched_cls', ($) => {
    $.kfunc('bpf_rcu_read_lock');
    const out = taskLookupScore($, pid);
    $.kfunc('bpf_rcu_read_unlock');
    return out;
  }));
  const taskStruct = kernelBtf().find('struct', 'task_struct')!;
  const tgidMember = taskStruct.members.find((m) => m.name === 'tgid')!;
  const bytes = new Uint8Array(taskStruct.size);
  new DataView(bytes.buffer).setInt32(tgidMember.bitOffset / 8, process.pid, true);
  const tasks = [{ pid: process.pid, bytes }];
  for (const pid of [process.pid, 0x3ffffff0]) {
    const c = build(pid);
    using loaded = loadCompiled(c);
    const kernel = BigInt(progTestRun({ progFd: loaded.progFd, dataIn: new Uint8Array(64) }).retval);
    assert.is(kernel, pid === process.pid ? 111n : 0n, `kernel, pid ${pid}`);
    offlineAccepts(c, 'the task program');
    for (const tier of [false, true]) assert.is(simulate(c, { env: { tasks }, compile: tier }).run({ data: new Uint8Array(64) }).retval, kernel, `interpreter, pid ${pid}`);
  }
}, lacksKfuncs('bpf_task_from_pid', 'bpf_task_acquire', 'bpf_task_release', 'bpf_rcu_read_lock'));

kernelTest(test, 'tsbpf run names kfuncs from the running kernel BTF: same output as tsbpf krun for a spec calling bpf_iter_num_*', async () => {
  const c = iterProgram('xdp');
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-kfunc-spec-'));
  try {
    const file = join(dir, 'iter.json');
    writeFileSync(file, JSON.stringify({ progType: 'xdp', license: 'GPL', insns: bytesToHex(encode(c.insns)), maps: [] }));
    const data = bytesToHex(frame(-7, 300, 0));
    const outputs: string[] = [];
    for (const command of ['run', 'krun']) {
      let out = '';
      let err = '';
      const status = await main([command, '--json', '--data', data, file], { writeOut: (d) => void (out += typeof d === 'string' ? d : Buffer.from(d).toString('utf8')), writeErr: (t) => void (err += t), readStdin: async () => Buffer.alloc(0) });
      assert.is(status, 0, `${command}: ${err}`);
      outputs.push(out.trim());
    }
    assert.is(outputs[0], outputs[1]);
    assert.match(outputs[0], `"retval":"0x${iterInJs(-7, 300).toString(16)}"`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, lacksIter);

test.run();
