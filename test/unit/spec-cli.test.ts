// `tsbpf kload` / `tsbpf krun` in-process over a fake backend: the JSON Lines result shapes, the
// order of several specs, exit codes 0/1/2, and that every object created is closed. No kernel needed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BpfCmd, Errno, installBackend } from '../../syscalls/index.js';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/command.js';
import { FakeBackend } from '../support/fake-backend.js';

const rd32 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
const rd64 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);
const LOG_OK = 'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n';
const LOG_BAD = '0: R1=ctx() R10=fp0\n0: (95) exit\nR0 !read_ok\nprocessed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n';

/** A kernel stand-in: programs whose first byte is 0x95 (a bare exit) are rejected. */
function fakeKernel(): FakeBackend {
  let nextFd = 100;
  return new FakeBackend((cmd, attr, f) => {
    if (cmd === BpfCmd.PROG_LOAD) {
      const insns = f.buffer(rd64(attr, 8))!;
      const bad = insns[0] === 0x95;
      if (rd32(attr, 24) > 0) f.buffer(rd64(attr, 32))!.set(new TextEncoder().encode(bad ? LOG_BAD : LOG_OK));
      return bad ? -Errno.EACCES : nextFd++;
    }
    if (cmd === BpfCmd.PROG_TEST_RUN) {
      new DataView(attr.buffer, attr.byteOffset).setUint32(4, 0x2a, true); // retval
      const n = rd32(attr, 8);
      const out = f.buffer(rd64(attr, 24));
      const input = f.buffer(rd64(attr, 16));
      if (out && input) out.set(input.subarray(0, n));
      new DataView(attr.buffer, attr.byteOffset).setUint32(12, n, true);
      return 0;
    }
    if (cmd === BpfCmd.MAP_CREATE) return nextFd++;
    return 0;
  });
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    writeOut: (d) => void out.push(typeof d === 'string' ? d : new TextDecoder().decode(d)),
    writeErr: (t) => void err.push(t),
    readStdin: async () => new Uint8Array(0),
  };
  return { cli, out, err };
}

const test = suite('spec: tsbpf kload/krun in-process (fake backend)');
let dir = '';
let restore: () => void = () => {};
let fake: FakeBackend;
test.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-cli-'));
  fake = fakeKernel();
  restore = installBackend(fake);
});
test.after.each(() => {
  restore();
  rmSync(dir, { recursive: true, force: true });
});

function spec(name: string, body: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(body));
  return file;
}

const OK = { progType: 'socket_filter', insns: 'b700000000000000 9500000000000000', maps: [{ type: 'hash', keySize: 8, valueSize: 8, maxEntries: 1 }] };
const BAD = { progType: 'socket_filter', insns: '9500000000000000' };

test('kload --json: one line per spec, in order; exit 1 when one is rejected; everything closed', async () => {
  const { cli, out, err } = io();
  const status = await main(['kload', '--json', spec('a.json', OK), spec('b.json', BAD), spec('c.json', OK)], cli);
  assert.is(status, 1, err.join(''));
  const lines = out.join('').trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines, [
    { verdict: 'accept', error: null, insn: null, processed: 2, log: LOG_OK },
    { verdict: 'reject', error: 'R0 !read_ok', insn: 0, processed: 1, log: LOG_BAD },
    { verdict: 'accept', error: null, insn: null, processed: 2, log: LOG_OK },
  ]);
  const created = fake.calls.filter((c) => c.cmd === BpfCmd.MAP_CREATE).length + 2;
  assert.is(fake.closed.length, created, 'every map and program closed');
  assert.is(new Set(fake.closed).size, fake.closed.length, 'each closed once');
});

test('kload: all accepted → 0; plain output is the log', async () => {
  const { cli, out } = io();
  assert.is(await main(['kload', spec('a.json', OK)], cli), 0);
  assert.is(out.join(''), LOG_OK);
});

test('kload: a bad spec is exit 2 with one stderr line naming the file and JSON path', async () => {
  const { cli, err } = io();
  const file = spec('bad.json', { progType: 'socket_filter', insns: 'b700000000000000 9500000000000000', maps: [{ type: 'hash', keySize: 4, valueSize: 8 }] });
  assert.is(await main(['kload', '--json', file], cli), 2);
  assert.equal(err, [`tsbpf kload: ${file}: maps[0].maxEntries: missing\n`]);
  const e2 = io();
  assert.is(await main(['kload'], e2.cli), 2);
  assert.equal(e2.err, ['tsbpf kload: missing SPEC.json\n']);
});

test('krun --json: retval and dataOut per spec; a rejection prints the kload object', async () => {
  const { cli, out } = io();
  const status = await main(['krun', '--json', '--data', '0102 0304', '--repeat', '5', spec('a.json', OK), spec('b.json', BAD)], cli);
  assert.is(status, 1);
  const lines = out.join('').trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines[0], { retval: '0x2a', dataOut: '01020304' });
  assert.is(lines[1].verdict, 'reject');
  const run = fake.calls.find((c) => c.cmd === BpfCmd.PROG_TEST_RUN)!;
  assert.is(rd32(run.attr, 32), 5, 'repeat');
});

test('krun: bad --data is exit 2', async () => {
  const { cli, err } = io();
  assert.is(await main(['krun', '--data', 'xyz', spec('a.json', OK)], cli), 2);
  assert.match(err.join(''), /^tsbpf krun: --data: hex: /);
});

test.run();
