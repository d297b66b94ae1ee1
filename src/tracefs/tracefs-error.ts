/**
 * {@link TracefsError}: tracefs is missing, or a tracepoint does not exist.
 * @module
 */

/**
 * tracefs cannot be used: not mounted and not mountable (`reason` says why), an invalid
 * tracepoint name, or a tracepoint that does not exist. `path` is the file or directory involved.
 */
export class TracefsError extends Error {
  override name = 'TracefsError';
  /** The tracefs path involved, when there is one. */
  readonly path: string | undefined;

  constructor(message: string, path?: string, options?: ErrorOptions) {
    super(message, options);
    this.path = path;
  }
}
