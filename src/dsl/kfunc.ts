/**
 * kfunc calls: kernel functions exported to BPF programs, called by the BTF id of their `FUNC`
 * in the running kernel's BTF (`call` with `src_reg` 2, `BPF_PSEUDO_KFUNC_CALL`, `off` 0 for
 * vmlinux; module kfuncs, which need an `fd_array` entry, are not supported). The prototype comes
 * from the same BTF (`FUNC` → `FUNC_PROTO`), so the argument count and which arguments are
 * pointers are checked when the program is built. Which program types may call a kfunc is the
 * kernel's registration (not in BTF): the verifier says so at load time
 * (`calling kernel function bpf_task_from_pid is not allowed`). Requires Linux 5.13; kfuncs
 * are GPL-only.
 *
 * ```ts
 * // By name, typed from BTF at build time:
 * $.kfunc('bpf_rcu_read_lock');
 * // With a typed declaration (checked against BTF when called):
 * const taskFromPid = kfuncDecl('bpf_task_from_pid', [s32], 'ptr');
 * const task = $.kfunc(taskFromPid, 1);            // Expr<U64>: a kernel pointer, maybe NULL
 * ```
 * @module
 */

import type { Btf, Func, Type } from 'ebpf-bytecode-utils';
import { sameType, u64, type IntType, type ScalarType, type U64 } from './c-types.js';
import { DslError } from './errors.js';
import { Expr, operandNode, type Operand } from './expr.js';
import { kernelBtf, resolveType, scalarTypeOf, typeText } from './kernel-btf.js';
import type { ArgNode, CallStmt, VarNode } from './nodes.js';
import { Ref } from './ref.js';
import type { SomeType } from '../types/index.js';

/** A kfunc that is missing or cannot be called as asked: the message names it first. */
export class KfuncError extends DslError {
  /** The kfunc's name. */
  readonly kfunc: string;

  /** An error about kfunc `kfunc`. */
  constructor(kfunc: string, message: string, options?: ErrorOptions) {
    super(`kfunc ${kfunc}: ${message}`, options);
    this.kfunc = kfunc;
  }
}

/** One parameter of a kfunc prototype. */
export interface KfuncParam {
  /** Its name in BTF (may be empty). */
  readonly name: string;
  /** `scalar` (an integer or enum, passed by value) or `pointer`. */
  readonly kind: 'scalar' | 'pointer';
  /** The eDSL type of a scalar parameter (`u64` for pointers). */
  readonly type: IntType;
  /** Its C spelling, for messages: `struct bpf_iter_num *`. */
  readonly text: string;
}

/** A kfunc's prototype as read from BTF. */
export interface KfuncPrototype {
  /** Name. */
  readonly name: string;
  /** The BTF id of its `FUNC` (the call's `imm`). */
  readonly btfId: number;
  /** Parameters in order. */
  readonly params: readonly KfuncParam[];
  /** Result: none, an integer of `type`, or a pointer (a `u64` the verifier knows as a kernel pointer). */
  readonly returns: { readonly kind: 'void' } | { readonly kind: 'scalar'; readonly type: IntType; readonly text: string } | { readonly kind: 'pointer'; readonly text: string };
}

/** The prototype text of `p` for messages: `int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end)`. */
export function prototypeText(p: KfuncPrototype): string {
  const ret = p.returns.kind === 'void' ? 'void' : p.returns.text;
  return `${ret} ${p.name}(${p.params.map((x) => `${x.text}${x.text.endsWith('*') ? '' : ' '}${x.name}`.trim()).join(', ') || 'void'})`;
}

const cache = new WeakMap<Btf, Map<string, KfuncPrototype>>();

function hasKfuncTag(btf: Btf, id: number): boolean | undefined {
  const tags = btf.byName('bpf_kfunc', 'decl_tag');
  if (tags.length === 0) return undefined; // BTF without kfunc tags (pahole < 1.25): cannot tell
  return tags.some((t) => t.componentIndex === -1 && btf.idOf(t.target) === id);
}

function paramOf(name: string, fn: string, index: number, t: Type): KfuncParam {
  const r = resolveType(t);
  const text = typeText(t);
  if (r.kind === 'ptr') return { name, kind: 'pointer', type: u64, text };
  const scalar = scalarTypeOf(t);
  if (scalar === undefined) throw new KfuncError(fn, `parameter ${index + 1} (${text} ${name}) is passed by value, which the eDSL cannot do`);
  return { name, kind: 'scalar', type: scalar, text };
}

/**
 * The prototype of kfunc `name` in `btf` (the running kernel's by default), read once per BTF.
 * Throws {@link KfuncError} naming it when the BTF cannot be read, has no such function (an
 * older kernel), or the function is not a kfunc (no `bpf_kfunc` tag, where the BTF has them).
 */
export function kfuncPrototype(name: string, btf?: Btf): KfuncPrototype {
  let b: Btf;
  try {
    b = btf ?? kernelBtf();
  } catch (err) {
    throw new KfuncError(name, `no kernel BTF to find it in (${(err as Error).message})`, { cause: err });
  }
  let byName = cache.get(b);
  if (byName === undefined) cache.set(b, (byName = new Map()));
  const known = byName.get(name);
  if (known !== undefined) return known;
  const fn: Func | undefined = b.find('func', name);
  if (fn === undefined) throw new KfuncError(name, "not in the kernel's BTF (the kernel is older than this kfunc, or was built without it)");
  const btfId = b.idOf(fn);
  if (btfId === undefined) throw new KfuncError(name, 'its BTF FUNC has no id');
  if (hasKfuncTag(b, btfId) === false) throw new KfuncError(name, 'is a kernel function but not a kfunc (no bpf_kfunc tag in BTF)');
  const params = fn.proto.params.map((p, i) => {
    if (p.type.kind === 'void' && p.name === '' && i === fn.proto.params.length - 1) throw new KfuncError(name, 'is variadic, which BPF cannot call');
    return paramOf(p.name, name, i, p.type);
  });
  const ret = resolveType(fn.proto.returns);
  let returns: KfuncPrototype['returns'];
  if (ret.kind === 'void') returns = { kind: 'void' };
  else if (ret.kind === 'ptr') returns = { kind: 'pointer', text: typeText(fn.proto.returns) };
  else {
    const type = scalarTypeOf(ret);
    if (type === undefined) throw new KfuncError(name, `returns ${typeText(fn.proto.returns)} by value, which the eDSL cannot take`);
    returns = { kind: 'scalar', type, text: typeText(fn.proto.returns) };
  }
  const proto: KfuncPrototype = Object.freeze({ name, btfId, params: Object.freeze(params), returns });
  byName.set(name, proto);
  return proto;
}

/** What a typed declaration says a parameter is: an integer type, or `'ptr'`. */
export type KfuncArgDecl = IntType | 'ptr';
/** What a typed declaration says the result is: an integer type, `'ptr'` or `'void'`. */
export type KfuncRetDecl = IntType | 'ptr' | 'void';

/** A kfunc declared with its prototype's types, for typed calls: see {@link kfuncDecl}. */
export interface KfuncDecl<A extends readonly KfuncArgDecl[] = readonly KfuncArgDecl[], R extends KfuncRetDecl = KfuncRetDecl> {
  /** Discriminant. */
  readonly kind: 'kfuncDecl';
  /** The kfunc's name in BTF. */
  readonly name: string;
  /** Parameter types. */
  readonly args: A;
  /** Result type. */
  readonly ret: R;
}

/**
 * A typed declaration of kfunc `name`, like the `extern … __ksym` declaration of C: calls with it
 * are type-checked by TypeScript, and the declaration is checked against the kernel's BTF when a
 * program calls it (argument count, pointer or scalar, scalar sizes).
 */
export function kfuncDecl<const A extends readonly KfuncArgDecl[], const R extends KfuncRetDecl>(name: string, args: A, ret: R): KfuncDecl<A, R> {
  return Object.freeze({ kind: 'kfuncDecl', name, args, ret });
}

/** A pointer argument: a stack object or map value ({@link Ref}), the program's context, or a kernel pointer held in a `u64`. */
export type KfuncPointerArg = Ref<SomeType> | { readonly pointer: VarNode } | Expr<U64>;
/** Any kfunc argument (untyped calls). */
export type KfuncArg = KfuncPointerArg | Expr<IntType> | number | bigint;

/** The argument type of a declared parameter. */
export type KfuncArgOf<T> = T extends 'ptr' ? KfuncPointerArg : T extends IntType ? Operand<T> : never;
/** The result type of a declared kfunc. */
export type KfuncResultOf<R> = R extends 'void' ? void : R extends 'ptr' ? Expr<U64> : R extends IntType ? Expr<R> : never;

function isContext(a: unknown): a is { readonly pointer: VarNode } {
  return typeof a === 'object' && a !== null && !(a instanceof Ref) && !(a instanceof Expr) && 'pointer' in a
    && (a as { pointer: VarNode }).pointer?.kind === 'var' && (a as { pointer: VarNode }).pointer.type.kind === 'ptr';
}

function argNode(proto: KfuncPrototype, index: number, value: unknown): ArgNode {
  const p = proto.params[index];
  const what = `argument ${index + 1} (${p.text}${p.text.endsWith('*') ? '' : ' '}${p.name})`;
  if (p.kind === 'pointer') {
    if (value instanceof Ref) return value.asArg();
    if (isContext(value)) return value.pointer.type.kind === 'ptr' && value.pointer.type.to === 'ctx' ? { kind: 'ctx', ctx: value.pointer } : { kind: 'value', expr: value.pointer };
    if (value instanceof Expr && (value.type as ScalarType).size === 8) return { kind: 'value', expr: value.node };
    throw new KfuncError(proto.name, `${what} is a pointer: pass a stack object or map value (a Ref), the context, or a kernel pointer (a u64 expression)`);
  }
  if (value instanceof Ref || isContext(value)) throw new KfuncError(proto.name, `${what} is a scalar, not a pointer`);
  if (value instanceof Expr) {
    const t = value.type as ScalarType;
    if (t.size > p.type.size) throw new KfuncError(proto.name, `${what} takes ${p.type.size} bytes, got a ${t.size}-byte value: cast it first`);
    // A narrower or differently signed value is converted as C converts it.
    return { kind: 'value', expr: sameType(t, p.type) ? value.node : { kind: 'cast', type: p.type, operand: value.node } };
  }
  if (typeof value !== 'number' && typeof value !== 'bigint') throw new KfuncError(proto.name, `${what} must be an integer expression or literal`);
  return { kind: 'value', expr: operandNode(p.type, value, proto.name) };
}

function checkDecl(proto: KfuncPrototype, decl: KfuncDecl): void {
  const bad = (m: string) => new KfuncError(proto.name, `the declaration does not match the kernel's ${prototypeText(proto)}: ${m}`);
  if (decl.args.length !== proto.params.length) throw bad(`${decl.args.length} parameters declared`);
  decl.args.forEach((a, i) => {
    const p = proto.params[i];
    if ((a === 'ptr') !== (p.kind === 'pointer')) throw bad(`parameter ${i + 1} is ${p.kind === 'pointer' ? 'a pointer' : 'a scalar'}`);
    if (a !== 'ptr' && a.size !== p.type.size) throw bad(`parameter ${i + 1} is ${p.type.size} bytes, declared ${a.size}`);
  });
  const r = proto.returns;
  if ((decl.ret === 'void') !== (r.kind === 'void') || (decl.ret === 'ptr') !== (r.kind === 'pointer')) throw bad(`the result is ${r.kind === 'scalar' ? 'an integer' : r.kind === 'pointer' ? 'a pointer' : 'void'}`);
  if (typeof decl.ret === 'object' && r.kind === 'scalar' && decl.ret.size !== r.type.size) throw bad(`the result is ${r.type.size} bytes, declared ${decl.ret.size}`);
}

/** What a kfunc call needs from the builder. */
export interface KfuncCaller {
  /** The license (kfuncs need a GPL-compatible one). */
  readonly license: string;
  /** Appends a statement. */
  emit(stmt: CallStmt): void;
  /** A fresh variable. */
  newVar(type: ScalarType, name: string): VarNode;
}

/** Licenses the kernel treats as GPL-compatible (`license_is_gpl_compatible`). */
const GPL_COMPATIBLE: ReadonlySet<string> = new Set(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);

/**
 * The call statement of kfunc `target` with `args`, checked against its BTF prototype (and
 * against the declaration when `target` is one); `result` is the variable receiving R0.
 */
export function kfuncCall(caller: KfuncCaller, target: string | KfuncDecl, args: readonly unknown[], btf?: Btf): { readonly stmt: CallStmt; readonly proto: KfuncPrototype } {
  const name = typeof target === 'string' ? target : target.name;
  const proto = kfuncPrototype(name, btf);
  if (typeof target !== 'string') checkDecl(proto, target);
  if (!GPL_COMPATIBLE.has(caller.license)) throw new KfuncError(name, `kfuncs need a GPL-compatible license, the program's is '${caller.license}'`);
  if (args.length !== proto.params.length) throw new KfuncError(name, `takes ${proto.params.length} argument${proto.params.length === 1 ? '' : 's'} (${prototypeText(proto)}), got ${args.length}`);
  if (args.length > 5) throw new KfuncError(name, `takes ${args.length} arguments; BPF calls pass at most 5`);
  const nodes = args.map((a, i) => argNode(proto, i, a));
  const r = proto.returns;
  const resultType = r.kind === 'void' ? undefined : r.kind === 'pointer' ? u64 : r.type;
  const result = resultType === undefined ? undefined : caller.newVar(resultType, name.replace(/^bpf_/, '').replace(/_.*/, ''));
  return { stmt: { kind: 'call', helper: 0, name, args: nodes, result, kfunc: proto.btfId }, proto };
}

/** Emits a call of kfunc `target` (see {@link kfuncCall}) and returns its result, if any. */
export function callKfunc(caller: KfuncCaller, target: string | KfuncDecl, args: readonly unknown[], btf?: Btf): Expr<IntType> | undefined {
  const { stmt, proto } = kfuncCall(caller, target, args, btf);
  caller.emit(stmt);
  if (stmt.result === undefined) return undefined;
  return new Expr(stmt.result, proto.returns.kind === 'scalar' ? proto.returns.type : u64);
}
