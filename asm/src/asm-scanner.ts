/**
 * The assembler's scanner: walks the text line by line over char codes (no regular
 * expressions, no splitting), skips blanks and comments, and reads the small tokens of eBPF
 * assembly — registers, integers, identifiers — reporting errors as {@link AsmSyntaxError}
 * with a 1-based line and column.
 *
 * Comments: `#`, `;` and `//` run to the end of the line wherever a token may start (so the
 * verifier log's `; R0_w=0` state tail and clang's `# %bb.0:` both vanish); `/* … *\/` may
 * span lines.
 * @module
 */

import { AsmSyntaxError } from './errors.js';

/** Char codes the assembler compares against. */
export const Ch = {
  TAB: 9,
  LF: 10,
  VT: 11,
  FF: 12,
  CR: 13,
  SPACE: 32,
  BANG: 33,
  HASH: 35,
  DOLLAR: 36,
  PERCENT: 37,
  AMP: 38,
  QUOTE: 39,
  LPAREN: 40,
  RPAREN: 41,
  STAR: 42,
  PLUS: 43,
  COMMA: 44,
  MINUS: 45,
  DOT: 46,
  SLASH: 47,
  D0: 48,
  D1: 49,
  D9: 57,
  COLON: 58,
  SEMI: 59,
  LT: 60,
  EQ: 61,
  GT: 62,
  UA: 65,
  UF: 70,
  UR: 82,
  UX: 88,
  UZ: 90,
  LBRACKET: 91,
  RBRACKET: 93,
  CARET: 94,
  UNDERSCORE: 95,
  LA: 97,
  LB: 98,
  LF_: 102,
  LR: 114,
  LS: 115,
  LW: 119,
  LX: 120,
  LZ: 122,
  PIPE: 124,
} as const;

/** Whether `c` is an ASCII decimal digit. */
export function isDigit(c: number): boolean {
  return c >= Ch.D0 && c <= Ch.D9;
}

/** The value of hex digit `c`, or -1. */
export function hexValue(c: number): number {
  if (c >= Ch.D0 && c <= Ch.D9) return c - Ch.D0;
  if (c >= Ch.LA && c <= Ch.LF_) return c - Ch.LA + 10;
  if (c >= Ch.UA && c <= Ch.UF) return c - Ch.UA + 10;
  return -1;
}

/** Whether `c` may start an identifier (a label, a symbol, a keyword): `[A-Za-z_.$]`. */
export function isIdentStart(c: number): boolean {
  return (c >= Ch.LA && c <= Ch.LZ) || (c >= Ch.UA && c <= Ch.UZ) || c === Ch.UNDERSCORE || c === Ch.DOT || c === Ch.DOLLAR;
}

/** Whether `c` may continue an identifier: `[A-Za-z0-9_.$]`. */
export function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

const NBSP = 0xa0;
const BOM = 0xfeff;

/** Whether `c` is a blank inside a line (also a no-break space or a byte-order mark, as pasted text has them). */
export function isBlank(c: number): boolean {
  return c === Ch.SPACE || c === Ch.TAB || c === Ch.CR || c === Ch.VT || c === Ch.FF || c === NBSP || c === BOM;
}

const MAX_DIGITS = 40;
const TWO_53 = 2 ** 53;

/**
 * A cursor over assembly text. Each line is scanned between {@link Scanner.p} and
 * {@link Scanner.end}; nothing reads past the end of the current line.
 */
export class Scanner {
  /** The whole text. */
  readonly text: string;
  /** Position of the next character. */
  p = 0;
  /** End of the current line (exclusive, before a `\r`). */
  end = 0;
  /** Start of the current line. */
  lineStart = 0;
  /** 1-based number of the current line (0 before the first). */
  line = 0;
  private nextStart = 0;
  /** Where the open block comment ends (index of its `*\/`), -1 when none is open, -2 when it never ends. */
  private blockEnd = -1;

  constructor(text: string) {
    this.text = text;
  }

  /** Moves to the next line; false at the end of the text. */
  nextLine(): boolean {
    const s = this.text;
    if (this.nextStart > s.length) return false;
    const start = this.nextStart;
    let nl = s.indexOf('\n', start);
    if (nl < 0) nl = s.length;
    let end = nl;
    if (end > start && s.charCodeAt(end - 1) === Ch.CR) end--;
    this.lineStart = start;
    this.p = start;
    this.end = end;
    this.nextStart = nl + 1;
    this.line++;
    if (this.blockEnd !== -1) {
      // Inside a block comment that started on an earlier line.
      if (this.blockEnd === -2 || this.blockEnd + 2 > end) {
        this.p = end;
      } else {
        this.p = this.blockEnd + 2;
        this.blockEnd = -1;
      }
    }
    return true;
  }

  /** 1-based column of position `pos` on the current line. */
  column(pos: number = this.p): number {
    return pos - this.lineStart + 1;
  }

  /** Throws an {@link AsmSyntaxError} at `pos` (default: the current position). */
  fail(message: string, pos: number = this.p): never {
    throw new AsmSyntaxError(message, this.line, this.column(pos));
  }

  /** The char code at the current position, or -1 at the end of the line. */
  peek(): number {
    return this.p < this.end ? this.text.charCodeAt(this.p) : -1;
  }

  /** The char code at `pos`, or -1 past the end of the line. */
  at(pos: number): number {
    return pos < this.end && pos >= this.lineStart ? this.text.charCodeAt(pos) : -1;
  }

  /** Skips blanks and comments. */
  skipBlanks(): void {
    const s = this.text;
    const end = this.end;
    let p = this.p;
    while (p < end) {
      const c = s.charCodeAt(p);
      if (c === Ch.SPACE || c === Ch.TAB) {
        p++;
      } else if (c === Ch.HASH || c === Ch.SEMI) {
        p = end;
      } else if (c === Ch.SLASH && p + 1 < end && s.charCodeAt(p + 1) === Ch.SLASH) {
        p = end;
      } else if (c === Ch.SLASH && p + 1 < end && s.charCodeAt(p + 1) === Ch.STAR) {
        const close = s.indexOf('*/', p + 2);
        if (close >= 0 && close + 2 <= end) {
          p = close + 2;
        } else {
          this.blockEnd = close < 0 ? -2 : close;
          p = end;
        }
      } else if (c === Ch.CR || c === Ch.VT || c === Ch.FF || c === NBSP || c === BOM) {
        p++;
      } else {
        break;
      }
    }
    this.p = p;
  }

  /** Skips blanks and comments; true when nothing but them is left on the line. */
  atLineEnd(): boolean {
    this.skipBlanks();
    return this.p >= this.end;
  }

  /** A short quoted description of the token at `pos`, for error messages. */
  describe(pos: number = this.p): string {
    const s = this.text;
    const end = this.end;
    if (pos >= end) return 'end of line';
    let q = pos;
    const c = s.charCodeAt(q);
    if (isIdentPart(c)) {
      while (q < end && isIdentPart(s.charCodeAt(q))) q++;
    } else {
      q++;
    }
    return `'${s.slice(pos, q)}'`;
  }

  /** Fails with `expected <what>, found <token>` at the current position. */
  expected(what: string): never {
    this.fail(`expected ${what}, found ${this.describe()}`);
  }

  /** Skips blanks, then consumes `c` or fails naming `shown` (the character as text). */
  expectChar(c: number, shown: string): void {
    this.skipBlanks();
    if (this.peek() !== c) this.expected(`'${shown}'`);
    this.p++;
  }

  /** Skips blanks, then consumes `c` if it is next. */
  eat(c: number): boolean {
    this.skipBlanks();
    if (this.peek() !== c) return false;
    this.p++;
    return true;
  }

  /** End of the identifier starting at `pos` (`pos` itself when none starts there). */
  identEnd(pos: number): number {
    const s = this.text;
    const end = this.end;
    if (pos >= end || !isIdentStart(s.charCodeAt(pos))) return pos;
    let q = pos + 1;
    while (q < end && isIdentPart(s.charCodeAt(q))) q++;
    return q;
  }

  /** Reads an identifier at the current position (no blanks skipped); '' when none. */
  readIdent(): string {
    const start = this.p;
    const q = this.identEnd(start);
    if (q === start) return '';
    this.p = q;
    return this.text.slice(start, q);
  }

  /** Whether the identifier `word` stands at `pos` (and is not the prefix of a longer one). */
  wordAt(pos: number, word: string): boolean {
    const q = pos + word.length;
    return q <= this.end && this.text.startsWith(word, pos) && !isIdentPart(this.at(q));
  }

  /** Skips blanks, then consumes the identifier `word` if it is next. */
  eatWord(word: string): boolean {
    this.skipBlanks();
    if (!this.wordAt(this.p, word)) return false;
    this.p += word.length;
    return true;
  }

  /**
   * The register at `pos`: its number 0–10, plus 16 when it is a 64-bit `rN` (so `r3` is 19,
   * `w3` is 3). -1 when no register-shaped token is there; -2 for a register-shaped token
   * that names no register (`r11`, `r01`).
   */
  registerAt(pos: number): number {
    const s = this.text;
    const end = this.end;
    if (pos + 1 >= end) return -1;
    const c = s.charCodeAt(pos);
    if (c !== Ch.LR && c !== Ch.LW) return -1;
    const d0 = s.charCodeAt(pos + 1);
    if (!isDigit(d0)) return -1;
    let q = pos + 2;
    let n = d0 - Ch.D0;
    while (q < end && isDigit(s.charCodeAt(q))) {
      n = n * 10 + (s.charCodeAt(q) - Ch.D0);
      q++;
      if (n > 99) break;
    }
    if (q < end && isIdentPart(s.charCodeAt(q))) return -1; // an identifier like r1x or w0_end
    if (n > 10 || (d0 === Ch.D0 && q - pos > 2)) return -2;
    return c === Ch.LR ? n + 16 : n;
  }

  /**
   * Skips blanks and reads a register (`rN` or `wN`), returning {@link registerAt}'s code, or
   * fails with `expected <what>, found …`.
   */
  expectRegister(what = 'a register'): number {
    this.skipBlanks();
    const r = this.registerAt(this.p);
    if (r < 0) this.expected(what);
    this.p += (r & 15) >= 10 ? 3 : 2;
    return r;
  }

  /** Whether an integer literal (optionally signed) starts at the current position. */
  numberAhead(): boolean {
    const c = this.peek();
    if (isDigit(c)) return true;
    return (c === Ch.MINUS || c === Ch.PLUS) && isDigit(this.at(this.p + 1));
  }

  /**
   * Reads an integer literal at the current position (no blanks skipped): decimal, `0x` hex or
   * `0b` binary, with an optional `-`/`+` sign attached. Safe integers come back as numbers,
   * larger ones as bigints. Fails when no number is there or a letter is glued to it.
   */
  readNumber(what = 'a number'): number | bigint {
    const s = this.text;
    const end = this.end;
    const start = this.p;
    let p = start;
    let negative = false;
    let c = p < end ? s.charCodeAt(p) : -1;
    if (c === Ch.MINUS || c === Ch.PLUS) {
      negative = c === Ch.MINUS;
      p++;
      c = p < end ? s.charCodeAt(p) : -1;
    }
    if (!isDigit(c)) this.expected(what);
    let radix = 10;
    if (c === Ch.D0 && p + 1 < end) {
      const x = s.charCodeAt(p + 1) | 0x20;
      if (x === Ch.LX) radix = 16;
      else if (x === Ch.LB && (s.charCodeAt(p + 2) === Ch.D0 || s.charCodeAt(p + 2) === Ch.D1)) radix = 2;
      if (radix !== 10) p += 2;
    }
    const digitsStart = p;
    let value = 0;
    while (p < end) {
      const d = hexValue(s.charCodeAt(p));
      if (d < 0 || d >= radix) break;
      value = value * radix + d;
      p++;
    }
    const digits = p - digitsStart;
    if (digits === 0) this.fail(`invalid number ${this.describe(start)}`, start);
    if (p < end && isIdentPart(s.charCodeAt(p))) {
      let q = p;
      while (q < end && isIdentPart(s.charCodeAt(q))) q++;
      this.fail(`invalid number '${s.slice(start, q)}'`, start);
    }
    if (digits > MAX_DIGITS) this.fail(`number ${s.slice(start, Math.min(p, start + 24))}… is too long`, start);
    this.p = p;
    if (value < TWO_53) return negative ? -value : value;
    const prefix = radix === 16 ? '0x' : radix === 2 ? '0b' : '';
    const big = BigInt(prefix + s.slice(digitsStart, p));
    return negative ? -big : big;
  }

  /** Skips blanks, then reads an integer literal (see {@link readNumber}). */
  expectNumber(what = 'a number'): number | bigint {
    this.skipBlanks();
    return this.readNumber(what);
  }
}
