import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Call, EncodeError, Exit, Gotol, JEq, JGT, Ja, Label, LoadFunc, LoadImm64, LoadMapPtr, LoadMapValue, Mov, Pseudo, R0, R1, R2,
  UnresolvedReferenceError, encode, encodeProgram, resolve, disassembleKernel, type ProgramItem,
} from 'ebpf-bytecode-utils';

test('labels resolve to slot-relative offsets, counting ld_imm64 as two slots', () => {
  const { instructions, labels } = resolve([
    Mov.imm(R0, 0),
    JGT.imm(R1, 5, 'out'),
    LoadImm64(R2, 1n << 40n),
    Ja('out'),
    Label('back'),
    Mov.imm(R0, 1),
    JEq.imm(R1, 0, 'back'),
    Label('out'),
    Exit(),
  ]);
  assert.equal(disassembleKernel(instructions), [
    '0: (b7) r0 = 0',
    '1: (25) if r1 > 0x5 goto pc+5',
    '2: (18) r2 = 0x10000000000',
    '4: (05) goto pc+2',
    '5: (b7) r0 = 1',
    '6: (15) if r1 == 0x0 goto pc-2',
    '7: (95) exit',
  ]);
  assert.equal([...labels], [['back', 5], ['out', 7]]);
});

test('subprogram calls, function addresses and gotol resolve to imm', () => {
  const { instructions } = resolve([Call.subprog('f'), LoadFunc(R1, 'f'), Gotol('f'), Exit(), Label('f'), Mov.imm(R0, 0), Exit()]);
  assert.equal(disassembleKernel(instructions).slice(0, 3), ['0: (85) call pc+4', '1: (18) r1 = 0x3', '3: (06) gotol pc+1']);
});

test('maps by name: fds give MAP_FD/MAP_VALUE, fd_array indexes give MAP_IDX/MAP_IDX_VALUE', () => {
  const items: ProgramItem[] = [LoadMapPtr(R1, 'events'), LoadMapValue(R2, 'data', 8), Exit()];
  const byFd = resolve(items, { maps: { events: 7, data: 9 } }).instructions;
  assert.equal([byFd[0].src, byFd[0].imm], [Pseudo.MAP_FD, 7n]);
  assert.equal([byFd[1].src, byFd[1].imm], [Pseudo.MAP_VALUE, (8n << 32n) | 9n]);
  const byIndex = resolve(items, { maps: (name) => ({ index: name === 'events' ? 0 : 1 }) }).instructions;
  assert.equal([byIndex[0].src, byIndex[0].imm], [Pseudo.MAP_IDX, 0n]);
  assert.equal([byIndex[1].src, byIndex[1].imm], [Pseudo.MAP_IDX_VALUE, (8n << 32n) | 1n]);
});

test('kfuncs by name', () => {
  const [call] = resolve([Call.kfunc('bpf_rcu_read_lock')], { kfuncs: (name) => (name === 'bpf_rcu_read_lock' ? { id: 4242, moduleIndex: 0 } : undefined) }).instructions;
  assert.equal([call.src, call.imm, call.off], [2, 4242, 0]);
});

test('unresolved references name the instruction and the symbol', () => {
  const cases: [ProgramItem[], string, RegExp][] = [
    [[Mov.imm(R0, 0), Ja('nowhere'), Exit()], 'nowhere', /instruction 1: unknown label 'nowhere'/],
    [[LoadMapPtr(R1, 'events'), Exit()], 'events', /instruction 0: unknown map 'events'/],
    [[Call.kfunc('bpf_x')], 'bpf_x', /instruction 0: unknown kfunc 'bpf_x'/],
  ];
  for (const [items, symbol, message] of cases) {
    try {
      resolve(items);
      assert.unreachable('should throw');
    } catch (e) {
      assert.instance(e, UnresolvedReferenceError);
      assert.is((e as UnresolvedReferenceError).symbol, symbol);
      assert.match((e as Error).message, message);
    }
  }
  assert.throws(() => encode([Ja('x')]), (e: unknown) => e instanceof UnresolvedReferenceError && /unresolved jump reference to 'x'/.test((e as Error).message));
});

test('a jump beyond s16 is an EncodeError naming the instruction; gotol reaches it', () => {
  const far: ProgramItem[] = [Ja('end'), ...Array.from({ length: 40000 }, () => Mov.imm(R0, 0)), Label('end'), Exit()];
  assert.throws(() => resolve(far), (e: unknown) => e instanceof EncodeError && /instruction 0: jump to 'end' is out of range: offset 40000/.test((e as Error).message));
  const ok = encodeProgram([Gotol('end'), ...far.slice(1)]);
  assert.is(ok.instructions[0].imm, 40000);
  assert.throws(() => resolve([Label('a'), Label('a'), Exit()]), /label 'a' is defined twice/);
});

test('builders reject bad operands with the builder name', () => {
  assert.throws(() => Mov.imm(11 as never, 0), /Mov.imm: 11 is not a register/);
  assert.throws(() => Mov.imm(R0, 2 ** 33), /Mov.imm: immediate 8589934592 does not fit in 32 bits/);
  assert.throws(() => JEq.imm(R0, 0, 70000), /JEq.imm: offset 70000 does not fit in s16/);
  assert.throws(() => LoadImm64(R0, 1n << 64n), /LoadImm64: 18446744073709551616 does not fit in 64 bits/);
  assert.throws(() => Label(''), /Label: name must be a non-empty string/);
});

test.run();
