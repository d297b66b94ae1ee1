/**
 * {@link BccError}: misuse of the BCC-style facade (an unknown table or function name, a
 * probe name without a known prefix, a table used for something its kind cannot do).
 * @module
 */

/** A mistake in using the BCC facade; the message names what and where. */
export class BccError extends Error {
  /** Builds the error with `message` (lower-case, context first); `cause` is the underlying error, if any. */
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'BccError';
  }
}
