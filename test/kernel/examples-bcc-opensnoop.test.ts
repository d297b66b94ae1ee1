/**
 * examples/bcc-opensnoop.ts in the live kernel: this process opens a uniquely named file (and
 * a missing one) while the facade's opensnoop runs; the events with our pid must carry the fd
 * `openSync` returned and -ENOENT, with our comm. Closing the BPF object detaches everything:
 * no tsbpf links or maps remain and later opens produce no events.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Data, line, opensnoop } from '../../examples/bcc-opensnoop.js';
import { BccError } from '../../src/bcc/index.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('examples: bcc-opensnoop (kernel)');

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

kernelTest(test, 'opensnoop on the facade reports our opens with the real fd and errno', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-bcc-snoop-'));
  const path = join(dir, `present-${process.pid}`);
  const missing = join(dir, `missing-${process.pid}`);
  writeFileSync(path, 'x');
  const before = fdCount();
  const events: Data[] = [];
  const b = opensnoop();
  try {
    assert.is(b.num_open_tracepoints(), 2);
    const t = b.get('open_events');
    assert.is(b.open_events, t, "b['open_events'] is b.get('open_events')");
    assert.is(b.get_table('infotmp'), b.infotmp);
    assert.equal(b.links.sort(), ['tracepoint syscalls:sys_enter_openat', 'tracepoint syscalls:sys_exit_openat']);
    assert.equal(b.functionNames.sort(), ['tracepoint__syscalls__sys_enter_openat', 'tracepoint__syscalls__sys_exit_openat']);
    assert.is(b.isClosed, false);
    t.open_perf_buffer((_cpu, data) => {
      const e = t.event(data);
      if (e.pid === process.pid) events.push(e);
    });
    const fd = openSync(path, 'r');
    closeSync(fd);
    let err: NodeJS.ErrnoException | undefined;
    try { openSync(missing, 'r'); } catch (e) { err = e as NodeJS.ErrnoException; }
    assert.is(err?.code, 'ENOENT');
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline && !(events.some((e) => e.fname === path) && events.some((e) => e.fname === missing))) b.perf_buffer_poll(100);
    const hit = events.find((e) => e.fname === path);
    assert.ok(hit, `an event for ${path} (got ${events.length} events of ours)`);
    assert.is(hit!.ret, fd);
    assert.is(hit!.comm, readFileSync('/proc/self/comm', 'utf8').trim());
    const miss = events.find((e) => e.fname === missing);
    assert.ok(miss, 'an event for the missing file');
    assert.is(miss!.ret, -2);
    assert.match(line(miss!), new RegExp(`^${process.pid}\\s+\\S+\\s+-1\\s+2 ${missing}$`));
    // The entry hash is emptied by the exit probe for our thread.
    const id = (BigInt(process.pid) << 32n) | BigInt(process.pid);
    assert.is(b.get('infotmp').get(id), undefined);
  } finally {
    b.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.is(fdCount(), before, 'every fd the BPF object opened is closed');
  assert.throws(() => b.get('open_events'), (e: unknown) => e instanceof BccError && /closed/.test(e.message));
  assert.is(b.isClosed, true);
});

kernelTest(test, 'misuse is a BccError naming the problem', () => {
  const b = opensnoop();
  try {
    assert.throws(() => (b.get as (n: string) => unknown)('nope'), (e: unknown) => e instanceof BccError && /no table 'nope'/.test(e.message));
    assert.throws(() => b.attach_kprobe({ event: 'do_sys_openat2', fn_name: 'tracepoint__syscalls__sys_enter_openat' }), (e: unknown) => e instanceof BccError && /tracepoint program, not kprobe/.test(e.message));
    assert.throws(() => b.perf_buffer_poll(0), (e: unknown) => e instanceof BccError && /no perf buffer is open/.test(e.message));
  } finally {
    b.close();
  }
});

test.run();
