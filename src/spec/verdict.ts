/**
 * {@link SpecVerdict}: the result object of `tsbpf verify --json` and `tsbpf kload --json`
 * (DESIGN.md, "Verify / kload result"), one shape for the offline verifier and the kernel.
 * @module
 */

/** The verdict on one program spec. */
export interface SpecVerdict {
  /** `'accept'` or `'reject'`. */
  readonly verdict: 'accept' | 'reject';
  /** The verifier's first error line (the kernel's wording), or null when accepted. */
  readonly error: string | null;
  /** The instruction the error refers to, or null. */
  readonly insn: number | null;
  /** `processed N insns` of the log (0 when the log does not say). */
  readonly processed: number;
  /** The verifier log. */
  readonly log: string;
}

/** The JSON Lines form of `v`: its fields in the documented order, and a newline. */
export function verdictLine(v: SpecVerdict): string {
  return `${JSON.stringify({ verdict: v.verdict, error: v.error, insn: v.insn, processed: v.processed, log: v.log })}\n`;
}
