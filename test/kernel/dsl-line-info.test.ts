/**
 * The eDSL's line info in the live kernel: a program loaded by `loadCompiled` carries its BTF,
 * func_info and line_info, so the kernel's level-2 verifier log prints `; <statement> @
 * <this file>:<line>` at the lines where this file wrote the statements (found in this file's
 * own text by their `@line:` markers); bpftool's `dump xlated … linum` prints the same file and
 * line; a program the kernel rejects is reported as a VerifierError at the failing statement's
 * line, the same line the offline verifier names; loadProgramSet loads with line info too.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { compile, loadCompiled, loadProgramSet, program, u32, u64, verifyCompiled, type CompiledProgram } from '../../src/dsl/index.js';
import { VerifierError } from '../../src/programs/index.js';
import { parseTracepointFormat } from '../../src/tracefs/format.js';
import { progInfo } from '../../syscalls/index.js';
import { kernelTest } from '../support/kernel.js';
import { olderThanTables } from '../support/kernel-lacks.js';
import { sourceLines } from '../support/source-lines.js';

const test = suite('dsl line info (kernel)');

const { file: THIS_FILE, lines: SOURCE, lineOf } = sourceLines(import.meta.url);

function counter(name: string): CompiledProgram {
  return compile(program(name, 'socket_filter', ($) => {
    const counts = $.array('counts', u64, { maxEntries: 4 });
    const key = $.let(u32, 3); // @line:let
    counts.update(key, 5n); // @line:update
    $.ifSome(counts.lookup(key), (v) => { v.atomicAdd(1n); }); // @line:ifSome
    return 1;
  }));
}

/** The kernel prints ` @ file:line` after the line text since 6.2; older kernels print the text alone. */
function sourceLinePattern(tag: string): RegExp {
  const text = SOURCE[lineOf(tag) - 1].trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return olderThanTables() === null ? new RegExp(`^; ${text} @ ${basename(THIS_FILE).replace(/\./g, '\\.')}:${lineOf(tag)}$`, 'm') : new RegExp(`^; ${text}`, 'm');
}

kernelTest(test, "the level-2 verifier log shows each statement's line of this file", () => {
  const loaded = loadCompiled(counter('li_log'), { logLevel: 2 });
  try {
    for (const tag of ['let', 'update', 'ifSome']) assert.match(loaded.log, sourceLinePattern(tag), `${tag} in:\n${loaded.log}`);
  } finally {
    loaded.close();
  }
});

const BPFTOOL = ['/usr/sbin/bpftool', '/usr/bin/bpftool', '/usr/local/sbin/bpftool'].find((p) => existsSync(p));

kernelTest(test, 'bpftool prog dump xlated … linum prints our file and lines', () => {
  using set = loadProgramSet([counter('li_bpftool')]);
  const id = progInfo(set.progFds.li_bpftool).id;
  const out = execFileSync(BPFTOOL!, ['prog', 'dump', 'xlated', 'id', String(id), 'linum'], { encoding: 'utf8' });
  for (const tag of ['let', 'update', 'ifSome']) {
    assert.ok(out.includes(`[file:${THIS_FILE} line_num:${lineOf(tag)} `), `${tag} (line ${lineOf(tag)}) in:\n${out}`);
  }
}, () => (BPFTOOL === undefined ? 'bpftool is not installed' : null));

kernelTest(test, 'a rejected program is a VerifierError at the TS line of the failing statement, as offline', () => {
  const fmt = parseTracepointFormat('name: far\nID: 1\nformat:\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\tfield:long far;\toffset:9000;\tsize:8;\tsigned:1;\n');
  const c = compile(program('li_reject', 'tracepoint', ($, ctx) => {
    const x = $.let(u64, 1n);
    const far = $.let(u64, ctx.args.far.cast(u64)); // @line:far
    return x.add(far).cast(u32);
  }, { tracepointFormat: fmt }));
  let caught: unknown;
  try {
    loadCompiled(c).close();
  } catch (err) {
    caught = err;
  }
  assert.instance(caught, VerifierError);
  const e = caught as VerifierError;
  assert.match(e.error, /invalid bpf_context access off=9000/);
  assert.is(e.source, `${THIS_FILE}:${lineOf('far')}`);
  assert.ok(e.message.endsWith(` at ${THIS_FILE}:${lineOf('far')}`), e.message);
  const offline = verifyCompiled(c);
  assert.is(offline.verdict, 'reject');
  assert.is(offline.insn, e.insn);
  assert.is(offline.source?.line, lineOf('far'));
});

test.run();
