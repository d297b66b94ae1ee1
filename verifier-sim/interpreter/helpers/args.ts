/**
 * Reading helper arguments from R1–R5 and writing the result to R0.
 * @module
 */

import { InterpreterError } from '../errors.js';
import type { SimMap } from '../maps/sim-map.js';
import type { Located } from '../memory.js';
import type { PacketState } from '../context/packet-state.js';
import type { Region } from '../region.js';
import type { HelperContext } from './helper-context.js';

/** Register `r` as an unsigned 64-bit bigint. */
export function argU64(h: HelperContext, r: number): bigint {
  return (BigInt(h.hi[r] >>> 0) << 32n) | BigInt(h.lo[r] >>> 0);
}

/** The packet of the program's context (R1) when it is of `kind`; an InterpreterError naming `helper` otherwise. */
export function argPacket(h: HelperContext, kind: 'skb' | 'xdp', helper: string): PacketState {
  const p = h.packet;
  if (p === null || p.kind !== kind) throw new InterpreterError('helper_args', h.insn, `${helper}: the program has no ${kind} packet`, { helper });
  return p;
}

/**
 * The instruction slot of the callback function in register `r` (an `ld_imm64` with
 * `BPF_PSEUDO_FUNC`); an InterpreterError naming `helper` when `r` holds anything else.
 */
export function argCallback(h: HelperContext, r: number, helper: string): number {
  const t = h.tag[r];
  const fn = t === 0 ? undefined : h.memory.regions[t];
  if (fn === undefined || fn.kind !== 'func') throw new InterpreterError('helper_args', h.insn, `${helper}: R${r} is not a callback function (ld_imm64 with BPF_PSEUDO_FUNC)`, { helper });
  return fn.funcSlot;
}

/** Low 32 bits of register `r`, unsigned. */
export function argU32(h: HelperContext, r: number): number {
  return h.lo[r] >>> 0;
}

/** Register `r` as a number when it fits in 53 bits unsigned, else Infinity (for sizes and counts). */
export function argSize(h: HelperContext, r: number): number {
  const hi = h.hi[r] >>> 0;
  return hi > 0x1fffff ? Infinity : hi * 4294967296 + (h.lo[r] >>> 0);
}

/** The map register `r` points to; a `helper_args` error names the helper otherwise. */
export function argMap<M extends SimMap = SimMap>(h: HelperContext, r: number, helper: string, type?: abstract new (...a: never[]) => M): M {
  const t = h.tag[r];
  const region = t === 0 ? undefined : h.memory.regions[t];
  const map = region?.kind === 'map' ? region.map : null;
  if (map === null) throw new InterpreterError('helper_args', h.insn, `${helper}: R${r} is not a map pointer`, { helper });
  if (type !== undefined && !(map instanceof type)) throw new InterpreterError('helper_args', h.insn, `${helper}: map '${map.name}' of type ${map.type} is not supported here`, { helper });
  return map as M;
}

/** The memory register `r` points to, `size` bytes, checked for `type`. */
export function argMem(h: HelperContext, r: number, size: number, type: 'read' | 'write', helper: string): Located {
  return h.memory.locate(h.insn, h.tag[r], h.lo[r], h.hi[r], size, type, `${helper} argument R${r}`);
}

/** R0 = `n` (a safe integer, sign-extended to 64 bits when negative). */
export function setR0(h: HelperContext, n: number): void {
  h.lo[0] = n | 0;
  h.hi[0] = n < 0 ? (n >= -2147483648 ? -1 : Math.floor(n / 4294967296) | 0) : Math.floor(n / 4294967296) | 0;
  h.tag[0] = 0;
}

/** R0 = `v` (a 64-bit value). */
export function setR0Big(h: HelperContext, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  h.lo[0] = Number(u & 0xffffffffn) | 0;
  h.hi[0] = Number(u >> 32n) | 0;
  h.tag[0] = 0;
}

/** R0 = a pointer `offset` bytes into `region`. */
export function setR0Pointer(h: HelperContext, region: Region, offset: number): void {
  h.lo[0] = offset | 0;
  h.hi[0] = region.baseHi;
  h.tag[0] = region.id;
}
