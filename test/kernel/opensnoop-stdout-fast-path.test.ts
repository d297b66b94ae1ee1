/**
 * `tsbpf opensnoop` prints without creating `process.stdout` (start-up time, issue #6; see
 * src/cli/stdout-writer.ts): run as a separate process whose `process.stdout` getter reports
 * every read on stderr, it prints the header and this process's open of a unique path in BCC's
 * layout on its pipe, ends cleanly on SIGTERM, and never reads `process.stdout`. Skips when not root.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelTest } from '../support/kernel.js';
import { collect } from '../support/cli-io.js';
import { slowMs } from '../support/num-runs.js';

const test = suite('opensnoop: output without process.stdout (kernel)');
const BIN = fileURLToPath(new URL('../../bin/tsbpf.js', import.meta.url));

/** A preload that reports each read of `process.stdout` on fd 2. */
const TRAP = `'use strict';
const desc = Object.getOwnPropertyDescriptor(process, 'stdout');
Object.defineProperty(process, 'stdout', { configurable: true, enumerable: desc.enumerable, get() {
  require('node:fs').writeSync(2, 'process.stdout read at ' + new Error().stack.split('\\n').slice(2, 5).join(' | ') + '\\n');
  return desc.get.call(process);
} });
`;

kernelTest(test, 'the header and an event arrive on the pipe; process.stdout is never read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-stdout-fast-'));
  try {
    const trap = join(dir, 'trap.cjs');
    writeFileSync(trap, TRAP);
    const path = join(dir, `open-me-${process.pid}`);
    writeFileSync(path, 'x');
    const snoop = spawn(process.execPath, ['-r', trap, BIN, 'opensnoop', '--pid', String(process.pid)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TSBPF_EXPLAIN_LOAD: '1' } });
    const done = collect(snoop);
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const opener = setInterval(() => closeSync(openSync(path, 'r')), 5);
      const t = setTimeout(() => { clearInterval(opener); reject(new Error(`no event within ${slowMs(20000) / 1000} s`)); }, slowMs(20000));
      snoop.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes(path)) {
          clearInterval(opener);
          clearTimeout(t);
          resolve();
        }
      });
    });
    snoop.kill('SIGTERM');
    const r = await done;
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^PID    COMM               FD ERR PATH\n/);
    assert.match(r.stdout, new RegExp(`^${process.pid} +node +\\d+ +0 ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    assert.match(r.stderr, /^tsbpf opensnoop: \d+ events, 0 lost\n/m);
    // tsx's loader (a stale or missing build) reads process.stdout itself: only the compiled fast
    // entry is held to it.
    const compiled = /^tsbpf: running compiled \S+\.cjs/m.test(r.stderr);
    if (compiled) assert.not.match(r.stderr, /process\.stdout read/, r.stderr);
    else console.log(`  skipped (process.stdout part): bin/ did not run the compiled fast entry (npm run build): ${r.stderr.split('\n')[0]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
