// kfuncs from a tracing program (fentry on do_unlinkat), which this machine's kernel refuses
// (EPERM) and the test VM's stock kernel runs: bpf_rcu_read_lock/unlock around
// bpf_task_from_pid of the caller's own tgid, bpf_task_acquire/release, the task's tgid read
// back, and a `$.iterNum` sum. Oracle: this process's pid (the program filters on it) and the
// closed-form sum. Runs only inside the VM (TSBPF_IN_VM=1), and skips with the reason on a guest
// kernel without these kfuncs (Debian's 6.1 predates them).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync, unlinkSync } from 'node:fs';
import { compile, loadCompiled, s32, tracingProgram, u32, u64 } from '../../src/dsl/index.js';
import { closeFd } from '../../syscalls/close-fd.js';
import { MapElemAccess } from '../../syscalls/map-elem.js';
import { rawTracepointOpen } from '../../syscalls/raw-tracepoint-open.js';
import { missingKfunc, taskAcquire, taskFromPid, taskRelease } from '../support/kfunc-fixtures.js';

const test = suite('vm dsl kfuncs');
const inVm = process.env.TSBPF_IN_VM === '1';
const needed = ['bpf_rcu_read_lock', 'bpf_rcu_read_unlock', 'bpf_task_from_pid', 'bpf_task_acquire', 'bpf_task_release', 'bpf_iter_num_new', 'bpf_iter_num_next', 'bpf_iter_num_destroy'];

const reason = inVm ? missingKfunc(needed) : 'not inside the test VM (TSBPF_IN_VM is not 1; run `node test/vm/run.js --kernel 6.12 vm/dsl-kfunc`)';
function register(name: string, fn: () => void): void {
  if (reason === null) test(name, fn);
  else {
    console.log(`skip: ${name}: ${reason}`);
    test.skip(name, fn);
  }
}

register('fentry do_unlinkat: task kfuncs on our own tgid under bpf_rcu_read_lock, and an iterNum sum', () => {
  const missing = `/tmp/tsbpf-vm-kfunc-missing-${process.pid}`;
  rmSync(missing, { force: true });
  const prog = tracingProgram('fentry', 'do_unlinkat', ($) => {
    const out = $.array('out', u64, { maxEntries: 4 });
    const tgid = $.let(u32, $.getCurrentPidTgid().shr(32n).cast(u32));
    $.if(tgid.ne(process.pid), () => $.return(0));
    $.kfunc('bpf_rcu_read_lock');
    const task = $.let(u64, $.kfunc(taskFromPid, tgid.cast(s32)));
    $.if(task.ne(0n), () => {
      out.update(0, $.kernel(task, 'task_struct').field('tgid').value().cast(u32).cast(u64));
      const again = $.let(u64, $.kfunc(taskAcquire, task));
      $.if(again.ne(0n), () => {
        out.update(1, 1n);
        $.kfunc(taskRelease, again);
      });
      $.kfunc(taskRelease, task);
    });
    $.kfunc('bpf_rcu_read_unlock');
    const sum = $.let(u64, 0n);
    $.iterNum(0, 100, (i) => sum.set(sum.add(i.cast(u32).cast(u64))));
    out.update(2, sum);
    return 0;
  }, { args: [s32, u64] });
  const loaded = loadCompiled(compile(prog));
  const link = rawTracepointOpen(loaded.progFd);
  try {
    assert.throws(() => unlinkSync(missing), /ENOENT/);
    const a = new MapElemAccess(loaded.mapFds.out, 4, 8);
    const read = (i: number) => {
      new DataView(a.key.buffer, a.key.byteOffset).setUint32(0, i, true);
      assert.is(a.lookup(), 0);
      return new DataView(a.value.buffer, a.value.byteOffset).getBigUint64(0, true);
    };
    assert.equal([read(0), read(1), read(2)], [BigInt(process.pid), 1n, 4950n]);
  } finally {
    closeFd(link);
    loaded.close();
  }
});

test.run();
