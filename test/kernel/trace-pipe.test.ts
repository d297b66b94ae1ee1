// trace_pipe: a socket filter run with BPF_PROG_TEST_RUN calls bpf_trace_printk with a nonce; the
// reader receives it (this process's pid, on the event loop) and parses it like BCC's trace_fields.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Call, encodeProgram, Exit, LoadImm64, Mov, R0, R1, R10, R2, R3, Add, Size, StoreMem } from 'ebpf-bytecode-utils';
import { closeFd, progLoad, progTestRun } from '../../syscalls/index.js';
import { parseTraceLine, TracePipe } from '../../src/tracefs/index.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('trace_pipe');
const BPF_FUNC_trace_printk = 6;

test('trace lines parse into task, pid, cpu, flags, timestamp, source, message', () => {
  assert.equal(parseTraceLine('           <...>-1234    [001] d..31  1234.567890: bpf_trace_printk: hello world'), {
    task: '<...>', pid: 1234, cpu: 1, flags: 'd..31', timestamp: 1234.56789, source: 'bpf_trace_printk', message: 'hello world',
    line: '           <...>-1234    [001] d..31  1234.567890: bpf_trace_printk: hello world',
  });
  const spaced = parseTraceLine(' Web Content-42 (     40) [000] ....   5.000001: sys_enter: NR 0');
  assert.equal([spaced?.task, spaced?.pid, spaced?.cpu, spaced?.source, spaced?.message], ['Web Content', 42, 0, 'sys_enter', 'NR 0']);
  assert.is(parseTraceLine('# tracer: nop'), undefined);
  assert.is(parseTraceLine('CPU:1 [LOST 3 EVENTS]'), undefined);
});

/** A socket filter that prints `tsbpf-tp %d\n` with `nonce` (the format string built on the stack). */
function printkProgram(nonce: number): Uint8Array {
  const fmt = new TextEncoder().encode('tsbpf-tp %d\n\0\0\0\0');
  const dv = new DataView(fmt.buffer);
  return encodeProgram([
    LoadImm64(R1, dv.getBigUint64(0, true)), StoreMem(R10, -16, R1, Size.DW),
    LoadImm64(R1, dv.getBigUint64(8, true)), StoreMem(R10, -8, R1, Size.DW),
    Mov.reg(R1, R10), Add.imm(R1, -16), Mov.imm(R2, 13), Mov.imm(R3, nonce), Call.helper(BPF_FUNC_trace_printk),
    Mov.imm(R0, 0), Exit(),
  ]).bytes;
}

kernelTest(test, 'bpf_trace_printk output arrives through the async iterator, parsed, from this pid', async () => {
  const nonce = 100000 + Math.floor(Math.random() * 800000);
  const prog = progLoad({ progType: 1, insns: printkProgram(nonce), license: 'GPL' }).fd;
  using pipe = TracePipe.open();
  try {
    // Start waiting before the event exists, so the wake-up path is exercised.
    const found = (async () => {
      for await (const e of pipe.events(5000)) if (e.message === `tsbpf-tp ${nonce}`) return e;
      return undefined;
    })();
    await new Promise((r) => setTimeout(r, 50));
    progTestRun({ progFd: prog, dataIn: new Uint8Array(64), repeat: 3 });
    const e = await found;
    assert.ok(e !== undefined, 'the nonce line arrived');
    assert.is(e.pid, process.pid);
    assert.is(e.source, 'bpf_trace_printk');
    assert.ok(e.cpu >= 0 && e.timestamp > 0);
    // The other two repetitions are there now, without waiting.
    const rest = pipe.readEvents().filter((x) => x.message === `tsbpf-tp ${nonce}`);
    assert.is(rest.length, 2);
  } finally {
    closeFd(prog);
  }
});

kernelTest(test, 'close() ends a pending iteration; reads after close return nothing', async () => {
  const pipe = TracePipe.open();
  const pending = (async () => {
    let n = 0;
    for await (const line of pipe.lines()) if (line.includes('never-printed-marker')) n++;
    return n;
  })();
  await new Promise((r) => setTimeout(r, 30));
  pipe.close();
  assert.is(await pending, 0);
  assert.ok(pipe.isClosed);
  assert.equal(pipe.readLines(), []);
  assert.throws(() => TracePipe.open({ path: '/nonexistent/trace_pipe' }), /cannot open \/nonexistent\/trace_pipe \(ENOENT\)/);
});

test.run();
