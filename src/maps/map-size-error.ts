/**
 * {@link MapSizeError}: a key or value of the wrong size, caught before any system call.
 * @module
 */

/**
 * A key or value whose byte length is not the map's: `update map "counts": key is 4 bytes,
 * expected 8`.
 */
export class MapSizeError extends RangeError {
  override name = 'MapSizeError';
  /** The map as written in messages. */
  readonly object: string;
  /** `'key'` or `'value'` (or `'keys'`/`'values'` for batches). */
  readonly what: string;
  /** The size required, in bytes. */
  readonly expected: number;
  /** The size given, in bytes. */
  readonly actual: number;

  constructor(op: string, object: string, what: string, expected: number, actual: number, note = '') {
    super(`${op} ${object}: ${what} is ${actual} bytes, expected ${expected}${note}`);
    this.object = object;
    this.what = what;
    this.expected = expected;
    this.actual = actual;
  }
}
