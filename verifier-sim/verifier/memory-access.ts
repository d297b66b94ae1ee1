/**
 * Loads and stores through a pointer register: the kernel's `check_mem_access()` and what it
 * calls for each pointer type — the stack (`check_stack_access_within_bounds`,
 * `check_stack_{read,write}_fixed_off`), map values (`check_map_access`,
 * `check_mem_region_access`), packets (`check_packet_access`) and the context
 * (`check_ctx_access`) — with the kernel's messages. Privileged (root) rules: uninitialised
 * stack may be read, pointers may be stored anywhere.
 * @module
 */

import { pushHistory, stackAccessFlags } from './insn-history.js';
import { markChainPrecision } from './precision.js';
import { assignScalarId } from './scalar-id.js';
import { checkContextAccess } from './context-access.js';
import { copyReg, isPointer, regTypeName, type RegState } from './register-state.js';
import { coerceToSize, coerceToSizeSx, isConst, markKnown, markUnknown } from './scalar-bounds.js';
import { StackByte, isSpilled, type StackSlot } from './stack-state.js';
import { TNUM_UNKNOWN, tnumAdd, tnumConst, tnumIsAligned, tnumIsConst, tnumToString } from './tnum.js';
import { scratchSlot, type VerifierEnv } from './verifier-env.js';
import { checkSocketAccess, isSocketPointer } from './socket-pointers.js';
import { RejectError } from './verifier-error.js';
import { checkBtfIdAccess, checkFlaggedMemAccess } from './btf-id-access.js';
import { checkRawTpCtxAccess, isRawTpBtf } from './tracing-context.js';
import { frameOf, growStack, zeroBounds, type FrameState } from './verifier-state.js';

/** `BPF_MAX_VAR_OFF`: bound on variable offsets. */
export const MAX_VAR_OFF = 1 << 29;
/** `MAX_BPF_STACK`. */
export const MAX_STACK = 512;

function reject(env: VerifierEnv, msg: string, extra: readonly string[] = []): never {
  throw new RejectError(msg, env.insnIdx, extra);
}

/** `check_generic_ptr_alignment` for the stack (always strict). */
function checkStackAlignment(env: VerifierEnv, reg: RegState, off: number, size: number): void {
  if (size === 1) return;
  const t = tnumAdd(reg.varOff, tnumConst(BigInt(reg.off + off)));
  if (!tnumIsAligned(t, size)) reject(env, `misaligned stack access off ${tnumToString(reg.varOff)}+${reg.off}+${off} size ${size}`);
}

/** `__check_mem_access` failure text for `reg`'s type. */
function memAccessError(reg: RegState, regno: number, off: number, size: number, memSize: number): string {
  switch (reg.type) {
    case 'map_value':
      return `invalid access to map value, value_size=${memSize} off=${off} size=${size}`;
    case 'map_key':
      return `invalid access to map key, key_size=${memSize} off=${off} size=${size}`;
    case 'pkt':
    case 'pkt_meta':
    case 'pkt_end':
      return `invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${memSize})`;
    default:
      return `invalid access to memory, mem_size=${memSize} off=${off} size=${size}`;
  }
}

function memOk(off: bigint, size: number, memSize: number, zeroOk: boolean): boolean {
  const sizeOk = size > 0 || (size === 0 && zeroOk);
  return off >= 0n && sizeOk && off + BigInt(size) <= BigInt(memSize);
}

/** `check_mem_region_access`: a region of `memSize` bytes, through a possibly variable offset. */
export function checkMemRegion(env: VerifierEnv, regno: number, off: number, size: number, memSize: number, zeroOk: boolean): void {
  const reg = env.cur.regs[regno];
  const o = BigInt(off);
  if (reg.smin < 0n && (reg.smin === -(1n << 63n) || o + reg.smin !== BigInt.asIntN(32, o + reg.smin) || reg.smin + o < 0n)) {
    reject(env, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  if (!memOk(reg.smin + o, size, memSize, zeroOk)) {
    reject(env, memAccessError(reg, regno, Number(BigInt.asIntN(32, reg.smin + o)), size, memSize), [`R${regno} min value is outside of the allowed memory range`]);
  }
  if (reg.umax >= BigInt(MAX_VAR_OFF)) reject(env, `R${regno} unbounded memory access, make sure to bounds check any such access`);
  if (!memOk(reg.umax + o, size, memSize, zeroOk)) {
    reject(env, memAccessError(reg, regno, Number(BigInt.asIntN(32, reg.umax + o)), size, memSize), [`R${regno} max value is outside of the allowed memory range`]);
  }
}

/** `check_map_access_type`: read-only and write-only program maps. */
export function checkMapAccessType(env: VerifierEnv, reg: RegState, off: number, size: number, write: boolean): void {
  const map = env.maps[reg.map];
  if (write && (map.flags & 0x80) !== 0) reject(env, `write into map forbidden, value_size=${map.valueSize} off=${off} size=${size}`);
  if (!write && (map.flags & 0x100) !== 0) reject(env, `read from map forbidden, value_size=${map.valueSize} off=${off} size=${size}`);
}

/** `check_packet_access`. */
export function checkPacketAccess(env: VerifierEnv, regno: number, off: number, size: number, zeroOk: boolean): void {
  const reg = env.cur.regs[regno];
  if (reg.smin < 0n) reject(env, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  if (reg.range < 0 || !memOk(BigInt(off), size, reg.range, zeroOk)) {
    const text = reg.range < 0 ? `R${regno} offset is outside of the packet` : memAccessError(reg, regno, off, size, reg.range);
    reject(env, text, reg.range < 0 ? [] : [`R${regno} offset is outside of the packet`]);
  }
}

/** `check_stack_access_within_bounds`; grows the stack. `off` includes the register's fixed offset. */
export function checkStackBounds(env: VerifierEnv, regno: number, off: number, size: number, write: boolean): void {
  const reg = env.cur.regs[regno];
  const extra = write ? ' write to' : ' read from';
  let minOff: bigint;
  let maxOff: bigint;
  const constOff = tnumIsConst(reg.varOff);
  if (constOff) {
    minOff = BigInt.asIntN(64, reg.varOff.value) + BigInt(off);
    maxOff = minOff + BigInt(size);
  } else {
    if (reg.smax >= BigInt(MAX_VAR_OFF) || reg.smin <= -BigInt(MAX_VAR_OFF)) reject(env, `invalid unbounded variable-offset${extra} stack R${regno}`);
    minOff = reg.smin + BigInt(off);
    maxOff = reg.smax + BigInt(off) + BigInt(size);
  }
  const bad = minOff < -BigInt(MAX_STACK) || minOff > -1n || maxOff > 0n || size < 0;
  if (bad) {
    if (constOff) reject(env, `invalid${extra} stack R${regno} off=${off} size=${size}`);
    reject(env, `invalid variable-offset${extra} stack R${regno} var_off=${tnumToString(reg.varOff)} off=${off} size=${size}`);
  }
  growStack(frameOf(env.cur, reg.frameno), Number(-minOff));
  if (Number(-minOff) > env.stackDepth) env.stackDepth = Number(-minOff);
}

function slotAt(env: VerifierEnv, frame: FrameState, off: number): { slot: StackSlot; index: number } {
  const byte = -off - 1;
  const spi = Math.floor(byte / 8);
  scratchSlot(env, spi);
  return { slot: frame.stack[spi], index: byte % 8 };
}

function isSpillable(r: RegState): boolean {
  return isPointer(r);
}

function saveRegisterState(slot: StackSlot, reg: RegState, size: number): void {
  slot.spilled = copyReg(reg);
  let i = 8;
  for (; i > 8 - size; i--) slot.types[i - 1] = StackByte.SPILL;
  for (; i > 0; i--) {
    const t = slot.types[i - 1];
    if (t !== StackByte.ZERO && t !== StackByte.INVALID) slot.types[i - 1] = StackByte.MISC;
  }
}

/** `fls64`: the number of significant bits (`get_reg_width`). */
function bitWidth(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/** `check_stack_write_fixed_off` (privileged). */
function stackWriteFixed(env: VerifierEnv, frame: FrameState, frameno: number, off: number, size: number, value: RegState | null, stImm: number | null, valueRegno: number): void {
  const byte = -off - 1;
  const { slot } = slotAt(env, frame, off);
  const aligned = off % 8 === 0;
  // A spill is recorded for backtracking (`insn_stack_access_flags`); a plain write is not.
  let flags = stackAccessFlags(frameno, Math.floor(byte / 8));
  if (value !== null && aligned && value.type === 'scalar') {
    const fits = bitWidth(value.umax) <= size * 8;
    if (fits) assignScalarId(env, value);
    saveRegisterState(slot, value, size);
    if (!fits) slot.spilled.id = 0;
  } else if (value === null && aligned && stImm !== null) {
    const tmp: RegState = { ...copyReg(env.cur.regs[0]), type: 'scalar', maybeNull: false, off: 0, frameno: 0, id: 0, range: 0, map: -1, memSize: 0, refObjId: 0, btf: null, typeFlags: 0 };
    markKnown(tmp, BigInt(stImm));
    saveRegisterState(slot, tmp, size);
  } else if (value !== null && isSpillable(value)) {
    if (size !== 8) reject(env, 'invalid size of register spill');
    saveRegisterState(slot, value, size);
  } else {
    let type: number = StackByte.MISC;
    slot.spilled = { ...slot.spilled, type: 'not_init' };
    if (slot.types[7] === StackByte.SPILL || slot.types[7] === StackByte.ITER) for (let i = 0; i < 8; i++) if (slot.types[i] !== StackByte.INVALID) slot.types[i] = StackByte.MISC;
    const isZero = value !== null ? value.type === 'scalar' && isConst(value, false) && value.varOff.value === 0n : stImm === 0;
    if (isZero) {
      // STACK_ZERO relies on the stored register being exactly zero.
      markChainPrecision(env, valueRegno);
      type = StackByte.ZERO;
    }
    for (let i = 0; i < size; i++) slot.types[(byte - i) % 8] = type;
    flags = 0;
  }
  if (flags !== 0) pushHistory(env, env.cur, flags, null);
}

/** `check_stack_write` with a variable offset (privileged): every byte in range becomes MISC. */
function stackWriteVar(env: VerifierEnv, frame: FrameState, regno: number, off: number, size: number): void {
  const reg = env.cur.regs[regno];
  const minOff = Number(reg.smin) + off;
  const maxOff = Number(reg.smax) + off + size;
  for (let i = minOff; i < maxOff; i++) {
    const { slot, index } = slotAt(env, frame, i);
    if (slot.types[7] === StackByte.SPILL) {
      for (let j = 0; j < 8; j++) if (slot.types[j] !== StackByte.INVALID) slot.types[j] = StackByte.MISC;
      slot.spilled = { ...slot.spilled, type: 'not_init' };
    }
    slot.types[index] = StackByte.MISC;
  }
}

/** `check_stack_read_fixed_off` (privileged: uninitialised bytes read as unknown). */
function stackReadFixed(env: VerifierEnv, frame: FrameState, frameno: number, off: number, size: number, dst: number): void {
  const byte = -off - 1;
  const { slot } = slotAt(env, frame, off);
  const regs = env.cur.regs;
  // A fill restores the spilled register: recorded for backtracking.
  const fill = (): void => pushHistory(env, env.cur, stackAccessFlags(frameno, Math.floor(byte / 8)), null);
  if (isSpilled(slot)) {
    let spillSize = 1;
    for (let i = 7; i > 0 && slot.types[i - 1] === StackByte.SPILL; i--) spillSize++;
    if (size !== 8 || spillSize !== 8) {
      if (slot.spilled.type !== 'scalar') reject(env, 'invalid size of register fill');
      if (dst < 0) return;
      if (size <= spillSize && off % 8 === 0) {
        regs[dst] = copyReg(slot.spilled);
        fill();
        return;
      }
      let spillCnt = 0;
      let zeroCnt = 0;
      for (let i = 0; i < size; i++) {
        const t = slot.types[(byte - i) % 8];
        if (t === StackByte.SPILL) spillCnt++;
        else if (t === StackByte.ZERO) zeroCnt++;
      }
      if (spillCnt === size && tnumIsConst(slot.spilled.varOff) && slot.spilled.varOff.value === 0n) {
        markKnown(regs[dst], 0n);
        fill();
      } else if (zeroCnt === size) markKnown(regs[dst], 0n);
      else markUnknown(regs[dst]);
      return;
    }
    if (dst >= 0) regs[dst] = copyReg(slot.spilled);
    fill();
    return;
  }
  // Iterator slots (STACK_ITER) may not be read as data.
  for (let i = 0; i < size; i++) if (slotAt(env, frame, off + i).slot.types[(-(off + i) - 1) % 8] === StackByte.ITER) reject(env, `invalid read from stack off ${off}+${i} size ${size}`);
  if (dst < 0) return;
  let zeros = 0;
  for (let i = off; i < off + size; i++) {
    const s = slotAt(env, frame, i);
    if (s.slot.types[s.index] !== StackByte.ZERO) break;
    zeros++;
  }
  if (zeros === size) markKnown(regs[dst], 0n);
  else markUnknown(regs[dst]);
}

/** A variable-offset stack read (privileged): the value is unknown unless every byte is zero. */
function stackReadVar(env: VerifierEnv, frame: FrameState, regno: number, off: number, size: number, dst: number): void {
  const reg = env.cur.regs[regno];
  const minOff = Number(reg.smin) + off;
  const maxOff = Number(reg.smax) + off + size;
  let allZero = true;
  for (let i = minOff; i < maxOff; i++) {
    const { slot, index } = slotAt(env, frame, i);
    if (slot.types[index] !== StackByte.ZERO) allZero = false;
  }
  if (allZero) markKnown(env.cur.regs[dst], 0n);
  else markUnknown(env.cur.regs[dst]);
}

/** `check_ptr_off_reg` for the context: only the unmodified pointer may be dereferenced. */
function checkPtrOffReg(env: VerifierEnv, reg: RegState, regno: number, fixedOffOk: boolean): void {
  if (reg.off < 0) reject(env, `negative offset ${regTypeName(reg)} ptr R${regno} off=${reg.off} disallowed`);
  if (!fixedOffOk && reg.off !== 0) reject(env, `dereference of modified ${regTypeName(reg)} ptr R${regno} off=${reg.off} disallowed`);
  if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) reject(env, `variable ${regTypeName(reg)} access var_off=${tnumToString(reg.varOff)} disallowed`);
}

/** Export for helper argument checks. */
export { checkPtrOffReg };

function mayWritePacket(env: VerifierEnv): boolean {
  switch (env.progType) {
    case 'sched_cls':
    case 'sched_act':
    case 'xdp':
    case 'lwt_xmit':
    case 'sk_skb':
    case 'sk_msg':
    case 'cgroup_sockopt':
      return true;
    default:
      return false;
  }
}

/**
 * `check_mem_access`: `size` bytes at `regs[regno] + off`. For reads, `valueRegno` receives
 * the loaded value (or -1); for writes it is the stored register (or -1 for an immediate,
 * whose value is `stImm`).
 */
export function checkMemAccess(env: VerifierEnv, regno: number, off: number, size: number, write: boolean, valueRegno: number, ldsx: boolean, stImm: number | null = null): void {
  const regs = env.cur.regs;
  const reg = regs[regno];
  if (reg.type === 'fp') checkStackAlignment(env, reg, off, size);
  off += reg.off;
  if (reg.type === 'map_value' && !reg.maybeNull) {
    checkMapAccessType(env, reg, off, size, write);
    checkMemRegion(env, regno, off, size, env.maps[reg.map].valueSize, false);
    if (!write && valueRegno >= 0) markUnknown(regs[valueRegno]);
  } else if ((reg.type === 'mem' || reg.type === 'ringbuf_mem') && !reg.maybeNull) {
    if (reg.typeFlags === 0 || !checkFlaggedMemAccess(env, regno, write)) checkMemRegion(env, regno, off, size, reg.memSize, false);
    if (!write && valueRegno >= 0) markUnknown(regs[valueRegno]);
  } else if (reg.type === 'map_key') {
    // A bpf_for_each_map_elem callback's key: read-only, key_size bytes.
    if (write) reject(env, `write to change key R${regno} not allowed`);
    checkMemRegion(env, regno, off, size, env.maps[reg.map].keySize, false);
    if (valueRegno >= 0) markUnknown(regs[valueRegno]);
  } else if (reg.type === 'ctx' && isRawTpBtf(env)) {
    checkPtrOffReg(env, reg, regno, false);
    checkRawTpCtxAccess(env, off, size, write, valueRegno);
  } else if (reg.type === 'ctx') {
    checkPtrOffReg(env, reg, regno, false);
    const r = checkContextAccess(env.progType, env.attachType, off, size, write, ldsx);
    if (r === null) reject(env, `context of program type ${env.progType} is not simulated`);
    if (!r.ok) reject(env, `invalid bpf_context access off=${off} size=${size}`);
    if (!write && valueRegno >= 0) {
      const dst = regs[valueRegno];
      if (r.result === 'scalar') markUnknown(dst);
      else {
        markKnown(dst, 0n);
        dst.type = r.result;
        dst.maybeNull = r.maybeNull === true;
        if (dst.maybeNull) dst.id = ++env.idGen;
        zeroBounds(dst);
      }
    }
  } else if (reg.type === 'fp') {
    checkStackBounds(env, regno, off, size, write);
    const constOff = tnumIsConst(reg.varOff);
    const frame = frameOf(env.cur, reg.frameno);
    if (write) {
      if (constOff) stackWriteFixed(env, frame, reg.frameno, off + Number(BigInt.asIntN(64, reg.varOff.value)), size, valueRegno >= 0 ? regs[valueRegno] : null, stImm, valueRegno);
      else stackWriteVar(env, frame, regno, off, size);
    } else if (constOff) {
      stackReadFixed(env, frame, reg.frameno, off + Number(BigInt.asIntN(64, reg.varOff.value)), size, valueRegno);
    } else {
      if (valueRegno < 0) reject(env, `variable offset stack pointer cannot be passed into helper function; var_off=${tnumToString(reg.varOff)} off=${off} size=${size}`);
      stackReadVar(env, frame, regno, off, size, valueRegno);
    }
  } else if ((reg.type === 'pkt' || reg.type === 'pkt_meta') && !reg.maybeNull) {
    if (write && !mayWritePacket(env)) reject(env, 'cannot write into packet');
    checkPacketAccess(env, regno, off, size, false);
    if (!write && valueRegno >= 0) markUnknown(regs[valueRegno]);
  } else if (reg.type === 'btf_id' && !reg.maybeNull) {
    checkBtfIdAccess(env, regno, off, size, write, valueRegno);
  } else if (isSocketPointer(reg)) {
    checkSocketAccess(env, regno, off, size, write);
    if (valueRegno >= 0) markUnknown(regs[valueRegno]);
  } else {
    reject(env, `R${regno} invalid mem access '${regTypeName(reg)}'`);
  }
  if (!write && valueRegno >= 0 && size < 8 && regs[valueRegno].type === 'scalar') {
    if (ldsx) coerceToSizeSx(regs[valueRegno], size);
    else coerceToSize(regs[valueRegno], size);
  }
}

/** An unknown scalar, for callers that need a fresh register. */
export function unknownScalar(): RegState {
  const r: RegState = { type: 'scalar', maybeNull: false, off: 0, frameno: 0, id: 0, range: 0, map: -1, memSize: 0, refObjId: 0, btf: null, typeFlags: 0, varOff: TNUM_UNKNOWN, smin: 0n, smax: 0n, umin: 0n, umax: 0n, s32min: 0n, s32max: 0n, u32min: 0n, u32max: 0n, precise: false };
  markUnknown(r);
  return r;
}
