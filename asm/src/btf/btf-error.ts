/**
 * Errors of the BTF decoder, encoder and C dumper.
 * @module
 */

/**
 * BTF that cannot be decoded (corrupt, truncated, or referring outside itself), or a type graph
 * that cannot be laid out (a cycle through qualifiers, a struct that contains itself).
 * `offset` is the byte offset in the blob where the problem was found, when it comes from a blob.
 */
export class BtfError extends Error {
  override name = 'BtfError';
  /** Byte offset in the BTF blob (from its first byte, header included); undefined for graph errors. */
  readonly offset: number | undefined;
  constructor(message: string, offset?: number) {
    super(offset === undefined ? message : `btf offset ${offset}: ${message}`);
    this.offset = offset;
  }
}

/** A type graph that does not fit the BTF format (a name with a NUL, a vlen over 65535, …). */
export class BtfEncodeError extends RangeError {
  override name = 'BtfEncodeError';
  /** `kind` and name of the offending type, e.g. `struct foo`. */
  readonly type: string;
  constructor(message: string, type: string) {
    super(`${type}: ${message}`);
    this.type = type;
  }
}
