/**
 * bpf-to-bpf subprograms: a function declared once in a program and called from it (or from
 * another subprogram, or from a `$.loop` callback) with `call pc+N` (`BPF_PSEUDO_CALL`).
 *
 * ```ts
 * const scale = $.func('scale', [u64, u64], u64, ($, x, k) => x.mul(k).add(1n));
 * const y = scale.call(pid, 3n);                      // Expr<u64>
 * const bump = $.func('bump', [Counter], u32, ($, c) => { c.field('n').set(c.field('n').get().add(1)); return 0; });
 * bump.call(counter);                                 // counter: a Ref to a stack object or a map value
 * ```
 *
 * Parameters are scalars (passed in R1–R5, at most five) or pointers to struct-typed memory
 * (a `Ref` to a stack object or a map value, which the subprogram reads and writes in place);
 * the result is a scalar in R0. Each subprogram has its own stack frame (at most 512 bytes;
 * the frames along a call chain must fit in 512 bytes together, as the kernel checks) and
 * its own register allocation. Subprograms are static functions: the verifier checks each call
 * with the caller's argument values. Requires Linux 4.16 (with BTF func_info: Linux 5.0).
 * @module
 */

import type { SomeType } from '../types/index.js';
import type { ScalarType } from './c-types.js';
import type { Emitter } from './emitter.js';
import { DslError } from './errors.js';
import { Expr, operandNode, type Operand } from './expr.js';
import type { ArgNode, FuncNode, VarNode } from './nodes.js';
import { Ref } from './ref.js';

/** Most parameters of a subprogram (R1–R5). */
export const MAX_SUBPROGRAM_PARAMS = 5;

/** Most frames on a call chain, the program's own included (`MAX_CALL_FRAMES`). */
export const MAX_CALL_FRAMES = 8;

/** What a parameter is inside the subprogram's body: a scalar expression, or a `Ref` to the caller's memory. */
export type ParamValue<T extends SomeType> = T extends ScalarType ? Expr<T> : Ref<T>;

/** What a call passes for a parameter: a scalar operand, or a `Ref` to a stack object or map value of that type. */
export type ArgValue<T extends SomeType> = T extends ScalarType ? Operand<T> : Ref<T>;

/** The parameters of a subprogram as its body sees them. */
export type ParamValues<Ps extends readonly SomeType[]> = { -readonly [K in keyof Ps]: ParamValue<Ps[K]> };

/** The arguments of a call. */
export type ArgValues<Ps extends readonly SomeType[]> = { -readonly [K in keyof Ps]: ArgValue<Ps[K]> };

/** Whether `type` is passed by value (in a register) rather than by pointer. */
export function isScalarParam(type: SomeType): type is SomeType & ScalarType {
  const k = (type as { kind: string }).kind;
  return k === 'int' || k === 'bool';
}

/** A declared subprogram: call it with {@link Subprogram.call}. */
export class Subprogram<Ps extends readonly SomeType[], R extends ScalarType> {
  readonly #out: Emitter;
  /** The function node (internal). */
  readonly node: FuncNode;
  /** Parameter types. */
  readonly params: Ps;
  /** Result type. */
  readonly ret: R;

  /** Wraps a built function (internal: made by `$.func`). */
  constructor(out: Emitter, node: FuncNode, params: Ps, ret: R) {
    this.#out = out;
    this.node = node;
    this.params = params;
    this.ret = ret;
  }

  /** Calls the subprogram: `call pc+N`, arguments in R1–R5, the result from R0. */
  call(...args: ArgValues<Ps>): Expr<R> {
    const who = `call ${this.node.name}`;
    if (args.length !== this.params.length) throw new DslError(`${who}: takes ${this.params.length} arguments, got ${args.length}`);
    const nodes = this.params.map((type, i): ArgNode => subprogramArg(type, args[i], `${who} argument ${i + 1}`));
    // A body using the context takes it as a hidden first parameter (see function-context.ts).
    if (this.node.usesCtx === true) nodes.unshift({ kind: 'ctx', ctx: this.#out.ctx });
    const result: VarNode = this.#out.newVar(this.ret, this.node.name.slice(0, 8));
    this.#out.emit({ kind: 'call', helper: 0, name: this.node.name, args: nodes, result, subprog: this.node });
    return new Expr(result, this.ret);
  }
}

/** The argument node passing `value` for a parameter of `type`. */
export function subprogramArg(type: SomeType, value: unknown, who: string): ArgNode {
  if (isScalarParam(type)) return { kind: 'value', expr: operandNode(type, value, who) };
  if (!(value instanceof Ref)) throw new DslError(`${who}: a ${type.cName} is passed by pointer: give a Ref (a stack object from $.struct, or a map value)`);
  if (value.type !== type && (value.type.size !== type.size || value.type.kind !== type.kind)) throw new DslError(`${who}: ${value.type.cName} where ${type.cName} is expected`);
  if (value.place.kind === 'pointer' && value.place.base.type.kind === 'ptr' && value.place.base.type.to === 'packet') throw new DslError(`${who}: packet bytes cannot be passed to a subprogram (copy them to a stack object)`);
  return value.asArg();
}

/** A valid subprogram name: a C identifier of at most 64 characters. */
export function checkSubprogramName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) throw new DslError(`func: name '${name}' must be a C identifier (letters, digits, '_'; at most 64)`);
}
