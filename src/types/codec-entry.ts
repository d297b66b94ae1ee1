/**
 * The public codec methods every type shares ({@link CType.decode}, `encode`, `read`, `write`)
 * around a type's compiled raw functions: input normalisation (a one-entry cache of the
 * DataView/Uint8Array pair of the last buffer seen, so decoding many records from one buffer
 * allocates no views), one bounds check per call, and the conversion of value problems into
 * {@link EncodeError}s naming the outer type.
 * @module
 */

import type { ByteSource, ByteTarget, CType } from './c-type.js';
import { DecodeRangeError, EncodeError } from './errors.js';

/** A compiled reader: decodes at byte `o`, bounds already checked. */
export type RawRead<Out> = (dv: DataView, u8: Uint8Array, o: number) => Out;

/**
 * A compiled writer: encodes `v` at byte `o` into bytes already zeroed; `p` is the path prefix
 * for messages. Throws {@link ValueProblem}.
 */
export type RawWrite<In> = (dv: DataView, u8: Uint8Array, o: number, v: In, p: string) => void;

/** A compiled pair. */
export interface RawCodec<Out, In> {
  /** Reader. */
  readonly read: RawRead<Out>;
  /** Writer. */
  readonly write: RawWrite<In>;
}

/** A value that does not fit, found by a raw writer; the entry point turns it into an {@link EncodeError}. */
export class ValueProblem extends Error {
  override name = 'ValueProblem';
  /** Path in the value (`.comm`, `[3].pid`). */
  readonly path: string;
  /** The value. */
  readonly value: unknown;
  /** What is wrong, for the message. */
  readonly reason: string;
  constructor(path: string, value: unknown, reason: string) {
    super(`${path}: ${reason}`);
    this.path = path;
    this.value = value;
    this.reason = reason;
  }
}

/** How a value looks in a message: strings quoted, bigints with `n`, objects by kind. */
export function showValue(v: unknown): string {
  switch (typeof v) {
    case 'string': return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
    case 'bigint': return `${v}n`;
    case 'number': case 'boolean': case 'undefined': return String(v);
    default: return v === null ? 'null' : Array.isArray(v) ? `an array of length ${v.length}` : `a ${v?.constructor?.name ?? typeof v}`;
  }
}

let lastSource: unknown;
let lastDv: DataView = new DataView(new ArrayBuffer(0));
let lastU8: Uint8Array = new Uint8Array(0);

function setViews(src: unknown): void {
  if (src instanceof Uint8Array) {
    lastU8 = src;
    lastDv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  } else if (src instanceof DataView) {
    lastDv = src;
    lastU8 = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  } else if (src instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && src instanceof SharedArrayBuffer)) {
    lastDv = new DataView(src);
    lastU8 = new Uint8Array(src);
  } else {
    throw new TypeError(`expected a Uint8Array, DataView or ArrayBuffer, got ${src === null ? 'null' : typeof src}`);
  }
  lastSource = src;
}

/**
 * The four codec methods of a type named `cName` of `size` bytes, over the raw pair `compile()`
 * returns (called once, on first use).
 */
export function codecMethods<Out, In>(
  cName: string,
  size: number,
  compile: () => RawCodec<Out, In>,
): Pick<CType<Out, In>, 'read' | 'write' | 'decode' | 'encode'> {
  let raw: RawCodec<Out, In> | undefined;

  function decodeAt(src: unknown, offset: number): Out {
    if (src !== lastSource) setViews(src);
    const u8 = lastU8;
    if (!(offset >= 0 && offset <= u8.length - size) || Math.floor(offset) !== offset) {
      throw new DecodeRangeError('decode', cName, offset, size, u8.length);
    }
    return (raw ??= compile()).read(lastDv, u8, offset);
  }

  function encodeAt(value: In, dst: unknown, offset: number): Uint8Array {
    if (dst !== lastSource) setViews(dst);
    const u8 = lastU8;
    const dv = lastDv;
    if (!(offset >= 0 && offset <= u8.length - size) || Math.floor(offset) !== offset) {
      throw new DecodeRangeError('encode', cName, offset, size, u8.length);
    }
    u8.fill(0, offset, offset + size);
    try {
      (raw ??= compile()).write(dv, u8, offset, value, '');
    } catch (e) {
      if (e instanceof ValueProblem) throw new EncodeError(cName, e.path, e.value, e.reason);
      throw e;
    }
    return u8.subarray(offset, offset + size);
  }

  return {
    read: (view: DataView, offset: number): Out => decodeAt(view, offset),
    write: (view: DataView, offset: number, value: In): void => {
      encodeAt(value, view, offset);
    },
    decode: (source: ByteSource, offset = 0): Out => decodeAt(source, offset),
    encode: (value: In, target?: ByteTarget, offset = 0): Uint8Array => encodeAt(value, target ?? new Uint8Array(size), offset),
  };
}
