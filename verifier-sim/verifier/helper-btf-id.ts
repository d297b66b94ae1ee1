/**
 * Helpers that take or return BTF-id pointers: `ARG_PTR_TO_BTF_ID` arguments (`check_reg_type`
 * with `btf_ptr_types`, then `btf_struct_ids_match`) and `RET_PTR_TO_BTF_ID…` results
 * (`check_helper_call`). The struct a helper names (`arg_btf_id`, `ret_btf_id`) lives in the
 * kernel's `.BTF_ids` section, not in BTF, so it is tabled here for the helpers that have one.
 * @module
 */

import type { Helper } from 'ebpf-bytecode-utils';
import { TypeFlag } from './btf-pointee.js';
import { structIdsMatch } from './btf-struct-walk.js';
import { pointeeOf } from './btf-id-access.js';
import { regTypeName, type RegState } from './register-state.js';
import { markKnown } from './scalar-bounds.js';
import type { VerifierEnv } from './verifier-env.js';
import { RejectError } from './verifier-error.js';
import { zeroBounds } from './verifier-state.js';

function reject(env: VerifierEnv, msg: string, extra: readonly string[] = []): never {
  throw new RejectError(msg, env.insnIdx, extra);
}

/** The struct of each helper's `ARG_PTR_TO_BTF_ID` arguments (`arg_btf_id`, by argument index). */
const ARG_STRUCTS: Readonly<Record<string, readonly (string | undefined)[]>> = {
  bpf_task_storage_get: [undefined, 'task_struct'],
  bpf_task_storage_delete: [undefined, 'task_struct'],
  bpf_get_task_stack: ['task_struct'],
  bpf_task_pt_regs: ['task_struct'],
  bpf_find_vma: ['task_struct'],
  bpf_inode_storage_get: [undefined, 'inode'],
  bpf_inode_storage_delete: [undefined, 'inode'],
  bpf_ima_inode_hash: ['inode'],
  bpf_ima_file_hash: ['file'],
  bpf_d_path: ['path'],
  bpf_bprm_opts_set: ['linux_binprm'],
  bpf_sock_from_file: ['file'],
};

/** The struct a `RET_PTR_TO_BTF_ID…` helper returns (`ret_btf_id`). */
const RET_STRUCTS: Readonly<Record<string, string>> = {
  bpf_get_current_task_btf: 'task_struct',
  bpf_task_pt_regs: 'pt_regs',
  bpf_sock_from_file: 'socket',
};

/** `RET_PTR_TO_BTF_ID` (8) plus flags, as `invalid return type %u` prints it without BTF. */
const RET_TYPE_NUMBERS: Readonly<Record<string, number>> = {
  RET_PTR_TO_BTF_ID: 8,
  RET_PTR_TO_BTF_ID_OR_NULL: 8 | (1 << 8),
  RET_PTR_TO_BTF_ID_TRUSTED: 8 | (1 << 20),
};

/** Whether `ret` is a return kind handled by {@link setBtfIdReturn}. */
export function isBtfIdReturn(ret: string): boolean {
  return ret in RET_TYPE_NUMBERS;
}

/** Sets R0 to the helper's BTF-id pointer result (trusted, maybe-null or plain). */
export function setBtfIdReturn(env: VerifierEnv, helper: Helper, ret: string, r0: RegState): void {
  const name = RET_STRUCTS[helper.name];
  const id = name === undefined ? undefined : env.kernelBtf.structId(name);
  const kbtf = env.kernelBtf;
  if (id === undefined) reject(env, `invalid return type ${RET_TYPE_NUMBERS[ret]} of func ${helper.name}#${helper.id}`);
  markKnown(r0, 0n);
  zeroBounds(r0);
  r0.type = 'btf_id';
  r0.btf = pointeeOf(kbtf, kbtf.typeById(id)!);
  r0.typeFlags = ret === 'RET_PTR_TO_BTF_ID_TRUSTED' ? TypeFlag.TRUSTED : 0;
  r0.maybeNull = ret === 'RET_PTR_TO_BTF_ID_OR_NULL';
  if (r0.maybeNull) r0.id = ++env.idGen;
}

/**
 * An `ARG_PTR_TO_BTF_ID` argument in `regno` (`maybeNullArg`: the `_OR_NULL` form, whose NULL
 * constant the caller has accepted already): a plain, trusted or RCU BTF-id pointer to the
 * helper's struct, at offset 0.
 */
export function checkBtfIdHelperArg(env: VerifierEnv, helper: Helper, regno: number, maybeNullArg: boolean): void {
  const reg = env.cur.regs[regno];
  const flags = reg.typeFlags;
  const nullOk = maybeNullArg || !reg.maybeNull;
  if (reg.type !== 'btf_id' || !nullOk || (flags !== 0 && flags !== TypeFlag.TRUSTED && flags !== TypeFlag.RCU)) {
    reject(env, `R${regno} type=${regTypeName(reg)} expected=ptr_, trusted_ptr_, rcu_ptr_`);
  }
  const want = ARG_STRUCTS[helper.name]?.[regno - 1];
  const wantId = want === undefined ? undefined : env.kernelBtf.structId(want);
  if (want === undefined || wantId === undefined) reject(env, `helper ${helper.name}#${helper.id} argument ARG_PTR_TO_BTF_ID is not simulated`);
  const m = structIdsMatch(env.kernelBtf.typeById(reg.btf!.id)!, reg.off, env.kernelBtf.typeById(wantId)!, false);
  if (!m.match) {
    const line = `R${regno} is of type ${reg.btf!.name} but ${want} is expected`;
    if (m.logged !== null) reject(env, m.logged, [line]);
    reject(env, line);
  }
}
