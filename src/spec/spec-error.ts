/**
 * {@link SpecError}: a program spec that is not valid, naming the JSON path of the problem.
 * @module
 */

/**
 * A bad program spec: `maps[0].keySize: expected a non-negative integer, got -1`. `path` is the
 * JSON path (`''` for the document itself), `reason` what is wrong there.
 */
export class SpecError extends Error {
  override name = 'SpecError';
  /** JSON path of the problem: `maps[0].keySize`, `insns`, `''` for the whole document. */
  readonly path: string;
  /** What is wrong there. */
  readonly reason: string;

  constructor(path: string, reason: string) {
    super(path === '' ? reason : `${path}: ${reason}`);
    this.path = path;
    this.reason = reason;
  }
}
