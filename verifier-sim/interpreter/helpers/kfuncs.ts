/**
 * kfuncs the interpreter simulates, by name. A kfunc call (`call` with `src_reg` 2) names its
 * function by a BTF id of the kernel that will load the program, which the interpreter does not
 * have: the caller passes the id → name table (`InterpreterOptions.kfuncs`; the eDSL's
 * `CompiledProgram.kfuncs`), and each name maps to a simulation here with the kernel's
 * semantics:
 *
 * - `bpf_iter_num_new/next/destroy` (kernel/bpf/bpf_iter.c): the 8-byte stack iterator holds
 *   `int cur; int end;`. `new(it, start, end)` fails with -EINVAL when start > end and -E2BIG
 *   when `end - start` exceeds `BPF_MAX_LOOPS` (both leave cur = end = 0), else sets
 *   cur = start - 1, end = end and returns 0; `next` returns a pointer to `cur` after
 *   incrementing it, or NULL (and zeroes both) once `cur + 1 >= end`; `destroy` zeroes both.
 * - `bpf_rcu_read_lock` / `bpf_rcu_read_unlock`: no effect in a single-threaded simulation.
 * - `bpf_task_from_pid` / `bpf_task_acquire` / `bpf_task_release` over the fake task table of
 *   the environment ({@link FakeTask}): a found task is a read-only region holding its bytes,
 *   with a reference count; releasing more often than acquiring is an error, and a task whose
 *   last reference is released can no longer be read.
 *
 * Other kfuncs (e.g. `bpf_cast_to_kern_ctx`, whose result points into the kernel's own
 * `sk_buff`/`xdp_buff`, a layout the interpreter does not model) stop the run with an
 * `unknown_helper` error naming them.
 * @module
 */

import type { Btf } from 'ebpf-bytecode-utils';
import { Errno } from '../errno.js';
import { InterpreterError } from '../errors.js';
import type { Region } from '../region.js';
import { argMem, setR0, setR0Pointer } from './args.js';
import type { HelperContext, HelperFn } from './helper-context.js';

/** `BPF_MAX_LOOPS`: the largest range `bpf_iter_num_new` accepts. */
const BPF_MAX_LOOPS = 1 << 23;
/** `sizeof(struct bpf_iter_num)`. */
const ITER_NUM_SIZE = 8;

function iterNumState(h: HelperContext, name: string): { region: Region; offset: number } {
  return argMem(h, 1, ITER_NUM_SIZE, 'write', name);
}

/** `int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end)`. */
export const iterNumNew: HelperFn = (h) => {
  const { region, offset } = iterNumState(h, 'bpf_iter_num_new');
  const start = h.lo[2] | 0;
  const end = h.lo[3] | 0;
  const v = region.view;
  let err = 0;
  if (start > end) err = -Errno.EINVAL;
  else if (end - start > BPF_MAX_LOOPS) err = -Errno.E2BIG;
  v.setInt32(offset, err === 0 ? (start - 1) | 0 : 0, true);
  v.setInt32(offset + 4, err === 0 ? end : 0, true);
  if (region.slotTags !== null) region.slotTags[offset >> 3] = 0;
  setR0(h, err);
};

/** `int *bpf_iter_num_next(struct bpf_iter_num *it)`: a pointer to the current value, or NULL. */
export const iterNumNext: HelperFn = (h) => {
  const { region, offset } = iterNumState(h, 'bpf_iter_num_next');
  const v = region.view;
  const cur = v.getInt32(offset, true);
  const end = v.getInt32(offset + 4, true);
  if (cur + 1 >= end) {
    v.setInt32(offset, 0, true);
    v.setInt32(offset + 4, 0, true);
    setR0(h, 0);
    return;
  }
  v.setInt32(offset, cur + 1, true);
  setR0Pointer(h, region, offset);
};

/** `void bpf_iter_num_destroy(struct bpf_iter_num *it)`. */
export const iterNumDestroy: HelperFn = (h) => {
  const { region, offset } = iterNumState(h, 'bpf_iter_num_destroy');
  region.view.setInt32(offset, 0, true);
  region.view.setInt32(offset + 4, 0, true);
  setR0(h, 0);
};

/** `void bpf_rcu_read_lock(void)` and `_unlock`: nothing to do. */
export const rcuReadLock: HelperFn = (h) => setR0(h, 0);

/** The task region R1 points to (at its start) with a live reference, or a `helper_args` error. */
function argTask(h: HelperContext, name: string): Region {
  const t = h.tag[1];
  const region = t === 0 ? undefined : h.memory.regions[t];
  if (region === undefined || region.kind !== 'task' || (h.lo[1] | 0) !== 0 || h.hi[1] !== region.baseHi) {
    throw new InterpreterError('helper_args', h.insn, `${name}: R1 is not a task pointer returned by bpf_task_from_pid or bpf_task_acquire`, { helper: name });
  }
  if (region.state <= 0) throw new InterpreterError('helper_args', h.insn, `${name}: the task's last reference was already released`, { helper: name });
  return region;
}

/** `struct task_struct *bpf_task_from_pid(s32 pid)`: an acquired task, or NULL when no task has that pid. */
export const taskFromPid: HelperFn = (h) => {
  const pid = h.lo[1] | 0;
  const found = h.env.tasks.find((t) => t.pid === pid);
  if (found === undefined) {
    setR0(h, 0);
    return;
  }
  const region = h.memory.add('task', found.bytes.slice(), { writable: false, label: `task ${pid}` });
  region.state = 1;
  setR0Pointer(h, region, 0);
};

/** `struct task_struct *bpf_task_acquire(struct task_struct *p)`: one more reference to the same task. */
export const taskAcquire: HelperFn = (h) => {
  const region = argTask(h, 'bpf_task_acquire');
  region.state++;
  setR0Pointer(h, region, 0);
};

/** `void bpf_task_release(struct task_struct *p)`: drops one reference. */
export const taskRelease: HelperFn = (h) => {
  const region = argTask(h, 'bpf_task_release');
  region.state--;
  if (region.state === 0) region.readable = false;
  setR0(h, 0);
};

/** The simulated kfuncs by name. */
export const kfuncsByName: ReadonlyMap<string, HelperFn> = new Map([
  ['bpf_iter_num_new', iterNumNew],
  ['bpf_iter_num_next', iterNumNext],
  ['bpf_iter_num_destroy', iterNumDestroy],
  ['bpf_rcu_read_lock', rcuReadLock],
  ['bpf_rcu_read_unlock', rcuReadLock],
  ['bpf_task_from_pid', taskFromPid],
  ['bpf_task_acquire', taskAcquire],
  ['bpf_task_release', taskRelease],
]);

/**
 * A kfunc id → name table as the interpreter takes it: a `Map`, a plain object keyed by id, or a
 * function (e.g. {@link kfuncNamesFromBtf} over the kernel's BTF).
 */
export type KfuncNames = ReadonlyMap<number, string> | Readonly<Record<number, string>> | ((id: number) => string | undefined);

/** The name of kfunc `id` in `names`, if any. */
export function kfuncName(names: KfuncNames | undefined, id: number): string | undefined {
  if (names === undefined) return undefined;
  if (typeof names === 'function') return names(id);
  return names instanceof Map ? names.get(id) : (names as Readonly<Record<number, string>>)[id];
}

/**
 * Kfunc names from the BTF the ids refer to (the target kernel's vmlinux BTF), looked up when
 * first called: the name of a `FUNC` id, else undefined. `btf` may be a function, called once,
 * that returns undefined where no BTF can be had.
 */
export function kfuncNamesFromBtf(btf: Btf | (() => Btf | undefined)): (id: number) => string | undefined {
  let resolved: Btf | undefined | null = typeof btf === 'function' ? null : btf;
  return (id) => {
    if (resolved === null) resolved = (btf as () => Btf | undefined)();
    if (resolved === undefined || !Number.isInteger(id) || id <= 0) return undefined;
    try {
      return resolved.kindOf(id) === 'func' ? resolved.nameOf(id) : undefined;
    } catch {
      return undefined; // an id outside the BTF
    }
  };
}

/**
 * The simulation of kfunc `id`: throws an `unknown_helper` {@link InterpreterError} at `pc` that
 * says whether the id is missing from `names` or the named kfunc is not simulated.
 */
export function resolveKfunc(names: KfuncNames | undefined, id: number, pc: number): HelperFn {
  const name = kfuncName(names, id);
  if (name === undefined) {
    throw new InterpreterError('unknown_helper', pc, `kfunc call of BTF id ${id}: no name for it (pass the kfunc table, e.g. CompiledProgram.kfuncs, as the interpreter's kfuncs option)`, { helper: `kfunc#${id}` });
  }
  const fn = kfuncsByName.get(name);
  if (fn === undefined) throw new InterpreterError('unknown_helper', pc, `kfunc ${name} (BTF id ${id}) is not simulated (simulated: ${[...kfuncsByName.keys()].join(', ')})`, { helper: name });
  return fn;
}
