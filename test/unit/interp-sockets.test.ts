/**
 * The interpreter's socket lookups over the environment's fake socket table: NULL without a
 * table or a match, the socket's `struct bpf_sock` bytes when the tuple matches, `bpf_sk_release`
 * once and only for what a lookup returned (each program is first accepted by `verify()`, so
 * the interpreter's checks catch what the verifier cannot see). The kernel's agreement is in
 * test/kernel/verifier-sockets-vs-kernel.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Add, Call, Exit, JEq, Label, LoadMem, LSh, Mov, Or, R0, R1, R2, R3, R4, R5, R6, R7, R8, R10, Size, StoreImm, resolve, type Instruction, type ProgramItem } from 'ebpf-bytecode-utils';
import { Interpreter, InterpreterError, type FakeSocket } from '../../verifier-sim/interpreter/index.js';
import { verify } from '../../verifier-sim/verifier/index.js';

const DATA = new Uint8Array(64);

/** A tuple at fp-16 (`saddr`, `daddr` as written little-endian u32s, `sport`, `dport` u16s), then `helper(ctx, fp-16, size, netns, flags)`. */
function lookup(helper: number, tuple: { saddr: number; daddr: number; sport: number; dport: number }, size = 12, netns = -1, flags = 0): ProgramItem[] {
  return [
    StoreImm(R10, -16, tuple.saddr, Size.W), StoreImm(R10, -12, tuple.daddr, Size.W), StoreImm(R10, -8, tuple.sport, Size.H), StoreImm(R10, -6, tuple.dport, Size.H), StoreImm(R10, -4, 0, Size.W),
    Mov.reg(R1, R6), Mov.reg(R2, R10), Add.imm(R2, -16), Mov.imm(R3, size), Mov.imm(R4, netns), Mov.imm(R5, flags), Call.helper(helper),
  ];
}

const TUPLE = { saddr: 0x0100000a, daddr: 0x0200000a, sport: 0x3930, dport: 0x5000 };

/** The fake socket the tuple above finds: the tuple's bytes, and `family = 2`, `src_port = 80` in `struct bpf_sock`. */
function socket(protocol: 'tcp' | 'udp'): FakeSocket {
  const tuple = new Uint8Array(12);
  const t = new DataView(tuple.buffer);
  t.setUint32(0, TUPLE.saddr, true);
  t.setUint32(4, TUPLE.daddr, true);
  t.setUint16(8, TUPLE.sport, true);
  t.setUint16(10, TUPLE.dport, true);
  const sock = new Uint8Array(80);
  new DataView(sock.buffer).setUint32(4, 2, true);
  new DataView(sock.buffer).setUint32(44, 80, true);
  return { protocol, tuple, sock };
}

/** What {@link program} returns for {@link socket}: `AF_INET << 16 | 80`. */
const FOUND = (2n << 16n) | 80n;

/** `family << 16 | src_port` of the socket found (released), or 0x7fff. */
function program(helper: number, tuple = TUPLE, size = 12, netns = -1, flags = 0): Instruction[] {
  return resolve([
    Mov.reg(R6, R1), ...lookup(helper, tuple, size, netns, flags), JEq.imm(R0, 0, 'none'),
    LoadMem(R7, R0, 4, Size.W), LoadMem(R8, R0, 44, Size.W), Mov.reg(R1, R0), Call.helper(86),
    LSh.imm(R7, 16), Or.reg(R7, R8), Mov.reg(R0, R7), Exit(),
    Label('none'), Mov.imm(R0, 0x7fff), Exit(),
  ]).instructions;
}

function run(insns: Instruction[], sockets: readonly FakeSocket[] = []): bigint {
  const v = verify(insns, { progType: 'sched_cls' });
  assert.is(v.verdict, 'accept', v.error ?? '');
  return new Interpreter(insns, { progType: 'sched_cls', env: { sockets } }).run({ data: DATA }).retval;
}

test('lookups return NULL without a socket table', () => {
  for (const helper of [84, 85, 99]) assert.is(run(program(helper)), 0x7fffn, `helper ${helper}`);
});

test('a matching tuple finds the socket, whose fields the program reads', () => {
  assert.is(run(program(84), [socket('tcp')]), FOUND);
  assert.is(run(program(99), [socket('tcp')]), FOUND);
  assert.is(run(program(85), [socket('udp')]), FOUND);
});

test('the protocol, tuple bytes, tuple size, netns and flags must all fit', () => {
  assert.is(run(program(85), [socket('tcp')]), 0x7fffn, 'udp lookup of a tcp socket');
  assert.is(run(program(84, { ...TUPLE, dport: 0x5100 }), [socket('tcp')]), 0x7fffn, 'another port');
  assert.is(run(program(84, TUPLE, 11), [socket('tcp')]), 0x7fffn, 'tuple of 11 bytes');
  assert.is(run(program(84, TUPLE, 12, 0), [socket('tcp')]), 0x7fffn, 'netns id 0 (not the caller\'s)');
  assert.is(run(program(84, TUPLE, 12, -1, 1), [socket('tcp')]), 0x7fffn, 'flags 1');
});

test('bpf_sk_release of a socket released before stops the run', () => {
  // verify() rejects the second release (the copy became a scalar); the interpreter, run
  // directly, must stop too.
  const insns = resolve([
    Mov.reg(R6, R1), ...lookup(84, TUPLE), JEq.imm(R0, 0, 'none'), Mov.reg(R7, R0), Mov.reg(R1, R0), Call.helper(86), Mov.reg(R1, R7), Call.helper(86),
    Label('none'), Mov.imm(R0, 0), Exit(),
  ]).instructions;
  assert.is(verify(insns, { progType: 'sched_cls' }).error, 'R1 type=scalar expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_');
  const vm = new Interpreter(insns, { progType: 'sched_cls', env: { sockets: [socket('tcp')] } });
  assert.throws(() => vm.run({ data: DATA }), (e: unknown) => e instanceof InterpreterError && e.kind === 'helper_args' && /already released/.test(e.message));
});

test('bpf_sk_release of something no lookup returned stops the run', () => {
  const insns = resolve([Mov.reg(R1, R10), Add.imm(R1, -8), Call.helper(86), Mov.imm(R0, 0), Exit()]).instructions;
  const vm = new Interpreter(insns, { progType: 'sched_cls' });
  assert.throws(() => vm.run({ data: DATA }), (e: unknown) => e instanceof InterpreterError && e.kind === 'helper_args' && /not a socket returned by a lookup/.test(e.message));
});

test('a released socket can no longer be read', () => {
  const insns = resolve([Mov.reg(R6, R1), ...lookup(84, TUPLE), JEq.imm(R0, 0, 'none'), Mov.reg(R7, R0), Mov.reg(R1, R0), Call.helper(86), LoadMem(R0, R7, 4, Size.W), Exit(), Label('none'), Mov.imm(R0, 0), Exit()]).instructions;
  const vm = new Interpreter(insns, { progType: 'sched_cls', env: { sockets: [socket('tcp')] } });
  assert.throws(() => vm.run({ data: DATA }), (e: unknown) => e instanceof InterpreterError && e.kind === 'memory');
});

test('a socket cannot be written', () => {
  const insns = resolve([Mov.reg(R6, R1), ...lookup(84, TUPLE), JEq.imm(R0, 0, 'none'), Mov.reg(R7, R0), StoreImm(R7, 4, 1, Size.W), Label('none'), Mov.imm(R0, 0), Exit()]).instructions;
  const vm = new Interpreter(insns, { progType: 'sched_cls', env: { sockets: [socket('tcp')] } });
  assert.throws(() => vm.run({ data: DATA }), (e: unknown) => e instanceof InterpreterError && e.kind === 'memory');
});

test('the compiled tier agrees', () => {
  const insns = program(84);
  const r = new Interpreter(insns, { progType: 'sched_cls', env: { sockets: [socket('tcp')] }, compile: true }).run({ data: DATA });
  assert.is(r.retval, FOUND);
});

test.run();
