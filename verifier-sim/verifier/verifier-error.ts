/**
 * The internal signal that verification failed: thrown from deep inside a check, caught by
 * the main loop, which records its message as the error line.
 * @module
 */

/** A rejection with the kernel's message (one line, no trailing newline). */
export class RejectError extends Error {
  /** The slot index the message refers to, or null for whole-program checks. */
  readonly insn: number | null;
  /** Extra lines the kernel prints after the message (e.g. a second explanation line). */
  readonly extra: readonly string[];

  constructor(message: string, insn: number | null, extra: readonly string[] = []) {
    super(message);
    this.name = 'RejectError';
    this.insn = insn;
    this.extra = extra;
  }
}
