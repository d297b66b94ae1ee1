/**
 * The offline verifier against the case table (verdict, first error line, processed count
 * where recorded), plus its log format and tnum/bounds building blocks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Call, Exit, JGT, LoadMem, Mov, R0, R1, R2, R5, Size, Label, resolve } from 'ebpf-bytecode-utils';
import { verify, tnumAdd, tnumConst, tnumRange, tnumToString, tnumMul, tnumIn, TNUM_UNKNOWN } from '../../verifier-sim/verifier/index.js';
import { verifierCases } from './verifier-cases.test.js';

for (const c of verifierCases) {
  test(`case: ${c.name}`, () => {
    const r = verify(c.insns, { progType: c.progType, expectedAttachType: c.expectedAttachType, license: c.license, maps: c.maps });
    assert.is(r.verdict, c.verdict, 'verdict');
    assert.is(r.error, c.error, 'error line');
    if (c.processed !== undefined) assert.is(r.processed, c.processed, 'processed');
    assert.is(r.log, '', 'no log at level 0');
  });
}

test('level 1 log of an accepted program is only the statistics line', () => {
  const r = verify([Mov.imm(R0, 0), Exit()], { progType: 'socket_filter', logLevel: 1 });
  assert.is(r.log, 'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n');
});

test('level 1 log of a rejected program shows the failing path, the error and the statistics', () => {
  const prog = resolve([LoadMem(R0, R1, 0, Size.W), JGT.imm(R0, 10, 'bad'), Exit(), Label('bad'), Mov.reg(R0, R5), Exit()]).instructions;
  const r = verify(prog, { progType: 'socket_filter', logLevel: 1 });
  const lines = r.log.trimEnd().split('\n');
  assert.ok(lines.includes('3: (bf) r0 = r5'), r.log);
  assert.is(lines[0], '0: R1=ctx() R10=fp0');
  assert.is(lines[1], '0: (61) r0 = *(u32 *)(r1 +0)          ; R0=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R1=ctx()');
  // The kernel rewinds the log to where the branch was pushed, which cuts the jump's state tail mid-padding.
  assert.is(lines[2], '1: (25) if r0 > 0xa goto pc+1 3: R0=scalar(smin=umin=umin32=11,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R1=ctx() R10=fp0');
  assert.ok(!lines.includes('2: (95) exit'), 'the finished path was rewound');
  assert.is(lines[lines.length - 2], 'R5 !read_ok');
  assert.match(lines[lines.length - 1], /^processed 4 insns \(limit 1000000\) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0$/);
  assert.is(r.insn, 3);
});

test('subprogram calls print the caller and callee frames, and the return', () => {
  const prog = resolve([Mov.imm(R1, 3), Call.subprog('f'), Exit(), Label('f'), Mov.reg(R0, R1), Exit()]).instructions;
  const r = verify(prog, { progType: 'socket_filter', logLevel: 1, maps: [] });
  assert.is(r.verdict, 'accept');
  const lines = verify(resolve([Mov.imm(R1, 3), Call.subprog('f'), Mov.reg(R0, R2), Exit(), Label('f'), Mov.reg(R0, R1), Exit()]).instructions, { progType: 'socket_filter', logLevel: 1 }).log.split('\n');
  assert.ok(lines.includes('caller:'), lines.join('\n'));
  assert.ok(lines.includes(' frame1: R1=3 R10=fp0'), lines.join('\n'));
  assert.ok(lines.includes('to caller at 2:'), lines.join('\n'));
  assert.ok(lines.includes('R2 !read_ok'), lines.join('\n'));
});

test('level 2 log names the subprograms and keeps every path', () => {
  const prog = resolve([LoadMem(R0, R1, 0, Size.W), JGT.imm(R0, 10, 'big'), Exit(), Label('big'), Mov.imm(R0, 0), Exit()]).instructions;
  const lines = verify(prog, { progType: 'socket_filter', logLevel: 2 }).log.split('\n');
  assert.is(lines[0], 'func#0 @0');
  assert.ok(lines.includes('2: (95) exit'), 'the first path stays in the log');
  assert.ok(lines.some((l) => l.startsWith('from 1 to 3: R0=scalar(')), lines.join('\n'));
});

test('structural errors have no instruction trace and count nothing', () => {
  const r = verify([Mov.imm(R0, 0)], { progType: 'socket_filter', logLevel: 1 });
  assert.is(r.log, 'last insn is not an exit or jmp\nprocessed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n');
  assert.is(r.processed, 0);
});

test('unknown program and map types are bad input', () => {
  assert.throws(() => verify([Mov.imm(R0, 0), Exit()], { progType: 'nope' }), /unknown program type/);
  assert.throws(() => verify([Mov.imm(R0, 0), Exit()], { progType: 'xdp', maps: [{ type: 'nope', keySize: 4, valueSize: 4, maxEntries: 1 }] }), /unknown map type/);
});

test('tnum arithmetic and printing follow kernel/bpf/tnum.c and log.c', () => {
  assert.is(tnumToString(tnumRange(0n, 0xffffffffn)), '(0x0; 0xffffffff)');
  assert.is(tnumToString(tnumConst(0n)), '0');
  assert.is(tnumToString(tnumConst(70000n)), '0x11170');
  assert.equal(tnumAdd(tnumConst(3n), tnumConst(4n)), tnumConst(7n));
  assert.equal(tnumMul(tnumConst(6n), tnumConst(7n)), tnumConst(42n));
  assert.ok(tnumIn(TNUM_UNKNOWN, tnumConst(5n)));
  assert.ok(!tnumIn(tnumConst(5n), TNUM_UNKNOWN));
});

test.run();
