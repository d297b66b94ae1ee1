/**
 * Errors thrown by the encoder, the reference resolver and the assembler. Decoding and
 * disassembling never throw on odd encodings (they print the kernel's `BUG_…` text instead).
 * @module
 */

/** A field value that does not fit the instruction format, named with the builder that made it. */
export class EncodeError extends RangeError {
  override name = 'EncodeError';
  /** Index of the offending instruction in the program, when known. */
  readonly index: number | undefined;
  constructor(message: string, index?: number) {
    super(index === undefined ? message : `instruction ${index}: ${message}`);
    this.index = index;
  }
}

/** A symbolic reference (jump target, subprogram, map, kfunc) that could not be resolved. */
export class UnresolvedReferenceError extends Error {
  override name = 'UnresolvedReferenceError';
  /** Index of the instruction holding the reference. */
  readonly index: number;
  /** The symbol that was looked for. */
  readonly symbol: string;
  constructor(message: string, index: number, symbol: string) {
    super(`instruction ${index}: ${message}`);
    this.index = index;
    this.symbol = symbol;
  }
}

/** Text the assembler cannot read: names the line and column (both 1-based). */
export class AsmSyntaxError extends SyntaxError {
  override name = 'AsmSyntaxError';
  /** 1-based line number. */
  readonly line: number;
  /** 1-based column number. */
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(`${line}:${column}: ${message}`);
    this.line = line;
    this.column = column;
  }
}
