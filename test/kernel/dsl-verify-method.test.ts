/**
 * `program.verify()`: the offline verifier on what `compile` makes of an eDSL program, before
 * anything is loaded. Its verdict, first error line, failing instruction and TypeScript line are
 * checked against the live kernel loading the same program (a rejection there is a
 * VerifierError); an accepted program with a subprogram, a bpf_loop callback and kfunc calls is
 * accepted by both. Programs compare by their data: the method lives on a shared prototype.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compile, loadCompiled, program, u32, u64, type Program } from '../../src/dsl/index.js';
import { VerifierError } from '../../src/programs/index.js';
import { parseTracepointFormat } from '../../src/tracefs/format.js';
import { struct } from '../../src/types/index.js';
import { kernelTest } from '../support/kernel.js';
import { kfuncMissing } from '../support/kernel-lacks.js';
import { sourceLines } from '../support/source-lines.js';

const test = suite('dsl program.verify (kernel)');

const { file: THIS_FILE, lineOf } = sourceLines(import.meta.url);

/** Loads `p` into the kernel: null when accepted, else the VerifierError. */
function kernelVerdict(p: Program): VerifierError | null {
  try {
    loadCompiled(compile(p)).close();
    return null;
  } catch (e) {
    if (e instanceof VerifierError) return e;
    throw e;
  }
}

const Acc = struct('acc', { total: u64 });

/** Why this kernel cannot run {@link accepted}: bpf_loop and the RCU kfuncs (6.2+). */
const acceptedMissing = () => kfuncMissing('bpf_rcu_read_lock');

/** Sums scale(i) for i < 50 through a bpf_loop callback calling a subprogram that reads ctx. */
const accepted = () => program('verify_ok', 'socket_filter', ($, ctx) => {
  const scale = $.func('scale', [u64], u64, ($, x) => x.mul(ctx.len.cast(u64)));
  const acc = $.struct(Acc, { total: 0n });
  $.loop(100, acc, (i, a) => {
    $.if(i.eq(50), () => $.break());
    a.field('total').set(a.field('total').get().add(scale.call(i.cast(u64))));
  });
  $.kfunc('bpf_rcu_read_lock');
  $.kfunc('bpf_rcu_read_unlock');
  return acc.field('total').get().cast(u32);
});

kernelTest(test, 'the kernel accepts what program.verify() accepts; programs still compare by their data', async () => {
  const p = accepted();
  const r = await p.verify();
  assert.is(r.verdict, 'accept', r.log);
  assert.is(r.error, null);
  assert.ok(r.processed > 0);
  assert.not.ok(Object.keys(p).includes('verify'));
  assert.equal(p, accepted(), 'two builds of one program are equal data');
  assert.is(kernelVerdict(p), null);
}, acceptedMissing);

kernelTest(test, 'a rejection: same message, instruction and TypeScript line as the kernel', async () => {
  const fmt = parseTracepointFormat('name: far\nID: 1\nformat:\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\tfield:long far;\toffset:9000;\tsize:8;\tsigned:1;\n');
  const p = program('verify_bad', 'tracepoint', ($, ctx) => {
    const x = $.let(u64, 1n);
    const far = $.let(u64, ctx.args.far.cast(u64)); // @line:far
    return x.add(far).cast(u32);
  }, { tracepointFormat: fmt });
  const offline = await p.verify();
  assert.is(offline.verdict, 'reject');
  assert.is(offline.source?.line, lineOf('far'));
  const kernel = kernelVerdict(p);
  assert.instance(kernel, VerifierError);
  assert.is(offline.error, kernel!.error);
  assert.is(offline.insn, kernel!.insn);
  assert.is(kernel!.source, `${THIS_FILE}:${lineOf('far')}`);
});

test.run();
