/**
 * eDSL read-only string constants in the live kernel: `$.snprintf` and `$.strncmp` (and the same
 * helpers through `$.callHelper`) keep their constant strings in the program's `.rodata` map
 * (one element, BPF_F_RDONLY_PROG, frozen after it is written) and pass them with a
 * `BPF_PSEUDO_MAP_VALUE` ld_imm64. Socket filters run with BPF_PROG_TEST_RUN on values written
 * from user space; the formatted bytes are compared with a JS implementation of the kernel's
 * printf rules, the strncmp results with a JS strncmp. Misuse is a DslError at build time.
 * Skips with the reason when not root or when the kernel lacks the helpers.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Call } from 'ebpf-bytecode-utils';
import { DslError, MAX_BPRINTF_VARARGS, compile, loadCompiled, program, snprintfConversions, u32, u64, RODATA_MAP_NAME, type CompiledProgram } from '../../src/dsl/index.js';
import { char, struct } from '../../src/types/index.js';
import { MapElemAccess } from '../../syscalls/map-elem.js';
import { progTestRun } from '../../syscalls/prog-test-run.js';
import { kernelTest } from '../support/kernel.js';
import { programLacks } from '../support/kernel-lacks.js';
import { numRuns } from '../support/num-runs.js';

const test = suite('dsl string constants (kernel)');

const SNPRINTF = 165;
const STRNCMP = 182;
const lacksSnprintf = () => programLacks('socket_filter', [Call.helper(SNPRINTF)]);
const lacksStrncmp = () => programLacks('socket_filter', [Call.helper(STRNCMP)]);

const Line = struct('line', { text: char(64) });
const Short = struct('short_line', { text: char(8) });
const Name = struct('name', { text: char(16) });
const Args = struct('args', { a: u64, b: u64, c: u64 });

// ---- a JS model of the kernel's bpf_snprintf for the conversions below ----

/** One conversion of `spec` (`%[flags][width][l|ll]conv`) applied to the u64 `raw`, as lib/vsprintf.c prints it. */
function formatOne(spec: string, raw: bigint): string {
  const m = /^%([-+ 0]*)(\d*)(l{0,2})([diuxXc])$/.exec(spec);
  if (m === null) throw new Error(`model: unsupported ${spec}`);
  const [, flags, width, len, conv] = m;
  const bits = len === '' ? 32 : 64; // the kernel passes an int for no length modifier
  let body: string;
  let sign = '';
  if (conv === 'c') body = String.fromCharCode(Number(raw & 0xffn));
  else if (conv === 'd' || conv === 'i') {
    const v = BigInt.asIntN(bits, raw);
    if (v < 0n) sign = '-';
    else if (flags.includes('+')) sign = '+';
    else if (flags.includes(' ')) sign = ' ';
    body = (v < 0n ? -v : v).toString();
  } else {
    const v = BigInt.asUintN(bits, raw);
    body = conv === 'u' ? v.toString() : conv === 'x' ? v.toString(16) : v.toString(16).toUpperCase();
  }
  const w = width === '' ? 0 : Number(width);
  const n = sign.length + body.length;
  if (n >= w) return sign + body;
  if (flags.includes('-')) return sign + body + ' '.repeat(w - n);
  if (flags.includes('0') && conv !== 'c') return sign + '0'.repeat(w - n) + body;
  return ' '.repeat(w - n) + sign + body;
}

/** `fmt` with its conversions applied to `values` in order (`%%` prints `%`). */
function formatModel(fmt: string, values: readonly bigint[]): string {
  let k = 0;
  return fmt.replace(/%%|%[-+ 0]*\d*l{0,2}[diuxXc]/g, (spec) => (spec === '%%' ? '%' : formatOne(spec, values[k++])));
}

/** Reads `size` bytes of element 0 of array map `fd`. */
function readElem0(fd: number, size: number): Uint8Array {
  const m = new MapElemAccess(fd, 4, size);
  m.key.fill(0);
  assert.is(m.lookup(), 0);
  return m.value.slice();
}

/** Writes element 0 of array map `fd`. */
function writeElem0(fd: number, bytes: Uint8Array): void {
  const m = new MapElemAccess(fd, 4, bytes.length);
  m.key.fill(0);
  m.value.set(bytes);
  assert.is(m.update(), 0);
}

function argsBytes(values: readonly bigint[]): Uint8Array {
  const b = new Uint8Array(24);
  const dv = new DataView(b.buffer);
  values.forEach((v, i) => dv.setBigUint64(8 * i, BigInt.asUintN(64, v), true));
  return b;
}

/** A program formatting three u64s read from map `in` with `fmt` into map `out` (64 and 8 bytes); returns the full length. */
function formatProgram(fmt: string, count: number): CompiledProgram {
  return compile(program('fmt', 'socket_filter', ($) => {
    const input = $.array('in', Args, { maxEntries: 1 });
    const out = $.array('out', Line, { maxEntries: 1 });
    const short = $.array('short', Short, { maxEntries: 1 });
    const r = $.let(u64, 0n);
    $.ifSome(input.lookup(0), (a) => {
      const values = [a.field('a').get(), a.field('b').get(), a.field('c').get()].slice(0, count);
      const line = $.struct(Line);
      const s = $.struct(Short);
      r.set($.snprintf(line, fmt, values).cast(u64));
      $.snprintf(s, fmt, values);
      out.update(0, line);
      short.update(0, s);
    });
    return r.cast(u32);
  }));
}

const FORMATS = ['%d', '%u', '%x', '%X', '%i', '%ld', '%lld', '%llu', '%llx', '[%5d|%-6u|%08x]', '%+d % d %+lld', '%c%c%c', '100%% of %llu', 'a=%lu b=%li c=%lX', '%020llu|%-20lld|'];

/** Loads the format program of `fmt` and checks random arguments against the model (a function: tsx miscompiles `using` in loops). */
function checkFormat(fmt: string): void {
    const count = (fmt.match(/%[^%]/g) ?? []).length - (fmt.match(/%%/g) ?? []).length;
    const c = formatProgram(fmt, count);
    const rodata = c.maps.find((m) => m.name === RODATA_MAP_NAME);
    assert.ok(rodata !== undefined && rodata.flags === 1 << 7, 'a .rodata map, read-only for programs');
    assert.ok(c.insns.some((i) => i.code === 0x18 && i.src === 2), 'the format is passed with a BPF_PSEUDO_MAP_VALUE ld_imm64');
    using loaded = loadCompiled(c);
    const big = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    const small = fc.bigInt({ min: -300n, max: 300n }).map((v) => BigInt.asUintN(64, v));
    const printable = fc.integer({ min: 0x20, max: 0x7e }).map(BigInt);
    const value = fmt.includes('%c') ? printable : fc.oneof(big, small);
    fc.assert(fc.property(fc.tuple(value, value, value), (values) => {
      writeElem0(loaded.mapFds.in, argsBytes(values));
      const want = Buffer.from(formatModel(fmt, values), 'latin1');
      const ret = progTestRun({ progFd: loaded.progFd, dataIn: new Uint8Array(20) }).retval;
      assert.is(ret, want.length + 1, `${fmt}: length with the NUL`);
      for (const [fd, size] of [[loaded.mapFds.out, 64], [loaded.mapFds.short, 8]] as const) {
        const got = readElem0(fd, size);
        const kept = Math.min(want.length, size - 1);
        assert.is(Buffer.from(got.subarray(0, kept)).toString('latin1'), want.subarray(0, kept).toString('latin1'), `${fmt} with ${values.join(', ')} into ${size} bytes`);
        assert.is(got[kept], 0, 'NUL-terminated');
      }
    }), { numRuns: numRuns(20) });
}

kernelTest(test, 'bpf_snprintf through $.snprintf formats u64 arguments as the kernel printf model says (full and truncated buffers)', () => {
  for (const fmt of FORMATS) checkFormat(fmt);
}, lacksSnprintf);

kernelTest(test, '%s of stack strings (packet bytes copied with skb_load_bytes, and a field of them) beside a u32', () => {
  const c = compile(program('fmt_str', 'socket_filter', ($, ctx) => {
    const out = $.array('out', Line, { maxEntries: 1 });
    const line = $.struct(Line);
    const name = $.struct(Name);
    $.if($.skbLoadBytes(0, name).ne(0n), () => $.return(0));
    const n = $.snprintf(line, 'len %u str <%s> %s', [ctx.len, name, name.field('text')]);
    out.update(0, line);
    return n.cast(u32);
  }));
  using loaded = loadCompiled(c);
  const printable = fc.array(fc.integer({ min: 0x20, max: 0x7e }), { maxLength: 15 });
  fc.assert(fc.property(printable, fc.integer({ min: 0, max: 40 }), (chars, extra) => {
    const text = String.fromCharCode(...chars);
    // A socket filter's skb starts after the 14-byte Ethernet header: len and offset 0 count from there.
    const data = new Uint8Array(14 + 16 + extra);
    data.set(Buffer.from(text, 'latin1'), 14); // the rest stays 0: the string ends within the 16 bytes
    const full = `len ${data.length - 14} str <${text}> ${text}`;
    const want = full.slice(0, 63);
    const ret = progTestRun({ progFd: loaded.progFd, dataIn: data }).retval;
    assert.is(ret, full.length + 1);
    assert.is(Buffer.from(readElem0(loaded.mapFds.out, 64).subarray(0, want.length)).toString('latin1'), want);
  }), { numRuns: numRuns(50) });
}, lacksSnprintf);

/** C `strncmp` over bytes (unsigned char), as lib/string.c does: -1, 0 or 1. */
function strncmpModel(a: Uint8Array, b: Uint8Array, n: number): number {
  for (let i = 0; i < n; i++) {
    const x = i < a.length ? a[i] : 0;
    const y = i < b.length ? b[i] : 0;
    if (x !== y) return x < y ? -1 : 1;
    if (x === 0) return 0;
  }
  return 0;
}

const CONSTANTS = ['abc', 'ab', '', 'abcdefghijklmnop', 'b', 'abd\u00ff'];

kernelTest(test, 'bpf_strncmp of a map value with constant strings ($.strncmp and $.callHelper) gives the sign JS strncmp gives', () => {
  const c = compile(program('cmp', 'socket_filter', ($) => {
    const input = $.array('in', Name, { maxEntries: 1 });
    const out = $.array('res', u64, { maxEntries: 16 });
    $.ifSome(input.lookup(0), (s) => {
      CONSTANTS.forEach((k, i) => {
        out.update(i, $.strncmp(s, k).cast(u64));
        out.update(i + 8, $.callHelper('bpf_strncmp', s, k).cast(u64));
      });
    });
    return 0;
  }));
  using loaded = loadCompiled(c);
  const alphabet = fc.constantFrom(0x61, 0x62, 0x63, 0x64, 0xff, 0x00);
  fc.assert(fc.property(fc.array(alphabet, { maxLength: 16 }), (bytes) => {
    const value = new Uint8Array(16);
    value.set(bytes);
    writeElem0(loaded.mapFds.in, value);
    progTestRun({ progFd: loaded.progFd, dataIn: new Uint8Array(20) });
    const res = new MapElemAccess(loaded.mapFds.res, 4, 8);
    CONSTANTS.forEach((k, i) => {
      const want = strncmpModel(value, Buffer.from(k, 'utf8'), 16);
      for (const slot of [i, i + 8]) {
        res.key.set(new Uint8Array(new Uint32Array([slot]).buffer));
        assert.is(res.lookup(), 0);
        const got = Number(new DataView(res.value.buffer, res.value.byteOffset).getBigInt64(0, true));
        assert.is(Math.sign(got), want, `strncmp(${JSON.stringify(Buffer.from(bytes).toString('latin1'))}, ${JSON.stringify(k)}) in slot ${slot}`);
      }
    });
  }), { numRuns: numRuns(100) });
}, lacksStrncmp);

kernelTest(test, '$.callHelper(\'bpf_snprintf\', out, fmt, data) with a u64 array of its own', () => {
  const c = compile(program('fmt_call', 'socket_filter', ($, ctx) => {
    const out = $.array('out', Line, { maxEntries: 1 });
    const line = $.struct(Line);
    const data = $.struct(Args, { a: ctx.len.cast(u64), b: 0xbeefn, c: 7n });
    const n = $.callHelper('bpf_snprintf', line, 'n=%u h=%llx %d', data);
    const n0 = $.callHelper('bpf_snprintf', null, 'no args', null);
    out.update(0, line);
    return n.add(n0.shl(8n)).cast(u32);
  }));
  using loaded = loadCompiled(c);
  const want = 'n=26 h=beef 7';
  assert.is(progTestRun({ progFd: loaded.progFd, dataIn: new Uint8Array(40) }).retval, (want.length + 1) + (('no args'.length + 1) << 8));
  assert.is(Buffer.from(readElem0(loaded.mapFds.out, 64).subarray(0, want.length)).toString('latin1'), want);
}, lacksSnprintf);

/** Programs formatting with a placeholder format of `n` conversions, by `n` (their `.rodata` is overwritten with the format under test). */
const placeholderPrograms = new Map<number, CompiledProgram>();
const PLACEHOLDER_CHARS = 24;

/** Whether the kernel's verifier accepts `fmt` as bpf_snprintf's format with `n` u64 arguments. */
function kernelAcceptsFormat(fmt: string, n: number): boolean {
  let c = placeholderPrograms.get(n);
  if (c === undefined) {
    c = compile(program('fmt_check', 'socket_filter', ($) => {
      const line = $.struct(Line);
      return $.snprintf(line, '%d'.repeat(n).padEnd(PLACEHOLDER_CHARS, 'x'), Array<number>(n).fill(0)).cast(u32);
    }));
    placeholderPrograms.set(n, c);
  }
  const rodata = c.maps.find((m) => m.name === RODATA_MAP_NAME)!.rodata!;
  rodata.fill(0);
  rodata.set(Buffer.from(fmt, 'latin1'));
  try {
    loadCompiled(c).close();
    return true;
  } catch (err) {
    if (err instanceof Error && /Invalid format string/.test(`${err.message} ${String((err as { log?: string }).log ?? '')}`)) return false;
    throw err;
  }
}

kernelTest(test, 'the format check (snprintfConversions) accepts exactly the formats the kernel verifier accepts, with the same number of conversions', () => {
  const char = fc.constantFrom(...'%%%%dlscpxX.0-+ uKi46IBSkhz#*5a');
  const fixed = ['%d', '%5.2d', '%hd', '%lu', '%llx', '%pK', '%pks', '%p', '%pz', '%s', '%ks', '%us', '%c', '%lc', '%%', '%', 'ab%', '%-05d', '%#x', '%*d', '%zd', '%o', '%pI4', '%pi6', '%pB', '%pS', '%px', '%lld%lli', '%lllu', '%p4'];
  const check = (fmt: string) => {
    let count: number | undefined;
    try { count = snprintfConversions(fmt, 'check').length; } catch (err) { if (!(err instanceof DslError)) throw err; }
    if (count === undefined) {
      assert.is(kernelAcceptsFormat(fmt, MAX_BPRINTF_VARARGS), false, `${JSON.stringify(fmt)}: refused here, accepted by the kernel`);
      return;
    }
    assert.is(kernelAcceptsFormat(fmt, count), true, `${JSON.stringify(fmt)}: ${count} conversions here, refused by the kernel`);
    if (count > 0) assert.is(kernelAcceptsFormat(fmt, count - 1), false, `${JSON.stringify(fmt)}: the kernel counts fewer than ${count} conversions`);
  };
  // Kernels before the 2025 fix of bpf_bprintf_prepare (stable backports vary) let a bare %p
  // swallow the punctuation after it ("%p%d" is one conversion there, two since).
  const pEatsPunct = kernelAcceptsFormat('%p%d', 1);
  const bareP = /%[-+ 0-9]*p[\s!-/:-@[-`{-~]/;
  if (pEatsPunct) console.log('  this kernel\'s bpf_bprintf_prepare lets %p swallow the character after it (before the 2025 fix): formats with %p before punctuation are left out');
  const comparable = (fmt: string) => !(pEatsPunct && bareP.test(fmt));
  for (const fmt of fixed.filter(comparable)) check(fmt);
  fc.assert(fc.property(fc.array(char, { maxLength: PLACEHOLDER_CHARS - 1 }).map((cs) => cs.join('')).filter(comparable), (fmt) => { check(fmt); }), { numRuns: numRuns(200) });
}, lacksSnprintf);

test('equal constants are stored once; misuse is a DslError naming the problem', () => {
  const c = compile(program('dedupe', 'socket_filter', ($) => {
    const s = $.struct(Name);
    $.strncmp(s, 'same');
    $.strncmp(s, 'same');
    $.strncmp(s, 'other');
    return 0;
  }));
  assert.equal(Buffer.from(c.maps.find((m) => m.name === RODATA_MAP_NAME)!.rodata!).toString('latin1'), 'same\0other\0\0\0\0\0\0');
  const rejects = (why: RegExp, build: Parameters<typeof program>[2]) => assert.throws(() => program('bad', 'socket_filter', build), (e: unknown) => e instanceof DslError && why.test(e.message), String(why));
  rejects(/2 conversions, got 1 argument/, ($) => { $.snprintf($.struct(Line), '%d %d', [1]); return 0; });
  rejects(/'%f' is not a conversion the kernel accepts/, ($) => { $.snprintf($.struct(Line), '%f', [1]); return 0; });
  rejects(/'%\.' is not a conversion/, ($) => { $.snprintf($.struct(Line), '%.2d', [1]); return 0; });
  rejects(/wants an integer/, ($) => { const s = $.struct(Name); $.snprintf($.struct(Line), '%d', [s]); return 0; });
  rejects(/must be a Ref to a NUL-terminated string/, ($) => { $.snprintf($.struct(Line), '%s', [5]); return 0; });
  rejects(/contains a NUL byte/, ($) => { $.strncmp($.struct(Name), 'a\0b'); return 0; });
  rejects(/13 conversions, bpf_snprintf takes at most 12/, ($) => { $.snprintf($.struct(Line), '%d'.repeat(13), Array(13).fill(1)); return 0; });
  rejects(/needs a string constant/, ($) => { ($.callHelper as (...a: unknown[]) => unknown)('bpf_strncmp', $.struct(Name), 42); return 0; });
  rejects(/must be a Ref of 16 bytes \(one u64 each\), got 24 bytes/, ($) => { $.callHelper('bpf_snprintf', $.struct(Line), '%d %d', $.struct(Args)); return 0; });
  rejects(/reserved for the program's string constants/, ($) => { $.array('.rodata', u64, { maxEntries: 1 }); $.strncmp($.struct(Name), 'x'); return 0; });
});

test.run();
