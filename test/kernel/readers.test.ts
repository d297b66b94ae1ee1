// Perf buffers and ring buffers against the live kernel: a tracepoint program filtered by this
// process's pid, records checked field by field; lost-record accounting with BPF_PROG_TEST_RUN
// as a deterministic event source; the three delivery styles (poll, event loop, for await).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { closeFd, currentBackend, installBackend, mapCreate, progLoad, progTestRun, type SyscallBackend } from '../../syscalls/index.js';
import { attachTracepoint } from '../../src/attach/index.js';
import { EventRecord, PerfBuffer, RingBuffer, possibleCpus } from '../../src/readers/index.js';
import { eventProgram, u64At, type EventField } from '../support/event-programs.js';
import { kernelTest } from '../support/kernel.js';
import { helpersMissing } from '../support/kernel-lacks.js';

const test = suite('readers (kernel)');

const PROG_TRACEPOINT = 5;
const PROG_RAW_TRACEPOINT = 17;
const PROG_SOCKET_FILTER = 1;
const MAP_PERF_EVENT_ARRAY = 4;
const MAP_RINGBUF = 27;
/** openat's number: x86_64 257, aarch64 56. */
const NR_OPENAT = process.arch === 'arm64' ? 56 : 257;
/** BPF_F_TEST_RUN_ON_CPU */
const TEST_RUN_ON_CPU = 1;

/** sys_enter_openat fields: pid_tgid, dfd (offset 16), __syscall_nr (offset 8). */
const OPENAT_FIELDS: EventField[] = [{ kind: 'pid_tgid' }, { kind: 'ctx', offset: 16, size: 'DW' }, { kind: 'ctx', offset: 8, size: 'W' }];

function perfArray(): number {
  return mapCreate({ mapType: MAP_PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: Math.max(...possibleCpus()) + 1 });
}

function ringbuf(size = 1 << 16): number {
  return mapCreate({ mapType: MAP_RINGBUF, keySize: 0, valueSize: 0, maxEntries: size });
}

function openDevNull(times: number): void {
  for (let i = 0; i < times; i++) closeSync(openSync('/dev/null', 'r'));
}

interface OpenatEvent {
  pid: number;
  tid: number;
  dfd: bigint;
  nr: number;
}

const decodeOpenat = (d: DataView): OpenatEvent => ({
  pid: Number(u64At(d, 0) >> 32n),
  tid: Number(u64At(d, 0) & 0xffffffffn),
  dfd: BigInt.asIntN(32, u64At(d, 1)), // an int, zero-extended in the register
  nr: Number(u64At(d, 2)),
});

function assertOpenat(e: OpenatEvent): void {
  assert.is(e.pid, process.pid);
  assert.is(e.tid, process.pid); // openSync runs on the main thread
  assert.is(e.dfd, -100n); // AT_FDCWD
  assert.is(e.nr, NR_OPENAT);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)))]).finally(() => clearTimeout(timer));
}

/** Loads the openat program for `sink`, attaches it, runs `fn`, detaches and closes everything. */
async function withOpenatProgram(kind: 'perf' | 'ringbuf', mapFd: number, fn: () => Promise<void> | void): Promise<void> {
  const insns = eventProgram({ sink: { kind, mapFd }, fields: OPENAT_FIELDS, pid: process.pid });
  const prog = progLoad({ progType: PROG_TRACEPOINT, insns, license: 'GPL', progName: 'openat_evt' });
  try {
    const link = attachTracepoint(prog.fd, 'syscalls', 'sys_enter_openat');
    try {
      await fn();
    } finally {
      link.close();
    }
  } finally {
    closeFd(prog.fd);
  }
}

kernelTest(test, 'perf buffer: sys_enter_openat records of this process, read with poll()', async () => {
  const map = perfArray();
  try {
    const reader = PerfBuffer.create(map, { pageCount: 4, decode: decodeOpenat });
    try {
      assert.equal([...reader.cpus], [...possibleCpus()]);
      const events: OpenatEvent[] = [];
      reader.open((e) => events.push(e), { watch: false });
      await withOpenatProgram('perf', map, () => {
        openDevNull(5);
        const deadline = Date.now() + 2000;
        while (events.length < 5 && Date.now() < deadline) reader.poll(100);
      });
      assert.ok(events.length >= 5, `${events.length} events`);
      for (const e of events) assertOpenat(e);
      assert.is(reader.lost, 0);
    } finally {
      reader.close();
    }
  } finally {
    closeFd(map);
  }
});

kernelTest(test, 'perf buffer: callbacks from the event loop (open without poll), zero-copy views', async () => {
  const map = perfArray();
  try {
    const reader = PerfBuffer.create(map);
    try {
      const seen: OpenatEvent[] = [];
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      reader.open((view, cpu) => {
        assert.ok(view.byteLength >= 24);
        assert.ok(cpu >= 0);
        seen.push(decodeOpenat(view));
        if (seen.length === 3) resolve();
      });
      await withOpenatProgram('perf', map, async () => {
        openDevNull(3);
        await withTimeout(done, 3000, 'three callbacks');
      });
      for (const e of seen) assertOpenat(e);
    } finally {
      reader.close();
    }
  } finally {
    closeFd(map);
  }
});

kernelTest(test, 'ring buffer: sys_enter_openat records through for await, and read()/readInto()', async () => {
  const map = ringbuf();
  try {
    const reader = RingBuffer.create(map, { decode: decodeOpenat });
    try {
      assert.is(reader.size, 1 << 16);
      await withOpenatProgram('ringbuf', map, async () => {
        openDevNull(4);
        const got: OpenatEvent[] = [];
        const it = (async () => {
          for await (const e of reader) {
            got.push(e);
            if (got.length === 4) break;
          }
        })();
        await withTimeout(it, 3000, 'four events through for await');
        for (const e of got) assertOpenat(e);
        openDevNull(2);
        const first = reader.read();
        assert.ok(first !== undefined);
        assertOpenat(first);
      });
    } finally {
      reader.close();
    }
    // readInto on a raw reader.
    const raw = RingBuffer.create(map);
    try {
      await withOpenatProgram('ringbuf', map, () => openDevNull(1));
      const rec = new EventRecord(8);
      let n = 0;
      while (raw.readInto(rec)) {
        assert.is(rec.length, 24);
        assertOpenat(decodeOpenat(rec.data));
        n++;
      }
      assert.ok(n >= 2, `${n} records`); // the one left from before, and the new one
    } finally {
      raw.close();
    }
  } finally {
    closeFd(map);
  }
});

kernelTest(test, 'perf buffer: lost records are counted exactly (raw_tp test runs on CPU 0, one-page ring)', () => {
  const map = perfArray();
  try {
    // 2 u64 fields: 8 header + 4 size + 20 raw = 32 bytes a record; 128 fit in one page.
    const insns = eventProgram({ sink: { kind: 'perf', mapFd: map }, fields: [{ kind: 'imm', value: 7 }, { kind: 'cpu' }] });
    const prog = progLoad({ progType: PROG_RAW_TRACEPOINT, insns, license: 'GPL' });
    try {
      const reader = PerfBuffer.create(map, { pageCount: 1, cpus: [0] });
      try {
        const lostReports: number[] = [];
        let samples = 0;
        reader.open((v) => {
          assert.is(u64At(v, 0), 7n);
          assert.is(u64At(v, 1), 0n);
          samples++;
        }, { lost: (n, cpu) => {
          assert.is(cpu, 0);
          lostReports.push(n);
        }, watch: false });
        const ctx = new Uint8Array(8);
        const runs = 1000;
        for (let i = 0; i < runs; i++) progTestRun({ progFd: prog.fd, ctxIn: ctx, flags: TEST_RUN_ON_CPU, cpu: 0 });
        reader.consume();
        assert.ok(samples > 0 && samples < runs, `${samples} samples`);
        assert.is(reader.lost, 0); // the LOST record is written with the next sample that fits
        progTestRun({ progFd: prog.fd, ctxIn: ctx, flags: TEST_RUN_ON_CPU, cpu: 0 });
        reader.consume();
        assert.is(samples + reader.lost, runs + 1);
        assert.equal(lostReports, [reader.lost]);
      } finally {
        reader.close();
      }
    } finally {
      closeFd(prog.fd);
    }
  } finally {
    closeFd(map);
  }
});

kernelTest(test, 'ring buffer: 10000 events from one BPF_PROG_TEST_RUN (repeat) arrive exactly once, in order', () => {
  const map = ringbuf(1 << 20);
  try {
    const insns = eventProgram({ sink: { kind: 'ringbuf', mapFd: map }, fields: [{ kind: 'imm', value: 42 }, { kind: 'pid_tgid' }] });
    const prog = progLoad({ progType: PROG_SOCKET_FILTER, insns, license: 'GPL' });
    try {
      using reader = RingBuffer.create(map);
      let n = 0;
      reader.open((v) => {
        assert.is(u64At(v, 0), 42n);
        n++;
      }, { watch: false });
      progTestRun({ progFd: prog.fd, dataIn: new Uint8Array(64), repeat: 10000 });
      assert.is(reader.consume(), 10000);
      assert.is(n, 10000);
      assert.is(reader.poll(0), 0);
    } finally {
      closeFd(prog.fd);
    }
  } finally {
    closeFd(map);
  }
}, () => helpersMissing('socket_filter', 'bpf_get_current_pid_tgid'));

/** Open fds, and mappings of perf events and BPF maps, of this process. */
function resources(): { fds: number; perfMaps: number; bpfMaps: number } {
  const maps = readFileSync('/proc/self/maps', 'utf8');
  return {
    fds: readdirSync('/proc/self/fd').length,
    perfMaps: (maps.match(/anon_inode:\[perf_event\]/g) ?? []).length,
    bpfMaps: (maps.match(/anon_inode:bpf-map/g) ?? []).length,
  };
}

kernelTest(test, 'create + close leave no fd and no mapping behind (perf buffer and ring buffer)', () => {
  const perf = perfArray();
  const ring = ringbuf();
  try {
    const before = resources();
    const p = PerfBuffer.create(perf, { pageCount: 2 });
    const r = RingBuffer.create(ring);
    const during = resources();
    assert.is(during.perfMaps, before.perfMaps + p.cpus.length);
    assert.is(during.bpfMaps, before.bpfMaps + 2);
    assert.is(during.fds, before.fds + p.cpus.length + 2); // perf fds, two epoll fds
    p.close();
    r.close();
    p.close();
    r.close();
    assert.equal(resources(), before);
  } finally {
    closeFd(perf);
    closeFd(ring);
  }
});

kernelTest(test, 'readAsync: undefined after its timeout, the event when one arrives in time', async () => {
  const map = ringbuf();
  try {
    const insns = eventProgram({ sink: { kind: 'ringbuf', mapFd: map }, fields: [{ kind: 'imm', value: 9 }] });
    const prog = progLoad({ progType: PROG_SOCKET_FILTER, insns, license: 'GPL' });
    try {
      using reader = RingBuffer.create(map);
      const t0 = performance.now();
      assert.is(await reader.readAsync(50), undefined);
      assert.ok(performance.now() - t0 >= 45);
      setTimeout(() => progTestRun({ progFd: prog.fd, dataIn: new Uint8Array(64) }), 20);
      const e = await reader.readAsync(2000);
      assert.ok(e !== undefined);
      assert.is(u64At(e, 0), 9n);
    } finally {
      closeFd(prog.fd);
    }
  } finally {
    closeFd(map);
  }
});

kernelTest(test, 'close() ends a pending for await, is idempotent, and later reads throw', async () => {
  const map = ringbuf();
  try {
    const reader = RingBuffer.create(map);
    const it = (async () => {
      let n = 0;
      for await (const _ of reader) n++;
      return n;
    })();
    await new Promise((r) => setTimeout(r, 20));
    reader.close();
    reader.close();
    assert.is(await withTimeout(it, 2000, 'iterator end'), 0);
    assert.throws(() => reader.read(), /RingBuffer: read after close/);
  } finally {
    closeFd(map);
  }
});

kernelTest(test, 'without koffi.node.poll, for await falls back to epoll_wait on a worker thread (koffi async)', async () => {
  const real = currentBackend();
  const noWatch: SyscallBackend = { ...real, name: 'koffi-without-poll', watchReadable: undefined };
  const restore = installBackend(noWatch);
  try {
    const map = ringbuf();
    try {
      const insns = eventProgram({ sink: { kind: 'ringbuf', mapFd: map }, fields: [{ kind: 'imm', value: 5 }] });
      const prog = progLoad({ progType: PROG_SOCKET_FILTER, insns, license: 'GPL' });
      try {
        const reader = RingBuffer.create(map);
        const got: bigint[] = [];
        const it = (async () => {
          for await (const e of reader) {
            got.push(u64At(e, 0));
            if (got.length === 3) break;
          }
        })();
        // Produce after the iterator is waiting in epoll_wait.
        await new Promise((r) => setTimeout(r, 30));
        progTestRun({ progFd: prog.fd, dataIn: new Uint8Array(64), repeat: 3 });
        await withTimeout(it, 3000, 'three events through epoll_wait.async');
        assert.equal(got, [5n, 5n, 5n]);
        // close() while a wait is pending on the worker thread: the epoll fd is closed after it returns.
        const pending = reader.waitReadable();
        reader.close();
        await withTimeout(pending, 2000, 'pending wait after close');
      } finally {
        closeFd(prog.fd);
      }
    } finally {
      closeFd(map);
    }
  } finally {
    restore();
  }
});

test.run();
