/**
 * `npm start`'s offline path against the live kernel: the tracefs formats bundled for offline
 * builds give the same opensnoop programs as the running kernel's formats, the kernel's verifier
 * accepts the offline-built programs (as verifier-sim does), and `npm start` as root runs live
 * opensnoop (header first; SIGINT ends it with exit 0 and the summary — the Opensnoop object's
 * release of every kernel object is tested in tools-opensnoop). Skips when not root.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile } from '../../src/dsl/compile.js';
import { dump } from '../../src/dsl/dump.js';
import { loadProgramSet } from '../../src/dsl/load-programs.js';
import { opensnoopPrograms } from '../../src/tools/opensnoop.js';
import { SYS_ENTER_OPENAT_FORMAT, SYS_EXIT_OPENAT_FORMAT } from '../../src/tools/syscall-tracepoint-formats.js';
import { kernelTest } from '../support/kernel.js';
import { slowMs } from '../support/num-runs.js';

const test = suite('tools: offline opensnoop vs the kernel');
const START = fileURLToPath(new URL('../../bin/start.js', import.meta.url));

kernelTest(test, 'bundled formats build the same programs as the running kernel formats; the kernel accepts them', () => {
  const offline = opensnoopPrograms({ formats: { enter: SYS_ENTER_OPENAT_FORMAT, exit: SYS_EXIT_OPENAT_FORMAT } });
  const live = opensnoopPrograms();
  const a = [compile(offline.enter), compile(offline.exit)];
  const b = [compile(live.enter), compile(live.exit)];
  assert.is(dump(a[0]), dump(b[0]));
  assert.is(dump(a[1]), dump(b[1]));
  const set = loadProgramSet(a);
  try {
    assert.equal(Object.keys(set.progFds).sort(), ['opensnoop_enter', 'opensnoop_exit']);
  } finally {
    set.close();
  }
});

kernelTest(test, 'npm start as root: live opensnoop in BCC columns; SIGINT exits 0 with the summary', async () => {
  const child = spawn(process.execPath, [START, '--pid', String(process.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no header within ${slowMs(20000) / 1000} s: ${stderr}`)), slowMs(20000));
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('PATH\n')) { clearTimeout(t); resolve(); }
    });
  });
  const path = fileURLToPath(import.meta.url);
  closeSync(openSync(path, 'r'));
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGINT');
  assert.is(await done, 0, stderr);
  assert.match(stdout, /^PID    COMM               FD ERR PATH\n/);
  assert.ok(stdout.split('\n').some((l) => l.startsWith(`${String(process.pid).padEnd(6)} node`) && l.endsWith(` 0 ${path}`)), stdout);
  assert.match(stderr, /^tsbpf opensnoop: \d+ events, 0 lost\n$/);
});

test.run();
