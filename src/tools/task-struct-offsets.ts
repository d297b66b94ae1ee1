/**
 * Byte offsets in the running kernel's `struct task_struct` that the tools read from BPF
 * (`task->real_parent->tgid`, BCC's `task->real_parent->tgid` in execsnoop), from the kernel's
 * BTF. Programs read these fields with `bpf_probe_read_kernel` at the offsets found here.
 * @module
 */

import { kernelBtf } from '../dsl/kernel-btf.js';
import { DslError } from '../dsl/errors.js';

/** Where `real_parent` and `tgid` are in `struct task_struct`. */
export interface TaskStructOffsets {
  /** Offset of `struct task_struct *real_parent`. */
  readonly realParent: number;
  /** Offset of `pid_t tgid`. */
  readonly tgid: number;
}

/** The offsets of the running kernel (or of the BTF at `btfPath`); throws a DslError when missing. */
export function taskStructOffsets(btfPath?: string): TaskStructOffsets {
  const btf = kernelBtf(btfPath);
  const task = btf.find('struct', 'task_struct') as { members?: readonly { name: string; bitOffset: number }[] } | undefined;
  const offsetOf = (name: string): number => {
    const m = task?.members?.find((x) => x.name === name);
    if (m === undefined) throw new DslError(`kernel BTF: struct task_struct has no member '${name}'`);
    return m.bitOffset / 8;
  };
  return { realParent: offsetOf('real_parent'), tgid: offsetOf('tgid') };
}
