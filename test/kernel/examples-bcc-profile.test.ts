/**
 * examples/bcc-profile.ts in the live kernel: while a child (`dd` from /dev/zero to /dev/null,
 * so its CPU time is spent in the kernel) runs, the profiler samples every CPU; the child's pid
 * must appear with kernel stacks whose frames `ksym` resolves to kernel functions (no
 * `[unknown]`), one of them on the read path of /dev/zero or the write path of /dev/null.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { profile } from '../../examples/bcc-profile.js';
import { BPF } from '../../src/bcc/index.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('examples: bcc-profile (kernel)');

kernelTest(test, 'samples of a busy child carry kernel stacks that ksym names', async () => {
  using b = profile(499);
  const child = spawn('dd', ['if=/dev/zero', 'of=/dev/null', 'bs=4k', 'count=2000000'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 700));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  const mine = b.get('counts').items().filter(([k]) => k.pid === child.pid);
  const samples = mine.reduce((a, [, n]) => a + n, 0n);
  assert.ok(samples > 0n, 'the child was sampled');
  const stacks = b.get('stack_traces');
  const names = new Set<string>();
  for (const [k] of mine) {
    if (k.kernel_stack_id < 0) continue;
    const frames = stacks.walk(k.kernel_stack_id);
    assert.ok(frames.length > 0, `stack ${k.kernel_stack_id} has frames`);
    for (const ip of frames) {
      const name = BPF.ksym(ip);
      assert.is.not(name, '[unknown]', `frame 0x${ip.toString(16)}`);
      assert.is(b.ksym(ip, false, true).startsWith(name), true);
      names.add(name);
    }
  }
  assert.ok([...names].some((n) => /read|write|zero|null|clear_user|copy/.test(n)), `a read/write path frame among ${[...names].slice(0, 20).join(', ')}`);
  assert.is(BPF.ksymname('this_symbol_does_not_exist_xyz'), -1n);
  const addr = BPF.ksymname('do_sys_openat2');
  assert.ok(addr > 0n);
  assert.is(BPF.ksym(addr), 'do_sys_openat2');
});

test.run();
