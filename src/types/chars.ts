/**
 * `char[n]` read as a string: decoding stops at the first NUL (or after `n` bytes) and reads
 * UTF-8; encoding writes UTF-8 and NUL-pads. A string of exactly `n` bytes is stored without a
 * terminator (as `strncpy` does); a longer one, or one containing NUL, is an {@link EncodeError}.
 * Use `array(u8, n)` for raw bytes.
 * @module
 */

import { IntEncoding, type ArrayType as BtfArray } from 'ebpf-bytecode-utils';
import type { CType } from './c-type.js';
import { codecMethods } from './codec-entry.js';
import { compileCodec } from './codegen.js';
import { TypeDeclarationError } from './errors.js';
import { arrayIndexBtf } from './array.js';
import { btfInt } from './scalars.js';

/** `char[n]` as a string. */
export interface CharsType<N extends number = number> extends CType<string> {
  /** Discriminant. */
  readonly kind: 'chars';
  /** `n`: bytes, terminator included. */
  readonly length: N;
}

/** `char name[n]`: a string of at most `n` UTF-8 bytes (see the module notes). */
export function char<N extends number>(n: N): CharsType<N> {
  if (!Number.isInteger(n) || n < 1 || n > 0x7fffffff) {
    throw new TypeDeclarationError(`char[${String(n)}]`, '', 'length must be an integer in [1, 2^31)');
  }
  const cName = `char[${n}]`;
  let node: BtfArray | undefined;
  const t: CharsType<N> = {
    kind: 'chars',
    length: n,
    cName,
    size: n,
    align: 1,
    fitsRegister: false,
    cDecl: (name: string) => `char ${name}[${n}]`,
    btf: () => (node ??= { kind: 'array', element: btfInt('char', 1, IntEncoding.SIGNED), index: arrayIndexBtf(), length: n }),
    ...codecMethods(cName, n, () => compileCodec(t)),
  };
  return Object.freeze(t);
}
