/**
 * `tsbpf execsnoop` in the live kernel: the CLI as a separate process filtered to children of
 * this test (`-P`), ended by SIGTERM; and in-process runs (`--json`, `--max-args`, `--fails`).
 * The test itself execs known commands, so each exec's pid, ppid, return value and arguments
 * are known exactly. Skips when not root.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runExecsnoop } from '../../src/cli/commands/execsnoop.js';
import type { ExecRecord } from '../../src/tools/execsnoop.js';
import { kernelTest } from '../support/kernel.js';
import { collect, memoryIo } from '../support/cli-io.js';
import { slowMs } from '../support/num-runs.js';

const test = suite('tools: execsnoop (kernel)');
const BIN = fileURLToPath(new URL('../../bin/tsbpf.js', import.meta.url));
const ECHO = '/bin/echo';

const token = () => `tsbpf-exec-${process.pid}-${Date.now()}`;

kernelTest(test, 'tsbpf execsnoop -P PID (child process, SIGTERM): the exact BCC line of an echo this test runs', async () => {
  const snoop = spawn(process.execPath, [BIN, 'execsnoop', '-P', String(process.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const done = collect(snoop);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no header within ${slowMs(20000) / 1000} s`)), slowMs(20000));
    snoop.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ARGS')) { clearTimeout(t); resolve(); } });
  });
  const tok = token();
  const child = spawnSync(ECHO, [tok, 'two words']);
  assert.is(child.status, 0);
  await new Promise((r) => setTimeout(r, 300));
  snoop.kill('SIGTERM');
  const r = await done;
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^PCOMM            PID     PPID    RET ARGS\n/);
  assert.ok(r.stdout.split('\n').includes(`${'echo'.padEnd(16)} ${String(child.pid).padEnd(7)} ${String(process.pid).padEnd(7)}   0 ${ECHO} ${tok} two words`), r.stdout);
  assert.match(r.stderr, /^tsbpf execsnoop: \d+ execs, 0 lost\n$/);
});

kernelTest(test, 'in-process --json --max-args 3: exact records of a successful and a failed exec', async () => {
  const io = memoryIo();
  const stop = new AbortController();
  const tok = token();
  const missing = `/nonexistent/${tok}`;
  let ok: ReturnType<typeof spawnSync> | undefined;
  const run = runExecsnoop(['--json', '-P', String(process.pid), '--max-args', '3'], io, {
    signal: stop.signal,
    onStarted: () => {
      ok = spawnSync(ECHO, [tok, 'a1', 'a2', 'a3']);
      assert.ok(spawnSync(missing, ['x']).error !== undefined);
      setTimeout(() => stop.abort(), 300);
    },
  });
  assert.is(await run, 0);
  const events = io.out.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as ExecRecord);
  const echo = events.find((e) => e.args[1] === tok);
  assert.ok(echo !== undefined, io.out);
  assert.equal(Object.keys(echo), ['ts', 'pcomm', 'pid', 'ppid', 'uid', 'ret', 'args']);
  assert.equal({ ...echo, ts: 0 }, { ts: 0, pcomm: 'echo', pid: ok!.pid, ppid: process.pid, uid: process.getuid!(), ret: 0, args: [ECHO, tok, 'a1', '...'] });
  const failed = events.find((e) => e.args[0] === missing);
  assert.ok(failed !== undefined, io.out);
  assert.is(failed.ret, -2, 'ENOENT');
  assert.is(failed.ppid, process.pid);
  assert.equal(failed.args, [missing, 'x']);
});

kernelTest(test, 'in-process --fails: only the failed exec', async () => {
  const io = memoryIo();
  const stop = new AbortController();
  const tok = token();
  const missing = `/nonexistent/${tok}`;
  const run = runExecsnoop(['--json', '--fails', '-P', String(process.pid)], io, {
    signal: stop.signal,
    onStarted: () => {
      spawnSync(ECHO, [tok]);
      spawnSync(missing);
      setTimeout(() => stop.abort(), 300);
    },
  });
  assert.is(await run, 0);
  const events = io.out.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as ExecRecord);
  assert.ok(events.length >= 1, io.out);
  assert.ok(events.every((e) => e.ret !== 0), io.out);
  assert.ok(events.some((e) => e.args[0] === missing && e.ret === -2), io.out);
});

test.run();
