/**
 * The program's context inside eDSL subprograms (`$.func`) and `bpf_loop` callbacks (`$.loop`)
 * in the live kernel: a body that uses `ctx` gets it as a hidden first parameter (subprograms)
 * or through the callback's shared state (loops). Socket filter and XDP programs run with
 * BPF_PROG_TEST_RUN and are compared with JS and with the interpreter; a tracepoint program
 * submits perf events from a subprogram and from a loop callback, filtered by our own pid; the
 * offline verifier accepts every program the kernel loads; through the BCC facade a subprogram
 * calls get_stackid and perf_submit. Skips with the reason when not root.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync } from 'node:fs';
import { Call } from 'ebpf-bytecode-utils';
import { attachTracepoint } from '../../src/attach/index.js';
import { compile, loadCompiled, program, s64, simulate, tracepointProgram, u16, u32, u64, verifyCompiled, type CompiledProgram } from '../../src/dsl/index.js';
import { PerfBuffer } from '../../src/readers/index.js';
import { BPF, BPF_PERF_OUTPUT, BPF_STACK_TRACE } from '../../src/bcc/index.js';
import { struct, type Infer } from '../../src/types/index.js';
import { progTestRun } from '../../syscalls/prog-test-run.js';
import { kernelTest } from '../support/kernel.js';
import { programLacks } from '../support/kernel-lacks.js';

const test = suite('dsl context in subprograms and callbacks (kernel)');

const BPF_LOOP = 181;
const Acc = struct('ctx_acc', { sum: u64, n: u32 });

function offlineAccepts(compiled: CompiledProgram): void {
  const r = verifyCompiled(compiled);
  assert.is(r.error, null, `verifier-sim: ${r.error}`);
}

/** skb->len read in a subprogram, in a loop callback with shared state and in one without. */
function socketProgram(): CompiledProgram {
  return compile(program('ctx_sock', 'socket_filter', ($, ctx) => {
    const scaled = $.func('scaled', [u32], u64, (_$, k) => ctx.len.cast(u64).mul(k.cast(u64)));
    const nested = $.func('nested', [u64], u64, (_$, x) => scaled.call(3).add(x)); // ctx passes on
    const acc = $.struct(Acc);
    $.loop(4, acc, (i, a) => {
      a.field('sum').set(a.field('sum').get().add(ctx.len.cast(u64)).add(i.cast(u64)));
      a.field('n').set(a.field('n').get().add(1));
    });
    const stopped = $.loop(100, (i) => { $.if(i.ge(ctx.len.and(7)), () => $.break()); });
    // A loop inside a subprogram: the context goes R1 → subprogram → shared state → callback.
    const inner = $.func('inner', [u32], u64, ($, k) => {
      const a = $.struct(Acc);
      $.loop(3, a, (_i, sh) => { sh.field('sum').set(sh.field('sum').get().add(ctx.len.cast(u64))); });
      return a.field('sum').get().mul(k.cast(u64));
    });
    return nested.call(scaled.call(10)).add(acc.field('sum').get()).add(stopped.cast(u64).shl(20n)).add(acc.field('n').get().cast(u64).shl(28n)).add(inner.call(2)).cast(u32);
  }));
}

function socketInJs(bytes: number): bigint {
  const len = BigInt(bytes - 14); // skb->len of a socket filter run excludes the Ethernet header
  const stopped = (len & 7n) + 1n;
  return BigInt.asUintN(32, len * 3n + len * 10n + (len * 4n + 6n) + (stopped << 20n) + (4n << 28n) + len * 6n);
}

kernelTest(test, 'socket_filter: a subprogram and two loop callbacks read skb->len; kernel, interpreter and JS agree', () => {
  const c = socketProgram();
  using loaded = loadCompiled(c);
  for (const bytes of [14, 15, 21, 64, 333, 1500]) {
    const data = new Uint8Array(bytes);
    const kernel = BigInt(progTestRun({ progFd: loaded.progFd, dataIn: data }).retval);
    assert.is(kernel, socketInJs(bytes), `kernel, ${bytes} bytes`);
    assert.is(simulate(c).run({ data }).retval, kernel, `interpreter, ${bytes} bytes`);
  }
  offlineAccepts(c);
}, () => programLacks('socket_filter', [Call.helper(BPF_LOOP)]));

/** XDP: packet bytes read through a bounds check inside a subprogram and inside a callback. */
function xdpProgram(): CompiledProgram {
  return compile(program('ctx_xdp', 'xdp', ($, ctx) => {
    const first = $.func('first16', [u32], u32, ($, dflt) => {
      const v = $.let(u32, dflt);
      $.ifPacket(ctx, 0, 2, (p) => v.set(p.u16be(0).cast(u32)));
      return v;
    });
    const acc = $.struct(Acc);
    $.loop(3, acc, (i, a) => {
      $.ifPacket(ctx, 2, 1, (p) => a.field('sum').set(a.field('sum').get().add(p.u8(0).cast(u64).mul(i.add(1).cast(u64)))));
    });
    return first.call(0xffff).add(acc.field('sum').get().cast(u32).shl(16));
  }));
}

kernelTest(test, 'xdp: packet bounds checks against ctx inside a subprogram and a callback; kernel, interpreter and JS agree', () => {
  const c = xdpProgram();
  using loaded = loadCompiled(c);
  for (const bytes of [[], [1], [0xab, 0xcd], [0x12, 0x34, 0x56], [9, 8, 7, 6, 5]]) {
    const data = Uint8Array.from([...bytes, ...new Array(Math.max(0, 14 - bytes.length)).fill(0)].slice(0, Math.max(bytes.length, 14)));
    const kernel = BigInt(progTestRun({ progFd: loaded.progFd, dataIn: data }).retval);
    const want = BigInt.asUintN(32, BigInt((data[0] << 8) | data[1]) + (BigInt(data[2] * 6) << 16n));
    assert.is(kernel, want, `kernel, ${bytes.join(',')}`);
    assert.is(simulate(c).run({ data }).retval, kernel, `interpreter, ${bytes.join(',')}`);
  }
  offlineAccepts(c);
}, () => programLacks('xdp', [Call.helper(BPF_LOOP)]));

const Ev = struct('ctx_ev', { fd: u64, tag: u16, step: u16, pid: u32 });
type Ev = Infer<typeof Ev>;

kernelTest(test, 'tracepoint: a subprogram reads ctx.args and perf_submits; a loop callback perf_submits too (own pid only)', async () => {
  const c = compile(tracepointProgram('syscalls', 'sys_enter_close', ($, ctx) => {
    const events = $.perfEventArray('events');
    const submit = $.func('submit', [u32], u64, ($, tag) => {
      const ev = $.struct(Ev, { fd: ctx.args.fd.cast(u64), tag: tag.cast(u16), pid: $.getCurrentPidTgid().shr(32n).cast(u32) });
      events.output(ev);
      return 0;
    });
    $.if($.getCurrentPidTgid().shr(32n).ne(BigInt(process.pid)), () => $.return(0));
    $.if(ctx.args.fd.cast(u64).lt(200000n), () => $.return(0));
    submit.call(1);
    $.loop(3, (i) => {
      const ev = $.struct(Ev, { fd: ctx.args.fd.cast(u64), tag: 2, step: i.cast(u16) });
      events.output(ev);
    });
    return 0;
  }, { name: 'ctx_tp' }));
  offlineAccepts(c);
  using loaded = loadCompiled(c);
  const got: Ev[] = [];
  const reader = PerfBuffer.create(loaded.mapFds.events, { decode: (dv) => Ev.decode(dv) });
  const link = attachTracepoint(loaded.progFd, 'syscalls', 'sys_enter_close');
  try {
    reader.open((e) => got.push(e));
    const fds = [200001, 345678];
    for (const fd of fds) assert.throws(() => closeSync(fd)); // EBADF, but the syscall is entered
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline && got.length < fds.length * 4) {
      await new Promise((r) => setTimeout(r, 20));
      reader.consume();
    }
    const seen = got.map((e) => `${e.fd}:${e.tag}:${e.step}`).sort();
    const want = fds.flatMap((fd) => [`${fd}:1:0`, `${fd}:2:0`, `${fd}:2:1`, `${fd}:2:2`]).sort();
    assert.equal(seen, want);
    assert.ok(got.filter((e) => e.tag === 1).every((e) => e.pid === process.pid), 'the subprogram saw our pid');
  } finally {
    link.close();
    reader.close();
  }
}, () => programLacks('tracepoint', [Call.helper(BPF_LOOP)]));

kernelTest(test, "BCC facade: a subprogram calls get_stackid and perf_submit with the program's ctx (own pid only)", () => {
  const StackEv = struct('ctx_stack_ev', { fd: u64, stackid: s64 });
  using b = new BPF({
    tables: { events: BPF_PERF_OUTPUT(StackEv), stacks: BPF_STACK_TRACE(64) },
    functions: {
      tracepoint__syscalls__sys_enter_close: ($, ctx, t) => {
        const report = $.func('report', [u64], u64, ($, fd) => {
          const ev = $.struct(StackEv, { fd, stackid: t.stacks.get_stackid(0) });
          t.events.perf_submit(ev);
          return 0;
        });
        $.if($.getCurrentPidTgid().shr(32n).ne(BigInt(process.pid)), () => $.return(0));
        $.if(ctx.args.fd.cast(u64).ne(300003n), () => $.return(0));
        report.call(ctx.args.fd.cast(u64));
      },
    },
  });
  const got: { fd: bigint; stackid: bigint }[] = [];
  const ev = b.get('events');
  ev.open_perf_buffer((_cpu, data) => void got.push(ev.event(data)));
  assert.throws(() => closeSync(300003));
  const deadline = Date.now() + 3000;
  while (got.length === 0 && Date.now() < deadline) b.perf_buffer_poll(100);
  assert.is(got.length, 1);
  assert.is(got[0].fd, 300003n);
  // A kernel stack id (>= 0) or -EFAULT when the stack cannot be walked; never -EINVAL (a bad ctx).
  assert.ok(got[0].stackid >= 0n || got[0].stackid === -14n, `stackid ${got[0].stackid}`);
  if (got[0].stackid >= 0n) assert.ok(b.get('stacks').walk(Number(got[0].stackid)).length > 0, 'the stack has frames');
});

test.run();
