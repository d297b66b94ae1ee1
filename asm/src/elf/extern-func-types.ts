/**
 * The local prototype of an extern kernel function (a kfunc in `.ksyms`) for an object's BTF.
 * libbpf resolves such an extern by name in the kernel's BTF and accepts it only when the local
 * `FUNC_PROTO` is compatible with the kernel's (`bpf_core_types_are_compat`): the same number of
 * parameters, and each parameter and the result of the same kind after typedefs and qualifiers,
 * pointers compared through their pointees, structs and unions and enums by kind alone. This
 * copies a kernel prototype down to exactly that: integers as they are, enums as anonymous enums
 * of their size, structs and unions as empty ones of their name and size, pointers to such copies.
 *
 * ```ts
 * externFuncProto(kernelBtf.get('func', 'bpf_task_from_pid').proto);
 * // struct task_struct *(int pid), with an empty struct task_struct
 * ```
 * Pure: no `node:` imports.
 * @module
 */

import { VOID, describeType, type FuncProto, type Type } from '../btf/types.js';
import { ElfWriteError } from './elf-write-error.js';

function strip(t: Type): Type {
  while (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag') t = t.target;
  return t;
}

/** The compatible local copy of `t` (pointers followed `depth` levels, as libbpf's check does). */
function localCopy(t: Type, depth: number): Type {
  const s = strip(t);
  switch (s.kind) {
    case 'void': return VOID;
    case 'int': return { kind: 'int', name: s.name, size: s.size, encoding: s.encoding, bitOffset: 0, bits: s.bits };
    case 'float': return { kind: 'float', name: s.name, size: s.size };
    case 'enum': return { kind: 'enum', name: '', size: s.size, signed: s.signed, values: [] };
    case 'enum64': return { kind: 'enum64', name: '', size: s.size, signed: s.signed, values: [] };
    case 'struct': case 'union': return { kind: s.kind, name: s.name, size: s.size, members: [] };
    case 'fwd': return { kind: 'fwd', name: s.name, fwdKind: s.fwdKind };
    case 'ptr': return { kind: 'ptr', target: depth > 0 ? localCopy(s.target, depth - 1) : VOID };
    case 'array': return { kind: 'array', element: localCopy(s.element, depth), index: { kind: 'int', name: '__ARRAY_SIZE_TYPE__', size: 4, encoding: 0, bitOffset: 0, bits: 32 }, length: s.length };
    case 'func_proto': return externFuncProto(s);
    default: throw new ElfWriteError(`extern function: a parameter of type ${describeType(s)} has no local form`);
  }
}

/** The local copy of kernel prototype `proto` (see the module notes). */
export function externFuncProto(proto: FuncProto): FuncProto {
  return {
    kind: 'func_proto',
    returns: localCopy(proto.returns, 4),
    params: proto.params.map((p) => ({ name: p.name, type: localCopy(p.type, 4) })),
  };
}
