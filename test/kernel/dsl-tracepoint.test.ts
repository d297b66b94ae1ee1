/**
 * eDSL tracepoint programs in the live kernel: `syscalls:sys_enter_openat` → perf buffer (and
 * ring buffer) → decoded events. The program keeps only this process's events (it compares
 * `pid_tgid >> 32` with our pid, a constant built in); the test opens a uniquely named path and
 * waits for the event carrying its pid, comm and that filename. Skips with the reason when not
 * root.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync, writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachTracepoint } from '../../src/attach/index.js';
import { compile, loadCompiled, tracepointProgram, u32, u64, type Program } from '../../src/dsl/index.js';
import { PerfBuffer, RingBuffer, type EventReader } from '../../src/readers/index.js';
import { char, s64, struct, type Infer } from '../../src/types/index.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('dsl tracepoint (kernel)');

const Event = struct('event', { pid: u32, tid: u32, uid: u32, flags: u32, ret: s64, comm: char(16), fname: char(256) });
type Event = Infer<typeof Event>;

function openatProgram(output: 'perf' | 'ring'): Program<'tracepoint'> {
  return tracepointProgram('syscalls', 'sys_enter_openat', ($, ctx) => {
    const pidTgid = $.let(u64, $.getCurrentPidTgid());
    $.if(pidTgid.shr(32n).ne(BigInt(process.pid)), () => $.return(0));
    const ev = $.struct(Event, {
      pid: pidTgid.shr(32n).cast(u32),
      tid: pidTgid.cast(u32),
      uid: $.getCurrentUidGid().cast(u32),
      flags: ctx.args.flags.cast(u32),
    });
    $.getCurrentComm(ev.field('comm'));
    $.probeReadUserStr(ev.field('fname'), ctx.args.filename);
    if (output === 'perf') $.perfEventArray('events').output(ev);
    else $.ringbuf('events', { size: 1 << 16 }).output(ev);
    return 0;
  }, { name: `openat_${output}` });
}

/** Opens `path` repeatedly until `reader` delivers an event for it, or `timeoutMs` passes. */
async function waitFor(reader: EventReader<Event>, path: string, timeoutMs = 3000): Promise<Event[]> {
  const got: Event[] = [];
  reader.open((e) => got.push(e));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !got.some((e) => e.fname === path)) {
    closeSync(openSync(path, 'r'));
    await new Promise((r) => setTimeout(r, 20));
    reader.consume();
  }
  return got;
}

for (const output of ['perf', 'ring'] as const) {
  kernelTest(test, `sys_enter_openat → ${output} buffer → decoded events with our pid and the filename`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbpf-tp-'));
    const path = join(dir, `unique-${output}-${process.pid}-${Date.now()}`);
    writeFileSync(path, 'x');
    const compiled = compile(openatProgram(output));
    using loaded = loadCompiled(compiled);
    const decode = (dv: DataView) => Event.decode(dv);
    const reader: EventReader<Event> = output === 'perf' ? PerfBuffer.create(loaded.mapFds.events, { decode }) : RingBuffer.create(loaded.mapFds.events, { decode });
    using link = attachTracepoint(loaded.progFd, 'syscalls', 'sys_enter_openat');
    try {
      const got = await waitFor(reader, path);
      const ev = got.find((e) => e.fname === path);
      assert.ok(ev !== undefined, `no event for ${path} among ${got.length}: ${got.slice(0, 5).map((e) => e.fname).join(', ')}`);
      assert.is(ev.pid, process.pid);
      assert.is(ev.uid, process.getuid!());
      assert.is(ev.flags & 3, 0, 'O_RDONLY');
      assert.ok(got.every((e) => e.pid === process.pid), 'only our own pid');
      assert.ok(ev.comm.length > 0 && ev.comm.length <= 15, `comm ${ev.comm}`);
    } finally {
      link.close();
      reader.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
