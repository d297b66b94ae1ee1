/**
 * `tsbpf syscount` in the live kernel: this test makes an exact number of `getppid()` calls
 * (Node's `process.ppid` is one `getppid` per read; nothing else in Node calls it) and of failing
 * `openat()`s, and syscount filtered to this process must report exactly those counts, under
 * their names from the syscall table. The CLI runs as a child process (SIGINT ends it with the
 * table) and in-process (`--json`, `-L`, `-x`). Skips when not root.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runSyscount } from '../../src/cli/commands/syscount.js';
import { kernelTest } from '../support/kernel.js';
import { collect, memoryIo } from '../support/cli-io.js';
import { slowMs } from '../support/num-runs.js';

const test = suite('tools: syscount (kernel)');
const BIN = fileURLToPath(new URL('../../bin/tsbpf.js', import.meta.url));

/** Exactly `n` getppid() calls. */
function getppid(n: number): void {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += process.ppid;
  assert.ok(sum > 0);
}

/** Exactly `n` failing openat() calls. */
function failedOpens(n: number): void {
  for (let i = 0; i < n; i++) assert.throws(() => openSync(`/nonexistent/tsbpf-syscount-${i}`, 'r'), /ENOENT/);
}

interface Summary { ts: number; syscalls: { syscall: string; nr: number; count: number; total_ns?: number }[] }

kernelTest(test, 'tsbpf syscount -p PID (child process, SIGINT): getppid counted exactly, in BCC layout', async () => {
  const sc = spawn(process.execPath, [BIN, 'syscount', '-p', String(process.pid), '-T', '50'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const done = collect(sc);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no banner within ${slowMs(20000) / 1000} s`)), slowMs(20000));
    sc.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('Ctrl+C')) { clearTimeout(t); resolve(); } });
  });
  getppid(1234);
  sc.kill('SIGINT');
  const r = await done;
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Tracing syscalls, printing top 50\.\.\. Ctrl\+C to quit\.\nSYSCALL                   COUNT\n/);
  assert.ok(r.stdout.split('\n').includes(`${'getppid'.padEnd(22)} ${'1234'.padStart(8)}`), r.stdout);
});

kernelTest(test, 'in-process --json -L: exact getppid count with a positive total time', async () => {
  const io = memoryIo();
  const stop = new AbortController();
  const run = runSyscount(['--json', '-L', '-p', String(process.pid), '-T', '100'], io, {
    signal: stop.signal,
    onStarted: () => { getppid(777); stop.abort(); },
  });
  assert.is(await run, 0);
  const lines = io.out.trim().split('\n');
  assert.is(lines.length, 1, io.out);
  const s = JSON.parse(lines[0]) as Summary;
  const g = s.syscalls.find((x) => x.syscall === 'getppid');
  assert.ok(g !== undefined, io.out);
  assert.is(g.count, 777);
  assert.ok(g.total_ns! > 0);
  // Sorted by total time, largest first.
  for (let i = 1; i < s.syscalls.length; i++) assert.ok(s.syscalls[i - 1].total_ns! >= s.syscalls[i].total_ns!);
});

kernelTest(test, 'in-process -x --json: only failed calls (the failing openat()s, not getppid)', async () => {
  const io = memoryIo();
  const stop = new AbortController();
  const run = runSyscount(['--json', '-x', '-p', String(process.pid), '-T', '100'], io, {
    signal: stop.signal,
    onStarted: () => { getppid(100); failedOpens(55); stop.abort(); },
  });
  assert.is(await run, 0);
  const s = JSON.parse(io.out.trim()) as Summary;
  assert.is(s.syscalls.find((x) => x.syscall === 'getppid'), undefined, io.out);
  assert.is(s.syscalls.find((x) => x.syscall === 'openat')?.count, 55, io.out);
});

kernelTest(test, 'in-process -i: one summary per interval, counts restart each interval', async () => {
  // 10 calls, then 20 more once the summary with the 10 is out, then stop after the one with 20.
  const io = memoryIo();
  const stop = new AbortController();
  const seen: number[] = [];
  const write = io.writeOut;
  io.writeOut = (d) => {
    write(d);
    const count = (JSON.parse(String(d)) as Summary).syscalls.find((x) => x.syscall === 'getppid')?.count ?? 0;
    if (count === 0) return;
    seen.push(count);
    if (seen.length === 1) getppid(20);
    else stop.abort();
  };
  const run = runSyscount(['--json', '-i', '0.2', '-p', String(process.pid), '-T', '100'], io, {
    signal: stop.signal,
    onStarted: () => getppid(10),
  });
  assert.is(await run, 0);
  assert.equal(seen, [10, 20], io.out);
});

test.run();
