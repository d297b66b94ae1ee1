/**
 * `tsbpf opensnoop` in the live kernel: the CLI as a separate process (`--json --pid CHILD
 * --duration`) while a child opens a uniquely named file; SIGTERM ends it cleanly with the
 * summary on stderr; in-process runs through the module API with `--failed` and `--name`.
 * Events are filtered by pid (other processes open files too). Skips when not root.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOpensnoop } from '../../src/cli/commands/opensnoop.js';
import { Opensnoop, type OpenEventRecord } from '../../src/tools/opensnoop.js';
import { kernelTest } from '../support/kernel.js';
import { collect, memoryIo } from '../support/cli-io.js';
import { slowMs } from '../support/num-runs.js';

const test = suite('tools: opensnoop (kernel)');
const BIN = fileURLToPath(new URL('../../bin/tsbpf.js', import.meta.url));

/**
 * A child that opens `path` every 50 ms for `ms`, or until SIGTERM, and then prints the fds it
 * got as JSON.
 */
function opener(path: string, ms: number): ChildProcess {
  const src = `const fs=require('fs');const fds=new Set();const end=Date.now()+${ms};const done=()=>{clearInterval(t);console.log(JSON.stringify([...fds]));};process.on('SIGTERM',done);const t=setInterval(()=>{const fd=fs.openSync(${JSON.stringify(path)},'r');fds.add(fd);fs.closeSync(fd);if(Date.now()>end)done();},50);`;
  return spawn(process.execPath, ['-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
}

function uniqueFile(tag: string): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-snoop-'));
  const path = join(dir, `open-me-${tag}-${process.pid}-${Date.now()}`);
  writeFileSync(path, 'x');
  return { dir, path };
}

kernelTest(test, 'tsbpf opensnoop --json --pid CHILD --duration 3: the child opens of the unique path with its fd', async () => {
  const { dir, path } = uniqueFile('cli');
  try {
    // The child opens until the CLI is done, however long its start-up takes (a loaded machine, the VM).
    const child = opener(path, slowMs(120_000));
    const childDone = collect(child);
    const snoop = spawn(process.execPath, [BIN, 'opensnoop', '--json', '--pid', String(child.pid), '--duration', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await collect(snoop);
    child.kill('SIGTERM');
    const fds = JSON.parse((await childDone).stdout) as number[];
    assert.is(r.code, 0, r.stderr);
    const events = r.stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as OpenEventRecord);
    assert.ok(events.length > 0, `no events; stderr: ${r.stderr}`);
    assert.ok(events.every((e) => e.pid === child.pid), 'only the child');
    const mine = events.filter((e) => e.path === path);
    assert.ok(mine.length > 0, `no event for ${path}: ${events.slice(0, 3).map((e) => e.path).join(', ')}`);
    for (const e of mine) {
      assert.ok(fds.includes(e.fd), `fd ${e.fd} not among the child's ${JSON.stringify(fds)}`);
      assert.is(e.err, 0);
      assert.is(e.comm, 'node');
      assert.equal(Object.keys(e), ['ts', 'pid', 'tid', 'uid', 'comm', 'fd', 'err', 'flags', 'path']);
    }
    assert.match(r.stderr, /^tsbpf opensnoop: \d+ events, 0 lost\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

kernelTest(test, 'tsbpf opensnoop ends cleanly on SIGTERM (header, exit 0, summary on stderr)', async () => {
  const snoop = spawn(process.execPath, [BIN, 'opensnoop', '--pid', String(process.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const done = collect(snoop);
  // Wait for the header: the programs are attached once it is printed.
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no header within ${slowMs(15000) / 1000} s`)), slowMs(15000));
    snoop.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('PATH')) { clearTimeout(t); resolve(); } });
  });
  const { dir, path } = uniqueFile('sigterm');
  try {
    closeSync(openSync(path, 'r'));
    await new Promise((r) => setTimeout(r, 200));
    snoop.kill('SIGTERM');
    const r = await done;
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^PID    COMM               FD ERR PATH\n/);
    assert.match(r.stdout, new RegExp(`^${process.pid} +node +\\d+ +0 ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    assert.match(r.stderr, /tsbpf opensnoop: \d+ events, 0 lost/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

kernelTest(test, 'in-process: --failed keeps only failed opens, --name filters by comm', async () => {
  const { dir, path } = uniqueFile('failed');
  const missing = `${path}-missing`;
  const io = memoryIo();
  const stop = new AbortController();
  try {
    const run = runOpensnoop(['--json', '--failed', '--pid', String(process.pid), '--name', 'node'], io, {
      signal: stop.signal,
      onStarted: () => {
        closeSync(openSync(path, 'r'));
        assert.throws(() => openSync(missing, 'r'), /ENOENT/);
        setTimeout(() => stop.abort(), 300);
      },
    });
    assert.is(await run, 0);
    const events = io.out.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as OpenEventRecord);
    assert.ok(events.every((e) => e.fd === -1 && e.err > 0), 'only failures');
    const e = events.find((x) => x.path === missing);
    assert.ok(e !== undefined, `no event for ${missing}: ${io.out}`);
    assert.is(e.err, 2);
    assert.is(e.pid, process.pid);
    assert.ok(!events.some((x) => x.path === path), 'the successful open is filtered out');
    // A name that matches nothing: no events at all.
    const io2 = memoryIo();
    const stop2 = new AbortController();
    const run2 = runOpensnoop(['--json', '--pid', String(process.pid), '--name', 'no-such-comm'], io2, {
      signal: stop2.signal,
      onStarted: () => { closeSync(openSync(path, 'r')); setTimeout(() => stop2.abort(), 200); },
    });
    assert.is(await run2, 0);
    assert.is(io2.out, '');
    assert.match(io2.err, /0 events, 0 lost/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const transport of ['perf', 'ring'] as const) {
  kernelTest(test, `module API (${transport}): Opensnoop.start → event with pid, fd and path; close() releases everything`, async () => {
    const { dir, path } = uniqueFile(`api-${transport}`);
    const got: OpenEventRecord[] = [];
    const snoop = Opensnoop.start({ pid: process.pid, transport }, (e) => got.push(e));
    try {
      const fd = openSync(path, 'r');
      closeSync(fd);
      const deadline = Date.now() + 2000;
      while (Date.now() < deadline && !got.some((e) => e.path === path)) {
        await new Promise((r) => setTimeout(r, 10));
        snoop.drain();
      }
      const e = got.find((x) => x.path === path);
      assert.ok(e !== undefined, 'event arrives');
      assert.is(e.fd, fd);
      assert.is(e.tid, process.pid, 'opened on the main thread');
      assert.is(snoop.lost, 0);
      assert.ok(snoop.events >= 1);
    } finally {
      snoop.close();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(snoop.isClosed);
    assert.is(snoop.lost, 0);
    snoop.close(); // idempotent
  });
}

kernelTest(test, 'tsbpf opensnoop --ringbuf --json: the same events through a ring buffer', async () => {
  const { dir, path } = uniqueFile('ring');
  const io = memoryIo();
  const stop = new AbortController();
  try {
    const run = runOpensnoop(['--json', '--ringbuf', '--pid', String(process.pid)], io, {
      signal: stop.signal,
      onStarted: () => { closeSync(openSync(path, 'r')); setTimeout(() => stop.abort(), 300); },
    });
    assert.is(await run, 0);
    const events = io.out.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as OpenEventRecord);
    const e = events.find((x) => x.path === path);
    assert.ok(e !== undefined, `no event for ${path}: ${io.out}`);
    assert.ok(e.fd >= 0);
    assert.is(e.err, 0);
    assert.match(io.err, /events, 0 lost/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
