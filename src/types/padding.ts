/**
 * Explicit padding: `pad(4)` as a struct field is `__u8 name[4]`. It has no JS value: decode
 * skips it and encode writes zeros.
 * @module
 */

import { TypeDeclarationError } from './errors.js';

/** A padding field declaration. */
export interface PadSpec<N extends number = number> {
  /** Discriminant (a field declaration, not a type). */
  readonly kind: 'pad';
  /** Bytes. */
  readonly size: N;
}

/** `n` bytes of padding (byte-aligned; placed right after the previous field). */
export function pad<N extends number>(n: N): PadSpec<N> {
  if (!Number.isInteger(n) || n < 1 || n > 0x7fffffff) {
    throw new TypeDeclarationError(`pad(${String(n)})`, '', 'size must be an integer in [1, 2^31)');
  }
  return Object.freeze({ kind: 'pad', size: n });
}
