/**
 * `ld_imm64` builders (every pseudo source) and the legacy packet loads `LD_ABS`/`LD_IND`.
 *
 * | builder | kernel text |
 * |---|---|
 * | `LoadImm64(R1, 0x1122334455667788n)` | `r1 = 0x1122334455667788` |
 * | `LoadMapPtr(R1, 'events')` | `r1 = map[...]` (fd or fd_array index resolved at encode time) |
 * | `LoadAbs(Size.H, 12)` | `r0 = *(u16 *)skb[12]` |
 * @module
 */

import { EncodeError } from './errors.js';
import { makeInstruction, type Instruction } from './instruction.js';
import { imm32, label, reg } from './operand.js';
import { Class, LD_IMM64, Mode, Pseudo, Size } from './opcode.js';
import { R0, type Register } from './register.js';

function imm64(who: string, v: bigint | number): bigint {
  const b = typeof v === 'number' ? (Number.isSafeInteger(v) ? BigInt(v) : NaN) : v;
  if (typeof b !== 'bigint' || b < -(1n << 63n) || b >= 1n << 64n) throw new EncodeError(`${who}: ${String(v)} does not fit in 64 bits`);
  return b;
}

/** `dst = imm` with a 64-bit constant (two slots). Negative values are stored as two's complement. */
export function LoadImm64(dst: Register, value: bigint | number): Instruction {
  return makeInstruction(LD_IMM64, reg('LoadImm64', dst), Pseudo.NONE, 0, BigInt.asUintN(64, imm64('LoadImm64', value)));
}

/**
 * `dst = map`: a map pointer. `map` is a name (resolved at encode time to an fd, or to an
 * fd_array index with `BPF_PSEUDO_MAP_IDX`) or an fd number (`BPF_PSEUDO_MAP_FD`).
 */
export function LoadMapPtr(dst: Register, map: string | number): Instruction {
  if (typeof map === 'string') return makeInstruction(LD_IMM64, reg('LoadMapPtr', dst), Pseudo.MAP_FD, 0, 0n, { kind: 'map', name: label('LoadMapPtr', map) });
  return makeInstruction(LD_IMM64, reg('LoadMapPtr', dst), Pseudo.MAP_FD, 0, BigInt(imm32('LoadMapPtr', map) >>> 0));
}

/** `dst = &map_value[offset]` (`BPF_PSEUDO_MAP_VALUE`): global data. `map` is a name or an fd. */
export function LoadMapValue(dst: Register, map: string | number, offset: number): Instruction {
  const off = imm32('LoadMapValue', offset) >>> 0;
  if (typeof map === 'string') return makeInstruction(LD_IMM64, reg('LoadMapValue', dst), Pseudo.MAP_VALUE, 0, BigInt(off) << 32n, { kind: 'map', name: label('LoadMapValue', map), valueOffset: off });
  return makeInstruction(LD_IMM64, reg('LoadMapValue', dst), Pseudo.MAP_VALUE, 0, (BigInt(off) << 32n) | BigInt(imm32('LoadMapValue', map) >>> 0));
}

/** `dst = map` by index into the load's fd_array (`BPF_PSEUDO_MAP_IDX`). Requires Linux 5.14. */
export function LoadMapIdx(dst: Register, index: number): Instruction {
  return makeInstruction(LD_IMM64, reg('LoadMapIdx', dst), Pseudo.MAP_IDX, 0, BigInt(imm32('LoadMapIdx', index) >>> 0));
}

/** `dst = &map_value[offset]` by fd_array index (`BPF_PSEUDO_MAP_IDX_VALUE`). Requires Linux 5.14. */
export function LoadMapIdxValue(dst: Register, index: number, offset: number): Instruction {
  return makeInstruction(LD_IMM64, reg('LoadMapIdxValue', dst), Pseudo.MAP_IDX_VALUE, 0, (BigInt(imm32('LoadMapIdxValue', offset) >>> 0) << 32n) | BigInt(imm32('LoadMapIdxValue', index) >>> 0));
}

/** `dst = &ksym` by BTF id of a kernel variable (`BPF_PSEUDO_BTF_ID`); `btfFd` for module BTF. */
export function LoadBtfId(dst: Register, btfId: number, btfFd = 0): Instruction {
  return makeInstruction(LD_IMM64, reg('LoadBtfId', dst), Pseudo.BTF_ID, 0, (BigInt(imm32('LoadBtfId', btfFd) >>> 0) << 32n) | BigInt(imm32('LoadBtfId', btfId) >>> 0));
}

/** `dst = &subprog` (`BPF_PSEUDO_FUNC`): a callback for bpf_loop, timers, for_each_map_elem. */
export function LoadFunc(dst: Register, to: string | number): Instruction {
  if (typeof to === 'number') return makeInstruction(LD_IMM64, reg('LoadFunc', dst), Pseudo.FUNC, 0, BigInt(imm32('LoadFunc', to) >>> 0));
  return makeInstruction(LD_IMM64, reg('LoadFunc', dst), Pseudo.FUNC, 0, 0n, { kind: 'func', label: label('LoadFunc', to) });
}

function packetSize(who: string, sz: Size): Size {
  if (sz !== Size.B && sz !== Size.H && sz !== Size.W) throw new RangeError(`${who}: size ${String(sz)} is not Size.B, Size.H or Size.W`);
  return sz;
}

/** Legacy `r0 = *(u16 *)skb[12]`: network-order packet load at a constant offset (socket filters). */
export function LoadAbs(sz: Size, offset: number): Instruction {
  return makeInstruction(Class.LD | Mode.ABS | packetSize('LoadAbs', sz), R0, 0, 0, imm32('LoadAbs', offset));
}

/** Legacy `r0 = *(u32 *)skb[r1 + 4]`: packet load at src + offset. */
export function LoadInd(sz: Size, src: Register, offset: number): Instruction {
  return makeInstruction(Class.LD | Mode.IND | packetSize('LoadInd', sz), R0, reg('LoadInd', src), 0, imm32('LoadInd', offset));
}
