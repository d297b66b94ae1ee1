/**
 * The socket pointer family (`PTR_TO_SOCK_COMMON`, `PTR_TO_SOCKET`, `PTR_TO_TCP_SOCK`,
 * `PTR_TO_XDP_SOCK`, each also `_OR_NULL`) as kernel/bpf/verifier.c treats it: helper
 * arguments that take sockets (`sock_types`, `fullsock_types`, `btf_id_sock_common_types` in
 * `check_reg_type`), the release argument of `bpf_sk_release`, the socket return types
 * (`RET_PTR_TO_SOCKET_OR_NULL`, …) with acquired references for the lookup helpers
 * (`is_acquire_function`) and an inherited `ref_obj_id` for the pointer casts
 * (`is_ptr_cast_function`: `bpf_sk_fullsock`, `bpf_tcp_sock`), `bpf_map_lookup_elem` on a
 * sockmap, sockhash (a referenced socket) or xskmap (an `xdp_sock`), and reads of socket fields
 * (`check_sock_access`; the field rules are in socket-access.ts). Pointer arithmetic on
 * sockets is rejected in alu-check.ts, NULL checks of every copy in jump-check.ts.
 * @module
 */

import type { Helper } from 'ebpf-bytecode-utils';
import { checkPtrOffReg } from './memory-access.js';
import { acquireReference } from './references.js';
import { regTypeName, type RegState, type RegType } from './register-state.js';
import { socketFieldConvertible, socketFieldReadable } from './socket-access.js';
import type { VerifierEnv } from './verifier-env.js';
import { RejectError } from './verifier-error.js';
import { zeroBounds } from './verifier-state.js';
import { markKnown } from './scalar-bounds.js';

function reject(env: VerifierEnv, msg: string): never {
  throw new RejectError(msg, env.insnIdx);
}

/** `type_is_sk_pointer`: a non-NULL socket pointer of any of the four kinds. */
export function isSocketPointer(r: { type: RegType; maybeNull: boolean }): boolean {
  return !r.maybeNull && (r.type === 'sock_common' || r.type === 'sock' || r.type === 'tcp_sock' || r.type === 'xdp_sock');
}

/** The register types each socket argument kind admits, in the kernel's order (its `expected=` list). */
const COMPATIBLE: Readonly<Record<string, readonly string[]>> = {
  ARG_PTR_TO_SOCK_COMMON: ['sock_common', 'sock', 'tcp_sock', 'xdp_sock'],
  ARG_PTR_TO_SOCKET: ['sock'],
  // PTR_TO_BTF_ID (`ptr_`) and PTR_TO_BTF_ID | PTR_TRUSTED (`trusted_ptr_`) are admitted by name;
  // the kernel's further check that the BTF type starts with a struct sock_common
  // (`btf_struct_ids_match`) is not made here.
  ARG_PTR_TO_BTF_ID_SOCK_COMMON: ['sock_common', 'sock', 'tcp_sock', 'xdp_sock', 'ptr_', 'trusted_ptr_'],
};

/** Whether `baseKind` (an `ARG_…` kind without flags and `_OR_NULL`) is a socket argument. */
export function isSocketArgKind(baseKind: string): boolean {
  return Object.hasOwn(COMPATIBLE, baseKind);
}

/**
 * `check_reg_type` + `check_func_arg_reg_off` + the release bookkeeping for a socket argument
 * in `regno`: the register must be one of the admitted types (a maybe-NULL one only when the
 * argument takes NULL); a released pointer must sit at offset 0 and hold a reference. Returns
 * true when the argument is released (the caller records `release_regno`).
 */
export function checkSocketArg(env: VerifierEnv, regno: number, reg: RegState, baseKind: string, maybeNullArg: boolean, release: boolean): boolean {
  const admitted = COMPATIBLE[baseKind];
  // The kernel compares whole types (base + flags) after folding PTR_MAYBE_NULL for arguments that take NULL.
  if ((reg.maybeNull && !maybeNullArg) || !admitted.includes(regTypeName({ ...reg, maybeNull: false }))) {
    reject(env, `R${regno} type=${regTypeName(reg)} expected=${admitted.join(', ')}`);
  }
  if (!release) return false;
  if (reg.off !== 0) reject(env, `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
  checkPtrOffReg(env, reg, regno, false);
  if (reg.refObjId === 0) reject(env, `R${regno} must be referenced when passed to release function`);
  return true;
}

/** The register type a socket return kind gives R0, or null when `ret` is not one. */
export function socketReturnType(ret: string): RegType | null {
  switch (ret) {
    case 'RET_PTR_TO_SOCKET_OR_NULL':
    case 'RET_PTR_TO_SOCKET':
      return 'sock';
    case 'RET_PTR_TO_SOCK_COMMON_OR_NULL':
    case 'RET_PTR_TO_SOCK_COMMON':
      return 'sock_common';
    case 'RET_PTR_TO_TCP_SOCK_OR_NULL':
    case 'RET_PTR_TO_TCP_SOCK':
      return 'tcp_sock';
    default:
      return null;
  }
}

/** `is_acquire_function` for sockets: the lookups hand out a reference the program must release. */
const ACQUIRE = new Set(['bpf_sk_lookup_tcp', 'bpf_sk_lookup_udp', 'bpf_skc_lookup_tcp']);
/** `is_ptr_cast_function`: the result holds the argument's reference (`ref_obj_id`). */
const PTR_CAST = new Set(['bpf_sk_fullsock', 'bpf_tcp_sock', 'bpf_skc_to_tcp_sock', 'bpf_skc_to_tcp6_sock', 'bpf_skc_to_udp6_sock', 'bpf_skc_to_mptcp_sock', 'bpf_skc_to_tcp_timewait_sock', 'bpf_skc_to_tcp_request_sock']);

/**
 * Sets R0 after a helper returning a socket pointer of type `type`: known zero offset, a fresh
 * id when it may be NULL; then either a new acquired reference (lookups; the id becomes the
 * reference id) or the argument's `ref_obj_id` (pointer casts).
 */
export function setSocketReturn(env: VerifierEnv, helper: Helper, r0: RegState, type: RegType, argRefObjId: number): void {
  markKnown(r0, 0n);
  zeroBounds(r0);
  r0.type = type;
  r0.maybeNull = (helper.ret ?? '').endsWith('_OR_NULL');
  if (r0.maybeNull) r0.id = ++env.idGen;
  if (PTR_CAST.has(helper.name)) {
    r0.refObjId = argRefObjId;
  } else if (ACQUIRE.has(helper.name)) {
    const ref = acquireReference(env);
    r0.id = ref;
    r0.refObjId = ref;
  }
}

/**
 * `check_mem_access` for a non-NULL socket pointer in `regno` (`off` includes the register's
 * fixed offset): writes are rejected (`R1 cannot write into sock`), reads must fit the field
 * rules (`R1 invalid sock access off=80 size=4`); R`valueRegno` (if ≥ 0) becomes unknown by
 * the caller.
 */
export function checkSocketAccess(env: VerifierEnv, regno: number, off: number, size: number, write: boolean): void {
  const reg = env.cur.regs[regno];
  const name = regTypeName(reg);
  if (write) reject(env, `R${regno} cannot write into ${name}`);
  if (reg.smin < 0n) reject(env, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  if (!socketFieldReadable(reg.type, off, size)) reject(env, `R${regno} invalid ${name} access off=${off} size=${size}`);
  if (!socketFieldConvertible(reg.type, off, size) && (env.conversionError === undefined || (env.conversionError.insn ?? 0) > env.insnIdx)) {
    env.conversionError = new RejectError('verifier bug: error during ctx access conversion (0)', env.insnIdx);
  }
}

/**
 * The socket type a `bpf_map_lookup_elem` of a map of type `mapType` returns (maybe NULL):
 * `sock` for a sockmap or sockhash, `xdp_sock` for an xskmap; null for other maps (a map value).
 * The 6.18 kernel this was checked against types R0 so right at the call (its log prints
 * `R0=sock_or_null(id=2,ref_obj_id=2)`), not only after the null check as
 * `mark_ptr_not_null_reg` would.
 */
export function mapValueSocketType(mapType: string): RegType | null {
  if (mapType === 'sockmap' || mapType === 'sockhash') return 'sock';
  if (mapType === 'xskmap') return 'xdp_sock';
  return null;
}

/**
 * A `bpf_map_lookup_elem` of a sockmap, sockhash or xskmap: R0 (already a maybe-NULL map value
 * with its id) becomes a maybe-NULL socket; sockmap and sockhash lookups also hand out a
 * reference (`is_acquire_function`), whose id replaces R0's.
 */
export function mapLookupSocket(env: VerifierEnv, helper: Helper, r0: RegState, mapType: string): void {
  if (helper.name !== 'bpf_map_lookup_elem') return;
  const type = mapValueSocketType(mapType);
  if (type === null) return;
  r0.type = type;
  if (type !== 'sock') return;
  const ref = acquireReference(env);
  r0.id = ref;
  r0.refObjId = ref;
}
