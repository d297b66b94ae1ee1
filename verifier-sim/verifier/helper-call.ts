/**
 * Helper calls (`check_helper_call` and `check_func_arg` in kernel/bpf/verifier.c): the helper
 * must exist and be offered to the program type, GPL-only helpers need a GPL-compatible
 * license, each argument is checked against its `ARG_…` kind (map pointer, key and value on
 * the stack or in a map value, memory + size pairs, context, anything initialised), the map
 * must suit the helper, R1–R5 become NOT_INIT and R0 takes the return type.
 * @module
 */

import { markChainPrecision, markSlotChainPrecision } from './precision.js';
import { helperById, type Helper } from 'ebpf-bytecode-utils';
import { mapFitsHelper } from './map-helper-compat.js';
import { checkStrictPtrAlignment, fixedMemArgSize } from './fixed-size-mem-arg.js';
import { helperMightSleep, MIGHT_SLEEP_ERROR } from './sleepable-helpers.js';
import { checkBtfIdHelperArg, isBtfIdReturn, setBtfIdReturn } from './helper-btf-id.js';
import { checkMapAccessType, checkMemAccess, checkMemRegion, checkPacketAccess, checkPtrOffReg, checkStackBounds } from './memory-access.js';
import { checkReadable } from './register-access.js';
import { notInit, regTypeName, type RegState } from './register-state.js';
import { boundsSync, markKnown, markUnknown } from './scalar-bounds.js';
import { StackByte, isSpilledScalar } from './stack-state.js';
import { tnumIsConst } from './tnum.js';
import type { VerifierEnv } from './verifier-env.js';
import { RejectError } from './verifier-error.js';
import { checkFuncPointerArg, pushCallbackCall } from './callbacks.js';
import { acquireReference, checkReferenceLeak, releaseReference } from './references.js';
import { checkSocketArg, isSocketArgKind, mapLookupSocket, setSocketReturn, socketReturnType } from './socket-pointers.js';
import { allFrames, frameOf, zeroBounds } from './verifier-state.js';

/** `__BPF_FUNC_MAX_ID` of Linux 6.18: helper ids at or above it are invalid. */
export const FUNC_MAX_ID = 212;
/** `BPF_MAX_VAR_SIZ`. */
const MAX_VAR_SIZ = 1n << 29n;

const MEM_TYPES = 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_';

/** What the argument checks remember across arguments (`struct bpf_call_arg_meta`). */
interface CallMeta {
  msizeMax: bigint;
  map: number;
  constKey: bigint | null;
  rawRegno: number;
  rawSize: number;
  /** `mem_size`: the constant size of an `ARG_CONST_ALLOC_SIZE_OR_ZERO` argument. */
  memSize: number;
  /** `ref_obj_id` of the referenced pointer argument (0 = none). */
  refObjId: number;
  /** The argument register of an `OBJ_RELEASE` argument (0 = none). */
  releaseRegno: number;
}

function reject(env: VerifierEnv, msg: string): never {
  throw new RejectError(msg, env.insnIdx);
}

function isNullConst(r: RegState): boolean {
  return r.type === 'scalar' && tnumIsConst(r.varOff) && r.varOff.value === 0n;
}

/** Licenses the kernel treats as GPL-compatible (`license_is_gpl_compatible`). */
export function isGplCompatible(license: string): boolean {
  return ['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'].includes(license);
}

/** Helpers after which packet pointers are invalid (`bpf_helper_changes_pkt_data`). */
const CHANGES_PKT_DATA = new Set(
  ['clone_redirect', 'l3_csum_replace', 'l4_csum_replace', 'lwt_push_encap', 'lwt_seg6_action', 'lwt_seg6_adjust_srh', 'lwt_seg6_store_bytes', 'msg_pop_data', 'msg_pull_data', 'msg_push_data', 'skb_adjust_room', 'skb_change_head', 'skb_change_proto', 'skb_change_tail', 'skb_pull_data', 'skb_store_bytes', 'skb_vlan_pop', 'skb_vlan_push', 'store_hdr_opt', 'xdp_adjust_head', 'xdp_adjust_meta', 'xdp_adjust_tail', 'tail_call'].map((n) => `bpf_${n}`),
);

/** Helpers whose prototypes set `pkt_access` (may take packet pointers). */
const PKT_ACCESS = new Set(['bpf_map_lookup_elem', 'bpf_map_update_elem', 'bpf_map_delete_elem', 'bpf_map_push_elem', 'bpf_csum_diff', 'bpf_skb_store_bytes', 'bpf_l3_csum_replace', 'bpf_l4_csum_replace', 'bpf_skb_load_bytes', 'bpf_xdp_load_bytes', 'bpf_xdp_store_bytes', 'bpf_sk_lookup_tcp', 'bpf_sk_lookup_udp', 'bpf_skc_lookup_tcp', 'bpf_tcp_check_syncookie', 'bpf_tcp_gen_syncookie', 'bpf_csum_update', 'bpf_csum_level']);

function mayAccessPacket(env: VerifierEnv, helper: Helper): boolean {
  switch (env.progType) {
    case 'sched_cls':
    case 'sched_act':
    case 'xdp':
    case 'lwt_xmit':
    case 'sk_skb':
    case 'sk_msg':
    case 'lwt_in':
    case 'lwt_out':
    case 'lwt_seg6local':
    case 'sk_reuseport':
    case 'flow_dissector':
    case 'cgroup_skb':
      return PKT_ACCESS.has(helper.name);
    default:
      return false;
  }
}

function typeError(regno: number, reg: RegState, expected: string): string {
  return `R${regno} type=${regTypeName(reg)} expected=${expected}`;
}

/** `check_helper_mem_access`: `size` bytes at the pointer in `regno`. */
function checkHelperMem(env: VerifierEnv, regno: number, size: number, write: boolean, zeroOk: boolean, meta: CallMeta | null): void {
  const reg = env.cur.regs[regno];
  switch (reg.maybeNull ? 'other' : reg.type) {
    case 'pkt':
    case 'pkt_meta':
      checkPacketAccess(env, regno, reg.off, size, zeroOk);
      return;
    case 'map_value':
      checkMapAccessType(env, reg, reg.off, size, write);
      checkMemRegion(env, regno, reg.off, size, env.maps[reg.map].valueSize, zeroOk);
      return;
    case 'mem':
    case 'ringbuf_mem':
      checkMemRegion(env, regno, reg.off, size, reg.memSize, zeroOk);
      return;
    case 'map_key':
      if (write) reject(env, `R${regno} cannot write into map_key`);
      checkMemRegion(env, regno, reg.off, size, env.maps[reg.map].keySize, zeroOk);
      return;
    case 'fp': {
      if (size === 0 && !zeroOk) reject(env, 'invalid zero-sized read');
      checkStackBounds(env, regno, reg.off, size, write);
      if (!tnumIsConst(reg.varOff) && meta !== null) meta = null;
      if (meta !== null && write) {
        meta.rawRegno = regno;
        meta.rawSize = size;
        return;
      }
      if (write && !tnumIsConst(reg.varOff)) {
        // Variable-offset helper writes need initialised memory; privileged: uninit is fine.
      }
      return;
    }
    default:
      if (zeroOk && size === 0 && isNullConst(reg)) return;
      reject(env, typeError(regno, reg, 'fp'));
  }
}

/** `get_constant_map_key`: the constant key on the stack, or null. */
function constantMapKey(env: VerifierEnv, reg: RegState, keySize: number): bigint | null {
  if (reg.type !== 'fp' || !tnumIsConst(reg.varOff)) return null;
  const stackOff = reg.off + Number(BigInt.asIntN(64, reg.varOff.value));
  const byte = -stackOff - 1;
  const spi = Math.floor(byte / 8);
  const off = byte % 8;
  const slot = frameOf(env.cur, reg.frameno).stack[spi];
  if (slot === undefined) return null;
  let zero = 0;
  for (let i = off; i >= 0 && slot.types[i] === StackByte.ZERO; i--) zero++;
  if (zero >= keySize) return 0n;
  if (!isSpilledScalar(slot)) return null;
  let spill = 0;
  for (let i = off; i >= 0 && slot.types[i] === StackByte.SPILL; i--) spill++;
  if (spill !== keySize) return null;
  if (!tnumIsConst(slot.spilled.varOff)) return null;
  // The lookup relies on this constant: it becomes precise along the path.
  markSlotChainPrecision(env, reg.frameno, spi);
  return slot.spilled.varOff.value;
}

/** Whether `r` may be passed where a helper takes memory (`ARG_PTR_TO_MEM` and friends). */
function isMemType(r: RegState): boolean {
  return !r.maybeNull && (r.type === 'fp' || r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'map_key' || r.type === 'map_value' || r.type === 'mem' || r.type === 'ringbuf_mem');
}

/** An `ARG_…` kind of the helper table split into its base and flags. */
interface ArgKind {
  /** The base kind as written (`ARG_PTR_TO_MAP_VALUE_OR_NULL`). */
  readonly base: string;
  /** The base kind without `_OR_NULL`. */
  readonly baseKind: string;
  /** `PTR_MAYBE_NULL` or an `_OR_NULL` base. */
  readonly maybeNullArg: boolean;
  /** `MEM_UNINIT` or `ARG_PTR_TO_UNINIT_MEM`. */
  readonly uninit: boolean;
  /** `MEM_WRITE` or `ARG_PTR_TO_UNINIT_MEM`. */
  readonly writes: boolean;
  /** `OBJ_RELEASE`: the helper releases the reference the argument holds. */
  readonly release: boolean;
}

const argKinds = new Map<string, ArgKind>();

/** Parses (once per distinct kind) an argument kind such as `ARG_PTR_TO_MEM|MEM_RDONLY`. */
function parseArgKind(kind: string): ArgKind {
  let parsed = argKinds.get(kind);
  if (parsed === undefined) {
    const parts = kind.split('|');
    const base = parts[0];
    const flags = new Set(parts.slice(1));
    parsed = {
      base,
      baseKind: base.replace(/_OR_NULL$/, ''),
      maybeNullArg: flags.has('PTR_MAYBE_NULL') || base.endsWith('_OR_NULL'),
      uninit: flags.has('MEM_UNINIT') || base === 'ARG_PTR_TO_UNINIT_MEM',
      writes: flags.has('MEM_WRITE') || base === 'ARG_PTR_TO_UNINIT_MEM',
      release: flags.has('OBJ_RELEASE'),
    };
    argKinds.set(kind, parsed);
  }
  return parsed;
}

/**
 * `ARG_PTR_TO_RINGBUF_MEM` (`bpf_ringbuf_submit`/`discard`): `check_reg_type`, then for
 * `OBJ_RELEASE` the `check_func_arg_reg_off` rule that the pointer is at offset 0 and the
 * release bookkeeping (`release_regno`).
 */
function checkRingbufMemArg(env: VerifierEnv, regno: number, reg: RegState, release: boolean, meta: CallMeta): void {
  if (reg.type !== 'ringbuf_mem' || reg.maybeNull) reject(env, typeError(regno, reg, 'ringbuf_mem'));
  if (!release) return;
  if (reg.off !== 0) reject(env, `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
  checkPtrOffReg(env, reg, regno, false);
  if (reg.refObjId === 0) reject(env, `R${regno} must be referenced when passed to release function`);
  meta.releaseRegno = regno;
}

function checkArg(env: VerifierEnv, helper: Helper, i: number, meta: CallMeta): void {
  const kind = helper.args[i];
  const regno = i + 1;
  checkReadable(env, regno);
  const reg = env.cur.regs[regno];
  if (kind === 'ARG_ANYTHING') return;
  const { baseKind, maybeNullArg, uninit, writes, release } = parseArgKind(kind);
  if ((reg.type === 'pkt' || reg.type === 'pkt_meta' || reg.type === 'pkt_end') && !mayAccessPacket(env, helper)) reject(env, 'helper access to the packet is not allowed');
  if (isNullConst(reg) && maybeNullArg) return;
  const regType = reg.maybeNull && maybeNullArg ? { ...reg, maybeNull: false } : reg;
  if (baseKind === 'ARG_PTR_TO_RINGBUF_MEM') checkRingbufMemArg(env, regno, reg, release, meta);
  if (isSocketArgKind(baseKind) && checkSocketArg(env, regno, reg, baseKind, maybeNullArg, release)) meta.releaseRegno = regno;
  if (reg.refObjId !== 0) {
    if (meta.refObjId !== 0) reject(env, `verifier internal error: more than one arg with ref_obj_id R${regno} ${reg.refObjId} ${meta.refObjId}`);
    meta.refObjId = reg.refObjId;
  }
  switch (baseKind) {
    case 'ARG_CONST_MAP_PTR':
      if (regType.type !== 'map_ptr' || regType.maybeNull) reject(env, typeError(regno, reg, 'map_ptr'));
      checkPtrOffReg(env, reg, regno, false);
      meta.map = reg.map;
      return;
    case 'ARG_PTR_TO_CTX':
      if (regType.type !== 'ctx' || regType.maybeNull) reject(env, typeError(regno, reg, 'ctx'));
      checkPtrOffReg(env, reg, regno, false);
      return;
    case 'ARG_PTR_TO_MAP_KEY': {
      if (!isMemType(regType)) reject(env, typeError(regno, reg, MEM_TYPES));
      const map = env.maps[meta.map];
      checkHelperMem(env, regno, map.keySize, false, false, null);
      if (map.type === 'array' || map.type === 'percpu_array') meta.constKey = constantMapKey(env, reg, map.keySize);
      return;
    }
    case 'ARG_PTR_TO_MAP_VALUE': {
      if (!isMemType(regType)) reject(env, typeError(regno, reg, MEM_TYPES));
      const map = env.maps[meta.map];
      checkHelperMem(env, regno, map.valueSize, writes, false, uninit ? meta : null);
      return;
    }
    case 'ARG_PTR_TO_MEM':
    case 'ARG_PTR_TO_UNINIT_MEM':
      if (!isMemType(regType)) reject(env, typeError(regno, reg, MEM_TYPES));
      return;
    case 'ARG_PTR_TO_FIXED_SIZE_MEM': {
      const size = fixedMemArgSize(helper, i);
      if (size === null) reject(env, `helper ${helper.name}#${helper.id} argument ${kind} has no known size`);
      if (!isMemType(regType)) reject(env, typeError(regno, reg, MEM_TYPES));
      checkHelperMem(env, regno, size, writes, false, uninit ? meta : null);
      if (kind.includes('MEM_ALIGNED')) checkStrictPtrAlignment(env, reg, size);
      return;
    }
    case 'ARG_PTR_TO_RINGBUF_MEM':
      return;
    case 'ARG_PTR_TO_SOCK_COMMON':
    case 'ARG_PTR_TO_SOCKET':
    case 'ARG_PTR_TO_BTF_ID_SOCK_COMMON':
      return; // checked by checkSocketArg above
    case 'ARG_CONST_ALLOC_SIZE_OR_ZERO':
      if (reg.type !== 'scalar') reject(env, typeError(regno, reg, 'scalar'));
      if (!tnumIsConst(reg.varOff)) reject(env, `R${regno} is not a known constant'`);
      meta.memSize = Number(BigInt.asUintN(32, reg.varOff.value));
      markChainPrecision(env, regno);
      return;
    case 'ARG_PTR_TO_BTF_ID':
      checkBtfIdHelperArg(env, helper, regno, maybeNullArg);
      return;
    case 'ARG_PTR_TO_FUNC':
      checkFuncPointerArg(env, regno, reg, regTypeName(reg));
      return;
    case 'ARG_PTR_TO_STACK':
      if (regType.type !== 'fp' || regType.maybeNull) reject(env, typeError(regno, reg, 'fp'));
      return;
    case 'ARG_CONST_SIZE':
    case 'ARG_CONST_SIZE_OR_ZERO': {
      if (reg.type !== 'scalar') reject(env, typeError(regno, reg, 'scalar'));
      const zeroOk = baseKind === 'ARG_CONST_SIZE_OR_ZERO';
      const prevKind = helper.args[i - 1] ?? '';
      const prevWrites = prevKind.includes('MEM_WRITE') || prevKind.startsWith('ARG_PTR_TO_UNINIT_MEM');
      const prevUninit = prevKind.includes('MEM_UNINIT') || prevKind.startsWith('ARG_PTR_TO_UNINIT_MEM');
      meta.msizeMax = reg.umax;
      if (reg.smin < 0n) reject(env, `R${regno} min value is negative, either use unsigned or 'var &= const'`);
      if (reg.umin === 0n && !zeroOk) reject(env, `R${regno} invalid zero-sized read: u64=[${reg.umin},${reg.umax}]`);
      if (reg.umax >= MAX_VAR_SIZ) reject(env, `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
      const prev = env.cur.regs[regno - 1];
      // A NULL buffer of size 0: the live 6.18 kernel relies on (and marks precise) the NULL too.
      if (isNullConst(prev) && reg.umax === 0n && zeroOk) markChainPrecision(env, regno - 1);
      else checkHelperMem(env, regno - 1, Number(reg.umax), prevWrites, zeroOk, prevUninit && tnumIsConst(reg.varOff) ? meta : null);
      markChainPrecision(env, regno);
      return;
    }
    default:
      reject(env, `helper ${helper.name}#${helper.id} argument ${kind} is not simulated`);
  }
}

/** `MAX_ERRNO`. */
const MAX_ERRNO = 4095n;

/** `do_refine_retval_range`: helpers whose integer result is known to be bounded. */
function refineReturnRange(env: VerifierEnv, helper: Helper, r0: RegState, meta: CallMeta): void {
  switch (helper.name) {
    case 'bpf_get_stack':
    case 'bpf_get_task_stack':
    case 'bpf_probe_read_str':
    case 'bpf_probe_read_kernel_str':
    case 'bpf_probe_read_user_str':
      r0.smax = BigInt.asIntN(64, meta.msizeMax);
      r0.s32max = BigInt.asIntN(32, meta.msizeMax);
      r0.smin = -MAX_ERRNO;
      r0.s32min = -MAX_ERRNO;
      boundsSync(r0);
      break;
    case 'bpf_get_smp_processor_id': {
      if (env.possibleCpus === null) break;
      const max = BigInt(env.possibleCpus - 1);
      r0.umin = 0n;
      r0.u32min = 0n;
      r0.smin = 0n;
      r0.s32min = 0n;
      r0.umax = max;
      r0.u32max = max;
      r0.smax = max;
      r0.s32max = max;
      boundsSync(r0);
      break;
    }
  }
}

/** Checks `call helper#imm` and applies its effect on the registers. */
export function checkHelperCall(env: VerifierEnv, id: number): void {
  if (id < 0 || id >= FUNC_MAX_ID) reject(env, `invalid func unknown#${id}`);
  const helper = helperById(id);
  if (helper === undefined || !helper.programTypes.includes(env.progType)) reject(env, `program of this type cannot use helper ${helper?.name ?? 'unknown'}#${id}`);
  if (!env.gpl && helper.gplOnly) reject(env, 'cannot call GPL-restricted function from non-GPL compatible program');
  if (helperMightSleep(helper.name)) reject(env, MIGHT_SLEEP_ERROR);
  const meta: CallMeta = { msizeMax: 0n, map: -1, constKey: null, rawRegno: -1, rawSize: 0, memSize: 0, refObjId: 0, releaseRegno: 0 };
  for (let i = 0; i < 5; i++) {
    if (i >= helper.args.length) break;
    checkArg(env, helper, i, meta);
  }
  // record_func_key: a constant tail call index within the prog array is relied on.
  if (helper.name === 'bpf_tail_call' && meta.map >= 0 && env.maps[meta.map].type === 'prog_array') {
    const r3 = env.cur.regs[3];
    if (r3.type === 'scalar' && tnumIsConst(r3.varOff) && r3.varOff.value < BigInt(env.maps[meta.map].maxEntries)) markChainPrecision(env, 3);
  }
  if (meta.rawRegno >= 0) {
    for (let i = 0; i < meta.rawSize; i++) checkMemAccess(env, meta.rawRegno, i, 1, true, -1, false);
  }
  if (meta.releaseRegno !== 0 && !releaseReference(env.cur, meta.refObjId)) reject(env, `func ${helper.name}#${id} reference has not been acquired before`);
  if (helper.name === 'bpf_tail_call') checkReferenceLeak(env, 'tail_call');
  pushCallbackCall(env, id, meta.map >= 0 ? env.maps[meta.map].type : null);
  const regs = env.cur.regs;
  for (let r = 1; r <= 5; r++) regs[r] = notInit();
  env.scratchedRegs |= 0x3f;
  const r0 = regs[0];
  const ret = helper.ret ?? 'RET_INTEGER';
  switch (ret) {
    case 'RET_INTEGER':
      markUnknown(r0);
      refineReturnRange(env, helper, r0, meta);
      break;
    case 'RET_VOID':
      regs[0] = notInit();
      break;
    case 'RET_PTR_TO_MAP_VALUE':
    case 'RET_PTR_TO_MAP_VALUE_OR_NULL': {
      markKnown(r0, 0n);
      zeroBounds(r0);
      r0.type = 'map_value';
      r0.map = meta.map;
      r0.maybeNull = ret === 'RET_PTR_TO_MAP_VALUE_OR_NULL';
      const map = env.maps[meta.map];
      if (helper.name === 'bpf_map_lookup_elem' && (map.type === 'array' || map.type === 'percpu_array') && meta.constKey !== null && meta.constKey >= 0n && meta.constKey < BigInt(map.maxEntries)) r0.maybeNull = false;
      if (r0.maybeNull) r0.id = ++env.idGen;
      mapLookupSocket(env, helper, r0, map.type);
      break;
    }
    case 'RET_PTR_TO_RINGBUF_MEM_OR_NULL': {
      // RET_PTR_TO_MEM | MEM_RINGBUF | PTR_MAYBE_NULL: a null-check id, then the acquired
      // reference, whose id replaces it (`regs[0].id = ref_obj_id` for mark_ptr_or_null_regs).
      markKnown(r0, 0n);
      zeroBounds(r0);
      r0.type = 'ringbuf_mem';
      r0.maybeNull = true;
      r0.memSize = meta.memSize;
      r0.id = ++env.idGen;
      const ref = acquireReference(env);
      r0.id = ref;
      r0.refObjId = ref;
      break;
    }
    case 'RET_PTR_TO_SOCKET_OR_NULL':
    case 'RET_PTR_TO_SOCK_COMMON_OR_NULL':
    case 'RET_PTR_TO_TCP_SOCK_OR_NULL':
      setSocketReturn(env, helper, r0, socketReturnType(ret) ?? 'sock', meta.refObjId);
      break;
    default:
      if (isBtfIdReturn(ret)) setBtfIdReturn(env, helper, ret, r0);
      else reject(env, `helper ${helper.name}#${id} return type ${ret} is not simulated`);
  }
  if (CHANGES_PKT_DATA.has(helper.name)) {
    // clear_all_pkt_pointers: a root loader's stale packet pointers become unknown scalars.
    for (const f of allFrames(env.cur)) {
      for (const r of f.regs) if (r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end') markUnknown(r);
      for (const slot of f.stack) {
        const r = slot.spilled;
        if (slot.types[7] === StackByte.SPILL && (r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end')) markUnknown(r);
      }
    }
  }
  if (meta.map >= 0) {
    const map = env.maps[meta.map];
    const name = helper.name.replace(/^bpf_/, '');
    if (!mapFitsHelper(map.type, name)) reject(env, `cannot pass map_type ${map.typeNumber} into func ${helper.name}#${id}`);
  }
}
