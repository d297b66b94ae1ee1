/**
 * ALU instructions: reserved-field checks, operand checks and the effect on the destination
 * register — scalar range arithmetic, and pointer arithmetic with its restrictions
 * (`check_alu_op`, `adjust_reg_min_max_vals`, `adjust_ptr_min_max_vals` and
 * `check_reg_sane_offset` in kernel/bpf/verifier.c), for a privileged loader.
 * @module
 */

import { markChainPrecision } from './precision.js';
import { checkReadable, checkWritable } from './register-access.js';
import { ADD_CONST, copyReg, hasAddConst, isPointer, regTypeName, type RegState } from './register-state.js';
import { scalarAlu, scalarByteSwap, constReg, type ScalarAluOp } from './scalar-alu.js';
import { boundsSync, coerceSubregToSizeSx, coerceToSizeSx, constValue, isConst, mark32Unbounded, markKnown, markUnknown, zext32To64 } from './scalar-bounds.js';
import { S64_MAX, S64_MIN } from './register-state.js';
import { U64_MAX, tnumAdd, tnumIsConst, tnumSub } from './tnum.js';
import { MAX_VAR_OFF } from './memory-access.js';
import type { Slot } from './program-slots.js';
import { immediateReg, type VerifierEnv } from './verifier-env.js';
import { assignScalarId } from './scalar-id.js';
import { RejectError } from './verifier-error.js';

const OP_NAMES: readonly ScalarAluOp[] = ['add', 'sub', 'mul', 'other', 'or', 'and', 'lsh', 'rsh', 'neg', 'other', 'xor', 'other', 'arsh', 'other', 'other', 'other'];
/** `bpf_alu_string[]`, used in pointer-arithmetic messages. */
const ALU_STRINGS: readonly string[] = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian', '', ''];

function reject(env: VerifierEnv, msg: string): never {
  throw new RejectError(msg, env.insnIdx);
}

function checkSaneOffset(env: VerifierEnv, reg: RegState, typeName: string): void {
  const known = tnumIsConst(reg.varOff);
  const val = BigInt.asIntN(64, reg.varOff.value);
  const lim = BigInt(MAX_VAR_OFF);
  if (known && (val >= lim || val <= -lim)) reject(env, `math between ${typeName} pointer and ${val} is not allowed`);
  if (reg.off >= MAX_VAR_OFF || reg.off <= -MAX_VAR_OFF) reject(env, `${typeName} pointer offset ${reg.off} is not allowed`);
  if (reg.smin === S64_MIN) reject(env, `math between ${typeName} pointer and register with unbounded min value is not allowed`);
  if (reg.smin >= lim || reg.smin <= -lim) reject(env, `value ${reg.smin} makes ${typeName} pointer be out of bounds`);
}

function ovfAdd(a: bigint, b: bigint, signed: boolean): [bigint, boolean] {
  const r = signed ? BigInt.asIntN(64, a + b) : BigInt.asUintN(64, a + b);
  return [r, r !== a + b];
}

/** `adjust_ptr_min_max_vals`: `dst = ptr op off` for a pointer and a scalar. */
function adjustPointer(env: VerifierEnv, slot: Slot, dstRegno: number, ptr: RegState, offReg: RegState, op: number): void {
  const regs = env.cur.regs;
  const known = tnumIsConst(offReg.varOff);
  const dst = regs[dstRegno];
  if ((known && (offReg.smin !== offReg.smax || offReg.umin !== offReg.umax)) || offReg.smin > offReg.smax || offReg.umin > offReg.umax) {
    markUnknown(dst);
    return;
  }
  if ((slot.code & 7) !== 0x07) {
    if (op === 0x10) {
      markUnknown(dst);
      return;
    }
    reject(env, `R${dstRegno} 32-bit pointer arithmetic prohibited`);
  }
  const typeName = regTypeName(ptr);
  if (ptr.maybeNull) reject(env, `R${dstRegno} pointer arithmetic on ${typeName} prohibited, null-check it first`);
  switch (ptr.type) {
    case 'ctx':
    case 'map_value':
    case 'fp':
    case 'pkt':
    case 'pkt_meta':
    case 'mem':
    case 'ringbuf_mem':
    case 'btf_id':
      break;
    case 'map_ptr':
      if (known && offReg.smin === 0n && op === 0x00) break;
      reject(env, `R${dstRegno} pointer arithmetic on ${typeName} prohibited`);
      break;
    default:
      reject(env, `R${dstRegno} pointer arithmetic on ${typeName} prohibited`);
  }
  const result = copyReg(ptr);
  checkSaneOffset(env, offReg, typeName);
  checkSaneOffset(env, ptr, typeName);
  mark32Unbounded(result);
  const sminVal = offReg.smin;
  switch (op) {
    case 0x00: {
      if (known && BigInt(ptr.off) + sminVal === BigInt.asIntN(32, BigInt(ptr.off) + sminVal)) {
        result.off = ptr.off + Number(sminVal);
        break;
      }
      const [smin, o1] = ovfAdd(ptr.smin, offReg.smin, true);
      const [smax, o2] = ovfAdd(ptr.smax, offReg.smax, true);
      if (o1 || o2) {
        result.smin = S64_MIN;
        result.smax = S64_MAX;
      } else {
        result.smin = smin;
        result.smax = smax;
      }
      const [umin, o3] = ovfAdd(ptr.umin, offReg.umin, false);
      const [umax, o4] = ovfAdd(ptr.umax, offReg.umax, false);
      if (o3 || o4) {
        result.umin = 0n;
        result.umax = U64_MAX;
      } else {
        result.umin = umin;
        result.umax = umax;
      }
      result.varOff = tnumAdd(ptr.varOff, offReg.varOff);
      if (ptr.type === 'pkt' || ptr.type === 'pkt_meta') {
        result.id = ++env.idGen;
        result.range = 0;
      }
      break;
    }
    case 0x10: {
      if (dstRegno !== -1 && regs[dstRegno] === offReg) reject(env, `R${dstRegno} tried to subtract pointer from scalar`);
      if (ptr.type === 'fp') reject(env, `R${dstRegno} subtraction from stack pointer prohibited`);
      if (known && BigInt(ptr.off) - sminVal === BigInt.asIntN(32, BigInt(ptr.off) - sminVal)) {
        result.off = ptr.off - Number(sminVal);
        break;
      }
      const a = ptr.smin - offReg.smax;
      const b = ptr.smax - offReg.smin;
      if (a !== BigInt.asIntN(64, a) || b !== BigInt.asIntN(64, b)) {
        result.smin = S64_MIN;
        result.smax = S64_MAX;
      } else {
        result.smin = a;
        result.smax = b;
      }
      if (ptr.umin < offReg.umax) {
        result.umin = 0n;
        result.umax = U64_MAX;
      } else {
        result.umin = ptr.umin - offReg.umax;
        result.umax = ptr.umax - offReg.umin;
      }
      result.varOff = tnumSub(ptr.varOff, offReg.varOff);
      if (ptr.type === 'pkt' || ptr.type === 'pkt_meta') {
        result.id = ++env.idGen;
        if (sminVal < 0n) result.range = 0;
      }
      break;
    }
    case 0x40:
    case 0x50:
    case 0xa0:
      reject(env, `R${dstRegno} bitwise operator ${ALU_STRINGS[op >> 4]} on pointer prohibited`);
      break;
    default:
      reject(env, `R${dstRegno} pointer arithmetic with ${ALU_STRINGS[op >> 4]} operator prohibited`);
  }
  checkSaneOffset(env, result, typeName);
  boundsSync(result);
  regs[dstRegno] = result;
}

/** `check_alu_op`. */
export function checkAlu(env: VerifierEnv, slot: Slot): void {
  const regs = env.cur.regs;
  const op = slot.code & 0xf0;
  const isX = (slot.code & 0x08) !== 0;
  const width: 32 | 64 = (slot.code & 7) === 0x07 ? 64 : 32;
  if (op === 0xd0 || op === 0x80) {
    if (op === 0x80) {
      if (isX || slot.src !== 0 || slot.off !== 0 || slot.imm !== 0) reject(env, 'BPF_NEG uses reserved fields');
    } else if (slot.src !== 0 || slot.off !== 0 || (slot.imm !== 16 && slot.imm !== 32 && slot.imm !== 64) || (width === 64 && isX)) {
      reject(env, 'BPF_END uses reserved fields');
    }
    checkReadable(env, slot.dst);
    if (op === 0x80 && regs[slot.dst].type === 'scalar') {
      checkWritable(env, slot.dst);
      scalarAlu(regs[slot.dst], regs[slot.dst], 'neg', width);
    } else if (op === 0xd0 && regs[slot.dst].type === 'scalar') {
      checkWritable(env, slot.dst);
      scalarByteSwap(regs[slot.dst], width === 64, !isX, slot.imm);
    } else {
      checkWritable(env, slot.dst);
      markUnknown(regs[slot.dst]);
    }
    return;
  }
  if (op === 0xb0) {
    if (isX) {
      if (width === 32) {
        if ((slot.off !== 0 && slot.off !== 8 && slot.off !== 16) || slot.imm !== 0) reject(env, 'BPF_MOV uses reserved fields');
      } else if (slot.off === 1) {
        if (slot.imm !== 1 && slot.imm !== 1 << 16) reject(env, 'addr_space_cast insn can only convert between address space 1 and 0');
        reject(env, 'addr_space_cast insn can only be used in a program that has an associated arena');
      } else if ((slot.off !== 0 && slot.off !== 8 && slot.off !== 16 && slot.off !== 32) || slot.imm !== 0) {
        reject(env, 'BPF_MOV uses reserved fields');
      }
      checkReadable(env, slot.src);
    } else if (slot.src !== 0 || slot.off !== 0) {
      reject(env, 'BPF_MOV uses reserved fields');
    }
    checkWritable(env, slot.dst);
    if (isX) {
      const src = regs[slot.src];
      if (width === 64) {
        if (slot.off === 0) {
          assignScalarId(env, src);
          regs[slot.dst] = copyReg(src);
        } else if (src.type === 'scalar') {
          const noSext = src.umax < 1n << BigInt(slot.off - 1);
          if (noSext) assignScalarId(env, src);
          const r = copyReg(src);
          if (!noSext) r.id = 0;
          coerceToSizeSx(r, slot.off >> 3);
          regs[slot.dst] = r;
        } else {
          // A sign-extending move of a pointer: leaks are allowed for root, the value is unknown.
          markUnknown(regs[slot.dst]);
        }
      } else {
        let r: RegState;
        if (src.type === 'scalar') {
          const linked = slot.off === 0 ? src.umax <= 0xffffffffn : src.umax < 1n << BigInt(slot.off - 1);
          if (linked) assignScalarId(env, src);
          r = copyReg(src);
          if (!linked) r.id = 0;
          if (slot.off !== 0) coerceSubregToSizeSx(r, slot.off >> 3);
        } else {
          r = copyReg(src);
          markUnknown(r);
        }
        zext32To64(r);
        boundsSync(r);
        regs[slot.dst] = r;
      }
    } else {
      markKnown(regs[slot.dst], width === 64 ? BigInt(slot.imm) : BigInt(slot.imm >>> 0));
    }
    return;
  }
  if (op > 0xd0) reject(env, `invalid BPF_ALU opcode ${(op >> 4).toString(16)}`);
  if (isX) {
    if (slot.imm !== 0 || (slot.off !== 0 && slot.off !== 1) || (slot.off === 1 && op !== 0x90 && op !== 0x30)) reject(env, 'BPF_ALU uses reserved fields');
    checkReadable(env, slot.src);
  } else if (slot.src !== 0 || (slot.off !== 0 && slot.off !== 1) || (slot.off === 1 && op !== 0x90 && op !== 0x30)) {
    reject(env, 'BPF_ALU uses reserved fields');
  }
  checkReadable(env, slot.dst);
  if ((op === 0x90 || op === 0x30) && !isX && slot.imm === 0) reject(env, 'div by zero');
  if ((op === 0x60 || op === 0x70 || op === 0xc0) && !isX && (slot.imm < 0 || slot.imm >= width)) reject(env, `invalid shift ${slot.imm}`);
  checkWritable(env, slot.dst);
  const dst = regs[slot.dst];
  const src = isX ? regs[slot.src] : immediateReg(env, env.insnIdx, constReg);
  if (isX && src.type !== 'scalar') {
    if (dst.type !== 'scalar') {
      if (op === 0x10) {
        markUnknown(dst);
        return;
      }
      reject(env, `R${slot.dst} pointer ${ALU_STRINGS[op >> 4]} pointer prohibited`);
    }
    // scalar += pointer: the scalar's exact range matters.
    markChainPrecision(env, slot.dst);
    adjustPointer(env, slot, slot.dst, src, dst, op);
    return;
  }
  if (isPointer(dst)) {
    if (isX) markChainPrecision(env, slot.src);
    adjustPointer(env, slot, slot.dst, dst, src, op);
    return;
  }
  // A precise destination needs a precise source.
  if (isX && dst.precise) markChainPrecision(env, slot.src);
  const name = OP_NAMES[op >> 4];
  scalarAlu(dst, src, name, width);
  // `rX += K` on a linked scalar keeps the link with the constant in `off` (BPF_ADD_CONST).
  if (op === 0x00 && width === 64 && dst.id !== 0 && isConst(src, false)) {
    const val = constValue(src, false);
    if (hasAddConst(dst.id) || val > 0x7fffffffn) {
      dst.off = 0;
      dst.id = 0;
    } else {
      dst.id += ADD_CONST;
      dst.off = Number(val);
    }
  } else {
    dst.id = 0;
  }
}
