// removeUnreachable: the kernel rejects unreachable instructions ('unreachable insn N'), so the
// eDSL drops what no path reaches. Found by test/kernel/dsl-fuzz.test.ts (seed 1907100212).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Exit, JEq, Ja, Label, Mov, R0, R1, disassembleKernel, resolve } from 'ebpf-bytecode-utils';
import { removeUnreachable } from '../../src/dsl/dead-code.js';

const text = (items: Parameters<typeof resolve>[0]) => disassembleKernel(resolve(items).instructions);

test('drops code after exit and after an unconditional jump, keeps both branches of a condition', () => {
  const items = [
    JEq.imm(R1, 0, 'else'),
    Mov.imm(R0, 1),
    Exit(),
    Mov.imm(R0, 7), // unreachable: after exit, no label
    Label('else'),
    Mov.imm(R0, 2),
    Ja('end'),
    Mov.imm(R0, 9), // unreachable: after goto
    Label('end'),
    Exit(),
  ];
  assert.equal(text(removeUnreachable(items)), [
    '0: (15) if r1 == 0x0 goto pc+2',
    '1: (b7) r0 = 1',
    '2: (95) exit',
    '3: (b7) r0 = 2',
    '4: (05) goto pc+0',
    '5: (95) exit',
  ]);
});

test('a join point both of whose branches return disappears', () => {
  const items = [JEq.imm(R1, 0, 'else'), Mov.imm(R0, 1), Exit(), Label('else'), Mov.imm(R0, 2), Exit(), Label('join'), Mov.imm(R0, 3), Exit()];
  assert.is(text(removeUnreachable(items)).length, 5);
});

test('programs with numeric jump offsets are left alone; fully reachable ones are returned as they are', () => {
  const numeric = [JEq.imm(R1, 0, 1), Exit(), Mov.imm(R0, 0), Exit(), Mov.imm(R0, 5)];
  assert.is(removeUnreachable(numeric), numeric);
  const reachable = [Mov.imm(R0, 0), Exit()];
  assert.is(removeUnreachable(reachable), reachable);
});

test.run();
