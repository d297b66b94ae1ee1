/**
 * The interface through which values bound to a program under construction (variables, map
 * handles, checked pointers) append statements to it.
 * @module
 */

import type { ScalarType } from './c-types.js';
import type { ArgNode, StmtNode, VarNode, VarType } from './nodes.js';

/** Appends statements to the block being built and creates variables. */
export interface Emitter {
  /** Appends `stmt` to the current block. */
  emit(stmt: StmtNode): void;
  /** A fresh variable of `type`, named `name` in dumps. */
  newVar(type: VarType, name: string): VarNode;
  /** Appends a call of helper `name` (checked against the program type) and returns its result variable. */
  call(name: string, args: readonly ArgNode[], result: ScalarType | undefined): VarNode | undefined;
  /** The context pointer variable. */
  readonly ctx: VarNode;
}
