/**
 * Loads through a `PTR_TO_BTF_ID` register (`check_ptr_to_btf_access` in kernel/bpf/verifier.c):
 * a GPL program may read kernel struct fields at constant offsets; the result is a scalar, a
 * pointer to another struct whose trust follows the kernel's rules (the `__safe_trusted`,
 * `__safe_rcu`… allow-lists that vmlinux BTF carries as `<struct>__safe_rcu` types), or
 * untrusted read-only memory. Writes are rejected. Programs are non-sleepable here, so every
 * access happens inside an RCU read-side critical section.
 * @module
 */

import type { Type } from 'ebpf-bytecode-utils';
import { TypeFlag, isRcuPointer, isTrustedPointer, type BtfPointee } from './btf-pointee.js';
import { btfTypeName, skipModifiers, structAccess } from './btf-struct-walk.js';
import type { KernelBtf } from './kernel-btf.js';
import { regTypeName, type RegState } from './register-state.js';
import { markKnown, markUnknown } from './scalar-bounds.js';
import { tnumIsConst, tnumToString } from './tnum.js';
import type { VerifierEnv } from './verifier-env.js';
import { RejectError } from './verifier-error.js';
import { zeroBounds } from './verifier-state.js';

function reject(env: VerifierEnv, msg: string): never {
  throw new RejectError(msg, env.insnIdx);
}

/** The pointee of a struct type found in `kbtf` (its id, looked up once per type). */
export function pointeeOf(kbtf: KernelBtf, t: Type): BtfPointee {
  const btf = kbtf.btf!;
  const id = btf.idOf(t) ?? 0;
  return { btf, id, name: btfTypeName(t) };
}

/**
 * `btf_nested_type_is_trusted`: whether `<parent>__<suffix>` in vmlinux BTF lists a pointer
 * member named `field` pointing to `target`.
 */
function nestedTypeIsTrusted(kbtf: KernelBtf, parent: BtfPointee, field: string, target: Type, suffix: string): boolean {
  const safeId = kbtf.structId(`${parent.name}${suffix}`);
  if (safeId === undefined) return false;
  const safe = kbtf.typeById(safeId);
  if (safe === undefined || safe.kind !== 'struct') return false;
  for (const m of safe.members) {
    if (m.type.kind !== 'ptr') continue;
    if (m.name === field && skipModifiers(m.type.target) === target) return true;
  }
  return false;
}

/** A pseudo flag bit for "may be null" while computing flags (kept out of `typeFlags`). */
const MAYBE_NULL = 1 << 30;

/** The flags of a pointer loaded from `reg`'s struct (the trust rules of `check_ptr_to_btf_access`). */
function loadedPointerFlags(kbtf: KernelBtf, reg: RegState, walked: number, field: string, target: Type): number {
  let flag = walked;
  if ((reg.typeFlags & TypeFlag.UNTRUSTED) !== 0) return TypeFlag.UNTRUSTED;
  if (!isTrustedPointer(reg) && !isRcuPointer(reg)) return flag & ~(TypeFlag.TRUSTED | TypeFlag.RCU);
  const parent = reg.btf!;
  if (nestedTypeIsTrusted(kbtf, parent, field, target, '__safe_trusted')) return flag | TypeFlag.TRUSTED;
  if (nestedTypeIsTrusted(kbtf, parent, field, target, '__safe_trusted_or_null')) return flag | TypeFlag.TRUSTED | MAYBE_NULL;
  // Non-sleepable programs always run inside an RCU read-side critical section (in_rcu_cs).
  if (nestedTypeIsTrusted(kbtf, parent, field, target, '__safe_rcu')) return flag | TypeFlag.RCU;
  const rcuOrNull = nestedTypeIsTrusted(kbtf, parent, field, target, '__safe_rcu_or_null');
  if ((flag & TypeFlag.RCU) !== 0 || rcuOrNull) {
    flag |= TypeFlag.RCU | MAYBE_NULL;
    if (rcuOrNull) flag &= ~TypeFlag.UNTRUSTED;
    return flag;
  }
  if ((flag & (TypeFlag.PERCPU | TypeFlag.USER)) !== 0) return flag;
  // kernel/bpf/verifier.c of 6.18.2 clears the trust flags here (a plain `ptr_`), but the 6.18
  // stable kernels measured (6.18.44) mark such pointers untrusted: follow the live kernel.
  return TypeFlag.UNTRUSTED;
}

/**
 * `check_ptr_to_btf_access`: `size` bytes at `off` (the register's fixed offset included)
 * through BTF-id pointer `regno`; a read puts the result in `valueRegno` (when >= 0).
 */
export function checkBtfIdAccess(env: VerifierEnv, regno: number, off: number, size: number, write: boolean, valueRegno: number): void {
  const regs = env.cur.regs;
  const reg = regs[regno];
  const pointee = reg.btf!;
  const tname = pointee.name;
  if (!env.gpl) reject(env, `Cannot access kernel 'struct ${tname}' from non-GPL compatible program`);
  if (off < 0) reject(env, `R${regno} is ptr_${tname} invalid negative access: off=${off}`);
  if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) reject(env, `R${regno} is ptr_${tname} invalid variable offset: off=${off}, var_off=${tnumToString(reg.varOff)}`);
  if ((reg.typeFlags & TypeFlag.USER) !== 0) reject(env, `R${regno} is ptr_${tname} access user memory: off=${off}`);
  if ((reg.typeFlags & TypeFlag.PERCPU) !== 0) reject(env, `R${regno} is ptr_${tname} access percpu memory: off=${off}`);
  if (write) reject(env, 'only read is supported');
  const kbtf = env.kernelBtf;
  const t = kbtf.typeById(pointee.id);
  if (t === undefined) reject(env, `R${regno} is ptr_${tname} whose type is not in the kernel BTF`);
  const r = structAccess(t, off, size);
  if (r.kind === 'error') reject(env, r.message);
  if (valueRegno < 0) return;
  const dst = regs[valueRegno];
  switch (r.kind) {
    case 'scalar':
      markUnknown(dst);
      return;
    case 'untrusted_mem':
      markKnown(dst, 0n);
      zeroBounds(dst);
      dst.type = 'mem';
      dst.typeFlags = TypeFlag.RDONLY | TypeFlag.UNTRUSTED;
      dst.memSize = 0;
      return;
    case 'ptr': {
      const flags = loadedPointerFlags(kbtf, reg, r.flags, r.fieldName, r.target);
      markKnown(dst, 0n);
      zeroBounds(dst);
      dst.type = 'btf_id';
      dst.btf = pointeeOf(kbtf, r.target);
      dst.typeFlags = flags & ~MAYBE_NULL;
      dst.maybeNull = (flags & MAYBE_NULL) !== 0;
      if (dst.maybeNull) dst.id = ++env.idGen;
      return;
    }
  }
}

/**
 * The flag rules of `check_mem_access` for `PTR_TO_MEM` with flags: writes to read-only memory
 * are rejected (`R1 cannot write into rdonly_untrusted_mem`); returns true when the access needs
 * no bounds check (read-only untrusted memory is read through probe loads).
 */
export function checkFlaggedMemAccess(env: VerifierEnv, regno: number, write: boolean): boolean {
  const reg = env.cur.regs[regno];
  const rdonly = (reg.typeFlags & TypeFlag.RDONLY) !== 0;
  if (write && rdonly) reject(env, `R${regno} cannot write into ${regTypeName(reg)}`);
  return rdonly && (reg.typeFlags & TypeFlag.UNTRUSTED) !== 0;
}
