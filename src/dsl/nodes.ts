/**
 * The eDSL's operation nodes: immutable records with a `kind` discriminant, as kysely's
 * operation nodes are. A built program is a tree of these; {@link compile} turns it into
 * instructions. Visitors are typed `Record<ExprKind, …>` / `Record<StmtKind, …>` so a new kind
 * does not compile until every visitor handles it.
 * @module
 */

import type { ScalarType } from './c-types.js';

/** What a pointer-typed variable points to (internal: users never hold a raw pointer). */
export type PointerTarget = 'ctx' | 'map_value' | 'packet' | 'map' | 'stack';

/** The type of a pointer variable. */
export interface PointerType {
  /** Discriminant. */
  readonly kind: 'ptr';
  /** What it points to. */
  readonly to: PointerTarget;
  /** Size in a register or spill slot. */
  readonly size: 8;
}

/** Type of a variable: a scalar, or an internal pointer. */
export type VarType = ScalarType | PointerType;

/** Binary arithmetic and bitwise operators. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'mod' | 'and' | 'or' | 'xor' | 'shl' | 'shr';
/** Comparison operators. */
export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
/** Unary operators: negation, bitwise not, byte swaps between network and host order. */
export type UnaryOp = 'neg' | 'bnot' | 'be16' | 'be32' | 'be64';

/**
 * A CO-RE field access (`.BTF.ext` core_relo, kind `FIELD_BYTE_OFFSET`): the constant it tags is
 * the byte offset of the field reached by `access` (`"0:3:1"`) from the root struct or union.
 */
export interface CoreAccess {
  /** Root type's name. */
  readonly rootName: string;
  /** Root type's kind. */
  readonly rootKind: 'struct' | 'union';
  /** The access string: `0`, then member (or array element) indices. */
  readonly access: string;
}

/** A constant. `value` is already wrapped to `type`. */
export interface ConstNode {
  readonly kind: 'const';
  readonly type: ScalarType;
  readonly value: bigint;
  /** A kernel field offset to relocate (set by kernel struct reads), when this constant is one. */
  readonly core?: CoreAccess;
}

/** A variable (a `$.let` local, a helper result, the context or a checked pointer). */
export interface VarNode {
  readonly kind: 'var';
  readonly type: VarType;
  readonly id: number;
  /** Name for dumps. */
  readonly name: string;
}

/** `left op right`, both of `type`. */
export interface BinaryNode {
  readonly kind: 'binary';
  readonly type: ScalarType;
  readonly op: BinaryOp;
  readonly left: ExprNode;
  readonly right: ExprNode;
}

/** `op operand`. */
export interface UnaryNode {
  readonly kind: 'unary';
  readonly type: ScalarType;
  readonly op: UnaryOp;
  readonly operand: ExprNode;
}

/** `left op right` compared as `operandType`; a bool. */
export interface CompareNode {
  readonly kind: 'compare';
  readonly type: ScalarType;
  readonly op: CompareOp;
  readonly operandType: ScalarType;
  readonly left: ExprNode;
  readonly right: ExprNode;
}

/** Short-circuit `&&` / `||` of bools. */
export interface LogicNode {
  readonly kind: 'logic';
  readonly type: ScalarType;
  readonly op: 'and' | 'or';
  readonly left: ExprNode;
  readonly right: ExprNode;
}

/** Logical not of a bool. */
export interface NotNode {
  readonly kind: 'not';
  readonly type: ScalarType;
  readonly operand: ExprNode;
}

/** C conversion of `operand` to `type`. */
export interface CastNode {
  readonly kind: 'cast';
  readonly type: ScalarType;
  readonly operand: ExprNode;
}

/** `*(type *)(base + off)` where base is a pointer variable (used for context fields). */
export interface LoadNode {
  readonly kind: 'load';
  readonly type: ScalarType;
  readonly base: VarNode;
  readonly off: number;
}

/** Every expression node. */
export type ExprNode = ConstNode | VarNode | BinaryNode | UnaryNode | CompareNode | LogicNode | NotNode | CastNode | LoadNode;
/** Expression node kinds. */
export type ExprKind = ExprNode['kind'];

/** A helper argument. */
export type ArgNode =
  /** A scalar value in the argument register. */
  | { readonly kind: 'value'; readonly expr: ExprNode }
  /** A map pointer (`ld_imm64` map reference). */
  | { readonly kind: 'map'; readonly map: string }
  /** The context pointer. */
  | { readonly kind: 'ctx'; readonly ctx: VarNode }
  /** A pointer to a fresh stack copy of a value (for keys, values, event records). */
  | { readonly kind: 'stack'; readonly expr: ExprNode; readonly type: ScalarType }
  /** A pointer to memory already in place (a stack object, a map value), `size` bytes. */
  | { readonly kind: 'pointer'; readonly place: Place; readonly size: number }
  /** A pointer to a NUL-terminated string constant written onto the stack. */
  | { readonly kind: 'string'; readonly text: string }
  /** The byte size of the `stack`, `pointer` or `string` argument at `index`. */
  | { readonly kind: 'sizeof'; readonly index: number }
  /** The address of a subprogram (`ld_imm64` with `BPF_PSEUDO_FUNC`): a callback, e.g. of `bpf_loop`. */
  | { readonly kind: 'func'; readonly func: FuncNode }
  /**
   * The address of `size` bytes at `off` in element 0 of array map `map` (`ld_imm64` with
   * `BPF_PSEUDO_MAP_VALUE`): a read-only string constant in the program's `.rodata` map.
   */
  | { readonly kind: 'mapValue'; readonly map: string; readonly off: number; readonly size: number };

/** `var = init` for a new variable. */
export interface LetStmt {
  readonly kind: 'let';
  readonly target: VarNode;
  readonly init: ExprNode;
}

/** `var = value` for an existing variable. */
export interface AssignStmt {
  readonly kind: 'assign';
  readonly target: VarNode;
  readonly value: ExprNode;
}

/** `if (cond) then else otherwise`. */
export interface IfStmt {
  readonly kind: 'if';
  readonly cond: ExprNode;
  readonly then: readonly StmtNode[];
  readonly otherwise: readonly StmtNode[];
}

/**
 * `for (counter = from; counter < to; counter++) body`: a kernel bounded loop (Linux 5.3). With
 * `next`, an open-coded iterator loop instead (Linux 6.4): `while ((p = next()) != NULL) {
 * counter = *p; body }`, `from` and `to` unused.
 */
export interface LoopStmt {
  readonly kind: 'loop';
  readonly counter: VarNode;
  readonly from: number;
  readonly to: number;
  readonly body: readonly StmtNode[];
  /** The iterator's `next` kfunc call (its arguments may not read variables). */
  readonly next?: CallStmt;
}

/** `return value`. */
export interface ReturnStmt {
  readonly kind: 'return';
  readonly value: ExprNode;
}

/**
 * A helper call, or a bpf-to-bpf call of `subprog` when given (`call pc+N`, `BPF_PSEUDO_CALL`;
 * `helper` is then 0); `result` receives R0 when given. Both follow the same convention:
 * arguments in R1–R5, which the call clobbers, R6–R9 preserved.
 */
export interface CallStmt {
  readonly kind: 'call';
  readonly helper: number;
  readonly name: string;
  readonly args: readonly ArgNode[];
  readonly result: VarNode | undefined;
  /** The subprogram called instead of a helper. */
  readonly subprog?: FuncNode;
  /** The vmlinux BTF id of the kfunc called instead of a helper (`call` with `src_reg` 2, `BPF_PSEUDO_KFUNC_CALL`). */
  readonly kfunc?: number;
}

/**
 * A bpf-to-bpf subprogram (a function of its own, with its own stack frame and registers), or
 * the callback of a helper such as `bpf_loop`. Compiled after the main program; parameters
 * arrive in R1–R5, the result leaves in R0.
 */
export interface FuncNode {
  readonly kind: 'func';
  /** Unique within its program. */
  readonly id: number;
  /** Name (its BTF `FUNC` name, made a C identifier). */
  readonly name: string;
  /** Parameters in argument order: scalars, or pointers (to stack objects or map values). */
  readonly params: readonly VarNode[];
  /** Result type. */
  readonly ret: ScalarType;
  /** The statements; the last is a return. */
  readonly body: readonly StmtNode[];
  /** The label of its first instruction. */
  readonly label: string;
  /** Whether the body uses the program's context (a subprogram then takes it as a hidden first parameter). */
  readonly usesCtx?: boolean;
}

/** `ptr = call(...)`, then `then` when ptr is not NULL, else `otherwise` (map lookups). */
export interface IfSomeStmt {
  readonly kind: 'ifSome';
  readonly call: CallStmt;
  readonly ptr: VarNode;
  readonly then: readonly StmtNode[];
  readonly otherwise: readonly StmtNode[];
}

/** Packet bounds check: `ptr = data`; `then` when `data + end <= data_end`, else `otherwise`. */
export interface IfPacketStmt {
  readonly kind: 'ifPacket';
  readonly ctx: VarNode;
  readonly dataOff: number;
  readonly dataEndOff: number;
  readonly end: number;
  readonly ptr: VarNode;
  readonly then: readonly StmtNode[];
  readonly otherwise: readonly StmtNode[];
}

/** A stack object: bytes on the program's stack, zeroed where it is defined. */
export interface StackObject {
  readonly kind: 'object';
  readonly id: number;
  /** Size in bytes. */
  readonly size: number;
  /** Name for dumps. */
  readonly name: string;
}

/** A memory location: `off` bytes into what a pointer variable points to, or into a stack object. */
export type Place =
  | { readonly kind: 'pointer'; readonly base: VarNode; readonly off: number }
  | { readonly kind: 'stack'; readonly obj: StackObject; readonly off: number };

/** Defines a stack object: reserves and zeroes its bytes (so its address may escape to helpers). */
export interface ObjectStmt {
  readonly kind: 'object';
  readonly obj: StackObject;
}

/** `target = *(type *)place` (optionally byte-swapped from network order). */
export interface ReadStmt {
  readonly kind: 'read';
  readonly target: VarNode;
  readonly place: Place;
  readonly type: ScalarType;
  readonly swap: boolean;
}

/** `*(type *)place = value`. */
export interface StoreStmt {
  readonly kind: 'store';
  readonly place: Place;
  readonly type: ScalarType;
  readonly value: ExprNode;
}

/** `lock *(type *)place += value` (BCC's `__sync_fetch_and_add`). */
export interface AtomicAddStmt {
  readonly kind: 'atomicAdd';
  readonly place: Place;
  readonly type: ScalarType;
  readonly value: ExprNode;
}

/**
 * `*(u64 *)place = &of`: stores the address of memory in place (a stack object, a map value) as
 * a u64, as C code fills the `u64` argument array of `bpf_snprintf` with a string's address.
 */
export interface StoreAddressStmt {
  readonly kind: 'storeAddress';
  readonly place: Place;
  readonly of: Place;
}

/** Every statement node. */
export type StmtNode = LetStmt | AssignStmt | IfStmt | LoopStmt | ReturnStmt | CallStmt | IfSomeStmt | IfPacketStmt | ObjectStmt | ReadStmt | StoreStmt | AtomicAddStmt | StoreAddressStmt;
/** Statement node kinds. */
export type StmtKind = StmtNode['kind'];

/** A visitor over expression nodes: one function per kind. */
export type ExprVisitor<R> = { readonly [K in ExprKind]: (node: Extract<ExprNode, { kind: K }>) => R };
/** A visitor over statement nodes: one function per kind. */
export type StmtVisitor<R> = { readonly [K in StmtKind]: (node: Extract<StmtNode, { kind: K }>) => R };

/** Applies the visitor's function for `node.kind`. */
export function visitExpr<R>(node: ExprNode, v: ExprVisitor<R>): R {
  return (v[node.kind] as (n: ExprNode) => R)(node);
}

/** Applies the visitor's function for `node.kind`. */
export function visitStmt<R>(node: StmtNode, v: StmtVisitor<R>): R {
  return (v[node.kind] as (n: StmtNode) => R)(node);
}

/** Variables an expression reads. */
export function exprVars(node: ExprNode, out: VarNode[] = []): VarNode[] {
  visitExpr<void>(node, {
    const: () => {},
    var: (n) => void out.push(n),
    binary: (n) => void (exprVars(n.left, out), exprVars(n.right, out)),
    unary: (n) => void exprVars(n.operand, out),
    compare: (n) => void (exprVars(n.left, out), exprVars(n.right, out)),
    logic: (n) => void (exprVars(n.left, out), exprVars(n.right, out)),
    not: (n) => void exprVars(n.operand, out),
    cast: (n) => void exprVars(n.operand, out),
    load: (n) => void out.push(n.base),
  });
  return out;
}
