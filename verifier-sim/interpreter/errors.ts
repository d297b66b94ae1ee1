/**
 * The one error type of the interpreter: a run that cannot continue (a memory-safety violation,
 * an instruction no machine executes, an unknown helper, a limit) stops with an
 * {@link InterpreterError} that says where and why.
 * @module
 */

/** Why a run stopped. */
export type InterpreterErrorKind =
  /** A load or store outside its region, through a scalar, or into read-only memory. */
  | 'memory'
  /** An encoding that names no operation, or a jump/fall-through outside the program. */
  | 'invalid_insn'
  /** A helper the interpreter does not simulate, or a kfunc call. */
  | 'unknown_helper'
  /** A helper called with arguments it cannot accept (a scalar where a map was expected, …). */
  | 'helper_args'
  /** The instruction budget or the call depth was exhausted. */
  | 'limit'
  /** The program or its input does not fit what the interpreter was asked to do. */
  | 'setup';

/** What was accessed when a memory violation happened. */
export interface AccessInfo {
  /** `read` or `write`. */
  readonly type: 'read' | 'write';
  /** Bytes accessed. */
  readonly size: number;
  /** Kind of the region (`stack`, `ctx`, `packet`, `map_value`, …), or `scalar` for a non-pointer. */
  readonly region: string;
  /** Offset from the region's start (may be negative), when the base was a pointer. */
  readonly offset?: number;
  /** Valid byte range of the region at the time, `[start, end)`. */
  readonly bounds?: readonly [number, number];
}

/**
 * A run stopped: `insn` is the slot index of the instruction (what the kernel's verifier log
 * numbers), `kind` the category and `access` the details of a memory violation.
 *
 * ```
 * insn 4: invalid read of 8 bytes from stack at offset 512 (valid 0..512)
 * ```
 */
export class InterpreterError extends Error {
  override name = 'InterpreterError';
  /** Slot index of the instruction that failed, or -1 before the first instruction. */
  readonly insn: number;
  /** Category of the failure. */
  readonly kind: InterpreterErrorKind;
  /** Details of a memory violation. */
  readonly access: AccessInfo | undefined;
  /** The helper's name, for `unknown_helper` and `helper_args`. */
  readonly helper: string | undefined;
  constructor(kind: InterpreterErrorKind, insn: number, message: string, details?: { access?: AccessInfo; helper?: string }) {
    super(insn >= 0 ? `insn ${insn}: ${message}` : message);
    this.kind = kind;
    this.insn = insn;
    this.access = details?.access;
    this.helper = details?.helper;
  }
}
