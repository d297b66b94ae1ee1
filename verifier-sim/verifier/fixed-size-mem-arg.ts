/**
 * `ARG_PTR_TO_FIXED_SIZE_MEM` (`ARG_PTR_TO_MEM | MEM_FIXED_SIZE`): a helper argument whose size
 * is not passed in the next register but fixed by the helper's prototype (`arg<N>_size` of its
 * `bpf_func_proto`), e.g. the `long *res` of `bpf_strtol`. The kernel's `check_func_arg()` checks
 * `arg_size` bytes with `check_helper_mem_access()` and, for `MEM_ALIGNED`, their alignment with
 * `check_ptr_alignment(…, strict_alignment_once = true)` (kernel/bpf/verifier.c, Linux 6.18).
 * The sizes come from the helper-signature table of `ebpf-bytecode-utils`.
 * @module
 */

import { helperSignature, isRefused, type Helper } from 'ebpf-bytecode-utils';
import type { RegState } from './register-state.js';
import { tnumAdd, tnumConst, tnumIsAligned, tnumToString } from './tnum.js';
import type { VerifierEnv } from './verifier-env.js';
import { RejectError } from './verifier-error.js';

const sizeCache = new Map<string, number | null>();

/**
 * The byte size the prototype of `helper` fixes for its argument `argIndex` (0-based), or null
 * when the signature table does not know it.
 */
export function fixedMemArgSize(helper: Helper, argIndex: number): number | null {
  const key = `${helper.name}/${argIndex}`;
  let size = sizeCache.get(key);
  if (size === undefined) {
    const sig = helperSignature(helper);
    const source = isRefused(sig) ? undefined : sig.argSources[argIndex];
    size = typeof source === 'number' && !isRefused(sig) ? sig.fixedSizes[source] ?? null : null;
    sizeCache.set(key, size);
  }
  return size;
}

/** `pointer_desc` of `check_ptr_alignment` for the register types that have one. */
const POINTER_DESC: Readonly<Record<string, string>> = {
  flow_keys: 'flow keys ',
  map_key: 'key ',
  map_value: 'value ',
  ctx: 'context ',
  fp: 'stack ',
  sock: 'sock ',
  sock_common: 'sock_common ',
  tcp_sock: 'tcp_sock ',
  xdp_sock: 'xdp_sock ',
};

/**
 * `check_ptr_alignment(env, reg, 0, size, true)`: strict alignment of `size` bytes at `reg`
 * (packets with the kernel's `NET_IP_ALIGN` of 2), rejecting with the kernel's message.
 */
export function checkStrictPtrAlignment(env: VerifierEnv, reg: RegState, size: number): void {
  if (size === 1) return;
  if (reg.type === 'pkt' || reg.type === 'pkt_meta') {
    const t = tnumAdd(reg.varOff, tnumConst(BigInt(2 + reg.off)));
    if (!tnumIsAligned(t, size)) throw new RejectError(`misaligned packet access off 2+${tnumToString(reg.varOff)}+${reg.off}+0 size ${size}`, env.insnIdx, []);
    return;
  }
  const t = tnumAdd(reg.varOff, tnumConst(BigInt(reg.off)));
  if (!tnumIsAligned(t, size)) throw new RejectError(`misaligned ${POINTER_DESC[reg.type] ?? ''}access off ${tnumToString(reg.varOff)}+${reg.off}+0 size ${size}`, env.insnIdx, []);
}
