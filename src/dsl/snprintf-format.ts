/**
 * The format strings `bpf_snprintf` accepts, as the kernel's `bpf_bprintf_prepare`
 * (kernel/bpf/helpers.c) checks them when the verifier reads the constant format: `%%`; optional
 * flags `0`, `+`, `-`, space and a width (no precision, no `*`); then `%d %i %u %x %X` with an
 * optional `l` or `ll`, `%c`, `%s` (a kernel string: the address of a stack object or map
 * value) and the `%p` family (`%p` before the end, white space or punctuation, `%pK`, `%px`,
 * `%ps`, `%pS`, `%pB`, `%pi4`/`%pI4`/`%pi6`/`%pI6`, `%pks`/`%pus`). Checked against the
 * kernel's verifier on random formats (test/kernel/dsl-const-strings.test.ts). Every conversion takes one u64 of the data array;
 * at most {@link MAX_BPRINTF_VARARGS}.
 * @module
 */

import { DslError } from './errors.js';

/** Most arguments `bpf_snprintf` takes (`MAX_BPRINTF_VARARGS`). */
export const MAX_BPRINTF_VARARGS = 12;

/** A character the kernel lets end a `%p` or string conversion: white space or punctuation (`isspace`, `ispunct`). */
const ENDS_CONVERSION = /^[\s!-/:-@[-`{-~]/;

/** What one conversion wants: an integer, an address (`%s`, `%ks`, `%us`), or either (`%p…`). */
export type FormatArgKind = 'integer' | 'address' | 'pointer';

/** The argument kinds of the conversions of `fmt`, in order; a {@link DslError} naming the position when the kernel would refuse it. */
export function snprintfConversions(fmt: string, who: string): FormatArgKind[] {
  const out: FormatArgKind[] = [];
  const bad = (i: number, why: string) => new DslError(`${who}: format ${JSON.stringify(fmt)} at offset ${i}: ${why}`);
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt.charCodeAt(i);
    if (c > 0x7e || (c < 0x20 && !(c >= 0x09 && c <= 0x0d))) throw bad(i, 'only printable ASCII and white space are allowed');
    if (fmt[i] !== '%') continue;
    if (fmt[i + 1] === '%') { i++; continue; }
    const start = i;
    i++;
    while (fmt[i] === '0' || fmt[i] === '+' || fmt[i] === '-' || fmt[i] === ' ') i++;
    while (fmt[i] >= '0' && fmt[i] <= '9') i++;
    const rest = fmt.slice(i);
    let m: RegExpMatchArray | readonly string[] | null;
    let kind: FormatArgKind;
    if (rest[0] === 'p') {
      // A bare %p is followed by the end, white space or punctuation (left for the text).
      if (rest.length === 1 || ENDS_CONVERSION.test(rest.slice(1))) m = ['p'];
      else if ((m = /^p(?:[ku]s|[iI][46]|[KxsSB])/.exec(rest)) === null) throw bad(start, `'${fmt.slice(start, i + 2)}' is not a %p conversion the kernel accepts (%p, %pK, %px, %ps, %pS, %pB, %pi4, %pI4, %pi6, %pI6, %pks, %pus)`);
      kind = m[0] === 'pks' || m[0] === 'pus' ? 'address' : 'pointer';
    } else if (rest[0] === 's') {
      m = ['s'];
      kind = 'address';
    } else if ((m = /^(?:c|l{0,2}[diuxX])/.exec(rest)) !== null) {
      kind = 'integer';
    } else {
      throw bad(start, `'${fmt.slice(start, i + 1)}' is not a conversion the kernel accepts (d i u x X with l/ll, c, s, p…; flags 0 + - space and a width, no precision)`);
    }
    if (kind === 'address' && rest.length > m[0].length && !ENDS_CONVERSION.test(rest.slice(m[0].length))) {
      throw bad(start, `'${fmt.slice(start, i + m[0].length + 1)}': a string conversion must be followed by the end, white space or punctuation`);
    }
    out.push(kind);
    i += m[0].length - 1;
  }
  if (out.length > MAX_BPRINTF_VARARGS) throw new DslError(`${who}: format ${JSON.stringify(fmt)} has ${out.length} conversions, bpf_snprintf takes at most ${MAX_BPRINTF_VARARGS}`);
  return out;
}
