/**
 * Errors of building and compiling eDSL programs.
 * @module
 */

/**
 * A program that cannot be built or compiled: an out-of-range constant, a helper the program
 * type does not offer, a packet read outside its checked window, a stack overflow. The message
 * starts with the context (`compile socket_filter 'count': …`).
 */
export class DslError extends Error {
  /** Always `'DslError'`. */
  override readonly name = 'DslError';
}

/**
 * A compile-time type error with a readable message, in the style of kysely's `KyselyTypeError`:
 * parameters typed with it reject every argument, and the message shows in the compiler output.
 */
export interface DslTypeError<Message extends string> {
  /** The message the compiler shows. */
  readonly __dslTypeError: Message;
}
