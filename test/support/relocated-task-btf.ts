/**
 * A stand-in kernel BTF for CO-RE tests: its `task_struct` puts its fields where no real kernel
 * does, so relocations visibly move them.
 * @module
 */
import { decodeBtf, encodeBtf, type Btf, type Int, type Struct, type Type } from 'ebpf-bytecode-utils';

/** BTF whose `task_struct` (64 bytes) has `real_parent` at 16, `tgid` at 24 and `pid` at 28 (both `pid_t`). */
export function relocatedTaskBtf(): Btf {
  const int: Int = { kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 };
  const char: Int = { kind: 'int', name: 'char', size: 1, encoding: 1, bitOffset: 0, bits: 8 };
  const pid: Type = { kind: 'typedef', name: 'pid_t', target: int };
  const task: Struct = { kind: 'struct', name: 'task_struct', size: 64, members: [] };
  task.members.push(
    { name: 'pad', type: { kind: 'array', element: char, index: int, length: 16 }, bitOffset: 0, bitfieldSize: 0 },
    { name: 'real_parent', type: { kind: 'ptr', target: task }, bitOffset: 128, bitfieldSize: 0 },
    { name: 'tgid', type: pid, bitOffset: 192, bitfieldSize: 0 },
    { name: 'pid', type: pid, bitOffset: 224, bitfieldSize: 0 },
  );
  return decodeBtf(encodeBtf([task]).bytes);
}

