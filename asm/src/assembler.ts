/**
 * The assembler: reads eBPF assembly in both common syntaxes, even mixed line by line, so a
 * user can paste either.
 *
 * - **LLVM**, as `clang -S` and `llvm-objdump -d` print it: `r0 = 1`, `w1 += w2`,
 *   `r1 = 0x1122334455667788 ll`, `if w1 s< w2 goto LBB0_2`, `call 1`, `*(u32 *)(r10 - 8) = r1`,
 *   `lock *(u64 *)(r1 + 0) += r2`, `r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)`,
 *   `r0 = cmpxchg_64(r1 + 0, r0, r2)`, `w2 = xchg32_32(r1 + 0, w2)`, `ld_pseudo r1, 1, 4`, the
 *   ISA v4 forms (`r1 s/= r2`, `r1 = (s8)r2`, `r1 = *(s8 *)(r2 + 4)`, `r1 = bswap16 r1`,
 *   `gotol +N`, `may_goto +N`, `r0 = load_acquire((u64 *)(r1 + 0))`,
 *   `store_release((u64 *)(r1 + 0), r2)`, `r1 = addr_space_cast(r2, 0, 1)`), labels
 *   (`LBB0_2:`, `.LBB0_2:`), directives, and `llvm-objdump` listing lines with their address
 *   and raw bytes (`      0:	b7 00 00 00 01 00 00 00	r0 = 1`) and `<LBB0_2>` suffixes.
 * - **Kernel**, as the verifier log prints it (kernel/bpf/disasm.c), with or without the
 *   `N: (op) ` prefix and the `; state` tail: `if r1 > 0x5 goto pc+3`, `call bpf_map_lookup_elem#1`,
 *   `call pc+5`, `call kernel-function#1234`, `r0 = *(s8 *)(r1 +4)`,
 *   `r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)`, `r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r2)`,
 *   `r1 = le16 r1`, `r0 = *(u32 *)skb[r1 + 4]`, `r1 = 0x1122334455667788`, plus bpftool's names
 *   for `ld_imm64` pseudo sources (`map[id:4]`, `map[fd:4][0]+16`, `map[idx:1]+8`,
 *   `subprog[+6]`; see {@link pseudoImmName}).
 *
 * Numeric jump offsets are encoded as written, as `llvm-mc` does; labels resolve through
 * {@link resolve}. Bad text is always an {@link AsmSyntaxError} with a 1-based line and column.
 * @module
 */

import { isLogText } from './asm-log-text.js';
import { Ch, Scanner, hexValue, isBlank, isDigit, isIdentPart, isIdentStart } from './asm-scanner.js';
import { AsmSyntaxError, EncodeError, UnresolvedReferenceError } from './errors.js';
import { helperByName } from './helpers.js';
import { Label, makeInstruction, type Instruction, type ProgramItem, type Reference } from './instruction.js';
import { ADDR_SPACE_CAST, AluOp, AtomicOp, CallKind, Class, JmpOp, LD_IMM64, MAY_GOTO, Mode, Pseudo, Size, Source } from './opcode.js';
import { resolve, type ResolveOptions } from './resolve.js';

/** How {@link assemble} binds the maps and kfuncs that the text names (`r1 = events ll`, `call bpf_obj_new_impl`). */
export interface AssembleOptions extends ResolveOptions {}

/** The result of {@link assemble}: resolved instructions and the slot of each label. */
export interface AssembledProgram {
  /** The instructions, every label and symbol resolved; `encode()` turns them into bytes. */
  readonly instructions: Instruction[];
  /** Each label's slot (8-byte instruction index). */
  readonly labels: ReadonlyMap<string, number>;
}

/** A parsed program with the text position of each instruction (same order as its instructions). */
interface ParsedProgram {
  readonly items: ProgramItem[];
  readonly insns: Instruction[];
  readonly lines: number[];
  readonly columns: number[];
}

const S32_MIN = -0x80000000;
const S32_MAX = 0x7fffffff;
const U32_MAX = 0xffffffff;
const S16_MIN = -0x8000;
const S16_MAX = 0x7fff;
const S64_MIN = -(1n << 63n);
const U64_LIMIT = 1n << 64n;

/** An unsigned 64-bit `ld_imm64` immediate from two 32-bit halves. */
function wide(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

const FETCH_OPS: ReadonlyMap<string, number> = new Map([
  ['atomic_fetch_add', AtomicOp.ADD | AtomicOp.FETCH],
  ['atomic_fetch_and', AtomicOp.AND | AtomicOp.FETCH],
  ['atomic_fetch_or', AtomicOp.OR | AtomicOp.FETCH],
  ['atomic_fetch_xor', AtomicOp.XOR | AtomicOp.FETCH],
  ['atomic64_fetch_add', AtomicOp.ADD | AtomicOp.FETCH],
  ['atomic64_fetch_and', AtomicOp.AND | AtomicOp.FETCH],
  ['atomic64_fetch_or', AtomicOp.OR | AtomicOp.FETCH],
  ['atomic64_fetch_xor', AtomicOp.XOR | AtomicOp.FETCH],
  ['atomic_xchg', AtomicOp.XCHG],
  ['atomic64_xchg', AtomicOp.XCHG],
]);

const ENDIAN_OPS: ReadonlyMap<string, readonly [code: number, bits: number]> = new Map([
  ['le16', [Class.ALU | AluOp.END | Source.K, 16]],
  ['le32', [Class.ALU | AluOp.END | Source.K, 32]],
  ['le64', [Class.ALU | AluOp.END | Source.K, 64]],
  ['be16', [Class.ALU | AluOp.END | Source.X, 16]],
  ['be32', [Class.ALU | AluOp.END | Source.X, 32]],
  ['be64', [Class.ALU | AluOp.END | Source.X, 64]],
  ['bswap16', [Class.ALU64 | AluOp.END | Source.K, 16]],
  ['bswap32', [Class.ALU64 | AluOp.END | Source.K, 32]],
  ['bswap64', [Class.ALU64 | AluOp.END | Source.K, 64]],
]);

/** Directives that emit data: not supported inside a code section. */
const DATA_DIRECTIVES = new Set([
  '.byte', '.short', '.hword', '.half', '.2byte', '.long', '.int', '.word', '.4byte', '.quad', '.dword', '.8byte', '.octa',
  '.ascii', '.asciz', '.string', '.zero', '.fill', '.space', '.skip', '.sleb128', '.uleb128',
]);

const DATA_SECTION = /^(\.data|\.bss|\.rodata|\.maps|\.BTF|\.debug|\.llvm|\.note|\.comment|\.eh_frame|\.symtab|\.strtab|license$|version$|maps$)/;

const REG_LENGTH = (r: number) => ((r & 15) >= 10 ? 3 : 2);
const regName = (r: number) => `${r >= 16 ? 'r' : 'w'}${r & 15}`;
const hex2 = (n: number) => n.toString(16).padStart(2, '0');

function sameReference(a: Reference | undefined, b: Reference | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameInstruction(a: Instruction, b: Instruction): boolean {
  return a.code === b.code && a.dst === b.dst && a.src === b.src && a.off === b.off && a.imm === b.imm && sameReference(a.ref, b.ref);
}

/** A `call NAME` or `rN = NAME ll` whose meaning depends on whether NAME is a label in the text. */
interface DeferredName {
  readonly index: number;
  readonly name: string;
  readonly kind: 'call' | 'load';
}

class Parser {
  private readonly sc: Scanner;
  // One entry per instruction, in text order.
  private readonly insns: Instruction[] = [];
  private readonly lines: number[] = [];
  private readonly columns: number[] = [];
  private readonly slots: number[] = [];
  // Label definitions: name, the text index of the instruction that follows, position.
  private readonly labelNames: string[] = [];
  private readonly labelAt: number[] = [];
  private readonly labelLines: number[] = [];
  private readonly labelColumns: number[] = [];
  private readonly deferred: DeferredName[] = [];
  /** Whether any line carried a slot number (`N:`), so instructions are placed by it. */
  private indexed = false;
  private slotEnd = 0;
  private maxEnd = 0;
  private sectionBase = 0;
  private inCode = true;
  // Per line.
  private lineFirst = 0;
  private explicitSlot = -1;
  private opPrefix = -1;
  private opPrefixPos = 0;
  private rawStart = -1;
  private rawCount = 0;
  private statementStart = 0;
  private refPos = -1;
  // Results of the sub-parsers.
  private size = 0;
  private signedSize = false;
  private base = 0;
  private offset = 0;
  private targetOff = 0;
  private targetLabel: string | undefined = undefined;

  constructor(text: string) {
    this.sc = new Scanner(text);
  }

  run(): ParsedProgram {
    const sc: Scanner = this.sc;
    while (sc.nextLine()) this.line();
    return this.finish();
  }

  // ---- lines -------------------------------------------------------------------------------

  private line(): void {
    const sc: Scanner = this.sc;
    sc.skipBlanks();
    if (sc.p >= sc.end) return;
    this.lineFirst = sc.p;
    this.explicitSlot = -1;
    this.opPrefix = -1;
    this.rawStart = -1;
    this.rawCount = 0;
    this.refPos = -1;
    let c = sc.peek();
    if (!this.inCode) {
      if (c === Ch.DOT && sc.at(sc.identEnd(sc.p)) !== Ch.COLON) this.directive();
      return;
    }
    const labelCount = this.labelNames.length;
    if (isDigit(c)) {
      if (!this.numericPrefix()) return;
      c = sc.peek();
    } else if (c === Ch.LPAREN) {
      this.opcodePrefix();
    } else {
      while (isIdentStart(c)) {
        const q = sc.identEnd(sc.p);
        if (sc.at(q) === Ch.COLON) {
          const name = sc.text.slice(sc.p, q);
          const column = sc.column();
          sc.p = q + 1;
          const alone = sc.atLineEnd();
          // The verifier log's `caller:` and `callee:` lines (bpf-to-bpf calls) are not labels.
          if (alone && (name === 'caller' || name === 'callee') && this.labelNames.length === labelCount) return;
          this.labelNames.push(name);
          this.labelAt.push(this.insns.length);
          this.labelLines.push(sc.line);
          this.labelColumns.push(column);
          if (alone) return;
          c = sc.peek();
          continue;
        }
        if (c === Ch.DOT) {
          this.directive();
          return;
        }
        break;
      }
    }
    this.statementStart = sc.p;
    const insn = this.instruction();
    if (insn === null) {
      // Log text: forget anything that looked like a label on it (`mark_precise: frame0: …`).
      this.labelNames.length = this.labelAt.length = this.labelLines.length = this.labelColumns.length = labelCount;
      return;
    }
    if (this.opPrefix >= 0 && insn.code !== this.opPrefix) {
      sc.fail(`opcode (${hex2(this.opPrefix)}) does not match the instruction, which encodes as (${hex2(insn.code)})`, this.opPrefixPos);
    }
    sc.skipBlanks();
    if (sc.peek() === Ch.LT) {
      // llvm-objdump's target annotation: `goto +3 <LBB0_2>`.
      const close = sc.text.indexOf('>', sc.p);
      if (close >= 0 && close < sc.end) sc.p = close + 1;
      sc.skipBlanks();
    }
    if (sc.p < sc.end) sc.fail(`unexpected ${sc.describe()} after the instruction`);
    this.emit(insn);
  }

  /**
   * A line starting with a digit: a slot number `N:` (verifier log, llvm-objdump), the
   * liveness listing's `SCC N:`, an llvm-objdump symbol heading `0000000000000000 <prog>:` or
   * relocation `0000000000000010:  R_BPF_64_64 map`. Returns false when the line is to be skipped.
   */
  private numericPrefix(): boolean {
    const sc: Scanner = this.sc;
    const s = sc.text;
    const end = sc.end;
    const start = sc.p;
    let q = start;
    let decimal = true;
    let value = 0;
    while (q < end) {
      const h = hexValue(s.charCodeAt(q));
      if (h < 0) break;
      if (h > 9) decimal = false;
      else value = value * 10 + h;
      q++;
    }
    let c = sc.at(q);
    if (isBlank(c)) {
      let r = q;
      while (r < end && isBlank(s.charCodeAt(r))) r++;
      if (sc.at(r) === Ch.LT) return false; // symbol heading
      if (decimal && isDigit(sc.at(r))) {
        // `  1   3: .1........ (b7) r0 = 1` (an SCC number, then the slot)
        q = r;
        value = 0;
        while (q < end && isDigit(s.charCodeAt(q))) value = value * 10 + (s.charCodeAt(q++) - Ch.D0);
        c = sc.at(q);
      }
    }
    if (c !== Ch.COLON) sc.fail(`expected an instruction, found ${sc.describe(start)}`, start);
    sc.p = q + 1;
    sc.skipBlanks();
    if (sc.p >= end) return false;
    if (s.startsWith('R_', sc.p)) return false; // relocation
    if (!decimal || q - start > 9) sc.fail(`expected a slot number, found ${sc.describe(start)}`, start);
    this.explicitSlot = this.sectionBase + value;
    c = sc.peek();
    // llvm-objdump's raw bytes: `b7 00 00 00 01 00 00 00<TAB>`.
    if (hexValue(c) >= 0 && hexValue(sc.at(sc.p + 1)) >= 0 && (isBlank(sc.at(sc.p + 2)) || sc.p + 2 === end)) {
      this.rawStart = sc.p;
      let p = sc.p;
      // Pairs of hex digits joined by single spaces; a tab ends them.
      while (p + 1 < end && hexValue(s.charCodeAt(p)) >= 0 && hexValue(s.charCodeAt(p + 1)) >= 0 && (p + 2 === end || isBlank(s.charCodeAt(p + 2)))) {
        this.rawCount++;
        p += 2;
        if (p + 1 < end && s.charCodeAt(p) === Ch.SPACE && hexValue(s.charCodeAt(p + 1)) >= 0) p++;
        else break;
      }
      sc.p = p;
      if (sc.atLineEnd()) return false;
      c = sc.peek();
    }
    // The liveness column of `Live regs before insn:` lines: `.1........`.
    if (c === Ch.DOT || isDigit(c)) {
      let p = sc.p;
      while (p < end && (s.charCodeAt(p) === Ch.DOT || isDigit(s.charCodeAt(p)))) p++;
      sc.p = p;
      sc.skipBlanks();
      if (sc.peek() !== Ch.LPAREN) sc.expected("an opcode like '(b7)'");
      c = Ch.LPAREN;
    }
    // Register state after a slot number: `0: R1=ctx() R10=fp0`, `6: frame1: R1=…`, `5: safe`.
    if (c === Ch.UR && isDigit(sc.at(sc.p + 1))) return false;
    if ((s.startsWith('frame', sc.p) && isDigit(sc.at(sc.p + 5))) || sc.wordAt(sc.p, 'safe')) return false;
    if (c === Ch.LPAREN) this.opcodePrefix();
    return true;
  }

  /** The kernel's `(b7) ` opcode prefix, if one is at the current position. */
  private opcodePrefix(): void {
    const sc: Scanner = this.sc;
    const p = sc.p;
    const hi = hexValue(sc.at(p + 1));
    const lo = hexValue(sc.at(p + 2));
    if (sc.at(p) === Ch.LPAREN && hi >= 0 && lo >= 0 && sc.at(p + 3) === Ch.RPAREN) {
      this.opPrefix = (hi << 4) | lo;
      this.opPrefixPos = p;
      sc.p = p + 4;
      sc.skipBlanks();
    }
  }

  private directive(): void {
    const sc: Scanner = this.sc;
    const start = sc.p;
    const name = sc.readIdent();
    switch (name) {
      case '.text':
        this.inCode = true;
        return;
      case '.data':
      case '.bss':
      case '.rodata':
        this.inCode = false;
        return;
      case '.section':
      case '.pushsection':
        this.section();
        return;
      default:
        if (this.inCode && DATA_DIRECTIVES.has(name)) sc.fail(`data directive ${name} in a code section is not supported`, start);
    }
  }

  /** `.section NAME[, "FLAGS", …]`: code when the flags have `x`, or by name when there are none. */
  private section(): void {
    const sc: Scanner = this.sc;
    const s = sc.text;
    sc.skipBlanks();
    let name: string;
    if (sc.peek() === 34 /* " */) {
      const close = s.indexOf('"', sc.p + 1);
      const q = close >= 0 && close < sc.end ? close : sc.end;
      name = s.slice(sc.p + 1, q);
      sc.p = Math.min(q + 1, sc.end);
    } else {
      const start = sc.p;
      while (sc.p < sc.end && !isBlank(s.charCodeAt(sc.p)) && s.charCodeAt(sc.p) !== Ch.COMMA) sc.p++;
      name = s.slice(start, sc.p);
    }
    let flags: string | undefined;
    if (sc.eat(Ch.COMMA)) {
      sc.skipBlanks();
      if (sc.peek() === 34) {
        const close = s.indexOf('"', sc.p + 1);
        flags = s.slice(sc.p + 1, close >= 0 && close < sc.end ? close : sc.end);
      }
    }
    this.inCode = flags !== undefined ? flags.includes('x') : !DATA_SECTION.test(name);
  }

  private emit(insn: Instruction): void {
    const sc: Scanner = this.sc;
    const slot = this.explicitSlot >= 0 ? this.explicitSlot : this.slotEnd;
    if (this.explicitSlot >= 0) this.indexed = true;
    this.insns.push(insn);
    this.lines.push(sc.line);
    this.columns.push(sc.column(this.refPos >= 0 ? this.refPos : this.statementStart));
    this.slots.push(slot);
    this.slotEnd = slot + (typeof insn.imm === 'bigint' ? 2 : 1);
    if (this.slotEnd > this.maxEnd) this.maxEnd = this.slotEnd;
  }

  /** A line that is not an instruction: skipped (null) when it is log text, else an error. */
  private notAnInstruction(pos: number, message: string): null {
    const sc: Scanner = this.sc;
    if (this.explicitSlot < 0 && this.opPrefix < 0) {
      if (sc.text.startsWith('Disassembly of section ', this.lineFirst)) {
        this.sectionBase = this.maxEnd; // llvm-objdump numbers each section from 0
        return null;
      }
      if (isLogText(sc.text, this.lineFirst, sc.end)) return null;
    }
    sc.fail(message, pos);
  }

  // ---- instructions ------------------------------------------------------------------------

  private instruction(): Instruction | null {
    const sc: Scanner = this.sc;
    const c = sc.peek();
    if (c === Ch.STAR) {
      sc.p++;
      return this.store();
    }
    if (c === Ch.LT) return this.undecoded();
    if (!isIdentStart(c)) return this.notAnInstruction(sc.p, `expected an instruction, found ${sc.describe()}`);
    const r = sc.registerAt(sc.p);
    if (r >= 0) {
      sc.p += REG_LENGTH(r);
      return this.registerStatement(r);
    }
    if (r === -2) sc.expected('a register');
    const start = sc.p;
    const word = sc.readIdent();
    switch (word) {
      case 'if':
        return this.conditionalJump();
      case 'goto':
        this.target(false);
        return makeInstruction(Class.JMP | JmpOp.JA, 0, 0, this.targetOff, 0, this.jumpRef());
      case 'gotol':
        this.target(true);
        return makeInstruction(Class.JMP32 | JmpOp.JA, 0, 0, 0, this.targetOff, this.jumpRef());
      case 'may_goto':
        this.target(false);
        return makeInstruction(Class.JMP | JmpOp.JCOND, 0, MAY_GOTO, this.targetOff, 0, this.jumpRef());
      case 'gotox':
        return makeInstruction(Class.JMP | JmpOp.JA | Source.X, this.wideRegister() & 15, 0, 0, 0);
      case 'call':
        return this.call();
      case 'callx':
        return makeInstruction(Class.JMP | JmpOp.CALL | Source.X, this.wideRegister() & 15, 0, 0, 0);
      case 'exit':
        return makeInstruction(Class.JMP | JmpOp.EXIT, 0, 0, 0, 0);
      case 'lock':
        return this.lock();
      case 'store_release':
        return this.storeRelease();
      case 'ld_pseudo':
        return this.ldPseudo();
      case 'nospec':
        return makeInstruction(Class.ST | 0xc0, 0, 0, 0, 0); // BPF_ST | BPF_NOSPEC, kernel-internal
      default:
        if (word.startsWith('BUG_')) sc.fail(`'${word}' is the kernel's mark of an invalid encoding; it cannot be assembled`, start);
        return this.notAnInstruction(start, `unknown instruction '${word}'`);
    }
  }

  /** `rD …` or `wD …`: an assignment or a compound ALU operation. */
  private registerStatement(r: number): Instruction {
    const sc: Scanner = this.sc;
    sc.skipBlanks();
    const p = sc.p;
    const c = sc.peek();
    const c1 = sc.at(p + 1);
    const c2 = sc.at(p + 2);
    let op = -1;
    let off = 0;
    let len = 2;
    switch (c) {
      case Ch.EQ:
        if (c1 !== Ch.EQ) {
          sc.p++;
          return this.assignment(r);
        }
        break;
      case Ch.PLUS:
        if (c1 === Ch.EQ) op = AluOp.ADD;
        break;
      case Ch.MINUS:
        if (c1 === Ch.EQ) op = AluOp.SUB;
        break;
      case Ch.STAR:
        if (c1 === Ch.EQ) op = AluOp.MUL;
        break;
      case Ch.SLASH:
        if (c1 === Ch.EQ) op = AluOp.DIV;
        break;
      case Ch.PIPE:
        if (c1 === Ch.EQ) op = AluOp.OR;
        break;
      case Ch.AMP:
        if (c1 === Ch.EQ) op = AluOp.AND;
        break;
      case Ch.PERCENT:
        if (c1 === Ch.EQ) op = AluOp.MOD;
        break;
      case Ch.CARET:
        if (c1 === Ch.EQ) op = AluOp.XOR;
        break;
      case Ch.LT:
        if (c1 === Ch.LT && c2 === Ch.EQ) (op = AluOp.LSH), (len = 3);
        break;
      case Ch.GT:
        if (c1 === Ch.GT && c2 === Ch.EQ) (op = AluOp.RSH), (len = 3);
        break;
      case Ch.LS:
        if (c1 === Ch.GT && c2 === Ch.GT && sc.at(p + 3) === Ch.EQ) (op = AluOp.ARSH), (len = 4);
        else if (c1 === Ch.SLASH && c2 === Ch.EQ) (op = AluOp.DIV), (off = 1), (len = 3);
        else if (c1 === Ch.PERCENT && c2 === Ch.EQ) (op = AluOp.MOD), (off = 1), (len = 3);
        break;
    }
    if (op < 0) sc.expected("an operator ('=', '+=', '-=', '*=', '/=', 's/=', '%=', 's%=', '|=', '&=', '^=', '<<=', '>>=', 's>>=')");
    sc.p += len;
    const cls = r >= 16 ? Class.ALU64 : Class.ALU;
    sc.skipBlanks();
    const rr = sc.registerAt(sc.p);
    if (rr >= 0) {
      this.sameWidth(r, rr);
      sc.p += REG_LENGTH(rr);
      return makeInstruction(cls | op | Source.X, r & 15, rr & 15, off, 0);
    }
    if (rr === -2) sc.expected('a register');
    return makeInstruction(cls | op | Source.K, r & 15, 0, off, this.imm32('a register or a number'));
  }

  /** Fails unless register `rr` (just ahead) has the width of `r`. */
  private sameWidth(r: number, rr: number): void {
    if (r >= 16 !== rr >= 16) this.sc.expected(`${r >= 16 ? 'an r' : 'a w'} register like ${regName(r)}`);
  }

  /** Reads a 32-bit immediate: s32, or u32 written unsigned (stored as its s32 bits). */
  private imm32(what: string): number {
    const sc: Scanner = this.sc;
    sc.skipBlanks();
    const start = sc.p;
    const v = sc.readNumber(what);
    if (typeof v !== 'number' || v < S32_MIN || v > U32_MAX) sc.fail(`immediate ${v} does not fit in 32 bits`, start);
    return v | 0;
  }

  /** Reads a register that must be 64-bit (`rN`). */
  private wideRegister(what = 'an r register'): number {
    const sc: Scanner = this.sc;
    sc.skipBlanks();
    const r = sc.registerAt(sc.p);
    if (r < 16) sc.expected(what);
    sc.p += REG_LENGTH(r);
    return r;
  }

  /** After `rD =`. */
  private assignment(r: number): Instruction {
    const sc: Scanner = this.sc;
    sc.skipBlanks();
    const p = sc.p;
    const c = sc.peek();
    const d = r & 15;
    if (c === Ch.MINUS) {
      const rr = sc.registerAt(p + 1);
      if (rr >= 0) {
        if (rr !== r) sc.fail(`negation takes the same register on both sides (${regName(r)} = -${regName(r)})`, p + 1);
        sc.p = p + 1 + REG_LENGTH(rr);
        return makeInstruction((r >= 16 ? Class.ALU64 : Class.ALU) | AluOp.NEG | Source.K, d, 0, 0, 0);
      }
    }
    if (isDigit(c) || c === Ch.MINUS || c === Ch.PLUS) return this.moveImmediate(r);
    if (c === Ch.STAR) {
      sc.p++;
      return this.load(r);
    }
    if (c === Ch.LPAREN) return this.moveSignExtend(r);
    if (c === Ch.AMP) return this.percpuAddress(r);
    if (!isIdentStart(c)) sc.expected('a register, a number or an expression');
    const rr = sc.registerAt(p);
    if (rr >= 0) {
      sc.p += REG_LENGTH(rr);
      // `r1 = w2` is LLVM's zero-extending 32-bit move (MOV_32_64), the same encoding as `w1 = w2`.
      if (r < 16 && rr >= 16) sc.fail(`expected a w register like w${rr & 15}, found '${regName(rr)}'`, p);
      return makeInstruction((r >= 16 && rr >= 16 ? Class.ALU64 : Class.ALU) | AluOp.MOV | Source.X, d, rr & 15, 0, 0);
    }
    if (rr === -2) sc.expected('a register');
    const word = sc.readIdent();
    const endian = ENDIAN_OPS.get(word);
    if (endian !== undefined) {
      sc.skipBlanks();
      const at = sc.p;
      const same = sc.registerAt(at);
      if (same < 0) sc.expected('a register');
      if ((same & 15) !== d) sc.fail(`${word} takes the same register on both sides (${regName(r)} = ${word} ${regName(r)})`, at);
      sc.p += REG_LENGTH(same);
      return makeInstruction(endian[0], d, 0, 0, endian[1]);
    }
    const fetch = FETCH_OPS.get(word);
    if (fetch !== undefined) return this.fetch(r, fetch);
    switch (word) {
      case 'atomic_cmpxchg':
      case 'atomic64_cmpxchg':
        return this.cmpxchg(r, -1);
      case 'cmpxchg_64':
        return this.cmpxchg(r, Size.DW);
      case 'cmpxchg32_32':
        return this.cmpxchg(r, Size.W);
      case 'xchg_64':
        return this.llvmXchg(r, Size.DW);
      case 'xchg32_32':
        return this.llvmXchg(r, Size.W);
      case 'load_acquire':
        return this.loadAcquire(r);
      case 'addr_space_cast':
        return this.addrSpaceCast(r);
      case 'map':
      case 'subprog':
      case 'ksym':
        if (sc.peek() === Ch.LBRACKET) return this.pseudoImm(r, word);
    }
    return this.loadSymbol(r, word, p);
  }

  /** `rD = 5`, `rD = 0x1122334455667788 ll`, `(18) rD = 0x4`. */
  private moveImmediate(r: number): Instruction {
    const sc: Scanner = this.sc;
    const start = sc.p;
    const v = sc.readNumber('a number');
    const ll = sc.eatWord('ll');
    const d = r & 15;
    if (ll || this.opPrefix === LD_IMM64) return this.loadImm64(r, v, start);
    const fitsS32 = typeof v === 'number' && v >= S32_MIN && v <= S32_MAX;
    const fitsU32 = typeof v === 'number' && v >= S32_MIN && v <= U32_MAX;
    if (r < 16) {
      if (!fitsU32) sc.fail(`immediate ${v} does not fit in 32 bits`, start);
      return makeInstruction(Class.ALU | AluOp.MOV | Source.K, d, 0, 0, (v as number) | 0);
    }
    // A 64-bit move takes an s32 sign-extended; a larger value is a ld_imm64, unless the
    // kernel's `(b7)` prefix says otherwise.
    if (fitsS32 || (fitsU32 && this.opPrefix === (Class.ALU64 | AluOp.MOV | Source.K))) {
      return makeInstruction(Class.ALU64 | AluOp.MOV | Source.K, d, 0, 0, (v as number) | 0);
    }
    return this.loadImm64(r, v, start);
  }

  private loadImm64(r: number, v: number | bigint, pos: number): Instruction {
    const sc: Scanner = this.sc;
    if (r < 16) sc.fail(`ld_imm64 loads a 64-bit register: write r${r & 15}, not w${r & 15}`, this.statementStart);
    const b = BigInt(v);
    if (b < S64_MIN || b >= U64_LIMIT) sc.fail(`immediate ${v} does not fit in 64 bits`, pos);
    return makeInstruction(LD_IMM64, r & 15, Pseudo.NONE, 0, BigInt.asUintN(64, b));
  }

  /** `rD = NAME ll`: a map (or, when NAME is a label here, a subprogram's address). */
  private loadSymbol(r: number, name: string, pos: number): Instruction {
    const sc: Scanner = this.sc;
    if (!sc.eatWord('ll')) sc.fail(`expected a register, a number or 'SYMBOL ll', found '${name}'`, pos);
    if (r < 16) sc.fail(`ld_imm64 loads a 64-bit register: write r${r & 15}, not w${r & 15}`, this.statementStart);
    this.refPos = pos;
    this.deferred.push({ index: this.insns.length, name, kind: 'load' });
    return makeInstruction(LD_IMM64, r & 15, Pseudo.MAP_FD, 0, 0n);
  }

  /** bpftool's names for `ld_imm64` pseudo sources (see {@link pseudoImmName}). */
  private pseudoImm(r: number, word: string): Instruction {
    const sc: Scanner = this.sc;
    if (r < 16) sc.fail(`ld_imm64 loads a 64-bit register: write r${r & 15}, not w${r & 15}`, this.statementStart);
    const d = r & 15;
    sc.p++; // [
    if (word === 'subprog') {
      const off = this.imm32('a subprogram offset');
      sc.expectChar(Ch.RBRACKET, ']');
      return makeInstruction(LD_IMM64, d, Pseudo.FUNC, 0, wide(off, 0));
    }
    sc.skipBlanks();
    const keyPos = sc.p;
    const key = sc.readIdent();
    if (word === 'ksym' ? key !== 'id' : key !== 'fd' && key !== 'id' && key !== 'idx') sc.fail(`expected ${word === 'ksym' ? "'id'" : "'fd', 'id' or 'idx'"}, found ${sc.describe(keyPos)}`, keyPos);
    sc.expectChar(Ch.COLON, ':');
    const n = this.imm32('a number');
    sc.expectChar(Ch.RBRACKET, ']');
    if (word === 'ksym') {
      let fd = 0;
      if (sc.eat(Ch.LBRACKET)) {
        if (!sc.eatWord('fd')) sc.expected("'fd'");
        sc.expectChar(Ch.COLON, ':');
        fd = this.imm32('a number');
        sc.expectChar(Ch.RBRACKET, ']');
      }
      return makeInstruction(LD_IMM64, d, Pseudo.BTF_ID, 0, wide(n, fd));
    }
    // `map[fd:N]` is ours (raw bytecode holds an fd); bpftool prints `map[id:N]` for loaded programs.
    if (key === 'fd' || key === 'id') {
      if (!sc.eat(Ch.LBRACKET)) return makeInstruction(LD_IMM64, d, Pseudo.MAP_FD, 0, wide(n, 0));
      sc.skipBlanks();
      const keyAt = sc.p;
      if (sc.readNumber('0') !== 0) sc.fail(`expected '0' (the only key of a map value), found ${sc.describe(keyAt)}`, keyAt);
      sc.expectChar(Ch.RBRACKET, ']');
      sc.expectChar(Ch.PLUS, '+');
      return makeInstruction(LD_IMM64, d, Pseudo.MAP_VALUE, 0, wide(n, this.imm32('an offset')));
    }
    if (!sc.eat(Ch.PLUS)) return makeInstruction(LD_IMM64, d, Pseudo.MAP_IDX, 0, wide(n, 0));
    return makeInstruction(LD_IMM64, d, Pseudo.MAP_IDX_VALUE, 0, wide(n, this.imm32('an offset')));
  }

  /** LLVM's `ld_pseudo rD, SRC, IMM`. */
  private ldPseudo(): Instruction {
    const sc: Scanner = this.sc;
    const r = this.wideRegister();
    sc.expectChar(Ch.COMMA, ',');
    sc.skipBlanks();
    const srcPos = sc.p;
    const src = sc.readNumber('a pseudo source (1–15)');
    if (typeof src !== 'number' || src < 0 || src > 15) sc.fail(`pseudo source ${src} does not fit in 4 bits`, srcPos);
    sc.expectChar(Ch.COMMA, ',');
    sc.skipBlanks();
    const immPos = sc.p;
    const v = BigInt(sc.readNumber());
    if (v < S64_MIN || v >= U64_LIMIT) sc.fail(`immediate ${v} does not fit in 64 bits`, immPos);
    return makeInstruction(LD_IMM64, r & 15, src, 0, BigInt.asUintN(64, v));
  }

  /** `(u32 *)`, `(s8 *)`: sets size and signedSize. */
  private typeCast(): void {
    const sc: Scanner = this.sc;
    sc.expectChar(Ch.LPAREN, '(');
    sc.skipBlanks();
    // u8 u16 u32 u64 s8 s16 s32, compared char by char (this is on every load and store).
    const p = sc.p;
    const c = sc.peek();
    const d0 = sc.at(p + 1);
    const d1 = sc.at(p + 2);
    let size = -1;
    let len = 3;
    if (d0 === 56 /* 8 */) (size = Size.B), (len = 2);
    else if (d0 === Ch.D1 && d1 === 54 /* 6 */) size = Size.H;
    else if (d0 === 51 /* 3 */ && d1 === 50 /* 2 */) size = Size.W;
    else if (d0 === 54 /* 6 */ && d1 === 52 /* 4 */ && c === 117 /* u */) size = Size.DW;
    if ((c !== 117 /* u */ && c !== Ch.LS) || size < 0 || isIdentPart(sc.at(p + len))) {
      sc.fail(`expected a type (u8, u16, u32, u64, s8, s16, s32), found ${sc.describe(p)}`, p);
    }
    this.size = size;
    this.signedSize = c === Ch.LS;
    sc.p = p + len;
    sc.expectChar(Ch.STAR, '*');
    sc.expectChar(Ch.RPAREN, ')');
  }

  private unsignedType(what: string): void {
    if (this.signedSize) this.sc.fail(`${what} takes u8, u16, u32 or u64`, this.statementStart);
  }

  /** `rB + off`, `rB - off`, `rB +off`, `rB`: sets base and offset. */
  private baseOffset(): void {
    const sc: Scanner = this.sc;
    sc.skipBlanks();
    const at = sc.p;
    const r = sc.registerAt(at);
    if (r < 0) sc.expected('a register');
    if (r < 16) sc.fail(`a memory operand's base is an r register: write r${r & 15}, not w${r & 15}`, at);
    sc.p += REG_LENGTH(r);
    this.base = r & 15;
    sc.skipBlanks();
    const c = sc.peek();
    if (c !== Ch.PLUS && c !== Ch.MINUS) {
      this.offset = 0;
      return;
    }
    sc.p++;
    sc.skipBlanks();
    const start = sc.p;
    const n = sc.readNumber('an offset');
    const v = c === Ch.MINUS ? -n : n;
    if (typeof v !== 'number' || v < S16_MIN || v > S16_MAX) sc.fail(`offset ${v} does not fit in 16 bits`, start);
    this.offset = v;
  }

  /** `(rB + off)`. */
  private memory(): void {
    const sc: Scanner = this.sc;
    sc.expectChar(Ch.LPAREN, '(');
    this.baseOffset();
    sc.expectChar(Ch.RPAREN, ')');
  }

  /** After `rD = *`: a load, or a legacy packet load `*(u16 *)skb[…]`. */
  private load(r: number): Instruction {
    const sc: Scanner = this.sc;
    this.typeCast();
    sc.skipBlanks();
    if (sc.wordAt(sc.p, 'skb')) return this.packetLoad(r);
    this.memory();
    const mode = this.signedSize ? Mode.MEMSX : Mode.MEM;
    return makeInstruction(Class.LDX | mode | this.size, r & 15, this.base, this.offset, 0);
  }

  /** `r0 = *(u16 *)skb[12]`, `r0 = *(u32 *)skb[r1 + 4]`, LLVM's `skb[r1]`. */
  private packetLoad(r: number): Instruction {
    const sc: Scanner = this.sc;
    if ((r & 15) !== 0) sc.fail(`packet loads (skb[…]) always write r0, not ${regName(r)}`, this.statementStart);
    if (this.signedSize || this.size === Size.DW) sc.fail('packet loads read u8, u16 or u32', this.statementStart);
    sc.p += 3;
    sc.expectChar(Ch.LBRACKET, '[');
    sc.skipBlanks();
    const at = sc.p;
    const rr = sc.registerAt(at);
    let code: number;
    let src = 0;
    let imm: number;
    if (rr >= 0) {
      sc.p += REG_LENGTH(rr);
      src = rr & 15;
      code = Class.LD | Mode.IND | this.size;
      sc.skipBlanks();
      const c = sc.peek();
      if (c === Ch.PLUS || c === Ch.MINUS) {
        sc.p++;
        const n = this.imm32('an offset');
        imm = c === Ch.MINUS ? -n | 0 : n;
      } else {
        imm = 0;
      }
    } else {
      if (rr === -2) sc.expected('a register');
      code = Class.LD | Mode.ABS | this.size;
      imm = this.imm32('a register or a number');
    }
    sc.expectChar(Ch.RBRACKET, ']');
    return makeInstruction(code, 0, src, 0, imm);
  }

  /** After `*` at the start of a statement: `*(u32 *)(r10 - 8) = r1` or `= 5`. */
  private store(): Instruction {
    const sc: Scanner = this.sc;
    this.typeCast();
    this.unsignedType('a store');
    this.memory();
    sc.expectChar(Ch.EQ, '=');
    sc.skipBlanks();
    const rr = sc.registerAt(sc.p);
    if (rr >= 0) {
      sc.p += REG_LENGTH(rr);
      return makeInstruction(Class.STX | Mode.MEM | this.size, this.base, rr & 15, this.offset, 0);
    }
    if (rr === -2) sc.expected('a register');
    return makeInstruction(Class.ST | Mode.MEM | this.size, this.base, 0, this.offset, this.imm32('a register or a number'));
  }

  /** `lock *(u64 *)(r1 + 0) += r2` (also `&=`, `|=`, `^=`). */
  private lock(): Instruction {
    const sc: Scanner = this.sc;
    sc.expectChar(Ch.STAR, '*');
    this.typeCast();
    this.unsignedType('an atomic operation');
    this.memory();
    sc.skipBlanks();
    const c = sc.peek();
    let imm = -1;
    if (sc.at(sc.p + 1) === Ch.EQ) {
      if (c === Ch.PLUS) imm = AtomicOp.ADD;
      else if (c === Ch.AMP) imm = AtomicOp.AND;
      else if (c === Ch.PIPE) imm = AtomicOp.OR;
      else if (c === Ch.CARET) imm = AtomicOp.XOR;
    }
    if (imm < 0) sc.expected("'+=', '&=', '|=' or '^='");
    sc.p += 2;
    const rr = sc.expectRegister();
    return makeInstruction(Class.STX | Mode.ATOMIC | this.size, this.base, rr & 15, this.offset, imm);
  }

  /** Fails unless the register just read (at `pos`) is the assignment's register `r`. */
  private sameRegister(r: number, rr: number, pos: number, form: string): void {
    if ((rr & 15) !== (r & 15)) this.sc.fail(`the result register is the source register: ${form}`, pos);
  }

  /** `rS = atomic_fetch_add((u64 *)(rB + off), rS)`, kernel `atomic64_…`, `atomic_xchg(…)`. */
  private fetch(r: number, imm: number): Instruction {
    const sc: Scanner = this.sc;
    sc.expectChar(Ch.LPAREN, '(');
    this.typeCast();
    this.unsignedType('an atomic operation');
    this.memory();
    sc.expectChar(Ch.COMMA, ',');
    sc.skipBlanks();
    const at = sc.p;
    const rr = sc.expectRegister();
    this.sameRegister(r, rr, at, `${regName(r)} = …(…, ${regName(r)})`);
    sc.expectChar(Ch.RPAREN, ')');
    return makeInstruction(Class.STX | Mode.ATOMIC | this.size, this.base, rr & 15, this.offset, imm);
  }

  /** LLVM's `rS = xchg_64(rB + off, rS)` and `wS = xchg32_32(rB + off, wS)`. */
  private llvmXchg(r: number, size: number): Instruction {
    const sc: Scanner = this.sc;
    sc.expectChar(Ch.LPAREN, '(');
    this.baseOffset();
    sc.expectChar(Ch.COMMA, ',');
    sc.skipBlanks();
    const at = sc.p;
    const rr = sc.expectRegister();
    this.sameRegister(r, rr, at, `${regName(r)} = xchg…(…, ${regName(r)})`);
    sc.expectChar(Ch.RPAREN, ')');
    return makeInstruction(Class.STX | Mode.ATOMIC | size, this.base, rr & 15, this.offset, AtomicOp.XCHG);
  }

  /**
   * `r0 = atomic64_cmpxchg((u64 *)(rB + off), r0, rS)` (kernel; size -1: from the cast) or
   * LLVM's `r0 = cmpxchg_64(rB + off, r0, rS)` / `w0 = cmpxchg32_32(rB + off, w0, wS)`.
   */
  private cmpxchg(r: number, size: number): Instruction {
    const sc: Scanner = this.sc;
    if ((r & 15) !== 0) sc.fail(`compare-and-exchange always writes r0, not ${regName(r)}`, this.statementStart);
    sc.expectChar(Ch.LPAREN, '(');
    if (size < 0) {
      this.typeCast();
      this.unsignedType('an atomic operation');
      this.memory();
      size = this.size;
    } else {
      this.baseOffset();
    }
    sc.expectChar(Ch.COMMA, ',');
    sc.skipBlanks();
    const at = sc.p;
    const r0 = sc.expectRegister('r0');
    if ((r0 & 15) !== 0) sc.fail(`compare-and-exchange compares with r0, found '${regName(r0)}'`, at);
    sc.expectChar(Ch.COMMA, ',');
    const rr = sc.expectRegister();
    sc.expectChar(Ch.RPAREN, ')');
    return makeInstruction(Class.STX | Mode.ATOMIC | size, this.base, rr & 15, this.offset, AtomicOp.CMPXCHG);
  }

  /** `rD = load_acquire((u64 *)(rS + off))`. */
  private loadAcquire(r: number): Instruction {
    const sc: Scanner = this.sc;
    sc.expectChar(Ch.LPAREN, '(');
    this.typeCast();
    this.unsignedType('load_acquire');
    this.memory();
    sc.expectChar(Ch.RPAREN, ')');
    return makeInstruction(Class.STX | Mode.ATOMIC | this.size, r & 15, this.base, this.offset, AtomicOp.LOAD_ACQ);
  }

  /** `store_release((u64 *)(rD + off), rS)`. */
  private storeRelease(): Instruction {
    const sc: Scanner = this.sc;
    sc.expectChar(Ch.LPAREN, '(');
    this.typeCast();
    this.unsignedType('store_release');
    this.memory();
    sc.expectChar(Ch.COMMA, ',');
    const rr = sc.expectRegister();
    sc.expectChar(Ch.RPAREN, ')');
    return makeInstruction(Class.STX | Mode.ATOMIC | this.size, this.base, rr & 15, this.offset, AtomicOp.STORE_REL);
  }

  /** `rD = addr_space_cast(rS, A, B)`: imm = A << 16 | B. */
  private addrSpaceCast(r: number): Instruction {
    const sc: Scanner = this.sc;
    if (r < 16) sc.fail(`addr_space_cast writes an r register, not ${regName(r)}`, this.statementStart);
    sc.expectChar(Ch.LPAREN, '(');
    const rr = this.wideRegister();
    const spaces: number[] = [];
    for (let i = 0; i < 2; i++) {
      sc.expectChar(Ch.COMMA, ',');
      sc.skipBlanks();
      const at = sc.p;
      const v = sc.readNumber('an address space');
      if (typeof v !== 'number' || v < 0 || v > 0xffff) sc.fail(`address space ${v} does not fit in 16 bits`, at);
      spaces.push(v);
    }
    sc.expectChar(Ch.RPAREN, ')');
    return makeInstruction(Class.ALU64 | AluOp.MOV | Source.X, r & 15, rr & 15, ADDR_SPACE_CAST, ((spaces[0] << 16) | spaces[1]) | 0);
  }

  /** The kernel-internal per-CPU address move `rD = &(void __percpu *)(rS)` (off -1). */
  private percpuAddress(r: number): Instruction {
    const sc: Scanner = this.sc;
    sc.p++; // &
    sc.expectChar(Ch.LPAREN, '(');
    if (!sc.eatWord('void')) sc.expected("'void'");
    if (!sc.eatWord('__percpu')) sc.expected("'__percpu'");
    sc.expectChar(Ch.STAR, '*');
    sc.expectChar(Ch.RPAREN, ')');
    sc.expectChar(Ch.LPAREN, '(');
    const rr = this.wideRegister();
    sc.expectChar(Ch.RPAREN, ')');
    if (r < 16) sc.fail(`expected an r register, found '${regName(r)}'`, this.statementStart);
    return makeInstruction(Class.ALU64 | AluOp.MOV | Source.X, r & 15, rr & 15, -1, 0);
  }

  /** `rD = (s8)rS`, `(s16)`, `(s32)`; `wD = (s8)wS`. */
  private moveSignExtend(r: number): Instruction {
    const sc: Scanner = this.sc;
    sc.p++; // (
    sc.skipBlanks();
    const at = sc.p;
    const t = sc.readIdent();
    const bits = t === 's8' ? 8 : t === 's16' ? 16 : t === 's32' ? 32 : 0;
    if (bits === 0) sc.fail(`expected s8, s16 or s32, found ${sc.describe(at)}`, at);
    sc.expectChar(Ch.RPAREN, ')');
    sc.skipBlanks();
    const rr = sc.registerAt(sc.p);
    if (rr < 0) sc.expected('a register');
    this.sameWidth(r, rr);
    sc.p += REG_LENGTH(rr);
    return makeInstruction((r >= 16 ? Class.ALU64 : Class.ALU) | AluOp.MOV | Source.X, r & 15, rr & 15, bits, 0);
  }

  /** `if rD op rS|imm goto target`. */
  private conditionalJump(): Instruction {
    const sc: Scanner = this.sc;
    const r = sc.expectRegister();
    sc.skipBlanks();
    const p = sc.p;
    const c = sc.peek();
    const c1 = sc.at(p + 1);
    let op = -1;
    let len = 1;
    if (c === Ch.EQ && c1 === Ch.EQ) (op = JmpOp.JEQ), (len = 2);
    else if (c === Ch.BANG && c1 === Ch.EQ) (op = JmpOp.JNE), (len = 2);
    else if (c === Ch.GT) c1 === Ch.EQ ? ((op = JmpOp.JGE), (len = 2)) : (op = JmpOp.JGT);
    else if (c === Ch.LT) c1 === Ch.EQ ? ((op = JmpOp.JLE), (len = 2)) : (op = JmpOp.JLT);
    else if (c === Ch.AMP) op = JmpOp.JSET;
    else if (c === Ch.LS && c1 === Ch.GT) sc.at(p + 2) === Ch.EQ ? ((op = JmpOp.JSGE), (len = 3)) : ((op = JmpOp.JSGT), (len = 2));
    else if (c === Ch.LS && c1 === Ch.LT) sc.at(p + 2) === Ch.EQ ? ((op = JmpOp.JSLE), (len = 3)) : ((op = JmpOp.JSLT), (len = 2));
    if (op < 0) sc.expected('a comparison (==, !=, >, >=, <, <=, s>, s>=, s<, s<=, &)');
    sc.p += len;
    const cls = r >= 16 ? Class.JMP : Class.JMP32;
    sc.skipBlanks();
    const rr = sc.registerAt(sc.p);
    let code: number;
    let src = 0;
    let imm = 0;
    if (rr >= 0) {
      this.sameWidth(r, rr);
      sc.p += REG_LENGTH(rr);
      code = cls | op | Source.X;
      src = rr & 15;
    } else {
      if (rr === -2) sc.expected('a register');
      code = cls | op | Source.K;
      imm = this.imm32('a register or a number');
    }
    if (!sc.eatWord('goto')) sc.expected("'goto'");
    this.target(false);
    return makeInstruction(code, r & 15, src, this.targetOff, imm, this.jumpRef());
  }

  /** A jump target: `pc+N` (kernel), `+N`, `-N`, `N` (LLVM) or a label. */
  private target(long: boolean): void {
    const sc: Scanner = this.sc;
    sc.skipBlanks();
    const p = sc.p;
    const c = sc.peek();
    this.targetLabel = undefined;
    this.targetOff = 0;
    let n: number | bigint;
    if (c === 112 /* p */ && sc.at(p + 1) === 99 /* c */ && (sc.at(p + 2) === Ch.PLUS || sc.at(p + 2) === Ch.MINUS) && isDigit(sc.at(p + 3))) {
      sc.p = p + 2;
      n = sc.readNumber();
    } else if (sc.numberAhead()) {
      n = sc.readNumber();
    } else if (isIdentStart(c)) {
      this.targetLabel = sc.readIdent();
      this.refPos = p;
      return;
    } else {
      sc.expected('a jump target (+N, pc+N or a label)');
    }
    if (long) {
      if (typeof n !== 'number' || n < S32_MIN || n > S32_MAX) sc.fail(`jump offset ${n} does not fit in 32 bits`, p);
    } else if (typeof n !== 'number' || n < S16_MIN || n > S16_MAX) {
      sc.fail(`jump offset ${n} does not fit in 16 bits${typeof n === 'number' && n >= S32_MIN && n <= S32_MAX ? ' (gotol takes 32)' : ''}`, p);
    }
    this.targetOff = n;
  }

  private jumpRef(): Reference | undefined {
    return this.targetLabel === undefined ? undefined : { kind: 'jump', label: this.targetLabel };
  }

  /**
   * `call 1` (LLVM: a helper id), `call pc+5` (kernel: a subprogram), `call NAME#N` (kernel: a
   * helper, or a kfunc by BTF id), `call NAME` (LLVM: a subprogram when NAME is a label in the
   * text, else a helper when the helper table knows NAME, else a kfunc resolved by name).
   */
  private call(): Instruction {
    const sc: Scanner = this.sc;
    sc.skipBlanks();
    const p = sc.p;
    const c = sc.peek();
    const call = Class.JMP | JmpOp.CALL;
    if (c === 112 /* p */ && sc.at(p + 1) === 99 /* c */ && (sc.at(p + 2) === Ch.PLUS || sc.at(p + 2) === Ch.MINUS)) {
      sc.p = p + 2;
      const n = sc.readNumber('a subprogram offset');
      if (typeof n !== 'number' || n < S32_MIN || n > S32_MAX) sc.fail(`call offset ${n} does not fit in 32 bits`, p);
      return makeInstruction(call, 0, CallKind.SUBPROG, 0, n);
    }
    if (sc.numberAhead()) return makeInstruction(call, 0, CallKind.HELPER, 0, this.imm32('a helper id'));
    if (!isIdentStart(c)) sc.expected('a call target (a helper id, a name, or pc+N)');
    let name = sc.readIdent();
    if (name === 'kernel' && sc.text.startsWith('-function', sc.p)) {
      sc.p += 9;
      name = 'kernel-function';
    }
    if (sc.peek() === Ch.HASH) {
      sc.p++;
      const at = sc.p;
      const n = sc.readNumber('an id after #');
      if (typeof n !== 'number' || n < S32_MIN || n > U32_MAX) sc.fail(`id ${n} does not fit in 32 bits`, at);
      return this.namedCall(name, n | 0, p);
    }
    this.refPos = p;
    this.deferred.push({ index: this.insns.length, name, kind: 'call' });
    return makeInstruction(call, 0, CallKind.HELPER, 0, 0);
  }

  /**
   * The kernel's `call NAME#N`: `kernel-function#N` is a kfunc; `unknown#N` a helper; a
   * name the helper table knows, a helper (its id must be N); otherwise a helper when N is
   * below 1000 (helper ids are small; kfunc BTF ids are thousands and up) and a kfunc else.
   */
  private namedCall(name: string, n: number, pos: number): Instruction {
    const call = Class.JMP | JmpOp.CALL;
    if (name === 'kernel-function') return makeInstruction(call, 0, CallKind.KFUNC, 0, n);
    if (name === 'unknown') return makeInstruction(call, 0, CallKind.HELPER, 0, n);
    const helper = helperByName(name);
    if (helper !== undefined) {
      if (helper.id !== n) this.sc.fail(`'${name}' is helper #${helper.id}, not #${n}`, pos);
      return makeInstruction(call, 0, CallKind.HELPER, 0, n);
    }
    return makeInstruction(call, 0, n >= 0 && n < 1000 ? CallKind.HELPER : CallKind.KFUNC, 0, n);
  }

  /** llvm-objdump's `<unknown>`: the instruction comes from the line's 8 raw bytes. */
  private undecoded(): Instruction {
    const sc: Scanner = this.sc;
    const s = sc.text;
    if (!s.startsWith('<unknown>', sc.p)) sc.expected('an instruction');
    if (this.rawCount !== 8) sc.fail("'<unknown>' needs the instruction's 8 raw bytes before it", sc.p);
    sc.p += 9;
    const b: number[] = [];
    for (let i = 0; i < 8; i++) {
      const q = this.rawStart + 3 * i;
      b.push((hexValue(s.charCodeAt(q)) << 4) | hexValue(s.charCodeAt(q + 1)));
    }
    const off = ((b[3] << 8) | b[2]) << 16 >> 16;
    const imm = b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24);
    return makeInstruction(b[0], b[1] & 15, b[1] >> 4, off, imm);
  }

  // ---- the program -------------------------------------------------------------------------

  private finish(): ParsedProgram {
    const insns = this.insns;
    const labelSet = new Set(this.labelNames);
    for (const d of this.deferred) {
      const call = Class.JMP | JmpOp.CALL;
      if (d.kind === 'call') {
        if (labelSet.has(d.name)) {
          insns[d.index] = makeInstruction(call, 0, CallKind.SUBPROG, 0, -1, { kind: 'call', label: d.name });
        } else {
          const helper = helperByName(d.name);
          insns[d.index] =
            helper !== undefined ? makeInstruction(call, 0, CallKind.HELPER, 0, helper.id) : makeInstruction(call, 0, CallKind.KFUNC, 0, 0, { kind: 'kfunc', name: d.name });
        }
      } else {
        const dst = insns[d.index].dst;
        insns[d.index] = labelSet.has(d.name)
          ? makeInstruction(LD_IMM64, dst, Pseudo.FUNC, 0, 0n, { kind: 'func', label: d.name })
          : makeInstruction(LD_IMM64, dst, Pseudo.MAP_FD, 0, 0n, { kind: 'map', name: d.name });
      }
    }
    const n = insns.length;
    if (!this.indexed && this.labelNames.length === 0) return { items: insns.slice(), insns, lines: this.lines, columns: this.columns };
    // Final order: text order, or by slot number for listings that carry one.
    let kept: number[];
    let finalOf: Int32Array;
    if (this.indexed) {
      ({ kept, finalOf } = this.bySlot());
    } else {
      kept = new Array<number>(n);
      finalOf = new Int32Array(n);
      for (let i = 0; i < n; i++) (kept[i] = i), (finalOf[i] = i);
    }
    // Labels, at the final position of the instruction that follows them.
    const seen = new Map<string, number>(); // name → label index
    const labelsAt: (string[] | undefined)[] = new Array(kept.length + 1);
    for (let j = 0; j < this.labelNames.length; j++) {
      const name = this.labelNames[j];
      const at = this.labelAt[j] === n ? kept.length : finalOf[this.labelAt[j]];
      const first = seen.get(name);
      if (first !== undefined) {
        const firstAt = this.labelAt[first] === n ? kept.length : finalOf[this.labelAt[first]];
        if (this.indexed && firstAt === at) continue; // the same line seen twice in a log
        throw new AsmSyntaxError(`label '${name}' is defined twice (first at line ${this.labelLines[first]})`, this.labelLines[j], this.labelColumns[j]);
      }
      seen.set(name, j);
      (labelsAt[at] ??= []).push(name);
    }
    const items: ProgramItem[] = [];
    const outInsns: Instruction[] = [];
    const lines: number[] = [];
    const columns: number[] = [];
    for (let k = 0; k <= kept.length; k++) {
      const names = labelsAt[k];
      if (names !== undefined) for (const name of names) items.push(Label(name));
      if (k === kept.length) break;
      const i = kept[k];
      items.push(insns[i]);
      outInsns.push(insns[i]);
      lines.push(this.lines[i]);
      columns.push(this.columns[i]);
    }
    return { items, insns: outInsns, lines, columns };
  }

  /**
   * Orders instructions by their slot numbers, drops repeats of the same instruction (a
   * verifier log prints an instruction once per path that reaches it), and checks that the
   * slots are contiguous.
   */
  private bySlot(): { kept: number[]; finalOf: Int32Array } {
    const insns = this.insns;
    const slots = this.slots;
    const n = insns.length;
    const kept: number[] = [];
    const finalOf = new Int32Array(n);
    // The common case, a listing in order without repeats, needs no sorting.
    let inOrder = true;
    for (let i = 1; i < n && inOrder; i++) inOrder = slots[i] === slots[i - 1] + (typeof insns[i - 1].imm === 'bigint' ? 2 : 1);
    if (inOrder) {
      for (let i = 0; i < n; i++) (kept[i] = i), (finalOf[i] = i);
      return { kept, finalOf };
    }
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => slots[a] - slots[b] || a - b);
    const startAt = new Map<number, number>();
    let expected = n > 0 ? slots[order[0]] : 0;
    let last = expected;
    for (const i of order) {
      const slot = slots[i];
      if (slot === expected) {
        startAt.set(slot, kept.length);
        finalOf[i] = kept.length;
        kept.push(i);
        last = slot;
        expected = slot + (typeof insns[i].imm === 'bigint' ? 2 : 1);
        continue;
      }
      const fail = (message: string): never => {
        throw new AsmSyntaxError(message, this.lines[i], this.columns[i]);
      };
      if (slot > expected) fail(`instruction ${expected} is missing (the listing goes from ${last} to ${slot})`);
      const k = startAt.get(slot);
      if (k === undefined) fail(`instruction ${slot} is the second half of the ld_imm64 before it`);
      if (!sameInstruction(insns[kept[k as number]], insns[i])) fail(`instruction ${slot} differs from the one at line ${this.lines[kept[k as number]]}`);
      finalOf[i] = k as number;
    }
    return { kept, finalOf };
  }
}

/**
 * Parses assembly text (LLVM or kernel syntax, mixed freely) into program items: instructions,
 * with jump targets and symbols as references, and {@link Label} markers, for {@link resolve}.
 *
 * Skipped: blank lines; comments (`#`, `//`, `;` — also the verifier's `; state` tails and
 * `; source line` comments — and `/* … *\/`); directives (`.text`, `.globl f`, `.p2align 3`,
 * `.section …`, `.size …`; lines in data sections, such as map definitions, are skipped
 * whole); `llvm-objdump` headings, symbol lines (`0000000000000000 <prog>:`), relocation lines,
 * addresses, raw bytes and `<target>` suffixes; and verifier-log text (see `isLogText` in
 * asm-log-text.ts: `processed N insns …`, `from 4 to 6: …`, `func#0 @0`, register state
 * lines `N: R1=ctx() …`, `R1 type=ctx expected=fp` and other error sentences).
 *
 * Lines carrying a slot number (`5: (bf) r1 = r2`, an objdump address) are placed by it, so a
 * pasted verifier log — which prints an instruction again on every path that reaches it — gives
 * each instruction once; a repeat must be the same instruction, and a gap is an error.
 *
 * Throws {@link AsmSyntaxError} for anything else.
 */
export function parseAssembly(text: string): ProgramItem[] {
  return new Parser(text).run().items;
}

function resolveMessage(insn: Instruction, symbol: string): string {
  switch (insn.ref?.kind) {
    case 'map':
      return `unknown map '${symbol}' (bind it in options.maps)`;
    case 'kfunc':
      return `unknown function '${symbol}': not a label, a helper, or a kfunc bound in options.kfuncs`;
    default:
      return `unknown label '${symbol}'`;
  }
}

/**
 * Assembles text (see {@link parseAssembly}) and resolves it: labels to offsets, `r1 = NAME ll` to maps
 * in `options.maps` (or to a subprogram's address when NAME is a label), and calls by name to
 * subprograms, helpers or kfuncs in `options.kfuncs`. Every error, including an unknown label or
 * a jump out of range, is an {@link AsmSyntaxError} at the line and column that caused it.
 *
 * ```ts
 * const { instructions } = assemble('r0 = 0\nexit');
 * encode(instructions); // b7 00 00 00 00 00 00 00 95 00 …
 * ```
 */
export function assemble(text: string, options?: AssembleOptions): AssembledProgram {
  const parsed = new Parser(text).run();
  try {
    const { instructions, labels } = resolve(parsed.items, options);
    return { instructions, labels };
  } catch (e) {
    if (e instanceof UnresolvedReferenceError) {
      throw new AsmSyntaxError(resolveMessage(parsed.insns[e.index], e.symbol), parsed.lines[e.index], parsed.columns[e.index]);
    }
    if (e instanceof EncodeError && e.index !== undefined) {
      throw new AsmSyntaxError(e.message.replace(/^instruction \d+: /, ''), parsed.lines[e.index], parsed.columns[e.index]);
    }
    throw e;
  }
}

/**
 * Names for the values of `ld_imm64` pseudo sources that the assembler reads back, for the
 * kernel disassembler's `immName` option (`disassembleKernel(insns, { immName: pseudoImmName })`).
 * bpftool's forms (tools/bpf/bpftool/xlated_dumper.c) where it has one, and two of ours:
 *
 * | src | text |
 * |---|---|
 * | 1 `MAP_FD` | `map[fd:4]` (bpftool prints `map[id:4]` for loaded programs; both are read) |
 * | 2 `MAP_VALUE` | `map[fd:4][0]+16` |
 * | 3 `BTF_ID` | `ksym[id:100]`, `ksym[id:100][fd:3]` (ours) |
 * | 4 `FUNC` | `subprog[+6]` |
 * | 5 `MAP_IDX` | `map[idx:1]` (ours) |
 * | 6 `MAP_IDX_VALUE` | `map[idx:1]+8` |
 *
 * Returns undefined (the kernel's plain `0x…`) for a constant and for encodings the forms cannot
 * hold (a non-zero high half where the form has none).
 */
export function pseudoImmName(insn: Instruction, fullImm: bigint): string | undefined {
  const lo = Number(fullImm & 0xffffffffn);
  const hi = Number((fullImm >> 32n) & 0xffffffffn);
  switch (insn.src) {
    case Pseudo.MAP_FD:
      return hi === 0 ? `map[fd:${lo}]` : undefined;
    case Pseudo.MAP_VALUE:
      return `map[fd:${lo}][0]+${hi}`;
    case Pseudo.BTF_ID:
      return hi === 0 ? `ksym[id:${lo}]` : `ksym[id:${lo}][fd:${hi}]`;
    case Pseudo.FUNC:
      return hi === 0 ? `subprog[${(lo | 0) < 0 ? '' : '+'}${lo | 0}]` : undefined;
    case Pseudo.MAP_IDX:
      return hi === 0 ? `map[idx:${lo}]` : undefined;
    case Pseudo.MAP_IDX_VALUE:
      return `map[idx:${lo}]+${hi}`;
    default:
      return undefined;
  }
}
