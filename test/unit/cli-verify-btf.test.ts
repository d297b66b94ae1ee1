// `tsbpf verify --btf`: the kernel BTF for BTF-id pointers and kfunc calls (a file, `none`, or
// the running kernel's by default), against `tsbpf kload` when root.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Call, Exit, LoadMem, Mov, R0, R1, R6, Size, bytesToHex, decodeBtf, encode, findMember, resolve, type Btf } from 'ebpf-bytecode-utils';
import { kernelTest } from '../support/kernel.js';
import { runCli } from '../support/cli-io.js';
import { miniKernelBtf } from '../support/mini-kernel-btf.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-cli-verify-btf-'));
const test = suite('tsbpf verify --btf');
const VMLINUX = '/sys/kernel/btf/vmlinux';

const miniFile = path.join(dir, 'mini.btf');
writeFileSync(miniFile, miniKernelBtf());

/** A tracepoint spec reading `current->pid`, with the offset of `pid` in `btf`. */
function pidSpec(btf: Btf, name: string): string {
  const task = btf.typeById(btf.idsByName('task_struct').find((i) => btf.kindOf(i) === 'struct')!);
  const pid = findMember(task, 'pid')!.bitOffset / 8;
  const insns = resolve([Call.helper(158), Mov.reg(R6, R0), LoadMem(R1, R6, pid, Size.W), Mov.imm(R0, 0), Exit()]).instructions;
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify({ progType: 'tracepoint', license: 'GPL', insns: bytesToHex(encode(insns)), maps: [] }));
  return file;
}

const tsbpf = runCli;

const miniSpec = pidSpec(decodeBtf(miniKernelBtf()), 'mini-pid.json');

test('verify --btf FILE: a BTF-id pointer load is accepted', async () => {
  const r = await tsbpf(['verify', '--json', '--btf', miniFile, miniSpec]);
  assert.is(r.status, 0, r.err);
  assert.equal(JSON.parse(r.out).verdict, 'accept');
});

test('verify --btf none: rejected as by a kernel without BTF', async () => {
  const r = await tsbpf(['verify', '--json', '--btf', 'none', miniSpec]);
  assert.is(r.status, 1, r.err);
  const res = JSON.parse(r.out) as { verdict: string; error: string; insn: number };
  assert.equal([res.verdict, res.error, res.insn], ['reject', 'invalid return type 1048584 of func bpf_get_current_task_btf#158', 0]);
});

test('verify --btf: a missing file or a blob that is no BTF is one line, exit 2', async () => {
  const missing = await tsbpf(['verify', '--btf', path.join(dir, 'nope.btf'), miniSpec]);
  assert.is(missing.status, 2);
  assert.is(missing.err.trim().split('\n').length, 1);
  assert.match(missing.err, 'nope.btf');
  const junk = path.join(dir, 'junk.btf');
  writeFileSync(junk, 'not btf');
  const bad = await tsbpf(['verify', '--btf', junk, miniSpec]);
  assert.is(bad.status, 2);
  assert.is(bad.err.trim().split('\n').length, 1);
  assert.match(bad.err, 'junk.btf');
});

test('verify --btf FILE: kfunc calls by the BTF ids of that file; without BTF, the kernel\'s error', async () => {
  const mini = decodeBtf(miniKernelBtf());
  const fn = (name: string) => mini.idsByName(name).find((i) => mini.kindOf(i) === 'func')!;
  const file = path.join(dir, 'rcu.json');
  const insns = resolve([Call.kfunc(fn('bpf_rcu_read_lock')), Call.kfunc(fn('bpf_rcu_read_unlock')), Mov.imm(R0, 0), Exit()]).instructions;
  writeFileSync(file, JSON.stringify({ progType: 'xdp', license: 'GPL', insns: bytesToHex(encode(insns)), maps: [] }));
  const ok = await tsbpf(['verify', '--json', '--btf', miniFile, file]);
  assert.is(ok.status, 0, ok.err);
  const none = await tsbpf(['verify', '--json', '--btf', 'none', file]);
  assert.is(none.status, 1);
  assert.is(JSON.parse(none.out).error, 'calling kernel function is not supported without CONFIG_DEBUG_INFO_BTF');
});

test('verify: programs without BTF needs never read it', async () => {
  const plain = path.join(dir, 'plain.json');
  writeFileSync(plain, JSON.stringify({ progType: 'socket_filter', insns: bytesToHex(encode(resolve([Mov.imm(R0, 0), Exit()]).instructions)), maps: [] }));
  const junk = path.join(dir, 'junk2.btf');
  writeFileSync(junk, 'not btf');
  const r = await tsbpf(['verify', '--json', '--btf', junk, plain]);
  assert.is(r.status, 0, r.err);
});

if (existsSync(VMLINUX)) {
  const hostSpec = pidSpec(decodeBtf(readFileSync(VMLINUX)), 'host-pid.json');
  test('verify: the running kernel BTF by default', async () => {
    const r = await tsbpf(['verify', '--json', hostSpec]);
    assert.is(r.status, 0, r.err);
    assert.equal(JSON.parse(r.out).verdict, 'accept');
  });
  kernelTest(test, 'verify and kload agree on a BTF-id pointer load', async () => {
    const v = JSON.parse((await tsbpf(['verify', '--json', hostSpec])).out) as { verdict: string; error: string | null };
    const k = JSON.parse((await tsbpf(['kload', '--json', hostSpec])).out) as { verdict: string; error: string | null };
    assert.equal([v.verdict, v.error], [k.verdict, k.error]);
  });
} else {
  console.log(`skip: tsbpf verify --btf default: ${VMLINUX} does not exist`);
}

test.run();
