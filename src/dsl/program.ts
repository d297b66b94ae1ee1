/**
 * Building a program: `program(name, progType, ($, ctx) => …)` runs the callback once and
 * records what it does as an immutable tree of statement nodes. Building, compiling
 * ({@link compile}) and running (in the interpreter or the kernel) are separate steps.
 *
 * ```ts
 * const prog = program('count', 'xdp', ($, ctx) => {
 *   const counts = $.hash('counts', u32, u64, { maxEntries: 256 });
 *   $.ifPacket(ctx, 14, 20, (ip) => {
 *     const proto = ip.u8(9).cast(u32);
 *     $.ifSome(counts.lookup(proto), (v) => v.atomicAdd(1), () => { counts.update(proto, 1n); });
 *   });
 *   return XDP_PASS;
 * });
 * ```
 * @module
 */

import { helperByName } from 'ebpf-bytecode-utils';
import { bool, s64, u16, u32, u64, u8, type Bool, type IntType, type S32, type ScalarType, type U32, type U64 } from './c-types.js';
import { makeContext, packetOffsetsOf, writableFields, type Context, type ProgType, type WritableField } from './context.js';
import type { Emitter } from './emitter.js';
import { DslError, type DslTypeError } from './errors.js';
import { Expr, lit, operandNode, type Operand } from './expr.js';
import { possibleCpuCount } from '../system/possible-cpus.js';
import { ProgArrayHandle } from './prog-array.js';
import { QueueHandle } from './queue-map.js';
import { PERF_MAX_STACK_DEPTH, StackTraceHandle } from './stack-trace-map.js';
import type { SomeType, StructType } from '../types/index.js';
import { MapHandle, PerfEventArrayHandle, RingBufHandle, type DslMapSpec, type InnerMapSpec, type MapOptions, type Maybe } from './maps.js';
import { MapOfMapsHandle, type InnerMapTemplate, type MaybeMap } from './map-of-maps.js';
import { recordMapTypes } from './map-types.js';
import { Ref, type FieldName, type FieldType } from './ref.js';
import type { ArgNode, ExprNode, FuncNode, LetStmt, Place, StmtNode, VarNode, VarType } from './nodes.js';
import { addContextSlot, usesContext } from './function-context.js';
import { checkSubprogramName, isScalarParam, MAX_SUBPROGRAM_PARAMS, Subprogram, type ParamValues } from './subprogram.js';
import { Reservation } from './ringbuf-reservation.js';
import { BPF_MAX_LOOPS, LoopCallbackResult, loopCallbackName } from './bpf-loop.js';
import { FOR_EACH_MAP_TYPES, forEachCallbackName } from './for-each-map-elem.js';
import { ReadOnlyData, RODATA_MAP_NAME } from './read-only-data.js';
import { snprintfConversions } from './snprintf-format.js';
import type { TracepointFormat } from '../tracefs/format.js';
import { makeTracepointContext } from './tracepoint-context.js';
import { makeKprobeContext } from './kprobe-context.js';
import { makePerfEventContext } from './perf-event-context.js';
import { hostArch, ptRegsLayout, type PtRegsArch } from './pt-regs.js';
import type { ParmIndex } from './kprobe-context.js';
import { makeRawTracepointContext } from './raw-tracepoint-context.js';
import { makeTracingContext, type TracingSignature } from './tracing-context.js';
import type { Btf } from 'ebpf-bytecode-utils';
import { kernelBtf } from './kernel-btf.js';
import { kernelRoot, type KernelRef } from './kernel-ref.js';
import { captureSite, recordSite } from './source-location.js';
import { callKfunc, type KfuncArg, type KfuncArgDecl, type KfuncArgOf, type KfuncDecl, type KfuncResultOf, type KfuncRetDecl } from './kfunc.js';
import { iterNumLoop } from './iter-num.js';
import { callHelper, type HelperArgs, type HelperName, type HelperResult } from './helper-call.js';
import type { CompileOptions } from './compile.js';
import type { CompiledVerifyResult, VerifyCompiledOptions } from './verify-compiled.js';

/** A built program: immutable, inspectable, input of {@link compile}. */
export interface Program<P extends ProgType = ProgType> {
  /** Discriminant. */
  readonly kind: 'program';
  /** Program name (at most 15 bytes in the kernel). */
  readonly name: string;
  /** Program type. */
  readonly progType: P;
  /** License (`GPL` unless said; GPL-only helpers need a GPL-compatible one). */
  readonly license: string;
  /** The maps the program declares, in declaration order. */
  readonly maps: readonly DslMapSpec[];
  /** The context pointer variable (R1 at entry). */
  readonly ctx: VarNode;
  /** The statements; the last is a return. */
  readonly body: readonly StmtNode[];
  /** Its bpf-to-bpf subprograms and callbacks (`$.func`, `$.loop`), in declaration order. */
  readonly funcs?: readonly FuncNode[];
  /** What a BTF-typed program (`tracing`, `lsm`) attaches to: loading sets `expected_attach_type` and `attach_btf_id` from it. */
  readonly attach?: ProgramAttach;
  /**
   * Runs the offline verifier (verifier-sim) on exactly what {@link compile} makes of this
   * program, with what loading passes along (func_info for subprograms and callbacks, the
   * running kernel's BTF for kfuncs): no kernel, no root. A rejection carries the kernel's
   * message and the TypeScript line of the failing instruction (`source`).
   *
   * ```ts
   * const r = await prog.verify();
   * if (r.verdict === 'reject') console.error(`${r.source?.file}:${r.source?.line}: ${r.error}`);
   * ```
   *
   * Asynchronous because verifier-sim is loaded on the first call: programs that are only
   * loaded into the kernel never pay for it.
   */
  verify(options?: ProgramVerifyOptions): Promise<CompiledVerifyResult>;
}

/** Options of {@link Program.verify}: the verifier's, plus how to compile first. */
export interface ProgramVerifyOptions extends VerifyCompiledOptions {
  /** Passed to {@link compile}. */
  readonly compile?: CompileOptions;
}

/** What every {@link Program} inherits: kept off the object itself, so programs still compare by their data. */
const programMethods: Pick<Program, 'verify'> = {
  async verify(this: Program, options: ProgramVerifyOptions = {}): Promise<CompiledVerifyResult> {
    const [{ compile }, { verifyCompiled }] = await Promise.all([import('./compile.js'), import('./verify-compiled.js')]);
    return verifyCompiled(compile(this, options.compile), options);
  },
};

/** The attach target of a `tracing` or `lsm` program. */
export interface ProgramAttach {
  /** `expected_attach_type`, the kernel's lower-case name: `trace_fentry`, `trace_fexit`, `modify_return`, `trace_raw_tp`, `lsm_mac`. */
  readonly attachType: string;
  /** Function, raw tracepoint or hook name as given. */
  readonly target: string;
  /** The vmlinux BTF type whose id is `attach_btf_id`: `do_unlinkat` (func), `btf_trace_sys_enter` (typedef), `bpf_lsm_file_open` (func). */
  readonly btfName: string;
  /** Its BTF kind. */
  readonly btfKind: 'func' | 'typedef';
}

/** Options of {@link program}. */
export interface ProgramOptions {
  /** License, `GPL` by default. */
  readonly license?: string;
  /**
   * The record layout of a `tracepoint` program (required for that type): a parsed tracefs
   * format, e.g. `tracepointFormat('syscalls', 'sys_enter_openat')`. `tracepointProgram` reads
   * it for you.
   */
  readonly tracepointFormat?: TracepointFormat;
  /**
   * The register layout of `kprobe` and `perf_event` contexts (`PT_REGS_*`): `x86_64` or `arm64`;
   * by default the host's (`process.arch`).
   */
  readonly arch?: PtRegsArch;
  /**
   * `kprobe` programs: whether syscall arguments are behind a wrapper's `struct pt_regs *`
   * (`ctx.syscallParm`); true by default (x86_64 since Linux 4.17, arm64 since 4.19).
   */
  readonly syscallWrapper?: boolean;
  /** `tracing` and `lsm` programs (required for those types): the target's signature; `tracingProgram` builds it. */
  readonly tracing?: TracingSignature;
}

/** A variable: an expression that can also be assigned. */
export class Var<T extends ScalarType> extends Expr<T> {
  readonly #out: Emitter;
  /** The variable node. */
  declare readonly node: VarNode;

  /** Wraps a variable node (internal: made by `$.let`). */
  constructor(out: Emitter, node: VarNode, type: T) {
    super(node, type);
    this.#out = out;
  }

  /** Assigns `value`: `x = value`. */
  set(value: Operand<T>): void {
    this.#out.emit({ kind: 'assign', target: this.node, value: operandNode(this.type, value, 'set') });
  }
}

/** A bounds-checked window of packet bytes (inside `$.ifPacket`); offsets are window-relative. */
export class PacketView {
  readonly #out: Emitter;
  /** The `data` pointer variable (internal). */
  readonly pointer: VarNode;
  /** Offset of the window in the packet. */
  readonly offset: number;
  /** Size of the window. */
  readonly size: number;

  /** Binds a checked packet pointer (internal: made by `$.ifPacket`). */
  constructor(out: Emitter, pointer: VarNode, offset: number, size: number) {
    this.#out = out;
    this.pointer = pointer;
    this.offset = offset;
    this.size = size;
  }

  #read<T extends IntType>(type: T, at: number, swap: boolean): Expr<T> {
    if (!Number.isInteger(at) || at < 0 || at + type.size > this.size) {
      throw new DslError(`packet read of ${type.size} bytes at ${String(at)} is outside the checked window of ${this.size} bytes`);
    }
    const v = this.#out.newVar(type, 'pkt');
    this.#out.emit({ kind: 'read', target: v, place: { kind: 'pointer', base: this.pointer, off: this.offset + at }, type, swap });
    return new Expr(v, type);
  }

  /** The byte at `at`. */
  u8(at: number): Expr<typeof u8> { return this.#read(u8, at, false); }
  /** The big-endian (network order) `__be16` at `at`, in host order (`ntohs`). */
  u16be(at: number): Expr<typeof u16> { return this.#read(u16, at, true); }
  /** The big-endian `__be32` at `at`, in host order (`ntohl`). */
  u32be(at: number): Expr<U32> { return this.#read(u32, at, true); }
  /** The little-endian `u16` at `at`. */
  u16(at: number): Expr<typeof u16> { return this.#read(u16, at, false); }
  /** The little-endian `u32` at `at`. */
  u32(at: number): Expr<U32> { return this.#read(u32, at, false); }
  /** The little-endian `u64` at `at`. */
  u64(at: number): Expr<U64> { return this.#read(u64, at, false); }
}

/** The context parameter of `$.ifPacket`: a readable error for program types without direct packet access. */
export type PacketContext<P extends ProgType> = P extends 'socket_filter'
  ? DslTypeError<'socket_filter programs have no direct packet access (data/data_end); use sched_cls or xdp'>
  : P extends 'tracepoint'
    ? DslTypeError<'tracepoint programs have no packet; read their record through ctx.args'>
    : P extends 'kprobe' | 'raw_tracepoint' | 'perf_event' | 'tracing' | 'lsm'
      ? DslTypeError<'tracing programs have no packet'>
      : Context<P>;

/** The function a builder is building: what `$.return`, `$.break` and `$.continue` mean there. */
type Frame =
  | { readonly kind: 'program'; readonly name: string }
  | { readonly kind: 'func'; readonly name: string; readonly ret: ScalarType }
  | { readonly kind: 'callback'; readonly name: string };

/** Licenses the kernel treats as GPL-compatible (`license_is_gpl_compatible`). */
const GPL_COMPATIBLE: ReadonlySet<string> = new Set(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);

/** Largest unrolled loop. */
export const MAX_UNROLL = 64;
/** Loops of at most this many iterations are unrolled unless said otherwise. */
export const UNROLL_BY_DEFAULT = 16;

/**
 * The builder handed to a program's callback (`$`): locals, control flow, maps, helpers.
 */
export class Builder<P extends ProgType> implements Emitter {
  /** The program type. */
  readonly progType: P;
  /** The license (GPL-only helpers need a GPL-compatible one). */
  readonly license: string;
  /** The context pointer variable. */
  readonly ctx: VarNode;
  readonly #blocks: StmtNode[][] = [[]];
  readonly #maps: DslMapSpec[] = [];
  #nextVar = 1;
  #nextObject = 1;
  readonly #funcs: FuncNode[] = [];
  readonly #rodata = new ReadOnlyData();
  /** The function being built: the program itself, a `$.func` subprogram or a `$.loop` callback. */
  readonly #frames: Frame[] = [{ kind: 'program', name: 'the program' }];

  /** A builder for a program of type `progType` (internal: made by {@link program}). */
  constructor(progType: P, license = 'GPL') {
    this.progType = progType;
    this.license = license;
    this.ctx = { kind: 'var', type: { kind: 'ptr', to: 'ctx', size: 8 }, id: 0, name: 'ctx' };
  }

  /** Appends `stmt` to the block being built (used by variables, refs and map handles). */
  emit(stmt: StmtNode): void {
    recordSite(stmt);
    this.#blocks[this.#blocks.length - 1].push(stmt);
  }

  /** A fresh variable of `type`, named `name` plus its id in dumps. */
  newVar(type: VarType, name: string): VarNode {
    const id = this.#nextVar++;
    return { kind: 'var', type, id, name: `${name}${id}` };
  }

  /**
   * Appends a call of helper `name` after checking that the program type offers it (the helper
   * table's program types), and returns the variable receiving R0 (when `result` is given).
   */
  call(name: string, args: readonly ArgNode[], result: ScalarType | undefined): VarNode | undefined {
    const h = helperByName(name);
    if (h === undefined) throw new DslError(`helper '${name}' is not in the helper table`);
    if (!h.programTypes.includes(this.progType)) throw new DslError(`helper ${h.name} is not available to ${this.progType} programs`);
    if (h.gplOnly && !GPL_COMPATIBLE.has(this.license)) throw new DslError(`helper ${h.name} is GPL-only and the license is '${this.license}'`);
    const target = result === undefined ? undefined : this.newVar(result, name.replace(/^bpf_/, '').replace(/_.*/, ''));
    this.emit({ kind: 'call', helper: h.id, name: h.name, args, result: target });
    return target;
  }

  /** The statements and maps built so far (used by {@link program} when the callback returns). */
  finish(): { body: StmtNode[]; maps: DslMapSpec[]; funcs: FuncNode[] } {
    const rodata = this.#rodata.spec();
    if (rodata !== undefined && !this.#maps.some((m) => m.rodata !== undefined)) {
      if (this.#maps.some((m) => m.name === RODATA_MAP_NAME)) throw new DslError(`map name '${RODATA_MAP_NAME}' is reserved for the program's string constants ($.snprintf, $.strncmp)`);
      this.#maps.push(Object.freeze(rodata));
    }
    return { body: this.#blocks[0], maps: this.#maps, funcs: this.#funcs };
  }

  /** The argument pointing at read-only string constant `text` in the program's `.rodata` map (internal: `$.snprintf`, `$.strncmp`, `$.callHelper`). */
  constString(text: string, who: string): ArgNode {
    return this.#rodata.constString(text, who);
  }

  #reservation(ref: Ref<SomeType>, record: ArgNode): Reservation {
    const block = this.#blocks[this.#blocks.length - 1];
    const at = block.length;
    return new Reservation({
      out: this,
      depth: () => this.#blocks.length,
      declare: (stmt: LetStmt) => { recordSite(stmt); block.splice(at, 0, stmt); },
      branch: (cond, then, otherwise) => this.if(cond, then, otherwise),
    }, record, ref as Ref<never>);
  }

  #block(fn: () => void): StmtNode[] {
    this.#blocks.push([]);
    fn();
    return this.#blocks.pop()!;
  }

  // ---- locals and control flow ----

  /** A new local of `type` initialised with `init`: `const x = $.let(u64, 0n)`. */
  let<T extends ScalarType>(type: T, init: Operand<T>): Var<T> {
    const v = this.newVar(type, 'x');
    this.emit({ kind: 'let', target: v, init: operandNode(type, init, 'let') });
    return new Var(this, v, type);
  }

  /** `if (cond) { then } else { otherwise }`; a constant condition keeps only the taken branch. */
  if(cond: Operand<Bool>, then: () => void, otherwise?: () => void): void {
    const c = operandNode(bool, cond, 'if');
    const t = this.#block(then);
    const e = otherwise === undefined ? [] : this.#block(otherwise);
    if (c.kind === 'const') {
      for (const s of c.value !== 0n ? t : e) this.emit(s);
      return;
    }
    this.emit({ kind: 'if', cond: c, then: t, otherwise: e });
  }

  /** Returns from the program with `value` (any integer expression, or a literal). */
  return(value: Expr<IntType> | Expr<Bool> | number | bigint): void {
    const frame = this.#frames[this.#frames.length - 1];
    if (frame.kind === 'callback') throw new DslError(`return: inside ${frame.name}, a callback of $.loop or $.forEachElem, use $.break() to stop the loop or $.continue() to go on with the next iteration`);
    if (frame.kind === 'func') {
      this.emit({ kind: 'return', value: operandNode(frame.ret, value, `return from ${frame.name}`) });
      return;
    }
    this.emit({ kind: 'return', value: returnNode(value) });
  }

  /**
   * A loop over constant bounds `from` ≤ i < `to`. Small loops (at most {@link UNROLL_BY_DEFAULT}
   * iterations, or up to {@link MAX_UNROLL} with `unroll: true`) are unrolled: the body is built
   * once per iteration with `i` a constant, so it folds. Others (or `unroll: false`) become a
   * kernel bounded loop with a counter in a register (Requires Linux 5.3); the verifier walks
   * every iteration, so keep the bound modest. For large or run-time counts, see {@link Builder.loop}
   * (`bpf_loop`).
   */
  for(from: number, to: number, body: (i: Expr<U32>) => void, options: { readonly unroll?: boolean } = {}): void {
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from || to > 0x7fffffff) throw new DslError(`for: bounds ${from}..${to} must be integers with 0 <= from <= to < 2^31`);
    const unroll = options.unroll ?? to - from <= UNROLL_BY_DEFAULT;
    if (unroll) {
      if (to - from > MAX_UNROLL) throw new DslError(`for: ${to - from} iterations exceed the unrolling limit of ${MAX_UNROLL}`);
      for (let i = from; i < to; i++) body(new Expr(operandNode(u32, i, 'for'), u32));
      return;
    }
    const counter = this.newVar(u32, 'i');
    const b = this.#block(() => body(new Expr(counter, u32)));
    this.emit({ kind: 'loop', counter, from, to, body: b });
  }

  /**
   * Builds function `name`; `withContext` rewrites its parameters and body when the body uses
   * the program's context (see function-context.ts), and says whether it did.
   */
  #function(name: string, params: readonly VarNode[], ret: ScalarType, frame: Frame, build: () => void, withContext: (params: readonly VarNode[], body: StmtNode[]) => readonly VarNode[]): FuncNode {
    const site = captureSite();
    this.#frames.push(frame);
    let body: StmtNode[];
    try {
      body = this.#block(build);
    } finally {
      this.#frames.pop();
    }
    const usesCtx = usesContext(body, this.ctx);
    const finalParams = usesCtx ? withContext(params, body) : params;
    const id = this.#funcs.length + 1;
    const node: FuncNode = Object.freeze({ kind: 'func', id, name, params: Object.freeze([...finalParams]), ret, body: Object.freeze(body), label: `func${id}_${name}`, ...(usesCtx ? { usesCtx } : {}) });
    recordSite(node, site);
    this.#funcs.push(node);
    return node;
  }

  /**
   * Declares a bpf-to-bpf subprogram `name` taking `params` and returning `ret`; `body` builds
   * it once, with the parameters as scalar variables (or `Ref`s for struct-typed parameters,
   * passed by pointer), and its result is the return value (0 when none; `$.return(v)` returns
   * early). Call it with `.call(…)`:
   *
   * ```ts
   * const clamp = $.func('clamp', [u64, u64], u64, ($, v, max) => { $.if(v.gt(max), () => $.return(max)); return v; });
   * const n = clamp.call(len, 4096n);
   * ```
   *
   * The body sees only its parameters, its own locals, the maps and the program's `ctx`: a body
   * that uses `ctx` takes it as a hidden first parameter (so at most four others), as a C static
   * function takes `void *ctx` (see function-context.ts). Each subprogram has
   * its own registers and 512-byte stack frame; see {@link Subprogram}. Requires Linux 4.16.
   */
  func<const Ps extends readonly SomeType[], R extends ScalarType>(name: string, params: Ps, ret: R, body: ($: this, ...args: ParamValues<Ps>) => Operand<R> | void): Subprogram<Ps, R> {
    checkSubprogramName(name);
    if (this.#funcs.some((f) => f.name === name)) throw new DslError(`func: '${name}' is declared twice`);
    if (params.length > MAX_SUBPROGRAM_PARAMS) throw new DslError(`func '${name}': ${params.length} parameters, at most ${MAX_SUBPROGRAM_PARAMS} (R1–R5)`);
    if (!isScalarParam(ret as SomeType)) throw new DslError(`func '${name}': the result must be a scalar (an integer or bool type)`);
    const vars = params.map((t) => isScalarParam(t) ? this.newVar(t, 'arg') : this.newVar({ kind: 'ptr', to: 'stack', size: 8 }, 'arg'));
    const values = params.map((t, i) => isScalarParam(t) ? new Var(this, vars[i], t) : new Ref(this, { kind: 'pointer', base: vars[i], off: 0 }, t));
    const node = this.#function(name, vars, ret, { kind: 'func', name: `subprogram '${name}'`, ret }, () => {
      const r = body(this, ...(values as ParamValues<Ps>));
      this.emit({ kind: 'return', value: operandNode(ret, r ?? (ret.kind === 'bool' ? false : 0), `return from '${name}'`) });
    }, (ps) => {
      // The context is a hidden first parameter (R1), so one register fewer is left.
      if (ps.length >= MAX_SUBPROGRAM_PARAMS) throw new DslError(`func '${name}': uses the context, which is passed as a hidden first parameter: at most ${MAX_SUBPROGRAM_PARAMS - 1} parameters then, got ${ps.length}`);
      return [this.ctx, ...ps];
    });
    return new Subprogram(this, node, params, ret);
  }

  /**
   * `bpf_loop(count, callback, &shared, 0)`: runs `body` as a callback `count` times (at most
   * {@link BPF_MAX_LOOPS}), with the iteration number `i` (0…count-1) and, when given, `shared`
   * (a stack object from `$.struct`, which the callback reads and writes through a pointer). The
   * verifier checks the callback once rather than every iteration, so the count may be large or
   * unknown — where `$.for` unrolls or needs the verifier to walk each iteration. Inside,
   * `$.break()` stops the loop and `$.continue()` ends this iteration; the callback sees only
   * `i`, `shared`, maps, the program's `ctx` (carried in 8 hidden bytes after `shared`, which
   * must then be a stack object of this function) and its own locals. The result is the number of iterations run, or a
   * negative errno. Requires Linux 5.17.
   *
   * Since Linux 6.7 the verifier re-checks the callback until its states stop changing. It
   * tracks stack values exactly, so shared state that steers branches and changes every
   * iteration (a value halved or tripled, compared with a bound) can keep the states from ever
   * matching, and the load fails with "BPF program is too large"; keep such state in a map value
   * (a per-CPU array looked up in the body), whose contents the verifier does not track.
   *
   * ```ts
   * const acc = $.struct(Acc);
   * $.loop(100, acc, (i, a) => { a.field('sum').set(a.field('sum').get().add(i.cast(u64))); });
   * ```
   */
  loop(count: Operand<U32>, body: (i: Expr<U32>) => void): Expr<typeof s64>;
  loop<S extends SomeType>(count: Operand<U32>, shared: Ref<S>, body: (i: Expr<U32>, shared: Ref<S>) => void): Expr<typeof s64>;
  loop<S extends SomeType>(count: Operand<U32>, sharedOrBody: Ref<S> | ((i: Expr<U32>) => void), maybeBody?: (i: Expr<U32>, shared: Ref<S>) => void): Expr<typeof s64> {
    const shared = sharedOrBody instanceof Ref ? sharedOrBody : undefined;
    const body = (shared === undefined ? sharedOrBody : maybeBody) as (i: Expr<U32>, shared: Ref<S>) => void;
    if (typeof body !== 'function') throw new DslError('loop: the last argument must be the loop body (a function)');
    const n = operandNode(u32, count, 'loop');
    if (n.kind === 'const' && n.value > BigInt(BPF_MAX_LOOPS)) throw new DslError(`loop: ${n.value} iterations exceed bpf_loop's limit of ${BPF_MAX_LOOPS}`);
    if (shared !== undefined && !(shared.place.kind === 'stack' || (shared.place.base.type.kind === 'ptr' && shared.place.base.type.to === 'stack'))) {
      throw new DslError('loop: the shared state must be a stack object ($.struct): bpf_loop passes a pointer to the stack');
    }
    const index = this.newVar(u32, 'i');
    const ctx = this.newVar({ kind: 'ptr', to: 'stack', size: 8 }, 'shared');
    const name = loopCallbackName(this.#funcs.length + 1);
    let sharedArg: ArgNode = shared === undefined ? { kind: 'value', expr: operandNode(u64, 0, 'loop') } : shared.asArg();
    const node = this.#function(name, [index, ctx], s64, { kind: 'callback', name: `the $.loop callback '${name}'` }, () => {
      body(new Expr(index, u32), (shared === undefined ? undefined : new Ref(this, { kind: 'pointer', base: ctx, off: 0 }, shared.type)) as Ref<S>);
      this.emit({ kind: 'return', value: operandNode(s64, LoopCallbackResult.CONTINUE, 'loop') });
    }, (ps, stmts) => {
      sharedArg = this.#contextThroughShared('loop', shared, ctx, stmts);
      return ps;
    });
    const r = this.call('loop', [{ kind: 'value', expr: n }, { kind: 'func', func: node }, sharedArg, { kind: 'value', expr: operandNode(u64, 0, 'loop') }], s64);
    return new Expr(r!, s64);
  }

  /**
   * Makes the program's `ctx` reach a callback that gets only `callback_ctx` (`shared`, or a
   * stack object of its own when `shared` is undefined): stores the context next to the shared
   * state before the call, and loads it back at the callback's entry through `param` (a spill and
   * fill of PTR_TO_CTX). Returns the `callback_ctx` argument to pass.
   */
  #contextThroughShared(who: string, shared: Ref<SomeType> | undefined, param: VarNode, stmts: StmtNode[]): ArgNode {
    let slot: Place;
    let at: number;
    let arg: ArgNode;
    if (shared === undefined) {
      const obj = { kind: 'object' as const, id: this.#nextObject++, size: 8, name: `ctxslot${this.#nextObject}` };
      this.emit({ kind: 'object', obj });
      slot = { kind: 'stack', obj, off: 0 };
      arg = { kind: 'pointer', place: slot, size: 8 };
      at = 0;
    } else {
      const place = shared.place;
      if (place.kind !== 'stack') throw new DslError(`${who}: the callback uses the context, which travels with the shared state: give a stack object declared in this function ($.struct), not a pointer parameter`);
      const objOff = addContextSlot(place.obj);
      slot = { kind: 'stack', obj: place.obj, off: objOff };
      at = objOff - place.off;
      arg = shared.asArg();
    }
    this.emit({ kind: 'store', place: slot, type: u64, value: this.ctx });
    stmts.unshift({ kind: 'read', target: this.ctx, place: { kind: 'pointer', base: param, off: at }, type: u64, swap: false });
    return arg;
  }

  /**
   * `bpf_for_each_map_elem(&map, callback, &shared, 0)`: runs `body` once for each element of
   * `map` (a hash, LRU hash, array or their per-CPU variants; per-CPU maps show this CPU's
   * value), with `key` (read-only: the kernel refuses writes through a key pointer) and `value`
   * (writable: a store changes the element in place) and, when given, `shared` (a stack object
   * from `$.struct`). Inside, `$.break()` stops the walk after this element and `$.continue()`
   * goes on with the next; the callback sees `key`, `value`, `shared`, maps, the program's `ctx`
   * (carried in 8 hidden bytes after `shared`, as for {@link Builder.loop}) and its own locals.
   * The result is the number of elements visited (the one that stopped the walk included), or a
   * negative errno. Requires Linux 5.13.
   *
   * ```ts
   * const acc = $.struct(Acc);
   * $.forEachElem(counts, acc, (k, v, a) => { a.field('sum').set(a.field('sum').get().add(v.get())); });
   * ```
   */
  forEachElem<K extends SomeType, V extends SomeType>(map: MapHandle<K, V>, body: (key: Ref<K>, value: Ref<V>) => void): Expr<typeof s64>;
  forEachElem<K extends SomeType, V extends SomeType, S extends SomeType>(map: MapHandle<K, V>, shared: Ref<S>, body: (key: Ref<K>, value: Ref<V>, shared: Ref<S>) => void): Expr<typeof s64>;
  forEachElem<K extends SomeType, V extends SomeType, S extends SomeType>(map: MapHandle<K, V>, sharedOrBody: Ref<S> | ((key: Ref<K>, value: Ref<V>) => void), maybeBody?: (key: Ref<K>, value: Ref<V>, shared: Ref<S>) => void): Expr<typeof s64> {
    if (!(map instanceof MapHandle)) throw new DslError('forEachElem: the first argument must be a hash or array map of this program ($.hash, $.array, …)');
    if (!FOR_EACH_MAP_TYPES.has(map.spec.type)) throw new DslError(`forEachElem: map '${map.spec.name}' is a ${map.spec.type} map; bpf_for_each_map_elem walks ${[...FOR_EACH_MAP_TYPES].join(', ')} maps`);
    const shared = sharedOrBody instanceof Ref ? sharedOrBody : undefined;
    const body = (shared === undefined ? sharedOrBody : maybeBody) as (key: Ref<K>, value: Ref<V>, shared: Ref<S>) => void;
    if (typeof body !== 'function') throw new DslError('forEachElem: the last argument must be the callback body (a function)');
    if (shared !== undefined && !(shared.place.kind === 'stack' || (shared.place.base.type.kind === 'ptr' && shared.place.base.type.to === 'stack'))) {
      throw new DslError('forEachElem: the shared state must be a stack object ($.struct): bpf_for_each_map_elem passes a pointer to the stack');
    }
    const mapParam = this.newVar({ kind: 'ptr', to: 'map', size: 8 }, 'map');
    const keyParam = this.newVar({ kind: 'ptr', to: 'map_value', size: 8 }, 'key');
    const valueParam = this.newVar({ kind: 'ptr', to: 'map_value', size: 8 }, 'value');
    const ctx = this.newVar({ kind: 'ptr', to: 'stack', size: 8 }, 'shared');
    const name = forEachCallbackName(this.#funcs.length + 1);
    let sharedArg: ArgNode = shared === undefined ? { kind: 'value', expr: operandNode(u64, 0, 'forEachElem') } : shared.asArg();
    const node = this.#function(name, [mapParam, keyParam, valueParam, ctx], s64, { kind: 'callback', name: `the $.forEachElem callback '${name}'` }, () => {
      const key = new Ref(this, { kind: 'pointer', base: keyParam, off: 0 }, map.keyType, `the key of map '${map.spec.name}' is read-only in a $.forEachElem callback (the kernel refuses writes through a key pointer)`);
      const value = new Ref(this, { kind: 'pointer', base: valueParam, off: 0 }, map.valueType);
      body(key, value, (shared === undefined ? undefined : new Ref(this, { kind: 'pointer', base: ctx, off: 0 }, shared.type)) as Ref<S>);
      this.emit({ kind: 'return', value: operandNode(s64, LoopCallbackResult.CONTINUE, 'forEachElem') });
    }, (ps, stmts) => {
      sharedArg = this.#contextThroughShared('forEachElem', shared, ctx, stmts);
      return ps;
    });
    const r = this.call('for_each_map_elem', [map.mapArg, { kind: 'func', func: node }, sharedArg, { kind: 'value', expr: operandNode(u64, 0, 'forEachElem') }], s64);
    return new Expr(r!, s64);
  }

  #callback(who: string): void {
    const frame = this.#frames[this.#frames.length - 1];
    if (frame.kind !== 'callback') throw new DslError(`${who}: only inside a $.loop body or a $.forEachElem body (here: ${frame.name}; $.for loops are unrolled or bounded and have no ${who})`);
  }

  /** Inside a `$.loop` body: stops the loop after this iteration's statements so far (the callback returns 1). */
  break(): void {
    this.#callback('break');
    this.emit({ kind: 'return', value: operandNode(s64, LoopCallbackResult.BREAK, 'break') });
  }

  /** Inside a `$.loop` body: ends this iteration and goes on with the next (the callback returns 0). */
  continue(): void {
    this.#callback('continue');
    this.emit({ kind: 'return', value: operandNode(s64, LoopCallbackResult.CONTINUE, 'continue') });
  }

  // ---- maps ----

  #declare(spec: DslMapSpec): DslMapSpec {
    if (!/^[A-Za-z0-9_.]{1,15}$/.test(spec.name)) throw new DslError(`map name '${spec.name}' must be 1–15 letters, digits, '_' or '.'`);
    if (this.#maps.some((m) => m.name === spec.name)) throw new DslError(`map '${spec.name}' is declared twice`);
    this.#maps.push(Object.freeze(spec));
    return spec;
  }

  #keyed<K extends SomeType, V extends SomeType>(type: string, name: string, key: K, value: V, options: MapOptions): MapHandle<K, V> {
    const spec = this.#declare({ name, type, keySize: key.size, valueSize: value.size, maxEntries: options.maxEntries, flags: options.flags ?? 0 });
    recordMapTypes(spec, key, value);
    return new MapHandle(this, spec, key, value);
  }

  /** `BPF_HASH(name, K, V, maxEntries)`. */
  hash<K extends SomeType, V extends SomeType>(name: string, key: K, value: V, options: MapOptions): MapHandle<K, V> {
    return this.#keyed('hash', name, key, value, options);
  }
  /** `BPF_PERCPU_HASH`: one value per CPU. */
  percpuHash<K extends SomeType, V extends SomeType>(name: string, key: K, value: V, options: MapOptions): MapHandle<K, V> {
    return this.#keyed('percpu_hash', name, key, value, options);
  }
  /** An LRU hash (`BPF_TABLE("lru_hash", …)`). */
  lruHash<K extends SomeType, V extends SomeType>(name: string, key: K, value: V, options: MapOptions): MapHandle<K, V> {
    return this.#keyed('lru_hash', name, key, value, options);
  }
  /** `BPF_ARRAY(name, V, maxEntries)`: u32 keys 0…maxEntries-1, values zero-initialised. */
  array<V extends SomeType>(name: string, value: V, options: MapOptions): MapHandle<U32, V> {
    return this.#keyed('array', name, u32, value, options);
  }
  /** `BPF_PERCPU_ARRAY`. */
  percpuArray<V extends SomeType>(name: string, value: V, options: MapOptions): MapHandle<U32, V> {
    return this.#keyed('percpu_array', name, u32, value, options);
  }
  /**
   * `BPF_PERF_OUTPUT(name)`: `maxEntries` slots, by default one per possible CPU
   * (`/sys/devices/system/cpu/possible`; 128 where that cannot be read).
   */
  perfEventArray(name: string, options: { readonly maxEntries?: number } = {}): PerfEventArrayHandle {
    return new PerfEventArrayHandle(this, this.#declare({ name, type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: options.maxEntries ?? defaultPerfEventArraySize(), flags: 0 }));
  }
  /**
   * `BPF_STACK_TRACE(name, maxEntries)`: stack ids to up to `depth` return addresses
   * ({@link PERF_MAX_STACK_DEPTH} by default); fill it with `getStackId(ctx, flags)`.
   */
  stackTrace(name: string, options: { readonly maxEntries: number; readonly depth?: number }): StackTraceHandle {
    const depth = options.depth ?? PERF_MAX_STACK_DEPTH;
    if (!Number.isInteger(depth) || depth < 1 || depth > PERF_MAX_STACK_DEPTH) throw new DslError(`stackTrace '${name}': depth ${depth} must be 1..${PERF_MAX_STACK_DEPTH}`);
    return new StackTraceHandle(this, this.#declare({ name, type: 'stack_trace', keySize: 4, valueSize: depth * 8, maxEntries: options.maxEntries, flags: 0 }));
  }
  /**
   * `BPF_LPM_TRIE(name, K, V, maxEntries)`: longest-prefix-match keys, a struct whose first field
   * is the `u32` prefix length in bits, then the data bytes (`struct bpf_lpm_trie_key_u8`).
   * Created with `BPF_F_NO_PREALLOC`, which the kernel requires. Requires Linux 4.11.
   */
  lpmTrie<K extends StructType, V extends SomeType>(name: string, key: K, value: V, options: MapOptions): MapHandle<K, V> {
    const first = key.kind === 'struct' ? Object.values(key.spec)[0] : undefined;
    if (first === undefined || (first as SomeType).size !== 4 || key.size <= 4) throw new DslError(`lpmTrie '${name}': the key must be a struct starting with a u32 prefix length followed by data`);
    return this.#keyed('lpm_trie', name, key, value, { maxEntries: options.maxEntries, flags: (options.flags ?? 0) | 1 });
  }
  /** `BPF_PROG_ARRAY(name, maxEntries)`: program slots for {@link Builder.tailCall}. */
  progArray(name: string, options: { readonly maxEntries: number }): ProgArrayHandle {
    return new ProgArrayHandle(this.#declare({ name, type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: options.maxEntries, flags: 0 }));
  }
  /**
   * `bpf_tail_call(ctx, &progs, index)` (BCC's `progs.call(ctx, index)`): jumps to the program in
   * slot `index` and does not come back; continues here when the slot is empty.
   */
  tailCall(progs: ProgArrayHandle, index: Operand<U32>): void {
    this.call('tail_call', [{ kind: 'ctx', ctx: this.ctx }, { kind: 'map', map: progs.spec.name }, { kind: 'value', expr: operandNode(u32, index, 'tailCall') }], undefined);
  }
  /** `BPF_HASH_OF_MAPS`: keys of type `K` to inner maps shaped as `inner`. Requires Linux 4.12. */
  hashOfMaps<K extends SomeType, IK extends SomeType, IV extends SomeType>(name: string, key: K, inner: InnerMapTemplate<IK, IV>, options: MapOptions): MapOfMapsHandle<K, IK, IV> {
    return new MapOfMapsHandle(this.#declare({ name, type: 'hash_of_maps', keySize: key.size, valueSize: 4, maxEntries: options.maxEntries, flags: options.flags ?? 0, innerMap: innerSpec(name, inner) }), key, inner);
  }
  /** `BPF_ARRAY_OF_MAPS`: u32 slots of inner maps shaped as `inner`. Requires Linux 4.12. */
  arrayOfMaps<IK extends SomeType, IV extends SomeType>(name: string, inner: InnerMapTemplate<IK, IV>, options: MapOptions): MapOfMapsHandle<U32, IK, IV> {
    return new MapOfMapsHandle(this.#declare({ name, type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: options.maxEntries, flags: options.flags ?? 0, innerMap: innerSpec(name, inner) }), u32, inner);
  }
  /**
   * Runs `then` with the inner map when the map-in-map lookup found one (the NULL check the
   * verifier requires), else `otherwise`. Inside, the inner map is an ordinary {@link MapHandle}.
   */
  ifSomeMap<IK extends SomeType, IV extends SomeType>(maybe: MaybeMap<IK, IV>, then: (inner: MapHandle<IK, IV>) => void, otherwise?: () => void): void {
    const ptr = this.newVar({ kind: 'ptr', to: 'map', size: 8 }, 'map');
    const i = maybe.inner;
    const spec: DslMapSpec = { name: `${maybe.outer}[]`, type: i.type, keySize: i.key.size, valueSize: i.value.size, maxEntries: i.maxEntries, flags: i.flags ?? 0 };
    const t = this.#block(() => then(new MapHandle(this, spec, i.key, i.value, { kind: 'value', expr: ptr })));
    const e = otherwise === undefined ? [] : this.#block(otherwise);
    this.emit({ kind: 'ifSome', call: maybe.call, ptr, then: t, otherwise: e });
  }
  /** `BPF_QUEUE(name, V, maxEntries)`: a FIFO of values (push / pop / peek). Requires Linux 4.20. */
  queue<V extends SomeType>(name: string, value: V, options: MapOptions): QueueHandle<V> {
    return new QueueHandle(this, this.#declare({ name, type: 'queue', keySize: 0, valueSize: value.size, maxEntries: options.maxEntries, flags: options.flags ?? 0 }), value);
  }
  /** `BPF_STACK(name, V, maxEntries)`: a LIFO of values (push / pop / peek). Requires Linux 4.20. */
  stack<V extends SomeType>(name: string, value: V, options: MapOptions): QueueHandle<V> {
    return new QueueHandle(this, this.#declare({ name, type: 'stack', keySize: 0, valueSize: value.size, maxEntries: options.maxEntries, flags: options.flags ?? 0 }), value);
  }

  /**
   * BCC's `bpf_log2l(v)`, the bucket of a log2 histogram: `floor(log2(v)) + 1` for v ≥ 1, and 1
   * for 0 (bucket 0 stays empty, as in BCC). Computed without branches: each step turns
   * "v > 2^k - 1" into the sign bit of `(2^k - 1) - v` (v < 2^32 by then).
   */
  log2l(value: Operand<U64>): Expr<U32> {
    const v = this.let(u64, value);
    const r = this.let(u64, v.shr(32n).neg().shr(63n).shl(5n)); // (v >> 32 != 0) << 5
    v.set(v.shr(r));
    const s = this.let(u64, 0);
    for (const [limit, bit] of [[0xffffn, 4n], [0xffn, 3n], [0xfn, 2n], [0x3n, 1n]] as const) {
      s.set(lit(u64, limit).sub(v).shr(63n).shl(bit));
      v.set(v.shr(s));
      r.set(r.or(s));
    }
    return r.or(v.shr(1n)).add(1n).cast(u32);
  }
  /** `BPF_RINGBUF_OUTPUT(name, pages)`: `size` bytes, a power-of-2 multiple of the page size. */
  ringbuf(name: string, options: { readonly size: number }): RingBufHandle {
    const n = options.size;
    if (!Number.isInteger(n) || n < 4096 || (n & (n - 1)) !== 0) throw new DslError(`ringbuf '${name}': size ${n} must be a power of 2 of at least 4096`);
    return new RingBufHandle(this, this.#declare({ name, type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: n, flags: 0 }));
  }

  /**
   * Runs `then` with the value pointer when the lookup found something (the NULL check the
   * verifier requires), else `otherwise`.
   */
  ifSome<V extends SomeType, Rec = never>(maybe: Maybe<V, Rec>, then: (value: Ref<V>, record: Rec) => void, otherwise?: () => void): void {
    const ptr = this.newVar({ kind: 'ptr', to: 'map_value', size: 8 }, 'ptr');
    const t = this.#block(() => {
      // A reservation holds stale ring buffer bytes: zero it, padding included, before use.
      if (maybe.release !== undefined) {
        for (let off = 0; off < maybe.valueSize;) {
          const n = maybe.valueSize - off >= 8 ? 8 : maybe.valueSize - off >= 4 ? 4 : maybe.valueSize - off >= 2 ? 2 : 1;
          const type = n === 8 ? u64 : n === 4 ? u32 : n === 2 ? u16 : u8;
          this.emit({ kind: 'store', place: { kind: 'pointer', base: ptr, off }, type, value: operandNode(type, 0, 'reserve') });
          off += n;
        }
      }
      const ref = new Ref(this, { kind: 'pointer', base: ptr, off: 0 }, maybe.valueType);
      const record = maybe.release === undefined ? undefined : this.#reservation(ref, { kind: 'pointer', place: { kind: 'pointer', base: ptr, off: 0 }, size: maybe.valueSize });
      then(ref, record as Rec);
      record?.release();
    });
    if (maybe.release !== undefined && t.some(returns)) throw new DslError(`ifSome: returning before bpf_${maybe.release} would leak the reservation (the verifier refuses unreleased references)`);
    const e = otherwise === undefined ? [] : this.#block(otherwise);
    const h = helperByName(maybe.call.name)!;
    if (!h.programTypes.includes(this.progType)) throw new DslError(`helper ${h.name} is not available to ${this.progType} programs`);
    this.emit({ kind: 'ifSome', call: maybe.call, ptr, then: t, otherwise: e });
  }

  /**
   * Runs `then` with a view of packet bytes [offset, offset + size) when the packet is long
   * enough (emitting `if data + offset + size > data_end` as the verifier wants), else `otherwise`.
   */
  ifPacket(ctx: PacketContext<P>, offset: number, size: number, then: (packet: PacketView) => void, otherwise?: () => void): void {
    const offs = packetOffsetsOf(this.progType);
    if (offs === null) throw new DslError(`ifPacket: ${this.progType} programs have no direct packet access`);
    if (!Number.isInteger(offset) || !Number.isInteger(size) || offset < 0 || size <= 0 || offset + size > 0xffff) throw new DslError(`ifPacket: window ${offset}+${size} is not a non-empty range within 64 KiB`);
    const c = ctx as Context<P>;
    const ptr = this.newVar({ kind: 'ptr', to: 'packet', size: 8 }, 'data');
    const t = this.#block(() => then(new PacketView(this, ptr, offset, size)));
    const e = otherwise === undefined ? [] : this.#block(otherwise);
    this.emit({ kind: 'ifPacket', ctx: c.pointer, dataOff: offs.data, dataEndOff: offs.dataEnd, end: offset + size, ptr, then: t, otherwise: e });
  }

  /**
   * A stack object of struct type `type`, zeroed (padding included, so its address may escape to
   * helpers and its bytes to user space), with the fields of `init` written:
   * `const ev = $.struct(Event, { pid, ts: $.ktimeGetNs() })`.
   */
  struct<S extends StructType>(type: S, init: { readonly [K in FieldName<S>]?: FieldType<S, K> extends ScalarType ? Operand<FieldType<S, K>> : never } = {}): Ref<S> {
    if (type.kind !== 'struct') throw new DslError(`struct: ${String((type as SomeType).cName)} is not a struct type`);
    const obj = { kind: 'object' as const, id: this.#nextObject++, size: type.size, name: `${type.name}${this.#nextObject}` };
    if (obj.size > 512) throw new DslError(`struct: ${type.cName} of ${obj.size} bytes does not fit the 512-byte stack`);
    this.emit({ kind: 'object', obj });
    const ref = new Ref(this, { kind: 'stack', obj, off: 0 }, type);
    for (const [name, value] of Object.entries(init) as [FieldName<S>, unknown][]) {
      if (value === undefined) continue;
      (ref.field(name) as unknown as Ref<ScalarType>).set(value as never);
    }
    return ref;
  }

  /** Writes a context field the program type allows writing: `$.writeCtx('mark', 7)` (tc). */
  writeCtx(field: WritableField<P>, value: Operand<U32>): void {
    const fields: Readonly<Record<string, number>> = writableFields[this.progType];
    const off = fields[field];
    if (off === undefined) throw new DslError(`writeCtx: ${this.progType} programs cannot write '${String(field)}'`);
    this.emit({ kind: 'store', place: { kind: 'pointer', base: this.ctx, off }, type: u32, value: operandNode(u32, value, 'writeCtx') });
  }

  // ---- helpers ----

  /**
   * Calls helper `name` (the kernel's name, with `bpf_`) with arguments typed by its prototype
   * (src/dsl/helper-call.ts): `$.callHelper('bpf_skb_store_bytes', ctx, 12, buf, 0)`. Sizes that
   * follow a pointer are implied by the pointed-to object; a `RET_INTEGER` result is an
   * `Expr<s64>`, `RET_VOID` nothing, a map value pointer a `Maybe` for `$.ifSome`. Checked again at
   * run time (argument kinds, map/helper compatibility, program type, license) with a
   * {@link DslError}; helpers the eDSL cannot express are refused with the reason.
   */
  callHelper<N extends HelperName, const A extends readonly unknown[]>(name: N, ...args: A extends HelperArgs<N, A> ? A : HelperArgs<N, A>): HelperResult<N, A> {
    return callHelper({ out: this, progType: this.progType, license: this.license, gplCompatible: GPL_COMPATIBLE.has(this.license), constString: (text, who) => this.constString(text, who) }, name, args) as HelperResult<N, A>;
  }

  /**
   * Calls any helper whose arguments are all scalars (`ARG_ANYTHING`, `ARG_CONST_…` without a
   * pointer) and whose result is an integer, by name: `$.helper('jiffies64')`. The prototype comes
   * from the helper table; the result is an unsigned `Expr<u64>`. {@link Builder.callHelper}
   * calls pointer-taking helpers too and types the result as the signed `Expr<s64>`.
   */
  helper(name: string, ...args: (Expr<IntType> | number)[]): Expr<U64> {
    const h = helperByName(name);
    if (h === undefined) throw new DslError(`helper '${name}' is not in the helper table`);
    if (h.ret !== 'RET_INTEGER') throw new DslError(`helper ${h.name} returns ${String(h.ret)}, not an integer: it needs its own method`);
    if (args.length !== h.args.length) throw new DslError(`helper ${h.name} takes ${h.args.length} arguments, got ${args.length}`);
    const nodes = h.args.map((kind, i): ArgNode => {
      if (kind !== 'ARG_ANYTHING' && !/^ARG_CONST_(SIZE|SIZE_OR_ZERO|ALLOC_SIZE_OR_ZERO)$/.test(kind)) throw new DslError(`helper ${h.name} argument ${i + 1} is ${kind}, not a scalar: it needs its own method`);
      const a = args[i];
      return { kind: 'value', expr: a instanceof Expr ? a.node : operandNode(u64, a, h.name) };
    });
    return new Expr(this.call(h.name, nodes, u64)!, u64);
  }

  /**
   * `bpf_skb_load_bytes(skb, offset, &buf, sizeof(buf))`: copies packet bytes into a stack
   * object (the way socket filters, which have no direct packet access, read headers). 0 or a
   * negative errno; the buffer is only meaningful when 0.
   */
  skbLoadBytes<R extends SomeType>(offset: Operand<U32>, into: Ref<R>): Expr<typeof s64> {
    return new Expr(this.call('skb_load_bytes', [{ kind: 'ctx', ctx: this.ctx }, { kind: 'value', expr: operandNode(u32, offset, 'skbLoadBytes') }, into.asArg(), { kind: 'sizeof', index: 2 }], s64)!, s64);
  }

  /** `bpf_get_current_comm(buf, sizeof(buf))` into a `char[n]` field: 0 or a negative errno. */
  getCurrentComm(buf: Ref<SomeType & { readonly kind: 'chars' }>): Expr<typeof s64> {
    return new Expr(this.call('get_current_comm', [buf.asArg(), { kind: 'sizeof', index: 0 }], s64)!, s64);
  }

  #probeRead(helper: string, into: Ref<SomeType>, address: Operand<U64>): Expr<typeof s64> {
    const r = this.call(helper, [into.asArg(), { kind: 'sizeof', index: 0 }, { kind: 'value', expr: operandNode(u64, address, helper) }], s64);
    return new Expr(r!, s64);
  }

  /**
   * `bpf_probe_read_user_str(&buf, sizeof(buf), address)` into a `char[n]` field (or any stack
   * or map place): copies the NUL-terminated string at user `address`, at most `n - 1` bytes plus
   * the NUL. Returns the length copied including the NUL, or a negative errno (the buffer then
   * holds zeros). BCC: `bpf_probe_read_user_str(&data.fname, sizeof(data.fname), args->filename)`.
   * Requires Linux 5.5.
   */
  probeReadUserStr(into: Ref<SomeType>, address: Operand<U64>): Expr<typeof s64> {
    return this.#probeRead('probe_read_user_str', into, address);
  }

  /** `bpf_probe_read_kernel_str(&buf, sizeof(buf), address)`: as {@link Builder.probeReadUserStr} for kernel memory. Requires Linux 5.5. */
  probeReadKernelStr(into: Ref<SomeType>, address: Operand<U64>): Expr<typeof s64> {
    return this.#probeRead('probe_read_kernel_str', into, address);
  }

  /** `bpf_probe_read_user(&dst, sizeof(dst), address)`: copies `sizeof(dst)` bytes of user memory; 0 or a negative errno. Requires Linux 5.5. */
  probeReadUser(into: Ref<SomeType>, address: Operand<U64>): Expr<typeof s64> {
    return this.#probeRead('probe_read_user', into, address);
  }

  /** `bpf_probe_read_kernel(&dst, sizeof(dst), address)`: copies `sizeof(dst)` bytes of kernel memory; 0 or a negative errno. Requires Linux 5.5. */
  probeReadKernel(into: Ref<SomeType>, address: Operand<U64>): Expr<typeof s64> {
    return this.#probeRead('probe_read_kernel', into, address);
  }

  /**
   * One integer of `type` read from kernel memory at `address`: `bpf_probe_read_kernel` into a
   * zeroed stack slot, then a load (BCC's `READ_KERN`, libbpf's `BPF_CORE_READ` of a scalar).
   * A faulting read gives 0. Requires Linux 5.5.
   */
  readKernel<T extends IntType>(type: T, address: Operand<U64>): Expr<T> {
    return this.#readInto('probe_read_kernel', type, address);
  }

  /** As {@link Builder.readKernel} for user memory (`bpf_probe_read_user`). Requires Linux 5.5. */
  readUser<T extends IntType>(type: T, address: Operand<U64>): Expr<T> {
    return this.#readInto('probe_read_user', type, address);
  }

  /**
   * The kernel object of struct (or union) type `typeName` at `address`, with fields resolved
   * against `btf` (the running kernel's BTF by default) when the program is built:
   * `$.kernel(ptr, 'task_struct').field('real_parent').field('tgid').value()`.
   */
  kernel(address: Operand<U64>, typeName: string, btf: Btf = kernelBtf()): KernelRef {
    return kernelRoot(this, address, typeName, (kind, name) => btf.find(kind, name));
  }

  /** `bpf_get_current_task()` as a `task_struct` {@link KernelRef} (BCC's `(struct task_struct *)bpf_get_current_task()`). Requires Linux 4.8. */
  currentTask(btf: Btf = kernelBtf()): KernelRef {
    return this.kernel(new Expr(this.call('get_current_task', [], u64)!, u64), 'task_struct', btf);
  }

  /**
   * `PT_REGS_PARMn_CORE_SYSCALL(regs)`: syscall argument `n` (1…6) from the user registers at
   * kernel address `regs` — the `const struct pt_regs *` a syscall wrapper (`__x64_sys_openat`)
   * takes, e.g. `ctx.arg(0)` of a fentry/fexit on it (BCC's `KRETFUNC_PROBE(__x64_sys_openat,
   * struct pt_regs *regs, …)` reading `PT_REGS_PARM2(regs)`). Read with `bpf_probe_read_kernel`.
   */
  syscallArgOf(regs: Operand<U64>, n: ParmIndex, arch: PtRegsArch = hostArch()): Expr<U64> {
    if (!Number.isInteger(n) || n < 1 || n > 6) throw new DslError(`syscallArgOf: argument ${String(n)} is out of range 1..6`);
    const base = regs instanceof Expr ? regs as Expr<U64> : lit(u64, regs as bigint | number);
    return this.readKernel(u64, base.add(BigInt(ptRegsLayout(arch).syscallParm[n - 1])));
  }

  #readInto<T extends IntType>(helper: string, type: T, address: Operand<U64>): Expr<T> {
    const obj = { kind: 'object' as const, id: this.#nextObject++, size: type.size, name: `tmp${this.#nextObject}` };
    this.emit({ kind: 'object', obj });
    const ref = new Ref(this, { kind: 'stack', obj, off: 0 }, type);
    this.#probeRead(helper, ref, address);
    return (ref as unknown as Ref<T>).get();
  }

  /** `bpf_ktime_get_ns()`: monotonic time in ns. */
  ktimeGetNs(): Expr<U64> { return new Expr(this.call('ktime_get_ns', [], u64)!, u64); }
  /** `bpf_get_current_pid_tgid()`: tgid << 32 | pid. */
  getCurrentPidTgid(): Expr<U64> { return new Expr(this.call('get_current_pid_tgid', [], u64)!, u64); }
  /** `bpf_get_current_uid_gid()`: gid << 32 | uid. */
  getCurrentUidGid(): Expr<U64> { return new Expr(this.call('get_current_uid_gid', [], u64)!, u64); }
  /** `bpf_get_smp_processor_id()`. */
  getSmpProcessorId(): Expr<U32> { return new Expr(this.call('get_smp_processor_id', [], u32)!, u32); }
  /** `bpf_get_prandom_u32()`. */
  getPrandomU32(): Expr<U32> { return new Expr(this.call('get_prandom_u32', [], u32)!, u32); }
  /**
   * `bpf_trace_printk(fmt, sizeof(fmt), a, b, c)` (BCC's `bpf_trace_printk`): the format string is
   * written onto the stack; at most three integer arguments.
   */
  printk(fmt: string, ...args: (Expr<IntType> | Expr<Bool>)[]): Expr<typeof s64> {
    if (args.length > 3) throw new DslError(`printk: ${args.length} arguments, at most 3`);
    const r = this.call('trace_printk', [{ kind: 'string', text: fmt }, { kind: 'sizeof', index: 0 }, ...args.map((a): ArgNode => ({ kind: 'value', expr: a.node }))], s64);
    return new Expr(r!, s64);
  }

  /**
   * `bpf_strncmp(s1, sizeof(s1), "s2")`: compares the bytes of `s1` (a `Ref` to a stack object or
   * map value, compared up to its size or its first NUL) with the constant string `s2`, which
   * goes into the program's read-only `.rodata` map. The result is 0 when equal, negative when
   * `s1` sorts first, positive otherwise (the kernel's `strncmp`). Requires Linux 5.17.
   */
  strncmp(s1: Ref<SomeType>, s2: string): Expr<typeof s64> {
    if (!(s1 instanceof Ref)) throw new DslError('strncmp: the first string must be a Ref to a stack object or map value');
    const r = this.call('strncmp', [s1.asArg(), { kind: 'sizeof', index: 0 }, this.constString(s2, 'strncmp')], s64);
    return new Expr(r!, s64);
  }

  /**
   * `bpf_snprintf(out, sizeof(out), "fmt", data, 8 * n)` (libbpf's `BPF_SNPRINTF`): formats into
   * `out` (a `Ref`, NUL-terminated, truncated to its size) with the constant format `fmt` (kept
   * in the program's read-only `.rodata` map) and `args`, one per conversion: integers for
   * `%d %i %u %x %X %c` (with `l`/`ll`), a `Ref` to a NUL-terminated string for `%s`, either for
   * `%p`. The arguments are stored as a u64 array on the stack. The result is the length the
   * whole output needs including the NUL (as C `snprintf` + 1), or a negative errno. A format
   * the kernel would refuse is a {@link DslError} here (see snprintf-format.ts). GPL only.
   * Requires Linux 5.13.
   *
   * ```ts
   * $.snprintf(line, 'pid %d comm %s', [pid, comm]);
   * ```
   */
  snprintf(out: Ref<SomeType>, fmt: string, args: readonly (Operand<IntType> | Expr<Bool> | Ref<SomeType>)[] = []): Expr<typeof s64> {
    if (!(out instanceof Ref)) throw new DslError('snprintf: the output must be a Ref to a stack object or map value');
    if (!Array.isArray(args)) throw new DslError('snprintf: the arguments must be an array (one per conversion)');
    const kinds = snprintfConversions(fmt, 'snprintf');
    if (kinds.length !== args.length) throw new DslError(`snprintf: format ${JSON.stringify(fmt)} has ${kinds.length} conversion${kinds.length === 1 ? '' : 's'}, got ${args.length} argument${args.length === 1 ? '' : 's'}`);
    const fmtArg = this.constString(fmt, 'snprintf');
    let data: ArgNode[] = [{ kind: 'value', expr: operandNode(u64, 0, 'snprintf') }, { kind: 'value', expr: operandNode(u32, 0, 'snprintf') }];
    if (args.length > 0) {
      const obj = { kind: 'object' as const, id: this.#nextObject++, size: 8 * args.length, name: `fmtargs${this.#nextObject}` };
      this.emit({ kind: 'object', obj });
      args.forEach((a, i) => {
        const place: Place = { kind: 'stack', obj, off: 8 * i };
        const kind = kinds[i];
        if (a instanceof Ref) {
          if (kind === 'integer') throw new DslError(`snprintf: argument ${i + 1} is a Ref to ${a.type.cName}, conversion ${i + 1} of ${JSON.stringify(fmt)} wants an integer`);
          this.emit({ kind: 'storeAddress', place, of: a.place });
          return;
        }
        if (kind === 'address') throw new DslError(`snprintf: argument ${i + 1} must be a Ref to a NUL-terminated string (a stack object or map value) for conversion ${i + 1} of ${JSON.stringify(fmt)}`);
        const value = a instanceof Expr ? (a as Expr<IntType>).cast(u64).node : operandNode(typeof a === 'number' || typeof a === 'bigint' ? (a < 0 ? s64 : u64) : u64, a as Operand<IntType>, `snprintf argument ${i + 1}`);
        this.emit({ kind: 'store', place, type: u64, value });
      });
      data = [{ kind: 'pointer', place: { kind: 'stack', obj, off: 0 }, size: 8 * args.length }, { kind: 'sizeof', index: 3 }];
    }
    const r = this.call('snprintf', [out.asArg(), { kind: 'sizeof', index: 0 }, fmtArg, ...data], s64);
    return new Expr(r!, s64);
  }

  // ---- kfuncs (src/dsl/kfunc.ts, src/dsl/iter-num.ts) ----

  /**
   * Calls a kfunc (a kernel function exported to BPF) by the BTF id of its `FUNC` in the running
   * kernel's BTF, or in `btf` of {@link Builder.kfuncIn}: `$.kfunc('bpf_rcu_read_lock')`. With a
   * {@link KfuncDecl} the call is typed: `$.kfunc(kfuncDecl('bpf_task_from_pid', [s32], 'ptr'), 1)`
   * is an `Expr<U64>` holding a kernel pointer (maybe NULL: compare it with 0 before passing it on).
   * By name, the prototype is read from BTF when the program is built; a missing kfunc, a wrong
   * argument count or a scalar where a pointer is expected is a {@link KfuncError}. Requires Linux 5.13.
   */
  kfunc<const A extends readonly KfuncArgDecl[], const R extends KfuncRetDecl>(decl: KfuncDecl<A, R>, ...args: { [K in keyof A]: KfuncArgOf<A[K]> }): KfuncResultOf<R>;
  kfunc(name: string, ...args: KfuncArg[]): Expr<IntType> | undefined;
  kfunc(target: string | KfuncDecl, ...args: unknown[]): unknown {
    return callKfunc(this, target, args, this.#kfuncBtf);
  }

  #kfuncBtf: Btf | undefined;

  /** Looks kfuncs up in `btf` rather than the running kernel's BTF (for building offline); returns the builder. */
  kfuncIn(btf: Btf): this {
    this.#kfuncBtf = btf;
    return this;
  }

  /**
   * `bpf_for(i, from, to)`: runs `body` for `from` ≤ i < `to` with the kernel's open-coded numeric
   * iterator (bounds may be runtime values; the body may not return). Requires Linux 6.4.
   */
  iterNum(from: Operand<S32>, to: Operand<S32>, body: (i: Expr<S32>) => void): void {
    iterNumLoop(this, (fn) => this.#block(fn), from, to, body, this.#kfuncBtf);
  }
}

/** The `innerMap` spec of a map-in-map declaration (checks the inner type). */
function innerSpec(name: string, inner: InnerMapTemplate<SomeType, SomeType>): InnerMapSpec {
  const allowed: readonly string[] = ['hash', 'array', 'lru_hash', 'percpu_hash', 'percpu_array'];
  if (!allowed.includes(inner.type)) throw new DslError(`map '${name}': inner maps of type '${String(inner.type)}' are not supported (${allowed.join(', ')})`);
  if ((inner.type === 'array' || inner.type === 'percpu_array') && inner.key.size !== 4) throw new DslError(`map '${name}': array inner maps have u32 keys`);
  return Object.freeze({ type: inner.type, keySize: inner.key.size, valueSize: inner.value.size, maxEntries: inner.maxEntries, flags: inner.flags ?? 0 });
}

/** Slots of a perf event array by default: the possible CPUs (128 where `/sys` cannot be read). */
function defaultPerfEventArraySize(): number {
  try {
    return possibleCpuCount();
  } catch {
    return 128;
  }
}

/** Whether a statement returns on some path. */
function returns(s: StmtNode): boolean {
  switch (s.kind) {
    case 'return': return true;
    case 'if': case 'ifSome': case 'ifPacket': return s.then.some(returns) || s.otherwise.some(returns);
    case 'loop': return s.body.some(returns);
    default: return false;
  }
}

function returnNode(value: Expr<IntType> | Expr<Bool> | number | bigint): ExprNode {
  if (value instanceof Expr) return value.node;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= -0x80000000 && value <= 0xffffffff) return operandNode(s64, value, 'return');
  if (typeof value === 'bigint') return operandNode(value < 0n ? s64 : u64, value, 'return');
  throw new DslError(`return: ${String(value)} is not an integer`);
}

/**
 * Builds a program of type `progType` by running `build` once with the builder `$` and the
 * context `ctx`. A value returned by `build` is the final return value (0 when none).
 */
export function program<P extends ProgType>(
  name: string,
  progType: P,
  build: ($: Builder<P>, ctx: Context<P>) => Expr<IntType> | Expr<Bool> | number | bigint | void,
  options: ProgramOptions = {},
): Program<P> {
  const site = captureSite();
  if (packetOffsetsOf(progType) === undefined) throw new DslError(`program '${name}': program type '${String(progType)}' is not supported by the eDSL`);
  const $ = new Builder(progType, options.license ?? 'GPL');
  let ctx: Context<P>;
  if (progType === 'tracepoint') {
    if (options.tracepointFormat === undefined) throw new DslError(`program '${name}': a tracepoint program needs options.tracepointFormat (or use tracepointProgram(category, name, …))`);
    ctx = makeTracepointContext(options.tracepointFormat, $.ctx) as Context<P>;
  } else if (progType === 'kprobe') {
    ctx = makeKprobeContext(options.arch ?? hostArch(), $.ctx, $, options.syscallWrapper === undefined ? {} : { syscallWrapper: options.syscallWrapper }) as Context<P>;
  } else if (progType === 'raw_tracepoint') {
    ctx = makeRawTracepointContext($.ctx) as Context<P>;
  } else if (progType === 'perf_event') {
    ctx = makePerfEventContext(options.arch ?? hostArch(), $.ctx) as Context<P>;
  } else if (progType === 'tracing' || progType === 'lsm') {
    const sig = options.tracing;
    if (sig === undefined) throw new DslError(`program '${name}': a ${progType} program needs options.tracing (or use tracingProgram(kind, target, …))`);
    if (sig.progType !== progType) throw new DslError(`program '${name}': a ${sig.kind} signature belongs to a ${sig.progType} program, not ${progType}`);
    ctx = makeTracingContext(sig, $.ctx, $) as Context<P>;
  } else {
    ctx = makeContext(progType, $.ctx);
  }
  const ret = build($, ctx);
  $.return(ret ?? 0);
  const { body, maps, funcs } = $.finish();
  const sig = options.tracing;
  const attach: ProgramAttach | undefined = sig === undefined || (progType !== 'tracing' && progType !== 'lsm') ? undefined
    : Object.freeze({ attachType: sig.attachType, target: sig.target, btfName: sig.btfTarget.name, btfKind: sig.btfTarget.kind });
  const built: Program<P> = Object.freeze(Object.assign(Object.create(programMethods) as typeof programMethods, { kind: 'program' as const, name, progType, license: options.license ?? 'GPL', maps: Object.freeze(maps), ctx: $.ctx, body: Object.freeze(body), ...(funcs.length === 0 ? {} : { funcs: Object.freeze(funcs) }), ...(attach === undefined ? {} : { attach }) }));
  recordSite(built, site);
  return built;
}
