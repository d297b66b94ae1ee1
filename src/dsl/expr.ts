/**
 * Typed expressions: `Expr<T>` wraps an expression node of C type `T`. Operators pick signed or
 * unsigned instructions by `T`, run on w registers for types of 32 bits or fewer, and fold
 * constants. Operands must have the same type (or be a literal that fits it); mixing types needs
 * an explicit {@link Expr.cast}, and misuse does not compile:
 *
 * ```ts
 * const n = $.let(u32, 1);
 * n.add(2).shl(3);          // Expr<u32>
 * n.lt(10);                 // Expr<bool>
 * n.add(pid);               // error when pid is an Expr<u64>: cast it first
 * n.lt(10).add(1);          // error: arithmetic needs an integer type
 * ```
 * @module
 */

import { bool, isSigned, sameType, typeName, type Bool, type BoolType, type IntType, type ScalarType } from './c-types.js';
import { DslError, type DslTypeError } from './errors.js';
import * as fold from './fold.js';
import type { BinaryOp, CompareOp, ExprNode } from './nodes.js';

/** A literal usable where an `Expr<T>` is expected: bigint or number for integers, boolean for bool. */
export type Literal<T extends ScalarType> = T extends BoolType ? boolean : T extends { readonly name: 'u64' | 's64' } ? bigint | number : number;

/** An operand of type `T`: an expression of exactly that type, or a literal. */
export type Operand<T extends ScalarType> = Expr<T> | Literal<T>;

/** The parameter type of integer-only operators: an operand, or a readable error for bool. */
export type IntOperand<T extends ScalarType> = T extends IntType ? Operand<T> : DslTypeError<'arithmetic and bitwise operators need an integer type; bool has and/or/not'>;

/** The parameter type of bool-only operators: an operand, or a readable error for integers. */
export type BoolOperand<T extends ScalarType> = T extends BoolType ? Operand<Bool> : DslTypeError<'logical and/or need bool operands: compare the integer first (x.ne(0))'>;

/**
 * A typed expression. Immutable: operators return new expressions. An expression is evaluated
 * where it is used (a `$.let` takes a snapshot).
 */
export class Expr<T extends ScalarType> {
  /** The expression node. */
  readonly node: ExprNode;
  /** The C type. */
  readonly type: T;

  /** Wraps `node`, which must have type `type`. */
  constructor(node: ExprNode, type: T) {
    this.node = node;
    this.type = type;
  }

  private bin(op: BinaryOp, other: unknown): Expr<T> {
    if (this.type.kind !== 'int') throw new DslError(`${op}: needs an integer type, got ${typeName(this.type)}`);
    return new Expr(fold.binary(op, this.type, this.node, operandNode(this.type, other, op)), this.type);
  }

  private cmp(op: CompareOp, other: unknown): Expr<Bool> {
    return new Expr(fold.compare(op, bool, this.type, this.node, operandNode(this.type, other, op)), bool);
  }

  /** `this + other` (wraps around at the type's width). Kernel text: `r1 += r2` / `w1 += w2`. */
  add(other: IntOperand<T>): Expr<T> { return this.bin('add', other); }
  /** `this - other`. */
  sub(other: IntOperand<T>): Expr<T> { return this.bin('sub', other); }
  /** `this * other`. */
  mul(other: IntOperand<T>): Expr<T> { return this.bin('mul', other); }
  /** `this / other`: `/=` for unsigned types, `s/=` for signed (Linux 6.6); division by zero gives 0. */
  div(other: IntOperand<T>): Expr<T> { return this.bin('div', other); }
  /** `this % other`: `%=` or `s%=` by signedness; modulo zero gives `this`. */
  mod(other: IntOperand<T>): Expr<T> { return this.bin('mod', other); }
  /** Bitwise and for integers; short-circuit `&&` for bools. */
  and(other: T extends BoolType ? Operand<Bool> : Operand<T>): Expr<T> {
    if (this.type.kind === 'bool') return new Expr(fold.logic('and', bool, this.node, operandNode(bool, other, 'and')), this.type);
    return this.bin('and', other);
  }
  /** Bitwise or for integers; short-circuit `||` for bools. */
  or(other: T extends BoolType ? Operand<Bool> : Operand<T>): Expr<T> {
    if (this.type.kind === 'bool') return new Expr(fold.logic('or', bool, this.node, operandNode(bool, other, 'or')), this.type);
    return this.bin('or', other);
  }
  /** Bitwise exclusive or. */
  xor(other: IntOperand<T>): Expr<T> { return this.bin('xor', other); }
  /** `this << n` (n masked to the width). */
  shl(n: IntOperand<T>): Expr<T> { return this.bin('shl', n); }
  /** `this >> n`: logical for unsigned types, arithmetic (`s>>=`) for signed. */
  shr(n: IntOperand<T>): Expr<T> { return this.bin('shr', n); }
  /** `-this`. */
  neg(this: Expr<T & IntType>): Expr<T> { return new Expr(fold.unary('neg', this.type, this.node), this.type); }
  /** `~this`. */
  bnot(this: Expr<T & IntType>): Expr<T> { return new Expr(fold.unary('bnot', this.type, this.node), this.type); }
  /** Swaps between network (big-endian) and host order: `ntohs`/`ntohl`/`be64toh` by width. */
  byteSwap(this: Expr<T & IntType>): Expr<T> {
    if (this.type.size === 1) return this;
    const op = this.type.size === 2 ? 'be16' : this.type.size === 4 ? 'be32' : 'be64';
    return new Expr(fold.unary(op, this.type, this.node), this.type);
  }
  /** `!this` for bools. */
  not(this: Expr<Bool>): Expr<Bool> { return new Expr(fold.not(bool, this.node), bool); }

  /** `this == other`. */
  eq(other: Operand<T>): Expr<Bool> { return this.cmp('eq', other); }
  /** `this != other`. */
  ne(other: Operand<T>): Expr<Bool> { return this.cmp('ne', other); }
  /** `this < other`, signed or unsigned by type. */
  lt(other: IntOperand<T>): Expr<Bool> { return this.cmp('lt', other); }
  /** `this <= other`. */
  le(other: IntOperand<T>): Expr<Bool> { return this.cmp('le', other); }
  /** `this > other`. */
  gt(other: IntOperand<T>): Expr<Bool> { return this.cmp('gt', other); }
  /** `this >= other`. */
  ge(other: IntOperand<T>): Expr<Bool> { return this.cmp('ge', other); }

  /** C conversion to `type`: truncation, zero or sign extension; to bool: `!= 0`. */
  cast<U extends ScalarType>(type: U): Expr<U> {
    if (type.kind === 'bool') return new Expr(fold.compare('ne', bool, this.type, this.node, fold.constant(this.type, 0n)), type);
    return new Expr(fold.cast(type, this.node), type);
  }
}

/** The range of values a literal of `type` may have. */
function range(type: ScalarType): [bigint, bigint] {
  if (type.kind === 'bool') return [0n, 1n];
  const b = BigInt(type.size * 8);
  return isSigned(type) ? [-(1n << (b - 1n)), (1n << (b - 1n)) - 1n] : [0n, (1n << b) - 1n];
}

/** The node of an operand of `type`: an expression of that type, or a literal that fits. */
export function operandNode(type: ScalarType, value: unknown, who: string): ExprNode {
  if (value instanceof Expr) {
    const t = value.type as ScalarType;
    if (!sameType(t, type)) throw new DslError(`${who}: operand of type ${typeName(t)} where ${typeName(type)} is expected (cast it)`);
    return value.node;
  }
  let v: bigint;
  if (typeof value === 'boolean') {
    if (type.kind !== 'bool') throw new DslError(`${who}: boolean literal where ${typeName(type)} is expected`);
    v = value ? 1n : 0n;
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new DslError(`${who}: ${value} is not an integer literal of ${typeName(type)}`);
    v = BigInt(value);
  } else if (typeof value === 'bigint') {
    v = value;
  } else {
    throw new DslError(`${who}: ${String(value)} is not an operand of type ${typeName(type)}`);
  }
  const [lo, hi] = range(type);
  if (v < lo || v > hi) throw new DslError(`${who}: literal ${v} does not fit ${typeName(type)} (${lo}..${hi})`);
  return fold.constant(type, v);
}

/** A constant expression of `type`: `lit(u64, 1n)`. */
export function lit<T extends ScalarType>(type: T, value: Literal<T>): Expr<T> {
  return new Expr(operandNode(type, value, 'lit'), type);
}
