/**
 * Instruction selection: statements and expressions to eBPF instructions, given the variables'
 * locations. Types of 32 bits or fewer use w registers and `JMP32` comparisons and are kept
 * zero-extended in registers (8- and 16-bit results are re-normalised after operations that can
 * overflow them); signed types pick `s/`, `s%`, `s>>`, `s<` and friends. Constants become
 * immediates where the encoding allows. Expression temporaries use R0–R5.
 * @module
 */

import {
  Add, And, ArSh, Atomic, Call, Div, Exit, JEq, JGE, JGT, JLE, JLT, JNE, JSGE, JSGT, JSLE, JSLT, Ja, Label, LoadFunc, LoadImm64, LoadMapPtr, LoadMapValue,
  LoadMem, LSh, Mod, Mov, Mul, Neg, Or, R0, R1, R10, RSh, SDiv, SMod, Size, StoreImm, StoreMem, Sub, ToBE, Xor,
  type AluBuilder, type JumpBuilder, type ProgramItem, type Register,
} from 'ebpf-bytecode-utils';
import { isSigned, type ScalarType } from './c-types.js';
import { DslError } from './errors.js';
import { exprVars, visitExpr, visitStmt, type ArgNode, type CoreAccess, type BinaryOp, type CompareOp, type ExprNode, type Place, type StmtNode, type VarNode } from './nodes.js';
import type { LiveRange } from './liveness.js';
import type { Location } from './regalloc.js';

/** Stack bytes a program may use (`MAX_BPF_STACK`). */
export const STACK_LIMIT = 512;

const SCRATCH: readonly Register[] = [R0, R1, 2 as Register, 3 as Register, 4 as Register, 5 as Register];

function sizeOf(bytes: number): Size {
  return bytes === 1 ? Size.B : bytes === 2 ? Size.H : bytes === 4 ? Size.W : Size.DW;
}

function fitsS32(v: bigint): boolean {
  return v >= -0x80000000n && v <= 0x7fffffffn;
}

const INVERSE: Record<CompareOp, CompareOp> = { eq: 'ne', ne: 'eq', lt: 'ge', ge: 'lt', gt: 'le', le: 'gt' };

function jumpFor(op: CompareOp, signed: boolean): JumpBuilder {
  switch (op) {
    case 'eq': return JEq;
    case 'ne': return JNE;
    case 'lt': return signed ? JSLT : JLT;
    case 'le': return signed ? JSLE : JLE;
    case 'gt': return signed ? JSGT : JGT;
    case 'ge': return signed ? JSGE : JGE;
  }
}

function aluFor(op: BinaryOp, signed: boolean): AluBuilder {
  switch (op) {
    case 'add': return Add;
    case 'sub': return Sub;
    case 'mul': return Mul;
    case 'div': return signed ? SDiv : Div;
    case 'mod': return signed ? SMod : Mod;
    case 'and': return And;
    case 'or': return Or;
    case 'xor': return Xor;
    case 'shl': return LSh;
    case 'shr': return signed ? ArSh : RSh;
  }
}

/** Whether converting a register value of type `from` to `to` needs no instruction. */
function isNoopCast(from: ScalarType, to: ScalarType): boolean {
  if (to.size === 8) return from.size === 8 || !isSigned(from);
  if (from.size === 8) return false;
  return !(to.size < 4 && (to.size < from.size || isSigned(to) !== isSigned(from)));
}

/** Emits the instructions of one program body. */
export class CodeGen {
  /** The emitted items (instructions and labels). */
  readonly items: ProgramItem[] = [];
  /** Instructions whose immediate is a kernel field offset, with the CO-RE access it stands for. */
  readonly coreRelos: { readonly insn: ProgramItem; readonly core: CoreAccess }[] = [];
  readonly #locations: ReadonlyMap<number, Location>;
  readonly #free = new Set<Register>(SCRATCH);
  #stackTop: number;
  #labels = 0;
  #maxStack: number;
  readonly #where: string;

  readonly #ranges: ReadonlyMap<number, LiveRange>;
  readonly #objects = new Map<number, number>();

  /** A generator over the variables' `locations` (and live `ranges`), with `spillBytes` of spill slots. */
  constructor(locations: ReadonlyMap<number, Location>, ranges: ReadonlyMap<number, LiveRange>, spillBytes: number, where: string) {
    this.#locations = locations;
    this.#ranges = ranges;
    this.#stackTop = spillBytes;
    this.#maxStack = spillBytes;
    this.#where = where;
  }

  /** Most stack bytes used at once. */
  get stackBytes(): number {
    return this.#maxStack;
  }

  #emit(...items: ProgramItem[]): void {
    this.items.push(...items);
  }

  #label(): string {
    return `L${++this.#labels}`;
  }

  #loc(v: VarNode): Location | undefined {
    return this.#locations.get(v.id);
  }

  #alloc(): Register {
    for (const r of SCRATCH) {
      if (this.#free.has(r)) {
        this.#free.delete(r);
        return r;
      }
    }
    throw new DslError(`${this.#where}: expression too complex (more than ${SCRATCH.length} temporaries)`);
  }

  #release(r: Register): void {
    if (SCRATCH.includes(r)) this.#free.add(r);
  }

  #stackAlloc(bytes: number): number {
    this.#stackTop += (bytes + 7) & ~7;
    if (this.#stackTop > STACK_LIMIT) throw new DslError(`${this.#where}: the program needs more than ${STACK_LIMIT} bytes of stack`);
    this.#maxStack = Math.max(this.#maxStack, this.#stackTop);
    return -this.#stackTop;
  }

  /** Entry: moves the context pointer out of R1 when it is used. */
  prologue(ctx: VarNode): void {
    const loc = this.#loc(ctx);
    if (loc === undefined) return;
    if ('reg' in loc) this.#emit(Mov.reg(loc.reg, R1));
    else this.#emit(StoreMem(R10, loc.slot, R1, Size.DW));
  }

  // ---- expressions ----

  /** Whether computing `node` into `r` in place is safe (no operand read after `r` is written). */
  #safeIn(node: ExprNode, r: Register): boolean {
    const reads = (n: ExprNode) => exprVars(n).some((v) => { const l = this.#loc(v); return l !== undefined && 'reg' in l && l.reg === r; });
    switch (node.kind) {
      case 'binary':
      case 'compare':
        return this.#safeIn(node.left, r) && !reads(node.right);
      case 'unary':
      case 'cast':
      case 'not':
        return this.#safeIn(node.operand, r);
      case 'logic':
        return true; // materialised after the branches, which only read
      default:
        return true;
    }
  }

  /** Computes `node` into register `r` (reserved from the temporaries meanwhile). */
  emitTo(node: ExprNode, r: Register): void {
    const wasFree = this.#free.delete(r);
    try {
      this.#emitTo(node, r);
    } finally {
      if (wasFree) this.#free.add(r);
    }
  }

  #emitTo(node: ExprNode, r: Register): void {
    if (!this.#safeIn(node, r)) {
      const t = this.#alloc();
      this.emitTo(node, t);
      this.#emit(Mov.reg(r, t));
      this.#release(t);
      return;
    }
    visitExpr<void>(node, {
      const: (n) => this.#const(r, n.type, n.value),
      var: (n) => {
        const loc = this.#loc(n);
        if (loc === undefined) throw new DslError(`${this.#where}: variable ${n.name} has no location`);
        if ('reg' in loc) { if (loc.reg !== r) this.#emit(Mov.reg(r, loc.reg)); }
        else this.#emit(LoadMem(r, R10, loc.slot, Size.DW));
      },
      binary: (n) => {
        const t = n.type;
        const w = t.size <= 4;
        this.emitTo(n.left, r);
        const alu = aluFor(n.op, isSigned(t));
        if (n.right.kind === 'const' && (w || fitsS32(n.right.value))) {
          // Constant shift amounts are masked as the instructions mask register amounts (the
          // verifier refuses an immediate shift by the width or more).
          const shift = n.op === 'shl' || n.op === 'shr';
          const v = shift ? Number(n.right.value & (w ? 31n : 63n)) : Number(BigInt.asIntN(32, n.right.value));
          this.#emit(w ? alu.imm32(r, v) : alu.imm(r, v));
          if (n.right.core !== undefined) this.coreRelos.push({ insn: this.items[this.items.length - 1], core: n.right.core });
        } else {
          const [rr, temp] = this.#asReg(n.right);
          this.#emit(w ? alu.reg32(r, rr) : alu.reg(r, rr));
          if (temp) this.#release(rr);
        }
        if (n.op === 'add' || n.op === 'sub' || n.op === 'mul' || n.op === 'shl' || (isSigned(t) && (n.op === 'div' || n.op === 'mod'))) this.#normalize(r, t);
      },
      unary: (n) => {
        this.emitTo(n.operand, r);
        const w = n.type.size <= 4;
        switch (n.op) {
          case 'neg': this.#emit(w ? Neg.reg32(r) : Neg.reg(r)); this.#normalize(r, n.type); break;
          case 'bnot': this.#emit(w ? Xor.imm32(r, -1) : Xor.imm(r, -1)); this.#normalize(r, n.type); break;
          case 'be16': this.#emit(ToBE(r, 16)); if (isSigned(n.type)) this.#normalize(r, n.type); break;
          case 'be32': this.#emit(ToBE(r, 32)); break;
          case 'be64': this.#emit(ToBE(r, 64)); break;
        }
      },
      compare: (n) => this.#materialize(n, r),
      logic: (n) => this.#materialize(n, r),
      not: (n) => this.#materialize(n, r),
      cast: (n) => {
        this.emitTo(n.operand, r);
        const from = n.operand.type as ScalarType;
        const to = n.type;
        if (to.size === 8) {
          // Shifts rather than movsx (Linux 6.6+): the program loads on older kernels too, as clang's v3 output does.
          if (from.size < 8 && isSigned(from)) this.#emit(LSh.imm(r, 32), ArSh.imm(r, 32));
          return;
        }
        if (from.size === 8) this.#emit(Mov.reg32(r, r));
        if (to.size < 4 && (to.size < from.size || isSigned(to) !== isSigned(from))) this.#normalize(r, to);
      },
      load: (n) => {
        const base = this.#baseReg(n.base, r);
        this.#emit(LoadMem(r, base, n.off, sizeOf(n.type.size)));
      },
    });
  }

  /** Re-normalises an 8- or 16-bit value in `r`: zero-extends unsigned, sign-extends signed (to 32 bits). */
  #normalize(r: Register, t: ScalarType): void {
    if (t.size >= 4 || t.kind === 'bool') return;
    const bits = t.size * 8;
    if (isSigned(t)) this.#emit(LSh.imm32(r, 32 - bits), ArSh.imm32(r, 32 - bits));
    else this.#emit(And.imm32(r, (1 << bits) - 1));
  }

  #const(r: Register, t: ScalarType, v: bigint): void {
    if (t.size <= 4) this.#emit(Mov.imm32(r, Number(BigInt.asIntN(32, v))));
    else if (fitsS32(BigInt.asIntN(64, v))) this.#emit(Mov.imm(r, Number(BigInt.asIntN(64, v))));
    else if (v >= 0n && v <= 0xffffffffn) this.#emit(Mov.imm32(r, Number(BigInt.asIntN(32, v))));
    else this.#emit(LoadImm64(r, BigInt.asUintN(64, v)));
  }

  /** The register holding `node`: a variable's own register, or a fresh temporary (second: whether to release it). */
  #asReg(node: ExprNode): [Register, boolean] {
    if (node.kind === 'cast' && isNoopCast(node.operand.type as ScalarType, node.type)) return this.#asReg(node.operand);
    if (node.kind === 'var') {
      const loc = this.#loc(node);
      if (loc !== undefined && 'reg' in loc) return [loc.reg, false];
    }
    // A variable read only here, as the leftmost operand, can take the result in its register.
    let root = node;
    while (root.kind === 'binary' || root.kind === 'unary' || root.kind === 'cast') root = root.kind === 'binary' ? root.left : root.operand;
    if (root !== node && root.kind === 'var' && this.#ranges.get(root.id)?.reads === 1) {
      const loc = this.#loc(root);
      if (loc !== undefined && 'reg' in loc && this.#safeIn(node, loc.reg)) {
        this.emitTo(node, loc.reg);
        return [loc.reg, false];
      }
    }
    const t = this.#alloc();
    this.emitTo(node, t);
    return [t, true];
  }

  /** The register holding pointer variable `v` (loaded into `into` when spilled). */
  #baseReg(v: VarNode, into: Register): Register {
    const loc = this.#loc(v);
    if (loc === undefined) throw new DslError(`${this.#where}: pointer ${v.name} has no location`);
    if ('reg' in loc) return loc.reg;
    this.#emit(LoadMem(into, R10, loc.slot, Size.DW));
    return into;
  }

  /** The register and offset addressing `place` (a spilled base pointer is loaded into `into`). */
  #place(place: Place, into: Register): [Register, number] {
    if (place.kind === 'pointer') return [this.#baseReg(place.base, into), place.off];
    const off = this.#objects.get(place.obj.id);
    if (off === undefined) throw new DslError(`${this.#where}: stack object ${place.obj.name} is used before it is defined`);
    return [R10, off + place.off];
  }

  #materialize(node: ExprNode, r: Register): void {
    const f = this.#label();
    const end = this.#label();
    this.branch(node, f, false);
    this.#emit(Mov.imm32(r, 1), Ja(end), Label(f), Mov.imm32(r, 0), Label(end));
  }

  /** Jumps to `target` when `cond` is `when` (true or false); falls through otherwise. */
  branch(cond: ExprNode, target: string, when: boolean): void {
    switch (cond.kind) {
      case 'const':
        if ((cond.value !== 0n) === when) this.#emit(Ja(target));
        return;
      case 'not':
        this.branch(cond.operand, target, !when);
        return;
      case 'logic': {
        // and: jump when true needs both; jump when false needs either false. or: dually.
        const both = (cond.op === 'and') === when;
        if (both) {
          const skip = this.#label();
          this.branch(cond.left, skip, !when);
          this.branch(cond.right, target, when);
          this.#emit(Label(skip));
        } else {
          this.branch(cond.left, target, when);
          this.branch(cond.right, target, when);
        }
        return;
      }
      case 'compare': {
        const op = when ? cond.op : INVERSE[cond.op];
        const t = cond.operandType;
        const w = t.size <= 4;
        const j = jumpFor(op, isSigned(t));
        const [lr, lt] = this.#asReg(cond.left);
        if (cond.right.kind === 'const' && (w || fitsS32(BigInt.asIntN(64, cond.right.value)))) {
          const v = Number(BigInt.asIntN(w ? 32 : 64, cond.right.value));
          this.#emit(w ? j.imm32(lr, v, target) : j.imm(lr, v, target));
        } else {
          const [rr, rt] = this.#asReg(cond.right);
          this.#emit(w ? j.reg32(lr, rr, target) : j.reg(lr, rr, target));
          if (rt) this.#release(rr);
        }
        if (lt) this.#release(lr);
        return;
      }
      default: {
        const [r, temp] = this.#asReg(cond);
        const w = (cond.type as ScalarType).size <= 4;
        const j = when ? JNE : JEq;
        this.#emit(w ? j.imm32(r, 0, target) : j.imm(r, 0, target));
        if (temp) this.#release(r);
      }
    }
  }

  // ---- statements ----

  /** Stores `node` into variable `v` (register or spill slot). */
  #assign(v: VarNode, node: ExprNode): void {
    const loc = this.#loc(v);
    if (loc === undefined) return; // never read: the expression has no side effects
    if ('reg' in loc) {
      this.emitTo(node, loc.reg);
      return;
    }
    const [r, temp] = this.#asReg(node);
    this.#emit(StoreMem(R10, loc.slot, r, Size.DW));
    if (temp) this.#release(r);
  }

  /** Moves register `src` into variable `v`, if `v` is used. */
  #define(v: VarNode, src: Register): void {
    const loc = this.#loc(v);
    if (loc === undefined) return;
    if ('reg' in loc) { if (loc.reg !== src) this.#emit(Mov.reg(loc.reg, src)); }
    else this.#emit(StoreMem(R10, loc.slot, src, Size.DW));
  }

  /** Writes `value` of `type` to `base + off` (an immediate store when it fits). */
  #store(base: Register, off: number, type: ScalarType, value: ExprNode): void {
    if (value.kind === 'const' && fitsS32(type.size === 8 ? BigInt.asIntN(64, value.value) : BigInt.asIntN(32, value.value))) {
      this.#emit(StoreImm(base, off, Number(type.size === 8 ? BigInt.asIntN(64, value.value) : BigInt.asIntN(32, value.value)), sizeOf(type.size)));
      return;
    }
    const [r, temp] = this.#asReg(value);
    this.#emit(StoreMem(base, off, r, sizeOf(type.size)));
    if (temp) this.#release(r);
  }

  /** A helper call: stack objects first, then argument registers in order, then `call`. */
  #call(helper: number, args: readonly ArgNode[], subprog?: string, kfunc?: number): void {
    const mark = this.#stackTop;
    const sizes: number[] = [];
    const addrs: number[] = [];
    args.forEach((a, i) => {
      if (a.kind === 'stack') {
        const off = this.#stackAlloc(a.type.size);
        this.#store(R10, off, a.type, a.expr);
        addrs[i] = off;
        sizes[i] = a.type.size;
      } else if (a.kind === 'pointer') {
        sizes[i] = a.size;
      } else if (a.kind === 'string') {
        const bytes = new TextEncoder().encode(a.text);
        const n = bytes.length + 1;
        const off = this.#stackAlloc(n);
        const padded = new Uint8Array((n + 3) & ~3);
        padded.set(bytes);
        const dv = new DataView(padded.buffer);
        for (let k = 0; k < padded.length; k += 4) this.#emit(StoreImm(R10, off + k, dv.getInt32(k, true), Size.W));
        addrs[i] = off;
        sizes[i] = n;
      } else if (a.kind === 'mapValue') {
        sizes[i] = a.size;
      }
    });
    args.forEach((a, i) => {
      const r = (i + 1) as Register;
      this.#free.delete(r);
      switch (a.kind) {
        case 'value': this.emitTo(a.expr, r); break;
        case 'map': this.#emit(LoadMapPtr(r, a.map)); break;
        case 'ctx': this.emitTo(a.ctx, r); break;
        case 'stack':
        case 'string': this.#emit(Mov.reg(r, R10), Add.imm(r, addrs[i])); break;
        case 'sizeof': this.#emit(Mov.imm(r, sizes[a.index])); break;
        case 'func': this.#emit(LoadFunc(r, a.func.label)); break;
        case 'mapValue': this.#emit(LoadMapValue(r, a.map, a.off)); break;
        case 'pointer': {
          const [base, off] = this.#place(a.place, r);
          if (base !== r) this.#emit(Mov.reg(r, base));
          if (off !== 0) this.#emit(Add.imm(r, off));
          break;
        }
      }
    });
    for (let i = 0; i < args.length; i++) this.#free.add((i + 1) as Register);
    this.#emit(kfunc !== undefined ? Call.kfunc(kfunc) : subprog === undefined ? Call.helper(helper) : Call.subprog(subprog));
    this.#stackTop = mark;
  }

  /** Emits a block; returns whether it always returns (later statements would be unreachable). */
  block(stmts: readonly StmtNode[]): boolean {
    for (const s of stmts) if (this.stmt(s)) return true;
    return false;
  }

  #ifElse(then: readonly StmtNode[], otherwise: readonly StmtNode[], elseLabel: string): boolean {
    const thenReturns = this.block(then);
    if (otherwise.length === 0) {
      this.#emit(Label(elseLabel));
      return false;
    }
    const end = this.#label();
    if (!thenReturns) this.#emit(Ja(end));
    this.#emit(Label(elseLabel));
    const elseReturns = this.block(otherwise);
    if (thenReturns && elseReturns) return true;
    this.#emit(Label(end));
    return false;
  }

  /**
   * The statement that produced each emitted item (the innermost one: a nested statement's
   * items are its own, the rest of a compound statement's belong to it). Prologue items have none.
   */
  readonly origins = new Map<ProgramItem, StmtNode>();

  /** Emits one statement, recording it as the origin of its items; returns whether it always returns. */
  stmt(s: StmtNode): boolean {
    const start = this.items.length;
    const returns = this.#stmt(s);
    for (let i = start; i < this.items.length; i++) if (!this.origins.has(this.items[i])) this.origins.set(this.items[i], s);
    return returns;
  }

  #stmt(s: StmtNode): boolean {
    return visitStmt<boolean>(s, {
      let: (n) => (this.#assign(n.target, n.init), false),
      assign: (n) => (this.#assign(n.target, n.value), false),
      loop: (n) => {
        const loc = this.#loc(n.counter);
        if (loc === undefined) throw new DslError(`${this.#where}: loop counter ${n.counter.name} has no location`);
        const head = this.#label();
        const end = this.#label();
        if (n.next !== undefined) {
          // Open-coded iterator: p = next(); if (!p) break; counter = *p; body; repeat.
          this.#emit(Label(head));
          this.#call(n.next.helper, n.next.args, n.next.subprog?.label, n.next.kfunc);
          this.#emit(JEq.imm(R0, 0, end));
          const r = 'reg' in loc ? loc.reg : R0;
          this.#emit(LoadMem(r, R0, 0, sizeOf((n.counter.type as ScalarType).size)));
          if ('slot' in loc) this.#emit(StoreMem(R10, loc.slot, R0, Size.DW));
          this.block(n.body);
          this.#emit(Ja(head), Label(end));
          return false;
        }
        const one = (node: VarNode, v: number) => ({ kind: 'const' as const, type: node.type as ScalarType, value: BigInt(v) });
        this.#assign(n.counter, one(n.counter, n.from));
        this.#emit(Label(head));
        this.branch({ kind: 'compare', type: n.counter.type as ScalarType, op: 'lt', operandType: n.counter.type as ScalarType, left: n.counter, right: one(n.counter, n.to) }, end, false);
        this.block(n.body);
        this.#assign(n.counter, { kind: 'binary', type: n.counter.type as ScalarType, op: 'add', left: n.counter, right: one(n.counter, 1) });
        this.#emit(Ja(head), Label(end));
        return false;
      },
      return: (n) => {
        this.emitTo(n.value, R0);
        this.#emit(Exit());
        return true;
      },
      if: (n) => {
        const f = this.#label();
        this.branch(n.cond, f, false);
        return this.#ifElse(n.then, n.otherwise, f);
      },
      call: (n) => {
        this.#call(n.helper, n.args, n.subprog?.label, n.kfunc);
        if (n.result !== undefined) this.#define(n.result, R0);
        return false;
      },
      ifSome: (n) => {
        this.#call(n.call.helper, n.call.args, n.call.subprog?.label, n.call.kfunc);
        const f = this.#label();
        const loc = this.#loc(n.ptr);
        this.#define(n.ptr, R0);
        const r = loc !== undefined && 'reg' in loc ? loc.reg : R0;
        this.#emit(JEq.imm(r, 0, f));
        return this.#ifElse(n.then, n.otherwise, f);
      },
      ifPacket: (n) => {
        const c = this.#alloc();
        const ctx = this.#baseReg(n.ctx, c);
        const end = this.#alloc();
        this.#emit(LoadMem(end, ctx, n.dataEndOff, Size.W));
        const loc = this.#loc(n.ptr);
        const data = loc !== undefined && 'reg' in loc ? loc.reg : this.#alloc();
        this.#emit(LoadMem(data, ctx, n.dataOff, Size.W));
        if (loc !== undefined && 'slot' in loc) this.#emit(StoreMem(R10, loc.slot, data, Size.DW));
        const t = this.#alloc();
        const f = this.#label();
        this.#emit(Mov.reg(t, data), Add.imm(t, n.end), JGT.reg(t, end, f));
        for (const r of [c, end, data, t]) this.#release(r);
        return this.#ifElse(n.then, n.otherwise, f);
      },
      object: (n) => {
        const size = (n.obj.size + 7) & ~7;
        const off = this.#stackAlloc(size);
        this.#objects.set(n.obj.id, off);
        for (let k = 0; k < size; k += 8) this.#emit(StoreImm(R10, off + k, 0, Size.DW));
        return false;
      },
      read: (n) => {
        const loc = this.#loc(n.target);
        if (loc === undefined) return false;
        const r = 'reg' in loc ? loc.reg : this.#alloc();
        const [base, off] = this.#place(n.place, r);
        const t = n.type;
        // A plain load and shifts rather than a sign-extending load (Linux 6.6+).
        this.#emit(LoadMem(r, base, off, sizeOf(t.size)));
        if (isSigned(t) && t.size < 4) this.#normalize(r, t);
        if (n.swap && t.size > 1) this.#emit(ToBE(r, (t.size * 8) as 16 | 32 | 64));
        if ('slot' in loc) {
          this.#emit(StoreMem(R10, loc.slot, r, Size.DW));
          this.#release(r);
        }
        return false;
      },
      store: (n) => {
        const b = this.#alloc();
        const [base, off] = this.#place(n.place, b);
        this.#store(base, off, n.type, n.value);
        this.#release(b);
        return false;
      },
      atomicAdd: (n) => {
        const b = this.#alloc();
        const [base, off] = this.#place(n.place, b);
        const [r, temp] = this.#asReg(n.value);
        this.#emit(Atomic.add(base, off, r, sizeOf(n.type.size)));
        if (temp) this.#release(r);
        this.#release(b);
        return false;
      },
      storeAddress: (n) => {
        const a = this.#alloc();
        const [from, fromOff] = this.#place(n.of, a);
        if (from !== a) this.#emit(Mov.reg(a, from));
        if (fromOff !== 0) this.#emit(Add.imm(a, fromOff));
        const b = this.#alloc();
        const [base, off] = this.#place(n.place, b);
        this.#emit(StoreMem(base, off, a, Size.DW));
        this.#release(b);
        this.#release(a);
        return false;
      },
    });
  }
}

