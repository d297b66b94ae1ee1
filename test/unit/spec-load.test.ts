// Program.load and loadSpec against a fake backend: the BPF_PROG_LOAD attr a spec produces (map
// fds relocated, fd_array, expected attach type), VerifierError fields from a scripted log, and
// that a failed load closes every object it created. No kernel needed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BpfCmd, Errno, installBackend } from '../../syscalls/index.js';
import { Program, VerifierError } from '../../src/programs/index.js';
import { parseProgramSpec } from '../../src/spec/index.js';
import { loadSpec } from '../../src/spec/load-spec.js';
import { FakeBackend, type FakeBpfHandler } from '../support/fake-backend.js';

const rd32 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
const rd64 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);
const EXIT0 = 'b700000000000000 9500000000000000';

const cleanups: (() => void)[] = [];
function withFake(handler?: FakeBpfHandler): FakeBackend {
  const fake = new FakeBackend(handler);
  cleanups.push(installBackend(fake));
  return fake;
}

const test = suite('spec: Program.load and loadSpec (fake backend)');
test.after.each(() => {
  while (cleanups.length) cleanups.pop()!();
});

const REJECT_LOG = '0: R1=ctx() R10=fp0\n0: (95) exit\nR0 !read_ok\nprocessed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n';

/** PROG_LOAD fails with EACCES; at log level > 0 it writes REJECT_LOG. */
function rejecting(cmd: number, attr: Uint8Array, fake: FakeBackend): number {
  if (cmd !== BpfCmd.PROG_LOAD) return 50;
  if (rd32(attr, 24) > 0) {
    const buf = fake.buffer(rd64(attr, 32))!;
    buf.set(new TextEncoder().encode(REJECT_LOG));
  }
  return -Errno.EACCES;
}

test('Program.load: attr fields from the spec', () => {
  const fake = withFake(() => 9);
  const p = Program.load({ type: 'cgroup_skb', insns: Uint8Array.from([0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]), name: 'egress', license: 'MIT', expectedAttachType: 'cgroup_inet_egress', flags: 0, fdArray: [4, 5] });
  const a = fake.calls[0].attr;
  assert.is(rd32(a, 0), 8, 'prog_type cgroup_skb');
  assert.is(rd32(a, 4), 2, 'insn_cnt');
  assert.is(new TextDecoder().decode(fake.buffer(rd64(a, 16))), 'MIT\0');
  assert.is(rd32(a, 68), 1, 'expected_attach_type cgroup_inet_egress');
  assert.equal([...new Int32Array(fake.buffer(rd64(a, 120))!.buffer)], [4, 5], 'fd_array');
  assert.is(p.fd, 9);
  assert.is(p.description, 'program "egress"');
  p.close();
  p.close();
  assert.equal(fake.closed, [9]);
});

test('Program.load: a rejection is a VerifierError with the first error line, insn, log', () => {
  withFake(rejecting);
  try {
    Program.load({ type: 'socket_filter', insns: Uint8Array.from([0x95, 0, 0, 0, 0, 0, 0, 0]), name: 'bad' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, VerifierError);
    const v = e as VerifierError;
    assert.is(v.message, 'load program "bad": R0 !read_ok (insn 0)');
    assert.is(v.error, 'R0 !read_ok');
    assert.is(v.insn, 0);
    assert.is(v.processed, 1);
    assert.is(v.log, REJECT_LOG);
    assert.is(v.code, 'EACCES');
  }
});

test('Program.load: EPERM with an empty log explains the errno', () => {
  withFake(() => -Errno.EPERM);
  try {
    Program.load({ type: 'tracing', insns: Uint8Array.from([0x95, 0, 0, 0, 0, 0, 0, 0]) });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, VerifierError);
    const v = e as VerifierError;
    assert.match(v.message, /^load tracing program: permission denied/);
    assert.is(v.insn, null);
    assert.is(v.log, '');
  }
});

test('loadSpec: maps created and filled, map fds relocated, fd_array for src_reg 5/6', () => {
  let nextFd = 20;
  const fake = withFake((cmd) => (cmd === BpfCmd.MAP_UPDATE_ELEM ? 0 : nextFd++));
  const spec = parseProgramSpec({
    progType: 'socket_filter',
    insns: '1811000000000000 0000000000000000 1862000000000000 0000000008000000 b700000000000000 9500000000000000',
    maps: [
      { type: 'array', keySize: 4, valueSize: 16, maxEntries: 1, init: [{ key: '00000000', value: '2a000000000000000000000000000000' }] },
      { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1 },
    ],
  });
  const loaded = loadSpec(spec);
  const cmds = fake.calls.map((c) => c.cmd);
  assert.equal(cmds, [BpfCmd.MAP_CREATE, BpfCmd.MAP_CREATE, BpfCmd.MAP_UPDATE_ELEM, BpfCmd.PROG_LOAD]);
  const load = fake.calls[3].attr;
  const insns = fake.buffer(rd64(load, 8))!;
  const v = new DataView(insns.buffer);
  // The spec's bytes said map 0 at slot 0; its imm is not what we expect yet: slot 0 refers to maps[1]? No: imm is 0x01 at byte 2 (off), so map 0.
  assert.is(v.getInt32(4, true), 20, 'src_reg 1 → fd of maps[0]');
  assert.is(v.getInt32(20, true), 0, 'src_reg 6 keeps the index');
  assert.is(v.getInt32(28, true), 8, 'value offset kept');
  assert.equal([...new Int32Array(fake.buffer(rd64(load, 120))!.buffer)], [20, 21]);
  assert.is(loaded.program.fd, 22);
  loaded.close();
  assert.equal(fake.closed.sort(), [20, 21, 22]);
});

test('loadSpec: prog_array slots are loaded and stored; a rejection closes everything', () => {
  let nextFd = 30;
  let loads = 0;
  const fake = withFake((cmd, attr, f) => {
    if (cmd === BpfCmd.PROG_LOAD && ++loads === 2) return rejecting(cmd, attr, f);
    if (cmd === BpfCmd.PROG_LOAD && loads > 2) return rejecting(cmd, attr, f);
    return cmd === BpfCmd.MAP_UPDATE_ELEM ? 0 : nextFd++;
  });
  const spec = parseProgramSpec({ progType: 1, insns: EXIT0, maps: [{ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 2, progs: [{ key: 1, insns: EXIT0 }] }] });
  assert.throws(() => loadSpec(spec), (e: unknown) => e instanceof VerifierError);
  const update = fake.calls.find((c) => c.cmd === BpfCmd.MAP_UPDATE_ELEM)!;
  assert.is(rd32(fake.buffer(rd64(update.attr, 8))!, 0), 1, 'slot key');
  assert.is(rd32(fake.buffer(rd64(update.attr, 16))!, 0), 31, 'slot program fd');
  assert.equal(fake.closed.sort(), [30, 31]);
});

test.run();
