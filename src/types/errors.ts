/**
 * Errors of struct types: a declaration that cannot be laid out ({@link TypeDeclarationError}),
 * a value that does not fit its type ({@link EncodeError}), and bytes too short for the type
 * being decoded ({@link DecodeRangeError}).
 * @module
 */

/**
 * A type declaration that cannot be laid out: an invalid field name, a bitfield wider than its
 * type, a zero-length `char` array, … The message reads
 * `struct event: field 'x': bitfield width 40 exceeds u32 (32 bits)`.
 */
export class TypeDeclarationError extends TypeError {
  override name = 'TypeDeclarationError';
  /** The type being declared, as C spells it (`struct event`, `char[0]`). */
  readonly type: string;
  /** The offending field, or `''` when the problem is not a field's. */
  readonly field: string;
  constructor(type: string, field: string, reason: string) {
    super(field === '' ? `${type}: ${reason}` : `${type}: field '${field}': ${reason}`);
    this.type = type;
    this.field = field;
  }
}

/**
 * A value that cannot be encoded as its type: wrong JS type, out of range, a string longer
 * than its `char` array, an array of the wrong length. The message reads
 * `encode struct event: .comm: string of 20 bytes does not fit char[16]`.
 */
export class EncodeError extends RangeError {
  override name = 'EncodeError';
  /** The outermost type being encoded (`struct event`). */
  readonly type: string;
  /** Where in the value, e.g. `.args[2].fd`; `''` for the value itself. */
  readonly path: string;
  /** The offending value. */
  readonly value: unknown;
  constructor(type: string, path: string, value: unknown, reason: string) {
    super(`encode ${type}: ${path === '' ? '' : `${path}: `}${reason}`);
    this.type = type;
    this.path = path;
    this.value = value;
  }
}

/**
 * Bytes too short for the type being decoded (or encoded into). The message reads
 * `decode struct event at offset 100: needs 300 bytes, 120 available`.
 */
export class DecodeRangeError extends RangeError {
  override name = 'DecodeRangeError';
  /** The type (`struct event`). */
  readonly type: string;
  /** Offset asked for, in bytes from the start of the given bytes. */
  readonly offset: number;
  /** Bytes the type needs. */
  readonly size: number;
  /** Bytes available from `offset` (negative or NaN offsets: 0). */
  readonly available: number;
  constructor(op: 'decode' | 'encode', type: string, offset: number, size: number, byteLength: number) {
    const available = Number.isInteger(offset) && offset >= 0 ? Math.max(0, byteLength - offset) : 0;
    const why = Number.isInteger(offset) && offset >= 0
      ? `needs ${size} bytes, ${available} available (byteLength ${byteLength})`
      : `offset is not a non-negative integer`;
    super(`${op} ${type} at offset ${String(offset)}: ${why}`);
    this.type = type;
    this.offset = offset;
    this.size = size;
    this.available = available;
  }
}
