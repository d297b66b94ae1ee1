// bench/events: event transport throughput and consumer cost, perf buffer vs ring buffer.
//   node --import tsx bench/events.ts [--events N] [--batch]   (--batch: only the batch rows)
// Events come from BPF_PROG_TEST_RUN on a socket filter that outputs one 16-byte record per run
// (a deterministic source, no tracepoint noise). Two scenarios:
//   batch   — one thread: a test run with repeat = B fills the rings, then consume() drains them;
//             consumer CPU is the process CPU spent in consume() only (precise, no wake-ups).
//             Three consumers: count only through consumeRaw (no allocation per record), count
//             only through consume() (a DataView per record), read a field through consume().
//   worker  — a worker thread produces (repeat 1 per call, as fast as it can) while the main
//             thread consumes from the event loop (open(callback), epoll via libuv); consumer CPU
//             is the main thread's utime+stime from /proc (10 ms ticks). Perf buffers wake the
//             consumer per event (wakeup_events = 1, as libbpf/BCC/bpftrace do).
//   tracepoint — side by side with C/libbpf: a C load generator (bench/events-loadgen.c) calls
//             getppid() at a fixed rate; two copies of a 5-field event program on
//             syscalls:sys_enter_getppid feed two maps, one read by this process, one by a C
//             libbpf consumer (bench/events-libbpf.c). Both see the same events at the same time;
//             each one's CPU seconds per 1 M events and its losses are printed, and the ratio.
//             `--tracepoint` runs only this part; `--rate R` (default 50000 and 100000);
//             `--transport perf|ringbuf` (default both). Each runs with batchMs 0 and 5.
// KERNEL.md, for scale (opensnoop at 50k events/s, quiet machine): libbpf C 1.1 s (ring buffer)
// and 2.8 s (perf buffer) of consumer CPU per 1 M events; bpftrace 5.5 s; BCC 5–7 s.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread } from 'node:worker_threads';
import { closeFd, mapCreate, progLoad, progTestRun } from '../syscalls/index.js';
import { PerfBuffer, RingBuffer, possibleCpus, type EventReader } from '../src/readers/index.js';
import { mapInfo } from '../syscalls/map-info.js';
import { attachTracepoint } from '../src/attach/tracepoint.js';
import { eventProgram } from '../test/support/event-programs.js';

const SOCKET_FILTER = 1;
const PERF_EVENT_ARRAY = 4;
const RINGBUF = 27;

type Transport = 'perf' | 'ringbuf';

/**
 * The producer thread: runs the program `count` times, one event per run. Workers do not inherit
 * tsx's loader, so the worker registers it before importing syscalls/.
 */
const producerSource = `
(async () => {
  const { workerData, parentPort } = await import('node:worker_threads');
  const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))});
  register();
  const { progTestRun } = await import(${JSON.stringify(new URL('../syscalls/index.ts', import.meta.url).href)});
  const data = new Uint8Array(64);
  for (let i = 0; i < workerData.count; i++) progTestRun({ progFd: workerData.progFd, dataIn: data, repeat: 1 });
  parentPort.postMessage('done');
})();
`;

if (isMainThread) await main();

function setup(kind: Transport, wakeupEvents = 1): { map: number; prog: number; reader: EventReader<DataView> } {
  const map =
    kind === 'perf'
      ? mapCreate({ mapType: PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: Math.max(...possibleCpus()) + 1 })
      : mapCreate({ mapType: RINGBUF, keySize: 0, valueSize: 0, maxEntries: 1 << 22 });
  const insns = eventProgram({ sink: { kind, mapFd: map }, fields: [{ kind: 'imm', value: 1 }, { kind: 'pid_tgid' }] });
  const prog = progLoad({ progType: SOCKET_FILTER, insns, license: 'GPL' }).fd;
  // 4 MiB per CPU for perf (1024 pages), 4 MiB for the ring buffer.
  const reader = kind === 'perf' ? PerfBuffer.create(map, { pageCount: 1024, wakeupEvents }) : RingBuffer.create(map);
  return { map, prog, reader };
}

function teardown(s: { map: number; prog: number; reader: EventReader<DataView> }): void {
  s.reader.close();
  closeFd(s.prog);
  closeFd(s.map);
}

interface Row {
  transport: string;
  scenario: string;
  produced: number;
  delivered: number;
  lost: number;
  wallS: number;
  consumerCpuS: number;
}

function cpuSeconds(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1e6;
}

/** What the batch consumer does per record: count it, read a field from its DataView, or count it on the raw path. */
type BatchMode = 'count' | 'field' | 'raw';

function batch(kind: Transport, total: number, mode: BatchMode, wakeupEvents = 1): Row {
  const s = setup(kind, wakeupEvents);
  try {
    let delivered = 0;
    let sum = 0n;
    const decode = mode === 'field';
    const raw = mode === 'raw';
    const countRaw = () => {
      delivered++;
    };
    s.reader.open(
      decode
        ? (v) => {
            sum += v.getBigUint64(8, true) & 1n;
            delivered++;
          }
        : () => {
            delivered++;
          },
      { watch: false },
    );
    const B = 50_000; // 50k × 32 bytes (perf) / 24 bytes (ringbuf) fits either ring
    const data = new Uint8Array(64);
    let cpu = 0;
    const t0 = process.hrtime.bigint();
    for (let produced = 0; produced < total; produced += B) {
      progTestRun({ progFd: s.prog, dataIn: data, repeat: Math.min(B, total - produced) });
      const c0 = process.cpuUsage();
      if (raw) s.reader.consumeRaw(countRaw);
      else s.reader.consume();
      cpu += cpuSeconds(process.cpuUsage(c0));
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    void sum;
    return { transport: kind, scenario: `${decode ? 'batch, read a field' : raw ? 'batch, count only, consumeRaw' : 'batch, count only'}${wakeupEvents > 1 ? `, wakeup_events ${wakeupEvents}` : ''}`, produced: total, delivered, lost: s.reader.lost, wallS: wall, consumerCpuS: cpu };
  } finally {
    teardown(s);
  }
}

/** utime + stime of the main thread, in seconds. */
function mainThreadCpu(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ = 100)
}

async function worker(kind: Transport, total: number, wakeupEvents = 1): Promise<Row> {
  const s = setup(kind, wakeupEvents);
  try {
    let delivered = 0;
    s.reader.open(() => {
      delivered++;
    });
    const c0 = mainThreadCpu();
    const t0 = process.hrtime.bigint();
    const w = new Worker(producerSource, { eval: true, workerData: { progFd: s.prog, count: total } });
    await new Promise<void>((resolve, reject) => {
      w.on('message', () => resolve());
      w.on('error', reject);
    });
    // Let the consumer catch up with what is still in the rings.
    for (let i = 0; i < 100 && delivered + s.reader.lost < total; i++) await new Promise((r) => setTimeout(r, 10));
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = mainThreadCpu() - c0;
    await w.terminate();
    return { transport: kind, scenario: `worker producer, event loop${wakeupEvents > 1 ? `, wakeup_events ${wakeupEvents}` : ''}`, produced: total, delivered, lost: kind === 'perf' ? s.reader.lost : total - delivered, wallS: wall, consumerCpuS: cpu };
  } finally {
    teardown(s);
  }
}

/** Lines of a child's stdout, awaited one at a time. */
function lineReader(child: ChildProcess & { stdout: Readable }): () => Promise<string> {
  let buffered = '';
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buffered += d;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      lines.push(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
    wake?.();
  });
  child.stdout.once('end', () => wake?.());
  return async () => {
    while (lines.length === 0) {
      if (child.stdout.readableEnded) throw new Error(`child exited (${child.exitCode}) before printing a line`);
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
    return lines.shift() as string;
  };
}

/** Compiles the bench's C programs into a temporary directory. */
function buildC(): { loadgen: string; libbpf: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-bench-'));
  const here = new URL('.', import.meta.url).pathname;
  const loadgen = join(dir, 'events-loadgen');
  const libbpf = join(dir, 'events-libbpf');
  execFileSync('cc', ['-O2', '-o', loadgen, join(here, 'events-loadgen.c')]);
  execFileSync('cc', ['-O2', '-o', libbpf, join(here, 'events-libbpf.c'), '-lbpf']);
  return { loadgen, libbpf, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

interface SideBySide {
  transport: Transport;
  rate: number;
  batchMs: number;
  produced: number;
  ts: { received: number; lost: number; cpuS: number };
  c: { received: number; lost: number; cpuS: number };
}

function fiveFields() {
  return [{ kind: 'pid_tgid' }, { kind: 'cpu' }, { kind: 'imm', value: 1 }, { kind: 'imm', value: 2 }, { kind: 'ctx', offset: 8, size: 'W' }] as const;
}

/** One side-by-side run: `total` getppid() calls at `rate`/s, read by this process and by libbpf C. */
async function tracepointRun(bins: { loadgen: string; libbpf: string }, kind: Transport, rate: number, total: number, batchMs: number): Promise<SideBySide> {
  const gen = spawn(bins.loadgen, [String(rate), String(total)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const genLine = lineReader(gen);
  const genPid = Number((await genLine()).split(' ')[1]);
  const cpus = Math.max(...possibleCpus()) + 1;
  const newMap = () => (kind === 'perf' ? mapCreate({ mapType: PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: cpus }) : mapCreate({ mapType: RINGBUF, keySize: 0, valueSize: 0, maxEntries: 1 << 20 }));
  const maps = [newMap(), newMap()];
  const progs = maps.map((m) => progLoad({ progType: 5, insns: eventProgram({ sink: { kind, mapFd: m }, fields: fiveFields(), pid: genPid }), license: 'GPL' }).fd);
  // 64 pages per CPU for perf (libbpf's consumer below uses the same), 1 MiB ring buffers.
  const reader = kind === 'perf' ? PerfBuffer.create(maps[0], { pageCount: 64 }) : RingBuffer.create(maps[0]);
  const links = progs.map((p) => attachTracepoint(p, 'syscalls', 'sys_enter_getppid'));
  const consumer = spawn(bins.libbpf, [kind === 'perf' ? 'perf' : 'ring', String(mapInfo(maps[1]).id), String(total), '1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const cLine = lineReader(consumer);
  try {
    if ((await cLine()) !== 'ready') throw new Error('libbpf consumer did not start');
    let received = 0;
    let sum = 0n;
    reader.open(
      (v) => {
        sum += v.getBigUint64(0, true) + v.getBigUint64(8, true) + v.getBigUint64(16, true) + v.getBigUint64(24, true) + v.getBigUint64(32, true);
        received++;
      },
      { batchMs },
    );
    const c0 = process.cpuUsage();
    gen.stdin.write('go\n');
    await genLine(); // done
    for (let idle = 0; received + reader.lost < total && idle < 1000; idle += 10) await new Promise((r) => setTimeout(r, 10));
    const cpuS = cpuSeconds(process.cpuUsage(c0));
    const c = JSON.parse(await cLine()) as { received: number; lost: number; cpuS: number; stop: string };
    if (c.stop !== 'all') console.error(`libbpf consumer stopped early (${c.stop}) after ${c.received} records`);
    void sum;
    return { transport: kind, rate, batchMs, produced: total, ts: { received, lost: kind === 'perf' ? reader.lost : total - received, cpuS }, c: { received: c.received, lost: kind === 'perf' ? c.lost : total - c.received, cpuS: c.cpuS } };
  } finally {
    for (const l of links) l.close();
    reader.close();
    for (const p of progs) closeFd(p);
    for (const m of maps) closeFd(m);
    gen.kill();
    consumer.kill();
  }
}

function printSideBySide(rows: SideBySide[]): void {
  const head = ['transport', 'rate/s', 'batchMs', 'produced', 'tsbpf lost', 'libbpf lost', 'tsbpf CPU s/1M', 'libbpf CPU s/1M', 'ratio'];
  const perM = (cpu: number, n: number) => (n > 0 ? (cpu / n) * 1e6 : NaN);
  const body = rows.map((r) => {
    const t = perM(r.ts.cpuS, r.ts.received);
    const c = perM(r.c.cpuS, r.c.received);
    return [r.transport, String(r.rate), String(r.batchMs), String(r.produced), String(r.ts.lost), String(r.c.lost), t.toFixed(3), c.toFixed(3), (t / c).toFixed(2)];
  });
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: string[]) => cells.map((x, c) => x.padEnd(widths[c])).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
  console.log('\nSide by side: both consumers read the same tracepoint events at the same time (separate maps). CPU: process CPU time (this process: process.cpuUsage over the run; libbpf: getrusage).');
}

async function tracepointTable(total: number, rates: number[], kinds: readonly Transport[]): Promise<void> {
  const bins = buildC();
  try {
    const rows: SideBySide[] = [];
    // Warm-up (JIT, lazily loaded modules), not reported.
    for (const kind of kinds) await tracepointRun(bins, kind, rates[0], 20_000, 0);
    for (const rate of rates) {
      for (const kind of kinds) rows.push(await tracepointRun(bins, kind, rate, total, 0));
      for (const kind of kinds) rows.push(await tracepointRun(bins, kind, rate, total, 5));
    }
    printSideBySide(rows);
  } finally {
    bins.remove();
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('bench/events: needs root (bpf, perf_event_open)');
    process.exit(2);
  }
  const i = process.argv.indexOf('--events');
  const total = i > 0 ? Number(process.argv[i + 1]) : 1_000_000;
  const r = process.argv.indexOf('--rate');
  const rates = r > 0 ? [Number(process.argv[r + 1])] : [50_000, 100_000];
  const t = process.argv.indexOf('--transport');
  const kinds: Transport[] = t > 0 ? [process.argv[t + 1] as Transport] : ['ringbuf', 'perf'];
  if (process.argv.includes('--tracepoint')) {
    await tracepointTable(total, rates, kinds);
    return;
  }
  const batchOnly = process.argv.includes('--batch');
  // Warm up every path.
  for (const kind of ['perf', 'ringbuf'] as const) for (const mode of ['count', 'field', 'raw'] as const) batch(kind, 100_000, mode);
  const rows: Row[] = [];
  for (const kind of ['perf', 'ringbuf'] as const) {
    rows.push(batch(kind, total, 'raw'));
    rows.push(batch(kind, total, 'count'));
    rows.push(batch(kind, total, 'field'));
  }
  rows.push(batch('perf', total, 'raw', 4096));
  rows.push(batch('perf', total, 'count', 4096));
  if (!batchOnly) {
    for (const kind of ['perf', 'ringbuf'] as const) rows.push(await worker(kind, total));
    rows.push(await worker('perf', total, 64));
  }
  const head = ['transport', 'scenario', 'produced', 'delivered', 'lost', 'events/s', 'consumer CPU s / 1M'];
  const body = rows.map((r) => [
    r.transport,
    r.scenario,
    String(r.produced),
    String(r.delivered),
    String(r.lost),
    `${((r.delivered / r.wallS) / 1e6).toFixed(2)} M/s`,
    r.delivered > 0 ? ((r.consumerCpuS / r.delivered) * 1e6).toFixed(3) : '-',
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: string[]) => cells.map((x, c) => x.padEnd(widths[c])).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
  console.log('\nevents/s: delivered events over wall time, production included. libbpf C (KERNEL.md): 1.1 s (ring buffer), 2.8 s (perf buffer) per 1 M at 50k/s.');
  console.log('consumer CPU per record (batch rows): process CPU time spent in consume()/consumeRaw() only.');
  if (batchOnly) return;
  console.log('');
  await tracepointTable(total, rates, kinds);
}
