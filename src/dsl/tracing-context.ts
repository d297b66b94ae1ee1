/**
 * The context of BTF-typed tracing programs — `fentry`, `fexit`, `fmod_ret`, `tp_btf` (program
 * type `tracing`) and `lsm` — whose arguments the kernel passes as an array of u64 slots typed
 * by the target's BTF prototype: the kernel function's (`fentry`/`fexit`/`fmod_ret`), the
 * `btf_trace_<name>` typedef's without its leading `void *__data` (`tp_btf`), or
 * `bpf_lsm_<hook>`'s (`lsm`). `fexit`, `fmod_ret` and `lsm` also see the return value in the slot
 * after the arguments (`ctx.ret`). Integer arguments come typed by size and signedness, pointer
 * arguments as u64 kernel addresses (read through them with `$.kernel`/`$.readKernel`).
 *
 * ```ts
 * const sig = tracingSignature('fexit', 'do_unlinkat');   // (int dfd, struct filename *name) -> int
 * sig.params.map((p) => p.name);                          // ['dfd', 'name']
 * ```
 * @module
 */

import type { Btf, Type } from 'ebpf-bytecode-utils';
import { u64, type IntType } from './c-types.js';
import { DslError } from './errors.js';
import { Expr } from './expr.js';
import * as fold from './fold.js';
import { kernelBtf, resolveType, scalarTypeOf, sizeOfType, typeText } from './kernel-btf.js';
import { KernelRef } from './kernel-ref.js';
import type { KernelReader } from './kprobe-context.js';
import type { VarNode } from './nodes.js';

/** The BTF-typed tracing attach kinds. */
export type TracingKind = 'fentry' | 'fexit' | 'fmod_ret' | 'tp_btf' | 'lsm';

/** One argument of a tracing target. */
export interface TracingParam {
  /** Parameter name in the prototype (may be empty). */
  readonly name: string;
  /** Its BTF type. */
  readonly btfType: Type;
  /** Its eDSL type (pointers are u64 addresses); undefined for struct arguments passed by value. */
  readonly type: IntType | undefined;
  /** First u64 slot of the context it occupies. */
  readonly slot: number;
}

/** What a tracing program attaches to and the shape of its context. */
export interface TracingSignature {
  /** The attach kind. */
  readonly kind: TracingKind;
  /** Function, raw tracepoint or LSM hook name as the user gave it. */
  readonly target: string;
  /** The kernel's program type name: `tracing` or `lsm`. */
  readonly progType: 'tracing' | 'lsm';
  /** `expected_attach_type` at load: `trace_fentry`, `trace_fexit`, `modify_return`, `trace_raw_tp`, `lsm_mac`. */
  readonly attachType: 'trace_fentry' | 'trace_fexit' | 'modify_return' | 'trace_raw_tp' | 'lsm_mac';
  /** Name and BTF kind of the type whose id is `attach_btf_id`. */
  readonly btfTarget: { readonly name: string; readonly kind: 'func' | 'typedef' };
  /** The arguments in order. */
  readonly params: readonly TracingParam[];
  /** The return value (`fexit`, `fmod_ret`, `lsm` of a non-void target), undefined otherwise. */
  readonly returns: TracingParam | undefined;
}

const ATTACH: Readonly<Record<TracingKind, TracingSignature['attachType']>> = {
  fentry: 'trace_fentry', fexit: 'trace_fexit', fmod_ret: 'modify_return', tp_btf: 'trace_raw_tp', lsm: 'lsm_mac',
};

/**
 * The signature of `kind` on `target` from `btf` (the running kernel's by default). Throws a
 * {@link DslError} when the target is not in the BTF.
 */
export function tracingSignature(kind: TracingKind, target: string, btf: Btf = kernelBtf()): TracingSignature {
  if (!(kind in ATTACH)) throw new DslError(`tracing: unknown kind '${String(kind)}' (fentry, fexit, fmod_ret, tp_btf, lsm)`);
  let btfTarget: TracingSignature['btfTarget'];
  let params: { name: string; type: Type }[];
  let returns: Type;
  if (kind === 'tp_btf') {
    btfTarget = { name: `btf_trace_${target}`, kind: 'typedef' };
    const td = btf.find('typedef', btfTarget.name);
    if (td === undefined) throw new DslError(`tp_btf: no typedef ${btfTarget.name} in the kernel's BTF (unknown raw tracepoint '${target}')`);
    const ptr = resolveType(td);
    const proto = ptr.kind === 'ptr' ? resolveType(ptr.target) : ptr;
    if (proto.kind !== 'func_proto') throw new DslError(`tp_btf: ${btfTarget.name} is not a function pointer typedef`);
    params = proto.params.slice(1); // void *__data
    returns = { kind: 'void' };
  } else {
    btfTarget = { name: kind === 'lsm' ? `bpf_lsm_${target}` : target, kind: 'func' };
    const fn = btf.find('func', btfTarget.name);
    if (fn === undefined) throw new DslError(`${kind}: no function ${btfTarget.name} in the kernel's BTF${kind === 'lsm' ? ` (unknown LSM hook '${target}')` : ' (not a traceable kernel function, or in a module)'}`);
    params = fn.proto.params;
    returns = fn.proto.returns;
  }
  let slot = 0;
  const ps: TracingParam[] = params.map((p, i) => {
    const size = sizeOfType(p.type);
    if (size === undefined && resolveType(p.type).kind === 'void') throw new DslError(`${kind} ${target}: variadic functions cannot be traced`);
    if (size === undefined || size > 16) throw new DslError(`${kind} ${target}: argument ${i} (${typeText(p.type)}) cannot be passed in context slots`);
    const out = { name: p.name, btfType: p.type, type: scalarTypeOf(p.type), slot };
    slot += size > 8 ? 2 : 1;
    return out;
  });
  const hasRet = (kind === 'fexit' || kind === 'fmod_ret' || kind === 'lsm') && resolveType(returns).kind !== 'void';
  return Object.freeze({
    kind, target, progType: kind === 'lsm' ? 'lsm' as const : 'tracing' as const, attachType: ATTACH[kind], btfTarget,
    params: Object.freeze(ps),
    returns: hasRet ? { name: 'ret', btfType: returns, type: scalarTypeOf(returns), slot } : undefined,
  });
}

/** The indices of a tuple of argument types (`number` when the tuple's length is not known). */
export type ArgIndex<A extends readonly unknown[]> = number extends A['length'] ? number : Extract<keyof A, `${number}`> extends `${infer N extends number}` ? N : never;

/** The context of a `tracing` or `lsm` program with argument types `A` and return type `R`. */
export interface TracingContext<A extends readonly IntType[] = readonly IntType[], R extends IntType = IntType> {
  /** The program type. */
  readonly progType: 'tracing' | 'lsm';
  /** The variable holding the context pointer (internal). */
  readonly pointer: VarNode;
  /** The target and the argument layout. */
  readonly signature: TracingSignature;
  /** Argument `i` with its BTF type (BCC's `args->name` in `KFUNC_PROBE`; pointers are kernel addresses). */
  arg<I extends ArgIndex<A>>(i: I): Expr<A[I]>;
  /** The argument called `name` in the prototype. */
  argNamed(name: string): Expr<IntType>;
  /** The return value: fexit's result, fmod_ret's and lsm's previous return value. */
  readonly ret: Expr<R>;
  /**
   * The object pointer argument `i` points to, as a {@link KernelRef} typed by the BTF (BCC's
   * `args->file->f_flags` is `ctx.argRef(0).field('f_flags').value()`).
   */
  argRef(i: ArgIndex<A>): KernelRef;
}

function readSlot<T extends IntType>(pointer: VarNode, slot: number, type: T): Expr<T> {
  const raw = { kind: 'load' as const, type: u64, base: pointer, off: slot * 8 };
  return new Expr(type === u64 ? raw : fold.cast(type, raw), type);
}

/** Builds the context of `signature` over `pointer`. */
export function makeTracingContext<A extends readonly IntType[] = readonly IntType[], R extends IntType = IntType>(signature: TracingSignature, pointer: VarNode, reader?: KernelReader): TracingContext<A, R> {
  const { kind, target } = signature;
  const param = (p: TracingParam | undefined, what: string): Expr<IntType> => {
    if (p === undefined) throw new DslError(`${kind} ${target}: ${what}`);
    if (p.type === undefined) throw new DslError(`${kind} ${target}: argument '${p.name}' is a ${typeText(p.btfType)} passed by value, not a scalar`);
    return readSlot(pointer, p.slot, p.type);
  };
  return Object.freeze({
    progType: signature.progType,
    pointer,
    signature,
    arg: (i: number) => {
      if (!Number.isInteger(i) || i < 0 || i >= signature.params.length) throw new DslError(`${kind} ${target}: argument index ${String(i)} is out of range 0..${signature.params.length - 1}`);
      return param(signature.params[i], '') as never;
    },
    argRef: (i: number) => {
      if (!Number.isInteger(i) || i < 0 || i >= signature.params.length) throw new DslError(`${kind} ${target}: argument index ${String(i)} is out of range 0..${signature.params.length - 1}`);
      const p = signature.params[i];
      const t = resolveType(p.btfType);
      if (t.kind !== 'ptr') throw new DslError(`${kind} ${target}: argument ${i} '${p.name}' is a ${typeText(p.btfType)}, not a pointer`);
      if (reader === undefined) throw new DslError(`${kind} ${target}: argRef needs the builder (build the program with tracingProgram)`);
      const target2 = resolveType(t.target);
      const root = target2.kind === 'struct' || target2.kind === 'union' ? target2 : undefined;
      return new KernelRef(reader, readSlot(pointer, p.slot, u64), t.target, p.name || `arg${i}`, root);
    },
    argNamed: (name: string) => param(signature.params.find((p) => p.name === name), `no argument named '${name}' (arguments: ${signature.params.map((p) => p.name).join(', ')})`),
    get ret() {
      return param(signature.returns, kind === 'fentry' || kind === 'tp_btf' ? `${kind} programs see no return value (use fexit)` : 'the target returns void') as Expr<R>;
    },
  });
}

/**
 * Checks declared argument types `args` (and `ret`) against `signature`: same count, each the
 * type the BTF gives. Throws a {@link DslError} naming the first mismatch.
 */
export function checkTracingArgs(signature: TracingSignature, args: readonly IntType[] | undefined, ret: IntType | undefined): void {
  const where = `${signature.kind} ${signature.target}`;
  if (args !== undefined) {
    if (args.length !== signature.params.length) throw new DslError(`${where}: ${args.length} argument types declared, the kernel's prototype has ${signature.params.length} (${signature.params.map((p) => `${typeText(p.btfType)} ${p.name}`).join(', ')})`);
    args.forEach((t, i) => {
      const p = signature.params[i];
      if (p.type !== t) throw new DslError(`${where}: argument ${i} '${p.name}' is ${typeText(p.btfType)} (${p.type === undefined ? 'not a scalar' : p.type.name}) in this kernel, declared ${t.name}`);
    });
  }
  if (ret !== undefined) {
    const r = signature.returns;
    if (r === undefined) throw new DslError(`${where}: a return type is declared but the program sees no return value`);
    if (r.type !== ret) throw new DslError(`${where}: the return value is ${typeText(r.btfType)} in this kernel, declared ${ret.name}`);
  }
}
