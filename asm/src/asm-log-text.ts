/**
 * Recognition of the non-instruction lines of pasted verifier logs and `llvm-objdump`
 * listings, which the assembler skips. It is consulted only for a line that does not start
 * like an instruction, so it costs nothing on the hot path; a line it does not recognise is a
 * syntax error, so typos in instructions are never skipped silently.
 * @module
 */

import { Ch, isBlank, isDigit } from './asm-scanner.js';

/**
 * Line starts that are verifier-log or libbpf text (kernel/bpf/verifier.c, kernel/bpf/log.c,
 * tools/lib/bpf/libbpf.c), or `llvm-objdump` headings.
 */
const LOG_PREFIXES: readonly string[] = [
  'processed ', // processed 5 insns (limit 1000000) max_states_per_insn 0 ...
  'from ', // from 4 to 6: R0=...   /   from 3 to 5: safe
  'func#', // func#0 @0
  'Func#',
  'last_idx ', // precision backtracking at log_level 2
  'regs=',
  'mark_precise:',
  'parent didn',
  'parent already',
  'propagating ',
  'Live regs before insn:',
  'verification time ',
  'stack depth ',
  'libbpf:',
  '-- BEGIN PROG LOAD LOG --',
  '-- END PROG LOAD LOG --',
  'Validating ',
  'caller:',
  'callee:',
  'returning from callee:',
  'to caller at ',
  'Disassembly of section ', // llvm-objdump
];

/** The instruction mnemonics that may start a line; a sentence never starts with one. */
const KEYWORDS = new Set([
  'if', 'goto', 'gotol', 'gotox', 'may_goto', 'call', 'callx', 'exit', 'lock', 'store_release', 'ld_pseudo', 'nospec',
]);

function isLetter(c: number): boolean {
  return (c >= Ch.LA && c <= Ch.LZ) || (c >= Ch.UA && c <= Ch.UZ);
}

function isRegisterToken(token: string): boolean {
  if (token.length < 2 || token.length > 3) return false;
  const c = token.charCodeAt(0);
  if (c !== Ch.LR && c !== Ch.LW) return false;
  for (let i = 1; i < token.length; i++) if (!isDigit(token.charCodeAt(i))) return false;
  return true;
}

/**
 * Whether `text[start, end)` (a line from its first non-blank character) is log text rather
 * than an instruction. Recognised, and skipped by the assembler:
 *
 * - the fixed line starts in `LOG_PREFIXES` (`processed N insns …`, `from 4 to 6: …`,
 *   `func#0 @0`, precision-tracking lines, `Live regs before insn:`, libbpf's
 *   `-- BEGIN PROG LOAD LOG --`, `Disassembly of section …`, …);
 * - register state and register errors: `R1=ctx()`, `R0_w=0`, `R1 type=ctx expected=fp`,
 *   `R0 !read_ok` (an upper-case `R`, digits, then `=`, `_`, or a blank and a letter or `!`);
 * - callee frames' state: `frame1: R1=ctx() R10=fp0`;
 * - the `llvm-objdump` file heading `prog.o:	file format elf64-bpf`;
 * - bpftool's function headings in `prog dump xlated`: `int xdp_prog(struct xdp_md * ctx):`;
 * - sentences: two words that are not mnemonics or registers followed by more text, like the
 *   verifier's error messages (`invalid access to map value, value_size=8 off=8 size=8`,
 *   `unreachable insn 5`, `At program exit the register R0 has …`).
 */
export function isLogText(text: string, start: number, end: number): boolean {
  for (const prefix of LOG_PREFIXES) if (start + prefix.length <= end && text.startsWith(prefix, start)) return true;
  const c0 = text.charCodeAt(start);
  if (c0 === Ch.UR && isDigit(text.charCodeAt(start + 1))) {
    let q = start + 1;
    while (q < end && isDigit(text.charCodeAt(q))) q++;
    const c = q < end ? text.charCodeAt(q) : -1;
    if (c === Ch.EQ || c === Ch.UNDERSCORE) return true;
    if (isBlank(c)) {
      while (q < end && isBlank(text.charCodeAt(q))) q++;
      const d = q < end ? text.charCodeAt(q) : -1;
      if (isLetter(d) || d === Ch.BANG) return true;
    }
    return false;
  }
  if (text.startsWith('frame', start) && isDigit(text.charCodeAt(start + 5))) return true; // frame1: R1=ctx() …
  const line = text.slice(start, end);
  if (/^\S+:\s+file format /.test(line)) return true;
  if (/^[A-Za-z_][\w \t*]*\(.*\):$/.test(line)) return true; // bpftool: `int xdp_prog(struct xdp_md * ctx):`
  // A sentence: word word more…
  const tokens = line.split(/\s+/, 4).filter((t) => t.length > 0);
  if (tokens.length < 3) return false;
  const [first, second] = tokens;
  if (!isLetter(first.charCodeAt(0)) || KEYWORDS.has(first) || isRegisterToken(first)) return false;
  if (!/^[A-Za-z][a-z_-]*[,.:]?$/.test(second) || isRegisterToken(second)) return false;
  return true;
}
