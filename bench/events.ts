// bench/events: event transport throughput and consumer cost, perf buffer vs ring buffer.
//   node --import tsx bench/events.ts [--events N]
// Events come from BPF_PROG_TEST_RUN on a socket filter that outputs one 16-byte record per run
// (a deterministic source, no tracepoint noise). Two scenarios:
//   batch   — one thread: a test run with repeat = B fills the rings, then consume() drains them;
//             consumer CPU is the process CPU spent in consume() only (precise, no wake-ups).
//   worker  — a worker thread produces (repeat 1 per call, as fast as it can) while the main
//             thread consumes from the event loop (open(callback), epoll via libuv); consumer CPU
//             is the main thread's utime+stime from /proc (10 ms ticks). Perf buffers wake the
//             consumer per event (wakeup_events = 1, as libbpf/BCC/bpftrace do).
// KERNEL.md, for scale (opensnoop at 50k events/s, quiet machine): libbpf C 1.1 s (ring buffer)
// and 2.8 s (perf buffer) of consumer CPU per 1 M events; bpftrace 5.5 s; BCC 5–7 s.
import { readFileSync } from 'node:fs';
import { Worker, isMainThread } from 'node:worker_threads';
import { closeFd, mapCreate, progLoad, progTestRun } from '../syscalls/index.js';
import { PerfBuffer, RingBuffer, possibleCpus, type EventReader } from '../src/readers/index.js';
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

function batch(kind: Transport, total: number, decode: boolean, wakeupEvents = 1): Row {
  const s = setup(kind, wakeupEvents);
  try {
    let delivered = 0;
    let sum = 0n;
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
      s.reader.consume();
      cpu += cpuSeconds(process.cpuUsage(c0));
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    void sum;
    return { transport: kind, scenario: `${decode ? 'batch, read a field' : 'batch, count only'}${wakeupEvents > 1 ? `, wakeup_events ${wakeupEvents}` : ''}`, produced: total, delivered, lost: s.reader.lost, wallS: wall, consumerCpuS: cpu };
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

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('bench/events: needs root (bpf, perf_event_open)');
    process.exit(2);
  }
  const i = process.argv.indexOf('--events');
  const total = i > 0 ? Number(process.argv[i + 1]) : 1_000_000;
  // Warm up both paths.
  batch('perf', 100_000, false);
  batch('ringbuf', 100_000, false);
  const rows: Row[] = [];
  for (const kind of ['perf', 'ringbuf'] as const) {
    rows.push(batch(kind, total, false));
    rows.push(batch(kind, total, true));
  }
  rows.push(batch('perf', total, false, 4096));
  for (const kind of ['perf', 'ringbuf'] as const) rows.push(await worker(kind, total));
  rows.push(await worker('perf', total, 64));
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
}
