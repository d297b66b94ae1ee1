// src/programs and the spec loader against the live kernel: load, reject (VerifierError fields),
// BPF_PROG_TEST_RUN, info, and `tsbpf kload` / `tsbpf krun` end to end. Skips when not root.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Exit, LoadMapValue, LoadMem, Mov, R0, R1, Size, encode } from 'ebpf-bytecode-utils';
import { closeFd, enableStats } from '../../syscalls/index.js';
import { BpfMap } from '../../src/maps/index.js';
import { Program, VerifierError } from '../../src/programs/index.js';
import { parseProgramSpec } from '../../src/spec/index.js';
import { loadSpec } from '../../src/spec/load-spec.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('programs (kernel)');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

kernelTest(test, 'load, testRun, info', () => {
  using p = Program.load({ type: 'socket_filter', insns: encode([Mov.imm(R0, 42), Exit()]), name: 'tsbpf_t_ret42', license: 'GPL' });
  assert.is(p.log, '');
  const data = Uint8Array.from({ length: 64 }, (_, i) => i);
  const r = p.testRun({ data, repeat: 10 });
  assert.is(r.retval, 42);
  assert.equal([...r.dataOut!.subarray(14)], [...data.subarray(14)]);
  assert.ok(r.duration >= 0);
  const stats = enableStats();
  try {
    p.testRun({ data, repeat: 5 });
    const info = p.info();
    assert.is(info.name, 'tsbpf_t_ret42');
    assert.match(info.tag, /^[0-9a-f]{16}$/);
    assert.is(info.xlatedProgInsns!.byteLength, 16);
    assert.ok(info.id > 0);
    assert.ok(info.gplCompatible);
    assert.ok(info.runCnt >= 1n, `run_cnt ${info.runCnt}`);
  } finally {
    closeFd(stats);
  }
  using same = Program.fromId(p.info().id);
  assert.is(same.type, 1);
});

kernelTest(test, 'expected attach type, license and kernel version reach the kernel', () => {
  using p = Program.load({ type: 'cgroup_skb', expectedAttachType: 'cgroup_inet_egress', insns: encode([Mov.imm(R0, 1), Exit()]), license: 'Dual MIT/GPL', kernelVersion: 0x61200 });
  const info = p.info();
  assert.is(info.type, 8);
  assert.ok(info.gplCompatible);
  try {
    Program.load({ type: 'cgroup_sock_addr', expectedAttachType: 'cgroup_inet_ingress', insns: encode([Mov.imm(R0, 1), Exit()]) });
    assert.unreachable('loaded');
  } catch (e) {
    assert.instance(e, VerifierError);
    assert.is((e as VerifierError).code, 'EINVAL');
  }
});

kernelTest(test, 'log level 1 on success gives processed', () => {
  using p = Program.load({ type: 'socket_filter', insns: encode([Mov.imm(R0, 0), Exit()]) }, { logLevel: 1 });
  assert.is(p.processed, 2);
});

kernelTest(test, 'a rejected program is a VerifierError with the kernel error line and insn', () => {
  try {
    Program.load({ type: 'socket_filter', insns: encode([Mov.imm(R0, 0), LoadMem(R0, R1, 1 << 14, Size.DW), Exit()]), name: 'tsbpf_t_bad' });
    assert.unreachable('loaded');
  } catch (e) {
    assert.instance(e, VerifierError);
    const v = e as VerifierError;
    assert.is(v.code, 'EACCES');
    assert.is(v.insn, 1);
    assert.match(v.error, /invalid bpf_context access off=16384 size=8/);
    assert.ok(v.message.startsWith('load program "tsbpf_t_bad": invalid bpf_context access'));
    assert.match(v.log, /processed \d+ insns/);
    assert.is(v.processed, 2);
  }
  try {
    Program.load({ type: 'socket_filter', insns: encode([Exit()]) });
    assert.unreachable('loaded');
  } catch (e) {
    assert.is((e as VerifierError).error, 'R0 !read_ok');
    assert.is((e as VerifierError).insn, 0);
  }
});

kernelTest(test, 'a program reads a map value set from user space', () => {
  using m = BpfMap.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
  m.set(new Uint8Array(4), Uint8Array.of(0x2a, 0, 0, 0, 0, 0, 0, 0));
  using p = Program.load({ type: 'socket_filter', insns: encode([LoadMapValue(R1, m.fd, 0), LoadMem(R0, R1, 0, Size.DW), Exit()]) });
  assert.is(p.testRun({ data: new Uint8Array(64) }).retval, 0x2a);
  assert.equal(p.info().mapIds, [m.info().id]);
});

kernelTest(test, 'loadSpec: init, fd_array (src_reg 6), prog_array slots', () => {
  const spec = parseProgramSpec({
    progType: 'socket_filter',
    insns: '1861000000000000 0000000000000000 7910000000000000 9500000000000000',
    maps: [
      { type: 'array', keySize: 4, valueSize: 8, maxEntries: 1, init: [{ key: '00000000', value: '0700000000000000' }] },
      { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4, progs: [{ key: 3, insns: 'b701000000000000 b700000005000000 9500000000000000' }] },
      { type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 1, init: [{ key: '00000000', value: '09000000' }] },
    ],
  });
  using loaded = loadSpec(spec);
  assert.is(loaded.program.testRun({ data: new Uint8Array(32) }).retval, 7);
  assert.is(loaded.slotPrograms.length, 1);
  const slot = new Uint8Array(4);
  slot[0] = 3;
  assert.ok(loaded.maps[1].has(slot));
  assert.is(loaded.maps[2].get(new Uint8Array(4))![8], 9, 'per-CPU init replicated to CPU 1');
});

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/tsbpf.js'), ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

kernelTest(test, 'tsbpf kload / krun: JSON Lines, several specs in order, exit codes', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-spec-'));
  try {
    const ok = path.join(dir, 'ok.json');
    const bad = path.join(dir, 'bad.json');
    const withMap = path.join(dir, 'map.json');
    const broken = path.join(dir, 'broken.json');
    writeFileSync(ok, JSON.stringify({ progType: 'socket_filter', expectedAttachType: null, license: 'GPL', progFlags: 0, insns: 'b700000000000000 9500000000000000', maps: [{ type: 'hash', keySize: 8, valueSize: 8, maxEntries: 1, flags: 0 }] }));
    writeFileSync(bad, JSON.stringify({ progType: 1, insns: '9500000000000000' }));
    writeFileSync(withMap, JSON.stringify({ progType: 'socket_filter', insns: '1821000000000000 0000000000000000 7910000000000000 9500000000000000', maps: [{ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1, init: [{ key: '00000000', value: '2a00000000000000' }] }] }));
    writeFileSync(broken, JSON.stringify({ progType: 1, insns: 'b700000000000000 9500000000000000', maps: [{ type: 'hash', keySize: -1, valueSize: 8, maxEntries: 1 }] }));

    // Few spawns: each costs a Node + tsx start-up.
    const mixed = cli(['kload', '--json', ok, bad, withMap]);
    assert.is(mixed.status, 1, mixed.stderr);
    const verdicts = mixed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(verdicts.map((v) => v.verdict), ['accept', 'reject', 'accept']);
    assert.equal(Object.keys(verdicts[0]), ['verdict', 'error', 'insn', 'processed', 'log']);
    assert.equal([verdicts[0].error, verdicts[0].insn, verdicts[0].processed], [null, null, 2]);
    assert.equal([verdicts[1].error, verdicts[1].insn, verdicts[1].processed], ['R0 !read_ok', 0, 1]);
    assert.match(verdicts[1].log, /0: \(95\) exit\nR0 !read_ok/);

    const plain = cli(['kload', ok]);
    assert.is(plain.status, 0);
    assert.match(plain.stdout, /^processed 2 insns/);

    const usage = cli(['kload', '--json', broken]);
    assert.is(usage.status, 2);
    assert.is(usage.stderr, `tsbpf kload: ${broken}: maps[0].keySize: expected a non-negative integer, got -1\n`);

    const run = cli(['krun', '--json', '--data', '00'.repeat(16), '--repeat', '3', withMap, bad, ok]);
    assert.is(run.status, 1, run.stderr);
    const runs = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(Object.keys(runs[0]), ['retval', 'dataOut']);
    assert.equal([runs[0].retval, runs[1].verdict, runs[2].retval], ['0x2a', 'reject', '0x0']);
    assert.is(runs[0].dataOut.length, 32);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
