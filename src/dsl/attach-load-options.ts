/**
 * The `BPF_PROG_LOAD` fields a compiled program's attach target implies: `expected_attach_type`
 * and `attach_btf_id` (the id of the target's func or typedef in the running kernel's BTF) for
 * `tracing` and `lsm` programs; nothing for other programs.
 * @module
 */

import { attachType } from 'ebpf-bytecode-utils';
import { BtfKindId, vmlinuxBtfTypeId } from '../attach/vmlinux-btf-id.js';
import type { CompiledProgram } from './compile.js';
import { DslError } from './errors.js';

/** The attach fields of `compiled`'s load attr (empty for programs without an attach target). */
export function attachLoadOptions(compiled: CompiledProgram): { expectedAttachType?: number; attachBtfId?: number } {
  const a = compiled.attach;
  if (a === undefined) return {};
  const id = vmlinuxBtfTypeId(a.btfName, a.btfKind === 'func' ? BtfKindId.FUNC : BtfKindId.TYPEDEF);
  if (id === undefined) throw new DslError(`load '${compiled.name}': no ${a.btfKind} ${a.btfName} in the running kernel's BTF`);
  return { expectedAttachType: attachType(a.attachType), attachBtfId: id };
}
