/**
 * {@link VerifierError}: the kernel refused to load a program, with its verifier log.
 * @module
 */

import { SyscallError } from '../../syscalls/index.js';
import { syscallReason } from '../errors.js';
import { verifierLogFacts } from './verifier-log.js';

/**
 * A program the kernel did not load. The message reads
 * `load program "xdp_pass": R0 !read_ok (insn 0)`: the program, then the verifier's first error
 * line. {@link VerifierError.log} is the whole log, {@link VerifierError.insn} the failing
 * instruction parsed from it, {@link VerifierError.errno}/{@link VerifierError.code} the
 * system call's errno (EACCES for a verifier rejection, EINVAL for bad attrs, EPERM, …).
 */
export class VerifierError extends Error {
  override name = 'VerifierError';
  /** The program as written in messages. */
  readonly program: string;
  /** The verifier's first error line (the kernel's wording), or the errno's explanation when the log is empty. */
  readonly error: string;
  /** The whole verifier log ('' when the kernel wrote none). */
  readonly log: string;
  /** The instruction (8-byte slot index) the error refers to, or null when the log does not say. */
  readonly insn: number | null;
  /** `processed N insns` of the log, or null. */
  readonly processed: number | null;
  /** errno of `BPF_PROG_LOAD`. */
  readonly errno: number;
  /** errno name. */
  readonly code: string;

  /**
   * The source position of the failing instruction (`probe.ts:12`), when the program carried
   * line info and the log names the instruction; null otherwise.
   */
  readonly source: string | null;

  /**
   * `sourceOf` maps an instruction index to its source position (`file:line`), for programs
   * loaded with line_info; the message then ends with ` at <position>`.
   */
  constructor(program: string, cause: SyscallError, sourceOf?: (insn: number) => string | undefined) {
    const log = cause.log ?? '';
    const facts = verifierLogFacts(log);
    const error = facts.error ?? syscallReason(cause);
    const source = facts.insn === undefined ? undefined : sourceOf?.(facts.insn);
    super(`load ${program}: ${error}${facts.insn === undefined ? '' : ` (insn ${facts.insn})`}${source === undefined ? '' : ` at ${source}`}`, { cause });
    this.source = source ?? null;
    this.program = program;
    this.error = error;
    this.log = log;
    this.insn = facts.insn ?? null;
    this.processed = facts.processed ?? null;
    this.errno = cause.errno;
    this.code = cause.code;
  }
}
