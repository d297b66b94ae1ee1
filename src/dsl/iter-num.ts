/**
 * `$.iterNum(from, to, i => …)`: a loop over `from` ≤ i < `to` with the kernel's open-coded
 * numeric iterator (`bpf_iter_num_new` / `_next` / `_destroy` on a stack `struct bpf_iter_num`),
 * libbpf's `bpf_for(i, from, to)`. The verifier checks the body once per distinct state rather
 * than once per iteration, so bounds may be large (up to `BPF_MAX_LOOPS`, 8M iterations) and need
 * not be constants. Available to every program type. Requires Linux 6.4.
 *
 * ```c
 * struct bpf_iter_num it;                  // what it emits, in C
 * int *p;
 * bpf_iter_num_new(&it, from, to);
 * while ((p = bpf_iter_num_next(&it))) { int i = *p; … }
 * bpf_iter_num_destroy(&it);
 * ```
 * @module
 */

import type { Btf } from 'ebpf-bytecode-utils';
import { s32, u64, type S32 } from './c-types.js';
import { DslError } from './errors.js';
import { Expr, operandNode, type Operand } from './expr.js';
import { kfuncCall, kfuncDecl, type KfuncCaller } from './kfunc.js';
import type { StmtNode } from './nodes.js';
import type { Ref } from './ref.js';
import { struct, type SomeType } from '../types/index.js';

/** The kernel's `struct bpf_iter_num` (8 opaque bytes on the stack). */
export const BpfIterNum = struct('bpf_iter_num', { __opaque: u64 });

/** `int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end)`. */
export const bpfIterNumNew = kfuncDecl('bpf_iter_num_new', ['ptr', s32, s32], s32);
/** `int *bpf_iter_num_next(struct bpf_iter_num *it)`. */
export const bpfIterNumNext = kfuncDecl('bpf_iter_num_next', ['ptr'], 'ptr');
/** `void bpf_iter_num_destroy(struct bpf_iter_num *it)`. */
export const bpfIterNumDestroy = kfuncDecl('bpf_iter_num_destroy', ['ptr'], 'void');

/** What the loop needs from the builder. */
export interface IterNumBuilder extends KfuncCaller {
  /** A zeroed stack object of struct type `type`. */
  struct(type: typeof BpfIterNum): Ref<typeof BpfIterNum>;
  /** Appends any statement. */
  emit(stmt: StmtNode): void;
}

function containsReturn(stmts: readonly StmtNode[]): boolean {
  return stmts.some((s) => s.kind === 'return'
    || ((s.kind === 'if' || s.kind === 'ifSome' || s.kind === 'ifPacket') && (containsReturn(s.then) || containsReturn(s.otherwise)))
    || (s.kind === 'loop' && containsReturn(s.body)));
}

/**
 * Emits the loop: `block` runs a callback and returns the statements it built (the builder's
 * block capture); `btf` is the BTF the kfuncs are looked up in (the running kernel's by default).
 */
export function iterNumLoop(
  b: IterNumBuilder,
  block: (fn: () => void) => StmtNode[],
  from: Operand<S32>,
  to: Operand<S32>,
  body: (i: Expr<S32>) => void,
  btf?: Btf,
): void {
  const start = operandNode(s32, from, 'iterNum');
  const end = operandNode(s32, to, 'iterNum');
  const it: Ref<SomeType> = b.struct(BpfIterNum);
  const created = kfuncCall(b, bpfIterNumNew, [it, new Expr(start, s32), new Expr(end, s32)], btf);
  const next = kfuncCall(b, bpfIterNumNext, [it], btf);
  const destroy = kfuncCall(b, bpfIterNumDestroy, [it], btf);
  // new's result (0 or -EINVAL/-E2BIG, after which next gives NULL at once) is not needed.
  b.emit({ ...created.stmt, result: undefined });
  const counter = b.newVar(s32, 'i');
  const stmts = block(() => body(new Expr(counter, s32)));
  if (containsReturn(stmts)) throw new DslError('iterNum: the body may not return (the iterator must be destroyed first); set a variable and return after the loop');
  b.emit({ kind: 'loop', counter, from: 0, to: 0, body: stmts, next: { ...next.stmt, result: undefined } });
  b.emit(destroy.stmt);
}
