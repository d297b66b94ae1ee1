/**
 * Live ranges of variables over a program's statements. Statements are numbered in program order
 * (a block's statements before the ones after it); a variable lives from its definition to its
 * last use. Control flow only goes forward (loops are unrolled), so this numbering is a valid
 * linear order for allocation; a variable live into a kernel loop (one with a back edge) lives to
 * the loop's end, since the next iteration reads it again. Also checks that every use is in scope: a variable defined inside
 * a branch and used after it would be uninitialised on the other path.
 * @module
 */

import { DslError } from './errors.js';
import { exprVars, visitStmt, type ArgNode, type ExprNode, type Place, type StackObject, type StmtNode, type VarNode } from './nodes.js';

/** The live range of one variable. */
export interface LiveRange {
  /** The variable. */
  readonly v: VarNode;
  /** Position of its definition (-1: the context, defined at entry). */
  readonly def: number;
  /** Position of its last use (equal to def when unused: see {@link LiveRange.used}). */
  lastUse: number;
  /** Whether it is read at all. */
  used: boolean;
  /**
   * How many places read it. A variable read in one place may have its register overwritten
   * there (by an expression it is the left operand of), saving a move.
   */
  reads: number;
}

function argExprs(a: ArgNode): ExprNode[] {
  return a.kind === 'value' || a.kind === 'stack' ? [a.expr] : [];
}

/**
 * Computes live ranges of every variable in `body`. `entry` is what is defined at -1: the
 * context of a program, or the parameters of a subprogram (each function is allocated on its
 * own: a call clobbers R1–R5 and preserves R6–R9, like a helper call).
 */
export function liveRanges(body: readonly StmtNode[], entry: VarNode | readonly VarNode[]): Map<number, LiveRange> {
  const ranges = new Map<number, LiveRange>();
  const params: readonly VarNode[] = 'kind' in entry ? [entry as VarNode] : entry as readonly VarNode[];
  const scopes: Set<string>[] = [new Set(params.map((p) => `v${p.id}`))];
  for (const p of params) ranges.set(p.id, { v: p, def: -1, lastUse: -1, used: false, reads: 0 });
  let pos = 0;

  const define = (v: VarNode, at: number) => {
    ranges.set(v.id, { v, def: at, lastUse: at, used: false, reads: 0 });
    scopes[scopes.length - 1].add(`v${v.id}`);
  };
  const use = (v: VarNode, at: number, read = true) => {
    if (!scopes.some((s) => s.has(`v${v.id}`))) throw new DslError(`variable ${v.name} is used outside the block that defines it (it would be uninitialised on another path), or outside its function (a subprogram or loop callback sees only its parameters and its own locals)`);
    const r = ranges.get(v.id)!;
    r.lastUse = Math.max(r.lastUse, at);
    r.used = true;
    if (read) r.reads++;
  };
  const useObject = (o: StackObject) => {
    if (!scopes.some((s) => s.has(`o${o.id}`))) throw new DslError(`stack object ${o.name} is used outside the block that defines it`);
  };
  const usePlace = (p: Place, at: number) => {
    if (p.kind === 'pointer') use(p.base, at);
    else useObject(p.obj);
  };
  const useExpr = (e: ExprNode, at: number) => {
    for (const v of exprVars(e)) use(v, at);
  };
  const block = (stmts: readonly StmtNode[], first?: VarNode) => {
    scopes.push(new Set());
    if (first !== undefined) define(first, pos);
    for (const s of stmts) stmt(s);
    scopes.pop();
  };
  const stmt = (s: StmtNode) => {
    const at = ++pos;
    visitStmt<void>(s, {
      let: (n) => { useExpr(n.init, at); define(n.target, at); },
      assign: (n) => { useExpr(n.value, at); use(n.target, at, false); },
      if: (n) => { useExpr(n.cond, at); block(n.then); block(n.otherwise); },
      loop: (n) => {
        block(n.body, n.counter);
        const end = pos;
        for (const r of ranges.values()) {
          if ((r.def < at && r.lastUse > at) || r.v.id === n.counter.id) {
            r.lastUse = Math.max(r.lastUse, end);
            r.reads = Infinity; // read again by the next iteration: never overwrite in place
            if (r.v.id === n.counter.id) r.used = true;
          }
        }
      },
      return: (n) => useExpr(n.value, at),
      call: (n) => {
        for (const a of n.args) { for (const e of argExprs(a)) useExpr(e, at); if (a.kind === 'ctx') use(a.ctx, at); if (a.kind === 'pointer') usePlace(a.place, at); }
        if (n.result !== undefined) define(n.result, at);
      },
      ifSome: (n) => {
        for (const a of n.call.args) { for (const e of argExprs(a)) useExpr(e, at); if (a.kind === 'pointer') usePlace(a.place, at); }
        block(n.then, n.ptr);
        block(n.otherwise);
      },
      ifPacket: (n) => { use(n.ctx, at); block(n.then, n.ptr); block(n.otherwise); },
      object: (n) => void scopes[scopes.length - 1].add(`o${n.obj.id}`),
      read: (n) => { usePlace(n.place, at); define(n.target, at); },
      store: (n) => { usePlace(n.place, at); useExpr(n.value, at); },
      atomicAdd: (n) => { usePlace(n.place, at); useExpr(n.value, at); },
      storeAddress: (n) => { usePlace(n.place, at); usePlace(n.of, at); },
    });
  };
  for (const s of body) stmt(s);
  return ranges;
}
