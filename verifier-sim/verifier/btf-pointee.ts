/**
 * What a `PTR_TO_BTF_ID` register points to (the kernel's `reg->btf` + `reg->btf_id`), and the
 * type flags (`enum bpf_type_flag` in include/linux/bpf.h) that qualify pointers: trusted, RCU,
 * untrusted, read-only, user, per-CPU. `PTR_MAYBE_NULL` stays in `RegState.maybeNull`.
 * @module
 */

import type { Btf } from 'ebpf-bytecode-utils';

/** A kernel type a pointer register points to. */
export interface BtfPointee {
  /** The BTF the id belongs to (vmlinux). */
  readonly btf: Btf;
  /** The type id (a struct, after skipping modifiers). */
  readonly id: number;
  /** The type's name as the log prints it (`task_struct`; `(anon)` when anonymous). */
  readonly name: string;
}

/** Type flags as bits (the kernel's values shifted down by `BPF_BASE_TYPE_BITS`). */
export const TypeFlag = {
  /** `MEM_RDONLY`: the memory may only be read. */
  RDONLY: 1 << 1,
  /** `MEM_USER`: a user-space pointer (`__user` tag). */
  USER: 1 << 3,
  /** `MEM_PERCPU`: a per-CPU pointer (`__percpu` tag). */
  PERCPU: 1 << 4,
  /** `PTR_UNTRUSTED`: loads go through probe reads; may not be passed to helpers/kfuncs. */
  UNTRUSTED: 1 << 6,
  /** `PTR_TRUSTED`: valid for the whole program (`bpf_get_current_task_btf`). */
  TRUSTED: 1 << 12,
  /** `MEM_RCU`: valid inside the RCU read-side critical section. */
  RCU: 1 << 13,
} as const;

/** The flag prefix `reg_type_str()` prints before the base name, in the kernel's order. */
export function typeFlagsPrefix(flags: number): string {
  if (flags === 0) return '';
  return (
    (flags & TypeFlag.RDONLY ? 'rdonly_' : '') +
    (flags & TypeFlag.USER ? 'user_' : '') +
    (flags & TypeFlag.PERCPU ? 'percpu_' : '') +
    (flags & TypeFlag.RCU ? 'rcu_' : '') +
    (flags & TypeFlag.UNTRUSTED ? 'untrusted_' : '') +
    (flags & TypeFlag.TRUSTED ? 'trusted_' : '')
  );
}

/**
 * `is_trusted_reg` for BTF-id pointers: a referenced pointer, or one flagged trusted with no
 * other (unsafe) modifier.
 */
export function isTrustedPointer(r: { refObjId: number; typeFlags: number; maybeNull: boolean }): boolean {
  if (r.refObjId !== 0) return true;
  return r.typeFlags === TypeFlag.TRUSTED && !r.maybeNull;
}

/** `is_rcu_reg`: the pointer is flagged `MEM_RCU`. */
export function isRcuPointer(r: { typeFlags: number }): boolean {
  return (r.typeFlags & TypeFlag.RCU) !== 0;
}

/**
 * `reg_not_null` for BTF-id and memory pointers: a trusted (or referenced) BTF-id pointer, or
 * memory that is not untrusted, is never NULL, so comparing it with 0 decides the branch.
 */
export function btfNotNull(r: { type: string; refObjId: number; typeFlags: number; maybeNull: boolean }): boolean {
  if (r.maybeNull) return false;
  if (r.type === 'btf_id') return isTrustedPointer(r);
  return (r.typeFlags & TypeFlag.UNTRUSTED) === 0;
}
