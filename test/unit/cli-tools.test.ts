/**
 * The tools without a kernel: `npm start`'s offline path (opensnoop built, verified by
 * verifier-sim and run in the interpreter on a synthetic open, the decoded event checked field by
 * field against the synthetic input), execsnoop's joining of argument and return events, the
 * tools' BCC text layouts, `tsbpf demo`, and the usage errors of the new commands (exit 2, one
 * line on stderr).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { runOpensnoopOffline, DEFAULT_SYNTHETIC_OPEN } from '../../src/tools/opensnoop-offline.js';
import { ExecEvent, ExecEventType, ExecJoiner, type RawExecEvent } from '../../src/tools/execsnoop.js';
import { formatExecHeader, formatExecLine } from '../../src/cli/commands/execsnoop.js';
import { formatSyscountTable } from '../../src/cli/commands/syscount.js';
import { syscallName, syscallTable } from '../../src/tools/syscall-table.js';

async function run(args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await main(args, {
    writeOut: (d) => void (out += typeof d === 'string' ? d : Buffer.from(d).toString()),
    writeErr: (t) => void (err += t),
    readStdin: async () => new Uint8Array(0),
  });
  return { status, out, err };
}

test('offline opensnoop: both programs accepted by verifier-sim; the event decodes to the synthetic open', () => {
  let text = '';
  const r = runOpensnoopOffline((t) => void (text += t));
  assert.ok(Object.values(r.verdicts).every((v) => v.startsWith('accept')), JSON.stringify(r.verdicts));
  assert.equal(Object.keys(r.verdicts), ['opensnoop_enter', 'opensnoop_exit']);
  const o = DEFAULT_SYNTHETIC_OPEN;
  assert.equal(r.events, [{ ts: 0.001, pid: o.pid, tid: o.tid, uid: o.uid, comm: o.comm, fd: o.ret, err: 0, flags: o.flags, path: o.path }]);
  assert.match(text, /call bpf_probe_read_user_str#114/);
  assert.match(text, /infotmp entries left: 0/);
});

test('offline opensnoop: a failed open gives fd -1 and the errno; a long path is cut at 255 bytes', () => {
  const path = `/${'p'.repeat(300)}`;
  const r = runOpensnoopOffline(() => {}, { pid: 7, tid: 8, uid: 0, comm: 'a-very-long-comm-name', path, flags: 0o101, ret: -13 });
  assert.is(r.events.length, 1);
  const e = r.events[0];
  assert.equal([e.pid, e.tid, e.fd, e.err, e.flags, e.path], [7, 8, -1, 13, 0o101, path.slice(0, 255)]);
});

function raw(type: number, pid: number, fields: Partial<RawExecEvent> = {}): RawExecEvent {
  // Through the codec, as events arrive from the kernel.
  const bytes = new Uint8Array(ExecEvent.size);
  const ev = { ...ExecEvent.decode(new DataView(bytes.buffer)), ts: 2_000_000n, pid, ppid: 1, uid: 0, type, ret: 0n, ...fields };
  return ExecEvent.decode(new DataView(ExecEvent.encode(ev).buffer));
}

test('execsnoop: argument events join their return event by pid; a truncation marker becomes "..."', () => {
  const j = new ExecJoiner(1_000_000n);
  assert.is(j.add(raw(ExecEventType.ARG, 10, { arg: '/bin/ls' })), undefined);
  assert.is(j.add(raw(ExecEventType.ARG, 11, { arg: '/bin/true' })), undefined);
  assert.is(j.add(raw(ExecEventType.ARG, 10, { arg: '-l' })), undefined);
  assert.is(j.add(raw(ExecEventType.TRUNCATED, 10, { arg: '-l' })), undefined);
  const ls = j.add(raw(ExecEventType.RET, 10, { comm: 'ls', ppid: 9, ret: 0n }));
  assert.equal(ls, { ts: 0.001, pcomm: 'ls', pid: 10, ppid: 9, uid: 0, ret: 0, args: ['/bin/ls', '-l', '...'] });
  const t = j.add(raw(ExecEventType.RET, 11, { comm: 'bash', ret: -2n }));
  assert.equal([t?.args, t?.ret], [['/bin/true'], -2]);
  // Already completed: a second return event has no arguments left.
  assert.equal(j.add(raw(ExecEventType.RET, 10, { comm: 'ls' }))?.args, []);
});

test('execsnoop: a return event takes only the argument events stamped before it (a later exec of the pid keeps its own)', () => {
  const j = new ExecJoiner(0n);
  assert.is(j.add(raw(ExecEventType.ARG, 20, { arg: '/bin/sh', ts: 100n })), undefined);
  assert.is(j.add(raw(ExecEventType.ARG, 20, { arg: '/bin/echo', ts: 300n })), undefined);
  assert.equal(j.add(raw(ExecEventType.RET, 20, { comm: 'sh', ts: 200n }))?.args, ['/bin/sh']);
  assert.equal(j.add(raw(ExecEventType.RET, 20, { comm: 'echo', ts: 400n }))?.args, ['/bin/echo']);
});

test("execsnoop and syscount text: BCC's column layouts", () => {
  const c = { time: false, timestamp: false, uid: false };
  assert.is(formatExecHeader(c), 'PCOMM            PID     PPID    RET ARGS\n');
  assert.is(formatExecLine({ ts: 0, pcomm: 'ls', pid: 12, ppid: 0, uid: 0, ret: -2, args: ['/bin/ls', 'a\nb'] }, c), 'ls               12      ?        -2 /bin/ls a\\nb\n');
  assert.is(formatExecHeader({ time: false, timestamp: true, uid: true }), 'TIME(s) UID   PCOMM            PID     PPID    RET ARGS\n');
  assert.is(formatSyscountTable([{ nr: 0, syscall: 'read', count: 12, totalNs: 1500 }], true, false), 'SYSCALL                   COUNT        TIME (us)\nread                         12            1.500\n');
  assert.is(formatSyscountTable([{ nr: 1, syscall: 'write', count: 3 }], false, false), 'SYSCALL                   COUNT\nwrite                         3\n');
});

test('syscall table: both architectures, unknown numbers as [nr]', () => {
  for (const arch of ['x64', 'arm64']) {
    const t = syscallTable(arch)!;
    const names = Object.values(t);
    assert.ok(names.length > 300, arch);
    assert.is(new Set(names).size, names.length, `${arch}: names are unique`);
    for (const n of ['openat', 'execve', 'read', 'write', 'close', 'bpf', 'getppid']) assert.ok(names.includes(n), `${arch}: ${n}`);
  }
  assert.ok(!Object.values(syscallTable('arm64')!).includes('open'), 'arm64 has no open(2)');
  assert.is(syscallName(99999, 'x64'), '[99999]');
  assert.is(syscallTable('s390x'), undefined);
});

test('tsbpf demo: every stage agrees (exit 0)', async () => {
  const r = await run(['demo']);
  assert.is(r.status, 0, r.out + r.err);
  assert.match(r.out, /ok: the offline verifier accepts the program/);
  assert.not.match(r.out, /MISMATCH/);
});

for (const [args, line] of [
  [['execsnoop', '--max-args', '0'], "tsbpf execsnoop: --max-args '0' is not an integer from 1 to 64"],
  [['execsnoop', '-P', 'x'], "tsbpf execsnoop: --ppid 'x' is not a non-negative integer"],
  [['execsnoop', 'extra'], "tsbpf execsnoop: unexpected argument 'extra'"],
  [['syscount', '--top', '0'], "tsbpf syscount: --top '0' is not a positive integer"],
  [['syscount', '-i', 'abc'], "tsbpf syscount: --interval 'abc' is not a positive number of seconds"],
  [['syscount', '--bogus'], "tsbpf syscount: unknown option '--bogus'"],
  [['demo', 'x'], "tsbpf demo: unexpected argument 'x'"],
  [['opensnoop', '-d', '0'], "tsbpf opensnoop: --duration '0' is not a positive number of seconds"],
] as const) {
  test(`tsbpf ${args.join(' ')}: exit 2 with one line`, async () => {
    const r = await run([...args]);
    assert.is(r.status, 2);
    assert.is(r.err, `${line}\n`);
    assert.is(r.out, '');
  });
}

for (const name of ['execsnoop', 'syscount', 'demo']) {
  test(`tsbpf ${name} --help: usage on stdout, exit 0`, async () => {
    const r = await run([name, '--help']);
    assert.is(r.status, 0);
    assert.match(r.out, new RegExp(`^Usage: tsbpf ${name}`));
  });
}

test.run();
