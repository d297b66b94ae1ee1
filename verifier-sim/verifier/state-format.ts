/**
 * Register and stack state as the verifier log prints it (`print_verifier_state`,
 * `print_reg_state`, `print_scalar_ranges`, `tnum_strn` in kernel/bpf/log.c):
 * ` R0=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R1=ctx() R10=fp0 fp-8=mmmmmmmm`.
 * @module
 */

import type { MapInfo } from './verifier-env.js';
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, baseId, hasAddConst, regTypeName, type RegState } from './register-state.js';
import { StackByte, type StackSlot } from './stack-state.js';
import { formatIterSlot } from './iterator-num.js';
import { U32_MAX, U64_MAX, tnumIsConst, tnumIsUnknown, tnumToString } from './tnum.js';
import type { FrameState } from './verifier-state.js';

const SLOT_CHARS = ['?', 'r', 'm', '0'];

function unum(v: bigint): string {
  return v <= 0xffffn ? v.toString() : `0x${v.toString(16)}`;
}

function snum(v: bigint): string {
  return v >= -32768n && v <= 32767n ? v.toString() : `0x${BigInt.asUintN(64, v).toString(16)}`;
}

function scalarRanges(r: RegState): string[] {
  const s32 = (v: bigint) => (v >= -32768n && v <= 32767n ? v : BigInt.asUintN(32, v));
  const items = [
    { name: 'smin', val: BigInt.asUintN(64, r.smin), omit: r.smin === S64_MIN },
    { name: 'smax', val: BigInt.asUintN(64, r.smax), omit: r.smax === S64_MAX },
    { name: 'umin', val: r.umin, omit: r.umin === 0n },
    { name: 'umax', val: r.umax, omit: r.umax === U64_MAX },
    { name: 'smin32', val: BigInt.asUintN(64, s32(r.s32min)), omit: r.s32min === S32_MIN },
    { name: 'smax32', val: BigInt.asUintN(64, s32(r.s32max)), omit: r.s32max === S32_MAX },
    { name: 'umin32', val: r.u32min, omit: r.u32min === 0n },
    { name: 'umax32', val: r.u32max, omit: r.u32max === U32_MAX },
  ];
  const out: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const m1 = items[i];
    if (m1.omit) continue;
    const neg1 = m1.name[0] === 's' && BigInt.asIntN(64, m1.val) < 0n;
    let text = `${m1.name}=`;
    for (let j = i + 2; j < items.length; j += 2) {
      const m2 = items[j];
      if (m2.omit || m2.val !== m1.val) continue;
      const neg2 = m2.name[0] === 's' && BigInt.asIntN(64, m2.val) < 0n;
      if (neg2 !== neg1) continue;
      m2.omit = true;
      text += `${m2.name}=`;
    }
    text += m1.name[0] === 's' ? snum(BigInt.asIntN(64, m1.val)) : unum(m1.val);
    out.push(text);
  }
  return out;
}

/** One register's value as `print_reg_state` prints it (after `R%d=`). */
export function formatReg(r: RegState, maps: readonly MapInfo[], frameno = 0): string {
  let prefix = '';
  if (r.type === 'scalar' && r.precise) prefix = 'P';
  if (r.type === 'scalar' && tnumIsConst(r.varOff)) return prefix + snum(BigInt.asIntN(64, r.varOff.value));
  let s = prefix + regTypeName(r);
  if (r.type === 'fp' && r.frameno !== frameno) s += `[${r.frameno}]`;
  if (r.type === 'fp' && tnumIsConst(r.varOff)) return s + snum(BigInt.asIntN(64, r.varOff.value) + BigInt(r.off));
  if (r.type === 'btf_id' && r.btf !== null) s += r.btf.name;
  const attrs: string[] = [];
  if (r.id !== 0) attrs.push(hasAddConst(r.id) ? `id=${baseId(r.id)}${r.off < 0 ? r.off : `+${r.off}`}` : `id=${r.id}`);
  if (r.refObjId !== 0) attrs.push(`ref_obj_id=${r.refObjId}`);
  if ((r.type === 'map_ptr' || r.type === 'map_value' || r.type === 'map_key') && r.map >= 0 && r.map < maps.length) attrs.push(`ks=${maps[r.map].keySize},vs=${maps[r.map].valueSize}`);
  if (r.type !== 'scalar' && r.off !== 0) attrs.push(`off=${snum(BigInt(r.off))}`);
  if (r.type === 'pkt' || r.type === 'pkt_meta') // `range` is an int printed as a u64: the pkt_end markers (-1, -2) show sign-extended.
    attrs.push(`r=${unum(BigInt.asUintN(64, BigInt(r.range)))}`);
  if (r.type === 'mem' || r.type === 'ringbuf_mem') attrs.push(`sz=${unum(BigInt(r.memSize))}`);
  if (tnumIsConst(r.varOff)) {
    if (r.varOff.value !== 0n) attrs.push(`imm=${snum(BigInt.asIntN(64, r.varOff.value))}`);
  } else {
    attrs.push(...scalarRanges(r));
    if (!tnumIsUnknown(r.varOff)) attrs.push(`var_off=${tnumToString(r.varOff)}`);
  }
  s += `(${attrs.join(',')})`;
  return s;
}

function formatSlot(spi: number, slot: StackSlot, maps: readonly MapInfo[], frameno: number): string | null {
  let types = '';
  let valid = false;
  for (let j = 0; j < 8; j++) {
    if (slot.types[j] !== 0) valid = true;
    types += SLOT_CHARS[slot.types[j]] ?? '?';
  }
  if (!valid) return null;
  const off = (-spi - 1) * 8;
  if (slot.types[7] === StackByte.ITER) return slot.spilled.refObjId === 0 ? null : formatIterSlot(spi, slot);
  if (slot.types[7] === 1) {
    const j = slot.types.indexOf(1);
    return ` fp${off}=${types.slice(0, j)}${formatReg(slot.spilled, maps, frameno)}`;
  }
  return ` fp${off}=${types}`;
}

/**
 * A frame as `print_verifier_state` prints it: ` frameN:` for callee frames, registers (all,
 * or those in `regMask`) then stack slots (all, or those in `stackMask`), each with a leading
 * space; no newline.
 */
export function formatState(s: FrameState, maps: readonly MapInfo[], regMask: number, stackMask: bigint, frameno = 0): string {
  let out = frameno !== 0 ? ` frame${frameno}:` : '';
  for (let i = 0; i <= 10; i++) {
    const r = s.regs[i];
    if (r.type === 'not_init' || (regMask & (1 << i)) === 0) continue;
    out += ` R${i}=${formatReg(r, maps, frameno)}`;
  }
  for (let spi = 0; spi < s.allocatedStack / 8; spi++) {
    if ((stackMask & (1n << BigInt(spi))) === 0n) continue;
    const text = formatSlot(spi, s.stack[spi], maps, frameno);
    if (text !== null) out += text;
  }
  return out;
}
