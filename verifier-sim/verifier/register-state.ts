/**
 * The abstract state of one register, after the kernel's `struct bpf_reg_state`
 * (include/linux/bpf_verifier.h): a type, a fixed offset for pointers, an id linking copies
 * (maybe-null pointers, packet pointers), the packet range, the map it points into, and the
 * scalar part (tnum + signed/unsigned 64- and 32-bit bounds) that scalars and pointer
 * variable offsets share. All bounds are `bigint`s: `smin`/`smax`/`s32min`/`s32max` signed,
 * the others unsigned.
 * @module
 */

import { TNUM_UNKNOWN, U32_MAX, U64_MAX, type Tnum } from './tnum.js';
import { typeFlagsPrefix, type BtfPointee } from './btf-pointee.js';

/** Register types the simulator tracks (the kernel's `enum bpf_reg_type`, base types). */
export type RegType =
  | 'not_init'
  | 'scalar'
  | 'ctx'
  | 'map_ptr'
  | 'map_value'
  | 'fp'
  | 'pkt'
  | 'pkt_meta'
  | 'pkt_end'
  | 'sock_common'
  | 'sock'
  | 'tcp_sock'
  | 'xdp_sock'
  | 'mem'
  | 'ringbuf_mem'
  | 'btf_id'
  | 'func'
  | 'map_key';

/** The kernel's S64_MIN, S64_MAX, S32_MIN, S32_MAX. */
export const S64_MIN = -(1n << 63n);
/** The kernel's S64_MAX. */
export const S64_MAX = (1n << 63n) - 1n;
/** The kernel's S32_MIN. */
export const S32_MIN = -(1n << 31n);
/** The kernel's S32_MAX. */
export const S32_MAX = (1n << 31n) - 1n;

/** One register's abstract value; mutable, copied with {@link copyReg}. */
export interface RegState {
  /** Base type. */
  type: RegType;
  /** `PTR_MAYBE_NULL`: the pointer may be NULL until checked. */
  maybeNull: boolean;
  /** Fixed offset of a pointer from its base. */
  off: number;
  /** Stack pointers: the call frame whose stack they point into (0 = main program). */
  frameno: number;
  /** Identity shared by copies: null checks and packet range updates apply to every copy. */
  id: number;
  /** Packet pointers: bytes known in bounds after `off` (negative: at/beyond pkt_end markers). */
  range: number;
  /** Map pointers, map keys and map values: index of the map in the program's map list; `func` (PTR_TO_FUNC): the subprogram's first slot. */
  map: number;
  /** Size of the memory a `mem` or `ringbuf_mem` pointer points to. */
  memSize: number;
  /** `ref_obj_id`: the acquired reference this pointer holds (0 = none); released with it. */
  refObjId: number;
  /** `PTR_TO_BTF_ID`: the kernel type pointed to (`btf`, `btf_id`); null otherwise. */
  btf: BtfPointee | null;
  /** Type flags other than PTR_MAYBE_NULL ({@link TypeFlag} bits: trusted, rcu, untrusted, rdonly, …). */
  typeFlags: number;
  /** Known and unknown bits. */
  varOff: Tnum;
  /** Signed 64-bit minimum. */
  smin: bigint;
  /** Signed 64-bit maximum. */
  smax: bigint;
  /** Unsigned 64-bit minimum. */
  umin: bigint;
  /** Unsigned 64-bit maximum. */
  umax: bigint;
  /** Signed 32-bit minimum of the low half. */
  s32min: bigint;
  /** Signed 32-bit maximum of the low half. */
  s32max: bigint;
  /** Unsigned 32-bit minimum of the low half. */
  u32min: bigint;
  /** Unsigned 32-bit maximum of the low half. */
  u32max: bigint;
  /**
   * Scalars: the value matters for safety (`precise`; printed as a `P` prefix). Set on explored
   * states by precision backtracking (precision.ts); state comparison ignores imprecise scalars.
   */
  precise: boolean;
}

/** A register that was never written (`NOT_INIT`). */
export function notInit(): RegState {
  return {
    type: 'not_init',
    maybeNull: false,
    off: 0,
    frameno: 0,
    id: 0,
    range: 0,
    map: -1,
    memSize: 0,
    refObjId: 0,
    btf: null,
    typeFlags: 0,
    varOff: TNUM_UNKNOWN,
    smin: S64_MIN,
    smax: S64_MAX,
    umin: 0n,
    umax: U64_MAX,
    s32min: S32_MIN,
    s32max: S32_MAX,
    u32min: 0n,
    u32max: U32_MAX,
    precise: false,
  };
}

/** `BPF_ADD_CONST`: flag in a scalar's id meaning "linked register plus `off`" (`r2 = r1; r2 += 4`). */
export const ADD_CONST = 2 ** 31;

/** The id without the {@link ADD_CONST} flag. */
export function baseId(id: number): number {
  return id >= ADD_CONST ? id - ADD_CONST : id;
}

/** Whether the id carries the {@link ADD_CONST} flag. */
export function hasAddConst(id: number): boolean {
  return id >= ADD_CONST;
}

/** A copy of `r` (tnums are immutable, so a shallow copy is enough). */
export function copyReg(r: RegState): RegState {
  // An explicit literal keeps every register the same hidden class (faster than a spread).
  return {
    type: r.type,
    maybeNull: r.maybeNull,
    off: r.off,
    frameno: r.frameno,
    id: r.id,
    range: r.range,
    map: r.map,
    memSize: r.memSize,
    refObjId: r.refObjId,
    btf: r.btf,
    typeFlags: r.typeFlags,
    varOff: r.varOff,
    smin: r.smin,
    smax: r.smax,
    umin: r.umin,
    umax: r.umax,
    s32min: r.s32min,
    s32max: r.s32max,
    u32min: r.u32min,
    u32max: r.u32max,
    precise: r.precise,
  };
}

/** Whether `r` holds a pointer (anything but NOT_INIT and SCALAR_VALUE). */
export function isPointer(r: RegState): boolean {
  return r.type !== 'scalar' && r.type !== 'not_init';
}

/** Whether `r` is any kind of packet pointer (`reg_is_pkt_pointer_any`). */
export function isPacketPointerAny(r: RegState): boolean {
  return r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end';
}

/**
 * The type name as the kernel's `reg_type_str()` prints it: `map_value_or_null`, `fp`,
 * `trusted_ptr_`, `ptr_or_null_`, `rdonly_untrusted_mem`, …
 */
export function regTypeName(r: { type: RegType; maybeNull: boolean; typeFlags?: number }): string {
  if (r.type === 'btf_id') return `${typeFlagsPrefix(r.typeFlags ?? 0)}ptr_${r.maybeNull ? 'or_null_' : ''}`;
  const base = r.type === 'not_init' ? '?' : r.type;
  const name = r.typeFlags ? typeFlagsPrefix(r.typeFlags) + base : base;
  return r.maybeNull ? `${name}_or_null` : name;
}
