/**
 * The eDSL's line info offline: every run of instructions is attributed to the line of this file
 * where its statement was written (the expected lines are found in this file's own text, by the
 * `@line:` markers), the program BTF encodes them as line_info records the BTF decoder reads
 * back, `dump` prints them like the kernel, and the offline verifier reports a rejection at the
 * statement's line.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { basename } from 'node:path';
import { decodeBtf, decodeFuncInfo, decodeLineInfo } from 'ebpf-bytecode-utils';
import { btfFuncName, compile, dump, program, sourceLineAt, u32, u64, verifyCompiled, type CompiledProgram } from '../../src/dsl/index.js';
import { parseTracepointFormat } from '../../src/tracefs/format.js';
import { sourceLines } from '../support/source-lines.js';

const { file: THIS_FILE, lines: SOURCE, lineOf } = sourceLines(import.meta.url);

function counter(): CompiledProgram {
  return compile(program('count_it', 'socket_filter', ($) => {
    const counts = $.array('counts', u64, { maxEntries: 4 });
    const key = $.let(u32, 2); // @line:let
    counts.update(key, 7n); // @line:update
    $.ifSome(counts.lookup(key), (v) => { v.atomicAdd(1n); }); // @line:ifSome
    return 1;
  }));
}

test('lineInfo attributes the instructions to the lines of this file where the statements were written', () => {
  const c = counter();
  const li = c.lineInfo;
  assert.ok(li !== undefined && li.length > 0, 'no lineInfo');
  assert.is(li[0].insn, 0);
  for (let i = 1; i < li.length; i++) assert.ok(li[i].insn > li[i - 1].insn, 'insn offsets increase');
  for (const l of li) {
    assert.is(l.file, THIS_FILE);
    assert.is(l.text, SOURCE[l.line - 1].trim(), `text of line ${l.line}`);
  }
  const lines = li.map((l) => l.line);
  for (const tag of ['let', 'update', 'ifSome']) assert.ok(lines.includes(lineOf(tag)), `line ${lineOf(tag)} (${tag}) in ${lines.join(',')}`);
  // The map update's helper call comes from the update line.
  const call = c.insns.findIndex((i) => i.code === 0x85);
  assert.is(sourceLineAt(li, c.insns.slice(0, call).reduce((n, i) => n + (i.code === 0x18 ? 2 : 1), 0))?.line, lineOf('update'));
});

test('the program BTF holds the FUNC and line strings that its func_info/line_info records point at', () => {
  const c = counter();
  assert.ok(c.btf !== undefined && c.lineInfo !== undefined);
  const btf = decodeBtf(c.btf.bytes);
  const fi = decodeFuncInfo(c.btf.funcInfo.records);
  assert.equal(fi.map((f) => f.insnOff), [0]);
  const func = btf.typeById(fi[0].typeId);
  assert.ok(func !== undefined && func.kind === 'func');
  assert.is(func.name, btfFuncName('count_it'));
  const records = decodeLineInfo(c.btf.lineInfo.records);
  assert.is(records.length, c.lineInfo.length);
  records.forEach((r, i) => {
    const want = c.lineInfo![i];
    assert.is(r.insnOff, want.insn);
    assert.is(btf.string(r.fileNameOff), want.file);
    assert.is(btf.string(r.lineOff), want.text);
    assert.is(r.lineCol >>> 10, want.line);
    assert.is(r.lineCol & 0x3ff, want.column);
  });
});

test('dump({ lineInfo: true }) prints `; <line> @ <file>:<n>` before the instructions of each line', () => {
  const c = counter();
  const text = dump(c, { lineInfo: true }).split('\n');
  const at = text.indexOf(`; ${SOURCE[lineOf('update') - 1].trim()} @ ${basename(THIS_FILE)}:${lineOf('update')}`);
  assert.ok(at >= 0, text.join('\n'));
  assert.match(text[at + 1], /^\d+: \(/);
  assert.is(dump(c), dump({ insns: c.insns }), 'without the option the dump is unchanged');
});

test('compile(…, { lineInfo: false }) leaves line info and BTF out', () => {
  const c = compile(program('plain', 'socket_filter', () => 0), { lineInfo: false });
  assert.is(c.lineInfo, undefined);
  assert.is(c.btf, undefined);
});

test('btfFuncName makes C identifiers', () => {
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 20 }), (name) => {
    assert.match(btfFuncName(name), /^[A-Za-z_][A-Za-z0-9_]*$/);
  }));
});

test('the offline verifier reports a rejection at the TS line of the failing statement', () => {
  const fmt = parseTracepointFormat('name: far\nID: 1\nformat:\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\tfield:long far;\toffset:9000;\tsize:8;\tsigned:1;\n');
  const c = compile(program('far_read', 'tracepoint', ($, ctx) => {
    const x = $.let(u64, 1n);
    const far = $.let(u64, ctx.args.far.cast(u64)); // @line:far
    return x.add(far).cast(u32);
  }, { tracepointFormat: fmt }));
  const r = verifyCompiled(c);
  assert.is(r.verdict, 'reject');
  assert.match(r.error ?? '', /invalid bpf_context access off=9000/);
  assert.is(r.source?.file, THIS_FILE);
  assert.is(r.source?.line, lineOf('far'));
});

test.run();
