/**
 * examples/opensnoop.ts in the live kernel: BCC's opensnoop written out in the eDSL (entry and
 * exit tracepoints joined through the `infotmp` hash) reports this process's open of a unique
 * path with the fd it returned. Skips when not root.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachTracepoint } from '../../src/attach/index.js';
import { compile, loadProgramSet } from '../../src/dsl/index.js';
import { PerfBuffer } from '../../src/readers/index.js';
import { buildOpensnoop, Data } from '../../examples/opensnoop.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('dsl tracepoint example: opensnoop (kernel)');

kernelTest(test, 'enter saves, exit looks up and submits: our open with its fd and path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-ex-'));
  const path = join(dir, `example-${process.pid}-${Date.now()}`);
  writeFileSync(path, 'x');
  const { enter, exit } = buildOpensnoop();
  using set = loadProgramSet([compile(enter), compile(exit)]);
  using reader = PerfBuffer.create(set.mapFds.open_events, { decode: (dv) => Data.decode(dv) });
  const got: Data[] = [];
  reader.open((e) => { if (e.pid === process.pid) got.push(e); });
  try {
    using _x = attachTracepoint(set.progFds.trace_return, 'syscalls', 'sys_exit_openat');
    using _e = attachTracepoint(set.progFds.trace_entry, 'syscalls', 'sys_enter_openat');
    const fd = openSync(path, 'r');
    closeSync(fd);
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline && !got.some((e) => e.fname === path)) {
      await new Promise((r) => setTimeout(r, 10));
      reader.consume();
    }
    const ev = got.find((e) => e.fname === path);
    assert.ok(ev !== undefined, 'event for the unique path');
    assert.is(ev.ret, fd);
    assert.is(ev.comm, 'node');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
