import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Add, Atomic, Exit, JGT, Label, LoadAbs, LoadImm64, LoadInd, LoadMapValue, LoadMem, LoadMemSX, Mov, R0, R1, R2, R3, R6, R7, R10, Size,
  StoreImm, StoreMem, resolve, type Instruction, type ProgramItem,
} from 'ebpf-bytecode-utils';
import { Interpreter, InterpreterError, SkBuff, XdpMd, createMap } from '../../verifier-sim/index.js';

const prog = (items: ProgramItem[]): Instruction[] => resolve(items).instructions;
const raw = (insns: Instruction[], ctx?: Uint8Array) => new Interpreter(insns, { progType: 'raw_tracepoint' }).run({ ctx });

function fails(fn: () => unknown, check: (e: InterpreterError) => void): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, InterpreterError);
    check(e as InterpreterError);
    return;
  }
  assert.unreachable('expected an InterpreterError');
}

test('stack: stores and loads of every size, little endian, zero- and sign-extending', () => {
  const r = raw([
    LoadImm64(R1, 0x8899aabbccddeeffn),
    StoreMem(R10, -8, R1, Size.DW),
    LoadMem(R0, R10, -8, Size.B),
    LoadMem(R2, R10, -7, Size.H),
    LoadMemSX(R3, R10, -8, Size.W),
    Add.reg(R0, R2),
    Add.reg(R0, R3),
    Exit(),
  ]);
  assert.is(r.r0, BigInt.asUintN(64, 0xffn + 0xddeen + BigInt.asIntN(64, 0xffffffffccddeeffn)));
});

test('store immediates: DW sign-extends the 32-bit immediate', () => {
  assert.is(raw([StoreImm(R10, -8, -2, Size.DW), LoadMem(R0, R10, -8, Size.DW), Exit()]).r0, 0xfffffffffffffffen);
  assert.is(raw([StoreImm(R10, -8, -1, Size.DW), StoreImm(R10, -8, 0x1234, Size.H), LoadMem(R0, R10, -8, Size.DW), Exit()]).r0, 0xffffffffffff1234n);
});

test('spilled pointers keep their region; filled pointers can be dereferenced', () => {
  const r = raw([StoreImm(R10, -16, 77, Size.W), Mov.reg(R1, R10), Add.imm(R1, -16), StoreMem(R10, -8, R1, Size.DW), LoadMem(R2, R10, -8, Size.DW), LoadMem(R0, R2, 0, Size.W), Exit()]);
  assert.is(r.r0, 77n);
});

test('a partially overwritten spilled pointer becomes a scalar', () => {
  fails(
    () => raw([Mov.reg(R1, R10), StoreMem(R10, -8, R1, Size.DW), StoreImm(R10, -8, 0, Size.B), LoadMem(R2, R10, -8, Size.DW), LoadMem(R0, R2, -8, Size.W), Exit()]),
    (e) => {
      assert.is(e.kind, 'memory');
      assert.is(e.access?.region, 'scalar');
    },
  );
});

test('stack accesses past the frame are out of bounds (with index, region, offset, bounds)', () => {
  fails(
    () => raw([Mov.imm(R0, 0), LoadMem(R0, R10, 0, Size.DW), Exit()]),
    (e) => {
      assert.is(e.kind, 'memory');
      assert.is(e.insn, 1);
      assert.equal(e.access, { type: 'read', size: 8, region: 'stack', offset: 512, bounds: [0, 512] });
      assert.match(e.message, /insn 1: .*stack/);
    },
  );
  fails(() => raw([StoreImm(R10, -516, 0, Size.W), Exit()]), (e) => assert.is(e.access?.offset, -4));
});

test('dereferencing a scalar is an error', () => {
  fails(() => raw([Mov.imm(R1, 4096), LoadMem(R0, R1, 0, Size.W), Exit()]), (e) => assert.match(e.message, /invalid mem access 'scalar'/));
});

test('raw tracepoint context: readable within its size, not writable', () => {
  const ctx = new Uint8Array(16);
  new DataView(ctx.buffer).setBigUint64(8, 0x1122334455n, true);
  assert.is(raw([LoadMem(R0, R1, 8, Size.DW), Exit()], ctx).r0, 0x1122334455n);
  fails(() => raw([LoadMem(R0, R1, 16, Size.W), Exit()], ctx), (e) => assert.is(e.access?.region, 'ctx'));
  fails(() => raw([StoreImm(R1, 0, 1, Size.W), Exit()], ctx), (e) => assert.is(e.access?.type, 'write'));
});

test('xdp: data/data_end are packet pointers; bounds-checked packet reads and writes', () => {
  const frame = new Uint8Array(20).map((_, i) => i);
  const insns = prog([
    LoadMem(R2, R1, XdpMd.data, Size.W),
    LoadMem(R3, R1, XdpMd.data_end, Size.W),
    Mov.reg(R1, R2),
    Add.imm(R1, 14),
    Mov.imm(R0, 1),
    JGT.reg(R1, R3, 'out'),
    LoadMem(R0, R2, 12, Size.H),
    StoreImm(R2, 0, 0xaa, Size.B),
    Label('out'),
    Exit(),
  ]);
  const r = new Interpreter(insns, { progType: 'xdp' }).run({ data: frame });
  assert.is(r.r0, 0x0d0cn);
  assert.is(r.dataOut[0], 0xaa);
  assert.is(r.dataOut.length, 20);
  fails(
    () => new Interpreter([LoadMem(R2, R1, 0, Size.W), LoadMem(R0, R2, 20, Size.B), Exit()], { progType: 'xdp' }).run({ data: frame }),
    (e) => {
      assert.is(e.access?.region, 'packet');
      assert.equal(e.access?.bounds, [256, 276]);
    },
  );
});

test('socket_filter: LD_ABS / LD_IND read network order from the network header; out of bounds returns 0', () => {
  const frame = new Uint8Array(34).map((_, i) => i);
  frame[12] = 0x08;
  frame[13] = 0x00;
  const run = (insns: Instruction[]) => new Interpreter([Mov.reg(R6, R1), ...insns], { progType: 'socket_filter' }).run({ data: frame });
  assert.is(run([LoadAbs(Size.H, 0), Exit()]).retval, 0x0e0fn);
  assert.is(run([LoadAbs(Size.W, 2), Exit()]).retval, 0x10111213n);
  assert.is(run([Mov.imm(R7, 3), LoadInd(Size.B, R7, 1), Exit()]).retval, 18n);
  assert.is(run([LoadAbs(Size.W, 17), Mov.imm(R0, 5), Exit()]).retval, 0n);
  assert.is(run([LoadAbs(Size.H, -0x200000 + 12), Exit()]).retval, 0x0800n);
  const out = run([Mov.imm(R0, 0), Exit()]);
  assert.equal([...out.dataOut.subarray(0, 14)], new Array(14).fill(0));
  assert.is(out.dataOut[14], 14);
});

test('__sk_buff fields: len, protocol (network order), pkt_type, ifindex; ctx_in fields copied', () => {
  const frame = new Uint8Array(60);
  frame.set([0x02, 0, 0, 0, 0, 1], 0);
  frame[12] = 0x86;
  frame[13] = 0xdd;
  const ctx = new Uint8Array(SkBuff.SIZE);
  new DataView(ctx.buffer).setUint32(SkBuff.mark, 99, true);
  const field = (type: string, off: number) => new Interpreter([LoadMem(R0, R1, off, Size.W), Exit()], { progType: type }).run({ data: frame, ctx }).retval;
  assert.is(field('socket_filter', SkBuff.len), 46n);
  assert.is(field('sched_cls', SkBuff.len), 60n);
  assert.is(field('sched_cls', SkBuff.protocol), 0xdd86n);
  assert.is(field('sched_cls', SkBuff.pkt_type), 3n);
  assert.is(field('sched_cls', SkBuff.ifindex), 1n);
  assert.is(field('sched_cls', SkBuff.mark), 99n);
  const out = new Interpreter([StoreImm(R1, SkBuff.mark, 7, Size.W), StoreImm(R1, SkBuff.cb + 4, 8, Size.W), Mov.imm(R0, 0), Exit()], { progType: 'sched_cls' }).run({ data: frame, ctx });
  const v = new DataView(out.ctxOut!.buffer, out.ctxOut!.byteOffset);
  assert.is(v.getUint32(SkBuff.mark, true), 7);
  assert.is(v.getUint32(SkBuff.cb + 4, true), 8);
});

test('map values: pointers from ld_imm64 MAP_VALUE and lookups write through; reads past value_size fail', () => {
  const data = createMap({ type: 'array', keySize: 4, valueSize: 16, maxEntries: 1, name: 'data' });
  const vm = new Interpreter([LoadMapValue(R1, 0, 8), StoreImm(R1, 0, 5, Size.DW), Mov.imm(R2, 3), Atomic.add(R1, 0, R2, Size.DW), LoadMem(R0, R1, 0, Size.DW), Exit()], { progType: 'raw_tracepoint', maps: [data] });
  assert.is(vm.run().r0, 8n);
  assert.is(new DataView(data.get(new Uint8Array(4))!.buffer).getBigUint64(8, true), 8n);
  fails(
    () => new Interpreter([LoadMapValue(R1, 0, 8), LoadMem(R0, R1, 1, Size.DW), Exit()], { progType: 'raw_tracepoint', maps: [data] }).run(),
    (e) => {
      assert.is(e.access?.region, 'map_value');
      assert.match(e.message, /map 'data' value/);
    },
  );
  const ro = createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1, flags: 0x80 });
  fails(() => new Interpreter([LoadMapValue(R1, 0, 0), StoreImm(R1, 0, 1, Size.W), Exit()], { progType: 'raw_tracepoint', maps: [ro] }).run(), (e) => assert.is(e.access?.type, 'write'));
});

const atomicRows: [string, Instruction, bigint, bigint, bigint][] = [
  // name, op (memory at r10-8 = 10, r1 = 3, r0 = 10), expected memory, expected r1, expected r0
  ['add', Atomic.add(R10, -8, R1, Size.DW), 13n, 3n, 10n],
  ['fetch_add', Atomic.fetchAdd(R10, -8, R1, Size.DW), 13n, 10n, 10n],
  ['or', Atomic.or(R10, -8, R1, Size.DW), 11n, 3n, 10n],
  ['fetch_and', Atomic.fetchAnd(R10, -8, R1, Size.DW), 2n, 10n, 10n],
  ['fetch_xor', Atomic.fetchXor(R10, -8, R1, Size.DW), 9n, 10n, 10n],
  ['xchg', Atomic.xchg(R10, -8, R1, Size.DW), 3n, 10n, 10n],
  ['cmpxchg equal', Atomic.cmpxchg(R10, -8, R1, Size.DW), 3n, 3n, 10n],
  ['fetch_add W wraps in 32 bits', Atomic.fetchAdd(R10, -8, R1, Size.W), 13n, 10n, 10n],
  ['load_acquire', Atomic.loadAcquire(R1, R10, -8, Size.H), 10n, 10n, 10n],
  ['store_release', Atomic.storeRelease(R10, -8, R1, Size.DW), 3n, 3n, 10n],
];
for (const [name, op, mem, want1, want0] of atomicRows) {
  test(`atomic: ${name}`, () => {
    const r = raw([StoreImm(R10, -8, 10, Size.DW), Mov.imm(R1, 3), Mov.imm(R0, 10), op, StoreMem(R10, -16, R1, Size.DW), StoreMem(R10, -24, R0, Size.DW), LoadMem(R0, R10, -8, Size.DW), Exit()]);
    assert.is(r.r0, mem);
    const r1 = raw([StoreImm(R10, -8, 10, Size.DW), Mov.imm(R1, 3), Mov.imm(R0, 10), op, Mov.reg(R0, R1), Exit()]).r0;
    const r0 = raw([StoreImm(R10, -8, 10, Size.DW), Mov.imm(R1, 3), Mov.imm(R0, 10), op, Exit()]).r0;
    assert.is(r1, want1);
    assert.is(r0, want0);
  });
}

test('atomic: cmpxchg with a different R0 leaves memory and returns the old value', () => {
  const r = raw([StoreImm(R10, -8, 10, Size.DW), Mov.imm(R1, 3), Mov.imm(R0, 11), Atomic.cmpxchg(R10, -8, R1, Size.DW), LoadMem(R1, R10, -8, Size.DW), Add.reg(R0, R1), Exit()]);
  assert.is(r.r0, 20n);
});

test.run();
