/**
 * What the kfunc tests (offline interpreter, live kernel, test VM) share: whether the running
 * kernel's BTF has the kfuncs a test needs, the closed-form sum `$.iterNum` loops are checked
 * against, and the task-lookup program body (bpf_task_from_pid / acquire / release) whose return
 * value scores each step.
 * @module
 */
import type { Btf } from 'ebpf-bytecode-utils';
import { kfuncDecl, kfuncPrototype, s32, u32, u64, type Builder, type ProgType, type U32, type Var } from '../../src/dsl/index.js';

/** Null when the running kernel's BTF has every kfunc of `names`, else the message saying which is missing. */
export function missingKfunc(names: readonly string[]): string | null {
  for (const n of names) {
    try {
      kfuncPrototype(n);
    } catch (err) {
      return (err as Error).message;
    }
  }
  return null;
}

/** A `kernelTest` skip probe: null when the kernel has every kfunc of `names`, else why not. */
export function lacksKfuncs(...names: string[]): () => string | null {
  return () => missingKfunc(names);
}

/** from + (from+1) + … + (to-1) as a u32 (0 when to <= from): what an `$.iterNum(from, to)` sum gives. */
export function sumBelow(from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += i;
  return s >>> 0;
}

/** `struct task_struct *bpf_task_from_pid(s32 pid)`. */
export const taskFromPid = kfuncDecl('bpf_task_from_pid', [s32], 'ptr');
/** `struct task_struct *bpf_task_acquire(struct task_struct *p)`. */
export const taskAcquire = kfuncDecl('bpf_task_acquire', ['ptr'], 'ptr');
/** `void bpf_task_release(struct task_struct *p)`. */
export const taskRelease = kfuncDecl('bpf_task_release', ['ptr'], 'void');

/**
 * Emits the task-lookup steps for `pid` and returns their score: 0 when bpf_task_from_pid finds
 * no task, else 1 + 10 when the task's `tgid` (read through `btf`, default the kernel's) equals
 * `pid` + 100 when bpf_task_acquire succeeds. Every acquired task is released.
 */
export function taskLookupScore<P extends ProgType>($: Builder<P>, pid: Var<U32> | number, btf?: Btf): Var<U32> {
  const out = $.let(u32, 0);
  const task = $.let(u64, $.kfunc(taskFromPid, typeof pid === 'number' ? pid : pid.cast(s32)));
  $.if(task.ne(0n), () => {
    out.set(1);
    const tgid = $.kernel(task, 'task_struct', btf).field('tgid').value().cast(u32);
    $.if(tgid.eq(pid), () => out.set(out.add(10)));
    const again = $.let(u64, $.kfunc(taskAcquire, task));
    $.if(again.ne(0n), () => {
      out.set(out.add(100));
      $.kfunc(taskRelease, again);
    });
    $.kfunc(taskRelease, task);
  });
  return out;
}
