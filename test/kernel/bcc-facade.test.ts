/**
 * The BCC facade in the live kernel: `syscall__` on the mechanism this kernel offers (here the
 * syscalls tracepoint) against the arguments this process passed; `raw_tracepoint__` counting
 * our own getppid calls in a per-CPU array; tables in programs (insert, lookup_or_try_init,
 * queue push, LPM trie, tail calls through BPF_PROG_ARRAY) checked through BPF_PROG_TEST_RUN
 * and user-side reads; a failed construction leaks no fd; `trace_fields` reads `bpf_trace_printk`.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { progTestRun } from '../../syscalls/prog-test-run.js';
import {
  BccError, BPF, BPF_ARRAY, BPF_HASH, BPF_HISTOGRAM, BPF_LPM_TRIE, formatLinearHist, formatLog2Hist, BPF_PERCPU_ARRAY, BPF_PERF_OUTPUT, BPF_PROG_ARRAY, BPF_QUEUE, BPF_RINGBUF_OUTPUT, bestSyscallMechanism, fentryAvailable, kprobesAvailable,
} from '../../src/bcc/index.js';
import { s32, u32, u64 } from '../../src/dsl/index.js';
import { char, struct } from '../../src/types/index.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('bcc: facade (kernel)');
const fds = () => readdirSync('/proc/self/fd').length;

const OpenArgs = struct('open_args', { pid: u32, dfd: s32, flags: u64, mode: u64, path: char(64) });

kernelTest(test, 'syscall__openat: ctx.parm(n) are the arguments this process passed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-bcc-sys-'));
  const path = join(dir, 'made-here');
  try {
    using b = new BPF({
      tables: { events: BPF_PERF_OUTPUT(OpenArgs) },
      functions: {
        syscall__openat: ($, ctx, t) => {
          const ev = $.struct(OpenArgs, { pid: $.getCurrentPidTgid().shr(32n).cast(u32), dfd: ctx.parm(1).cast(s32), flags: ctx.parm(3), mode: ctx.parm(4) });
          $.probeReadUserStr(ev.field('path'), ctx.parm(2));
          t.events.perf_submit(ev);
        },
      },
    });
    assert.is(b.syscallMechanism, bestSyscallMechanism());
    if (!kprobesAvailable()) assert.is(b.syscallMechanism === 'kprobe', false);
    const got: { pid: number; dfd: number; flags: bigint; mode: bigint; path: string }[] = [];
    const ev = b.get('events');
    ev.open_perf_buffer((_cpu, data) => { const e = ev.event(data); if (e.pid === process.pid) got.push(e); });
    closeSync(openSync(path, 'w', 0o640));
    const deadline = Date.now() + 3000;
    while (!got.some((e) => e.path === path) && Date.now() < deadline) b.perf_buffer_poll(100);
    const e = got.find((x) => x.path === path);
    assert.ok(e, `an openat of ${path}`);
    assert.is(e!.dfd, -100); // AT_FDCWD (an int: the register's low 32 bits, as BCC's `int dfd` parameter)
    assert.is(e!.flags & 0o3n, 1n); // O_WRONLY
    assert.is(e!.flags & 0o100n, 0o100n); // O_CREAT
    assert.is(e!.mode, 0o640n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

kernelTest(test, 'raw_tracepoint__sys_enter: our getppid calls, counted per CPU', () => {
  const NR_GETPPID = process.arch === 'arm64' ? 173n : 110n;
  using b = new BPF({
    tables: { calls: BPF_PERCPU_ARRAY(u64, 1) },
    functions: {
      raw_tracepoint__sys_enter: ($, ctx, t) => {
        $.if($.getCurrentPidTgid().shr(32n).eq(BigInt(process.pid)), () => {
          $.if(ctx.arg(1).eq(NR_GETPPID), () => t.calls.increment(0));
        });
      },
    },
  });
  assert.is(b.num_open_tracepoints(), 1);
  const before = b.get('calls').at(0).reduce((a, n) => a + n, 0n);
  for (let i = 0; i < 25; i++) void process.ppid;
  const per = b.get('calls').at(0);
  assert.ok(Array.isArray(per) && per.length >= 1, 'per-CPU values are arrays');
  assert.is(per.reduce((a, n) => a + n, 0n) - before, 25n);
});

/** An IPv4 LPM key; `addr` holds the address bytes in memory order (a little-endian u32 of them). */
const Lpm = struct('lpm_key', { prefixlen: u32, addr: u32 });
const ip4 = (a: number, b: number, c: number, d: number) => (a | (b << 8) | (c << 16) | (d << 24)) >>> 0;

kernelTest(test, 'tables in programs: insert, lookup_or_try_init, queue push, LPM trie, tail calls', () => {
  using b = new BPF({
    tables: {
      seen: BPF_HASH(u32, u64),
      firsts: BPF_HASH(u32, u64),
      order: BPF_QUEUE(u32, 16),
      routes: BPF_LPM_TRIE(Lpm, u32, 16),
      jump: BPF_PROG_ARRAY(4),
      hits: BPF_ARRAY(u64, 4),
    },
    functions: {
      entry: {
        xdp: ($, ctx, t) => {
          $.ifPacket(ctx, 0, 4, (p) => {
            const k = $.let(u32, p.u8(0).cast(u32));
            t.firsts.insert(k, p.u8(1).cast(u64));            // only the first value sticks
            t.seen.lookup_or_try_init(k, 0n, (v) => v.atomicAdd(1n));
            t.order.push(k);
            const key = $.struct(Lpm, { prefixlen: 32, addr: p.u32(0) });
            $.ifSome(t.routes.lookup(key), (cls) => t.hits.increment(cls.get()));
          });
          t.jump.call(0);
          return 2; // XDP_PASS when slot 0 is empty
        },
      },
      drop_all: { xdp: () => 1 },
    },
  });
  const fd = b.load_func('entry');
  const run = (bytes: number[]) => progTestRun({ progFd: fd, dataIn: Uint8Array.from([...bytes, ...new Array(60).fill(0)]) }).retval;
  const routes = b.get('routes');
  routes.set({ prefixlen: 8, addr: ip4(10, 0, 0, 0) }, 1);
  routes.set({ prefixlen: 16, addr: ip4(10, 7, 0, 0) }, 2);
  assert.is(run([10, 7, 1, 2]), 2);
  assert.is(run([10, 9, 1, 2]), 2);
  assert.is(run([10, 7, 3, 3]), 2);
  assert.is(run([11, 1, 1, 1]), 2);
  assert.is(b.get('firsts').get(10), 7n, 'insert keeps the first value');
  assert.is(b.get('seen').get(10), 3n);
  assert.is(b.get('seen').get(11), 1n);
  assert.equal(b.get('order').values(), [10, 10, 10, 11]);
  assert.equal([1, 2, 3].map((i) => b.get('hits').get(i)), [1n, 2n, 0n], 'longest prefix: /16 twice, /8 once');
  b.get('jump').set(0, 'drop_all');
  assert.is(run([1, 1, 1, 1]), 1, 'tail call into drop_all');
  b.get('jump').delete(0);
  assert.is(run([1, 1, 1, 1]), 2);
  b.get('seen').clear();
  assert.is(b.get('seen').items().length, 0);
});

kernelTest(test, 'histograms from user-filled tables: sections by the first key field, linear, JSON', () => {
  const DiskSlot = struct('disk_slot', { disk: u32, slot: u32 });
  using b = new BPF({ tables: { bydisk: BPF_HISTOGRAM(DiskSlot), lin: BPF_HISTOGRAM() }, functions: {} });
  const h = b.get('bydisk');
  h.set({ disk: 2, slot: 5 }, 9n).set({ disk: 1, slot: 2 }, 4n).set({ disk: 1, slot: 3 }, 1n);
  let text = '';
  h.print_log2_hist('usecs', 'disk', (d) => `sd${String(d)}`, { write: (t) => { text += t; }, bucket_sort_fn: (bs) => [...bs].sort() });
  const slots = (pairs: [number, number][]) => { const v = new Array<number>(65).fill(0); for (const [i, n] of pairs) v[i] = n; return v; };
  assert.is(text, `\ndisk = sd1\n${formatLog2Hist(slots([[2, 4], [3, 1]]), 'usecs')}\n\ndisk = sd2\n${formatLog2Hist(slots([[5, 9]]), 'usecs')}\n`);
  const lin = b.get('lin');
  lin.set(0, 2n).set(3, 5n);
  text = '';
  lin.print_linear_hist('kbytes', undefined, undefined, { write: (t) => { text += t; } });
  assert.is(text, `${formatLinearHist([2, 0, 0, 5], 'kbytes')}\n`);
  assert.equal(lin.log2_hist_json('v').data.map((d) => d.count), [0, 0, 5]);
  text = '';
  h.print_json_hist('usecs', 'disk', { write: (t) => { text += t; } });
  const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { disk: number; val_type: string; data: { count: number }[] });
  assert.equal(lines.map((l) => [l.disk, l.val_type, l.data.map((d) => d.count)]).sort(), [[1, 'usecs', [0, 4, 1]], [2, 'usecs', [0, 0, 0, 0, 9]]]);
});

kernelTest(test, 'ringbuf_reserve and ringbuf_output from an XDP program reach open_ring_buffer as decoded events', () => {
  const Ev = struct('pkt_ev', { len: u32, first: u32, how: u32 });
  using b = new BPF({
    tables: { out: BPF_RINGBUF_OUTPUT(Ev, 4) },
    functions: {
      pkt: {
        xdp: ($, ctx, t) => {
          $.ifPacket(ctx, 0, 1, (p) => {
            $.ifSome(t.out.ringbuf_reserve(Ev), (ev) => { ev.field('first').set(p.u8(0).cast(u32)); ev.field('how').set(1); });
            t.out.ringbuf_output($.struct(Ev, { first: p.u8(0).cast(u32), how: 2 }));
          });
          return 2;
        },
      },
    },
  });
  const got: { first: number; how: number; size: number }[] = [];
  const out = b.get('out');
  out.open_ring_buffer((_c, data, size) => { const e = out.event(data); got.push({ first: e.first, how: e.how, size }); });
  for (const first of [7, 9]) progTestRun({ progFd: b.load_func('pkt'), dataIn: Uint8Array.from([first, ...new Array(63).fill(0)]) });
  assert.is(b.ring_buffer_consume(), 4);
  assert.equal(got, [{ first: 7, how: 1, size: 12 }, { first: 7, how: 2, size: 12 }, { first: 9, how: 1, size: 12 }, { first: 9, how: 2, size: 12 }]);
});

kernelTest(test, 'a construction that fails closes what it made (no fd left)', () => {
  const before = fds();
  assert.throws(() => new BPF({
    tables: { a: BPF_HASH(u32, u64), b: BPF_ARRAY(u64, 8) },
    functions: {
      tracepoint__syscalls__sys_enter_close: ($, _ctx, t) => { t.a.update(1, 1n); },
      tracepoint__nope__not_a_tracepoint: () => 0,
    },
  }));
  assert.is(fds(), before);
});

kernelTest(test, 'kfunc__ and a forced kprobe syscall probe: attached where the kernel allows, else an error and no fd left', () => {
  const before = fds();
  const make = () => new BPF({ functions: { kfunc__do_unlinkat: ($) => { void $.ktimeGetNs(); } } });
  if (fentryAvailable()) {
    const b = make();
    assert.equal(b.links, ['kfunc do_unlinkat']);
    b.close();
  } else {
    assert.throws(make, (e: unknown) => e instanceof BccError && /function 'kfunc__do_unlinkat': the kernel refused its tracing program on do_unlinkat/.test(e.message));
  }
  const kprobe = () => new BPF({ syscallMechanism: 'kprobe', functions: { syscall__openat: () => 0 } });
  if (kprobesAvailable()) {
    const b = kprobe();
    assert.is(b.num_open_kprobes(), 1);
    b.close();
  } else {
    assert.throws(kprobe);
  }
  assert.is(fds(), before);
});

kernelTest(test, 'trace_fields reads what bpf_trace_printk wrote for our pid', () => {
  using b = new BPF({
    functions: {
      tracepoint__syscalls__sys_enter_getppid: ($) => {
        $.if($.getCurrentPidTgid().shr(32n).eq(BigInt(process.pid)), () => { $.printk('tsbpf-bcc %d\n', $.getCurrentPidTgid().cast(u32)); });
      },
    },
  });
  void process.ppid;
  const deadline = Date.now() + 3000;
  let hit;
  while (hit === undefined && Date.now() < deadline) {
    const f = b.trace_fields(true);
    if (f === undefined) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); continue; }
    if (f.msg.startsWith('tsbpf-bcc ') && f.pid === process.pid) hit = f;
  }
  assert.ok(hit, 'our trace line');
  assert.is(hit!.msg, `tsbpf-bcc ${process.pid}`);
  // trace_print with BCC's format fields, for the next line of ours.
  void process.ppid;
  const printed: string[] = [];
  const until = Date.now() + 3000;
  while (!printed.some((l) => l.startsWith(`${process.pid} `)) && Date.now() < until) {
    b.trace_print('{pid} {msg}', { nonblocking: true, write: (l) => printed.push(l) });
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  assert.ok(printed.includes(`${process.pid} tsbpf-bcc ${process.pid}`), JSON.stringify(printed));
});

test.run();
