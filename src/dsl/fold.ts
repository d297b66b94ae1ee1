/**
 * Node constructors with constant folding: an operation on constants is computed at build time
 * (with the wrap-around of the operand type), and identities (`x + 0`, `x * 1`, `x | 0`,
 * `x & 0`) are simplified.
 * @module
 */

import { sameType, wrap, type ScalarType } from './c-types.js';
import type { BinaryOp, CompareOp, ConstNode, ExprNode, UnaryOp } from './nodes.js';

/** A constant node, wrapped to `type`. */
export function constant(type: ScalarType, value: bigint): ConstNode {
  return { kind: 'const', type, value: wrap(type, value) };
}

function swap(v: bigint, bytes: number): bigint {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

function foldBinary(op: BinaryOp, type: ScalarType, a: bigint, b: bigint): bigint | undefined {
  // Shift amounts are masked as the instructions mask them: 8- to 32-bit types run on w registers.
  const mask = type.size === 8 ? 63n : 31n;
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return a * b;
    // Division by zero gives 0 and modulo by zero leaves the dividend, as BPF defines them.
    case 'div': return b === 0n ? 0n : a / b;
    case 'mod': return b === 0n ? a : a % b;
    case 'and': return a & b;
    case 'or': return a | b;
    case 'xor': return a ^ b;
    case 'shl': return a << (b & mask);
    case 'shr': return a >> (b & mask); // a is wrapped: signed values shift arithmetically
  }
}

/** `left op right` of `type`, folded when possible. */
export function binary(op: BinaryOp, type: ScalarType, left: ExprNode, right: ExprNode): ExprNode {
  if (left.kind === 'const' && right.kind === 'const') {
    const v = foldBinary(op, type, left.value, right.value);
    if (v !== undefined) return constant(type, v);
  }
  if (right.kind === 'const') {
    const r = right.value;
    // BPF semantics for a zero divisor (x / 0 = 0, x % 0 = x): the verifier refuses an immediate 0.
    if (r === 0n && (op === 'add' || op === 'sub' || op === 'or' || op === 'xor' || op === 'shl' || op === 'shr' || op === 'mod')) return left;
    if (r === 0n && op === 'div') return constant(type, 0n);
    if (r === 1n && (op === 'mul' || op === 'div')) return left;
    if (r === 0n && (op === 'mul' || op === 'and')) return constant(type, 0n);
  }
  if (left.kind === 'const' && left.value === 0n && (op === 'add' || op === 'or' || op === 'xor')) return right;
  if (left.kind === 'const' && left.value === 1n && op === 'mul') return right;
  return { kind: 'binary', type, op, left, right };
}

/** `op operand` of `type`, folded for constants. */
export function unary(op: UnaryOp, type: ScalarType, operand: ExprNode): ExprNode {
  if (operand.kind === 'const') {
    const v = operand.value;
    switch (op) {
      case 'neg': return constant(type, -v);
      case 'bnot': return constant(type, ~v);
      case 'be16': return constant(type, swap(BigInt.asUintN(16, v), 2));
      case 'be32': return constant(type, swap(BigInt.asUintN(32, v), 4));
      case 'be64': return constant(type, swap(BigInt.asUintN(64, v), 8));
    }
  }
  return { kind: 'unary', type, op, operand };
}

/** `left op right` compared as `operandType`, a bool; folded for constants. */
export function compare(op: CompareOp, boolType: ScalarType, operandType: ScalarType, left: ExprNode, right: ExprNode): ExprNode {
  if (left.kind === 'const' && right.kind === 'const') {
    const a = left.value;
    const b = right.value;
    const r = op === 'eq' ? a === b : op === 'ne' ? a !== b : op === 'lt' ? a < b : op === 'le' ? a <= b : op === 'gt' ? a > b : a >= b;
    return constant(boolType, r ? 1n : 0n);
  }
  return { kind: 'compare', type: boolType, op, operandType, left, right };
}

/** Short-circuit `and` / `or`, folded when a side is constant. */
export function logic(op: 'and' | 'or', type: ScalarType, left: ExprNode, right: ExprNode): ExprNode {
  if (left.kind === 'const') {
    const t = left.value !== 0n;
    if (op === 'and') return t ? right : constant(type, 0n);
    return t ? constant(type, 1n) : right;
  }
  if (right.kind === 'const') {
    const t = right.value !== 0n;
    if (op === 'and' && t) return left;
    if (op === 'or' && !t) return left;
  }
  return { kind: 'logic', type, op, left, right };
}

/** Logical not, folded for constants and double negation. */
export function not(type: ScalarType, operand: ExprNode): ExprNode {
  if (operand.kind === 'const') return constant(type, operand.value === 0n ? 1n : 0n);
  if (operand.kind === 'not') return operand.operand;
  return { kind: 'not', type, operand };
}

/** Conversion to `type`, folded for constants and no-op casts. */
export function cast(type: ScalarType, operand: ExprNode): ExprNode {
  if (operand.kind === 'const') return constant(type, operand.value);
  if (operand.type.kind !== 'ptr' && sameType(operand.type, type)) return operand;
  return { kind: 'cast', type, operand };
}
