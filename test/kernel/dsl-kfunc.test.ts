/**
 * kfunc calls from eDSL programs in the live kernel: loaded (the verifier resolves the BTF ids
 * and checks the prototypes) and run with BPF_PROG_TEST_RUN, asserting what they compute:
 * `$.iterNum` sums against the closed form, over constant and packet-length bounds, in xdp,
 * sched_cls and socket_filter programs; bpf_rcu_read_lock/unlock; bpf_task_from_pid /
 * bpf_task_acquire / bpf_task_release on the test's own tgid (as the kernel's
 * bpf_get_current_pid_tgid gives it) and on a pid that does not exist; bpf_cast_to_kern_ctx in
 * xdp (data_end - data) and sched_cls (sk_buff.len) against the input length. Tests skip, with
 * the reason, where the kernel lacks the kfunc.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { progTestRun } from '../../syscalls/prog-test-run.js';
import { compile, loadCompiled, program, s32, u32, u64, type Program } from '../../src/dsl/index.js';
import { kernelTest } from '../support/kernel.js';
import { lacksKfuncs, sumBelow, taskLookupScore } from '../support/kfunc-fixtures.js';

const test = suite('dsl kfuncs (kernel)');

/** Loads `p`, runs it once per input, returns the return values; closes everything. */
function run(p: Program, inputs: readonly Uint8Array[]): number[] {
  using loaded = loadCompiled(compile(p));
  return inputs.map((dataIn) => progTestRun({ progFd: loaded.progFd, dataIn }).retval);
}

kernelTest(test, '$.iterNum over constant bounds sums from..to-1 in xdp, sched_cls and socket_filter programs', () => {
  for (const progType of ['xdp', 'sched_cls', 'socket_filter'] as const) {
    for (const [from, to] of [[0, 10], [5, 6], [7, 7], [9, 3], [-4, 4], [0, 1000]] as const) {
      const p = program('iter', progType, ($) => {
        const sum = $.let(u32, 0);
        $.iterNum(from, to, (i) => sum.set(sum.add(i.cast(u32))));
        return sum;
      });
      assert.equal(run(p, [new Uint8Array(64)]), [sumBelow(from, to)], `${progType} ${from}..${to}`);
    }
  }
}, lacksKfuncs('bpf_iter_num_new', 'bpf_iter_num_next', 'bpf_iter_num_destroy'));

kernelTest(test, '$.iterNum with a runtime bound (the packet length) and a count of iterations', () => {
  const p = program('iterlen', 'sched_cls', ($, ctx) => {
    const sum = $.let(u32, 0);
    const count = $.let(u32, 0);
    $.iterNum(0, ctx.len.cast(s32), (i) => {
      sum.set(sum.add(i.cast(u32)));
      count.set(count.add(1));
    });
    return sum.mul(1000).add(count);
  });
  const lengths = [14, 60, 64, 100];
  assert.equal(run(p, lengths.map((n) => new Uint8Array(n))), lengths.map((n) => (sumBelow(0, n) * 1000 + n) >>> 0));
}, lacksKfuncs('bpf_iter_num_new', 'bpf_iter_num_next', 'bpf_iter_num_destroy'));

kernelTest(test, 'bpf_rcu_read_lock / bpf_rcu_read_unlock around work in a socket filter', () => {
  const p = program('rcu', 'socket_filter', ($, ctx) => {
    $.kfunc('bpf_rcu_read_lock');
    const v = $.let(u32, ctx.len.add(1));
    $.kfunc('bpf_rcu_read_unlock');
    return v;
  });
  // A socket filter's skb starts after the Ethernet header that BPF_PROG_TEST_RUN pulls: len = n - 14.
  assert.equal(run(p, [new Uint8Array(20), new Uint8Array(77)]), [20 - 14 + 1, 77 - 14 + 1]);
}, lacksKfuncs('bpf_rcu_read_lock', 'bpf_rcu_read_unlock'));

kernelTest(test, 'bpf_task_from_pid finds our own task (its tgid read back), acquire/release balance; a missing pid gives NULL', () => {
  // Returns 0 when the lookup fails, else 1 + (tgid matches ? 10 : 0) + (acquire worked ? 100 : 0).
  const build = (pid: 'self' | number) => program('task', 'sched_cls', ($) => {
    const want = $.let(u32, pid === 'self' ? $.getCurrentPidTgid().shr(32n).cast(u32) : pid);
    return taskLookupScore($, want);
  });
  assert.equal(run(build('self'), [new Uint8Array(64)]), [111]);
  assert.equal(run(build(0x3ffffff0), [new Uint8Array(64)]), [0]);
}, lacksKfuncs('bpf_task_from_pid', 'bpf_task_acquire', 'bpf_task_release'));

kernelTest(test, 'bpf_cast_to_kern_ctx: xdp_buff data_end - data and sk_buff len equal the input length', () => {
  const xdp = program('kctx', 'xdp', ($, ctx) => {
    const buff = $.let(u64, $.kfunc('bpf_cast_to_kern_ctx', ctx)!.cast(u64));
    const kernel = $.kernel(buff, 'xdp_buff');
    return kernel.field('data_end').value().sub(kernel.field('data').value()).cast(u32);
  });
  const skb = program('kctx', 'sched_cls', ($, ctx) => {
    const buff = $.let(u64, $.kfunc('bpf_cast_to_kern_ctx', ctx)!.cast(u64));
    return $.kernel(buff, 'sk_buff').field('len').value().cast(u32);
  });
  const lengths = [14, 64, 100, 1500];
  assert.equal(run(xdp, lengths.map((n) => new Uint8Array(n))), lengths);
  assert.equal(run(skb, lengths.map((n) => new Uint8Array(n))), lengths);
}, lacksKfuncs('bpf_cast_to_kern_ctx'));

test.run();
