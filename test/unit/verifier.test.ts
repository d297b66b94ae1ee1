/**
 * The offline verifier against the case table (verdict, first error line, processed count
 * where recorded), plus its log format and tnum/bounds building blocks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Add, Call, Exit, JGT, Ja, LoadMem, MayGoto, Mov, R0, R1, R2, R5, Size, Label, makeInstruction, resolve } from 'ebpf-bytecode-utils';
import { computeSccs } from '../../verifier-sim/verifier/scc.js';
import { toSlots } from '../../verifier-sim/verifier/program-slots.js';
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

test('loops are the non-trivial strongly connected components of the control-flow graph', () => {
  // 0: r0 = 0; 1: r0 += 1; 2: if r0 > 3 goto 4; 3: goto 1; 4: r0 = 0; 5: exit
  const loop = resolve([Mov.imm(R0, 0), Label('l'), Add.imm(R0, 1), JGT.imm(R0, 3, 'o'), Ja('l'), Label('o'), Mov.imm(R0, 0), Exit()]).instructions;
  assert.equal([...computeSccs(toSlots(loop))], [0, 1, 1, 1, 0, 0]);
  // A jump to itself is a loop of one instruction; straight code has none.
  assert.equal([...computeSccs(toSlots([Mov.imm(R0, 0), Ja(-1), Exit()]))], [0, 1, 0]);
  assert.equal([...computeSccs(toSlots([Mov.imm(R0, 0), Exit()]))], [0, 0]);
});

test('level 2 log of a may_goto loop: live registers with SCC ids, widening, SCC enter/backedge/exit', () => {
  // Kernel text captured from Linux 6.18 (log_level 2) for the same program.
  const prog = resolve([Mov.imm(R0, 0), Label('l'), MayGoto('out'), Add.imm(R0, 1), Ja('l'), Label('out'), Exit()]).instructions;
  const lines = verify(prog, { progType: 'socket_filter', logLevel: 2 }).log.split('\n');
  assert.equal(lines.slice(0, 7), ['func#0 @0', 'Live regs before insn:', '      0: .......... (b7) r0 = 0', '  1   1: 0......... (e5) may_goto pc+2', '  1   2: 0......... (07) r0 += 1', '  1   3: 0......... (05) goto pc-3', '      4: 0......... (95) exit']);
  assert.ok(lines.includes('SCC enter (1)'), lines.join('\n'));
  assert.ok(lines.includes('from 1 to 2: R0=scalar() R1=ctx() R10=fp0'), 'the second iteration is widened');
  const tail = lines.slice(-6);
  assert.equal(tail, ['3: (05) goto pc-3', 'SCC backedge (1)', '1: safe', 'SCC exit (1)', 'processed 14 insns (limit 1000000) max_states_per_insn 2 total_states 3 peak_states 4 mark_read 0', '']);
});

test('byte swaps keep what the tnum knows (scalar_byte_swap)', () => {
  // r0 = *(u32 *)(r1 + 0); r0 &= 0xff0; r0 = be16 r0: bytes swapped, so the low nibble of the
  // high byte becomes unknown bits 0xf0 of the low byte, and so on.
  const prog = resolve([LoadMem(R0, R1, 0, Size.W), makeInstruction(0x57, 0, 0, 0, 0xff0), makeInstruction(0xdc, 0, 0, 0, 16), Exit()]).instructions;
  const lines = verify(prog, { progType: 'socket_filter', logLevel: 2 }).log.split('\n');
  const line = lines.find((l) => l.startsWith('2: (dc) r0 = be16 r0'));
  assert.ok(line !== undefined && line.includes('var_off=(0x0; 0xf00f)'), line);
});

test.run();
