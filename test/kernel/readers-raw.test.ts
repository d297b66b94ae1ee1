// The allocation-free read path (consumeRaw) against the live kernel: records produced by
// BPF_PROG_TEST_RUN read through consumeRaw carry the same bytes as through consume(), exactly
// once and in order, with perf records that wrap at the end of a one-page ring and lost counts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeFd, mapCreate, progLoad, progTestRun } from '../../syscalls/index.js';
import { PerfBuffer, RingBuffer, possibleCpus } from '../../src/readers/index.js';
import { eventProgram } from '../support/event-programs.js';
import { kernelTest } from '../support/kernel.js';
import { helpersMissing } from '../support/kernel-lacks.js';

const test = suite('readers raw (kernel)');

const PROG_RAW_TRACEPOINT = 17;
const PROG_SOCKET_FILTER = 1;
const MAP_PERF_EVENT_ARRAY = 4;
const MAP_RINGBUF = 27;
/** BPF_F_TEST_RUN_ON_CPU */
const TEST_RUN_ON_CPU = 1;

kernelTest(test, 'ring buffer: consumeRaw reads 100000 records exactly once, same bytes as consume()', () => {
  const map = mapCreate({ mapType: MAP_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 1 << 22 });
  try {
    const insns = eventProgram({ sink: { kind: 'ringbuf', mapFd: map }, fields: [{ kind: 'imm', value: 42 }, { kind: 'pid_tgid' }] });
    const prog = progLoad({ progType: PROG_SOCKET_FILTER, insns, license: 'GPL' });
    try {
      using reader = RingBuffer.create(map);
      const runs = 100_000;
      let n = 0;
      let bad = 0;
      progTestRun({ progFd: prog.fd, dataIn: new Uint8Array(64), repeat: runs });
      const got = reader.consumeRaw((view, offset, length, cpu) => {
        if (length !== 16 || cpu !== -1 || view.getUint32(offset, true) !== 42 || view.getUint32(offset + 12, true) !== process.pid) bad++;
        n++;
      });
      assert.is(got, runs);
      assert.is(n, runs);
      assert.is(bad, 0);
      assert.is(reader.consumeRaw(() => assert.unreachable()), 0);
      // The same records through both paths.
      progTestRun({ progFd: prog.fd, dataIn: new Uint8Array(64), repeat: 3 });
      const raw: number[][] = [];
      reader.consumeRaw((v, off, len) => raw.push([...new Uint8Array(v.buffer, v.byteOffset + off, len)]), 2);
      const views: number[][] = [];
      reader.open((v) => views.push([...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)]), { watch: false });
      assert.is(reader.consume(), 1);
      assert.is(raw.length, 2);
      assert.equal(views, [raw[0]]);
    } finally {
      closeFd(prog.fd);
    }
  } finally {
    closeFd(map);
  }
}, () => helpersMissing('socket_filter', 'bpf_get_current_pid_tgid'));

kernelTest(test, 'perf buffer: consumeRaw over a one-page ring, records wrapping at its end, lost counted', () => {
  const map = mapCreate({ mapType: MAP_PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: Math.max(...possibleCpus()) + 1 });
  try {
    // 3 u64 fields: 8 header + 4 size + 28 raw = 40 bytes, which does not divide 4096: records wrap.
    const insns = eventProgram({ sink: { kind: 'perf', mapFd: map }, fields: [{ kind: 'imm', value: 7 }, { kind: 'cpu' }, { kind: 'imm', value: 9 }] });
    const prog = progLoad({ progType: PROG_RAW_TRACEPOINT, insns, license: 'GPL' });
    try {
      using reader = PerfBuffer.create(map, { pageCount: 1, cpus: [0] });
      const ctx = new Uint8Array(8);
      let n = 0;
      let bad = 0;
      const check = (view: DataView, offset: number, length: number, cpu: number) => {
        if (length !== 28 || cpu !== 0 || view.getUint32(offset, true) !== 7 || view.getUint32(offset + 8, true) !== 0 || view.getUint32(offset + 16, true) !== 9) bad++;
        n++;
      };
      // 30 batches of 50 records (2000 bytes): 1500 records, 60000 bytes through 4096.
      for (let b = 0; b < 30; b++) {
        for (let i = 0; i < 50; i++) progTestRun({ progFd: prog.fd, ctxIn: ctx, flags: TEST_RUN_ON_CPU, cpu: 0 });
        assert.is(reader.consumeRaw(check), 50, `batch ${b}`);
      }
      assert.is(n, 1500);
      assert.is(bad, 0);
      assert.is(reader.lost, 0);
      // Overflow: 200 records into a ring that holds 102; the kernel reports the rest as lost.
      const lostReports: number[] = [];
      reader.open(() => assert.unreachable(), { lost: (count) => lostReports.push(count), watch: false });
      for (let i = 0; i < 200; i++) progTestRun({ progFd: prog.fd, ctxIn: ctx, flags: TEST_RUN_ON_CPU, cpu: 0 });
      n = 0;
      reader.consumeRaw(check);
      progTestRun({ progFd: prog.fd, ctxIn: ctx, flags: TEST_RUN_ON_CPU, cpu: 0 });
      reader.consumeRaw(check);
      assert.is(bad, 0);
      assert.ok(reader.lost > 0, 'records were lost');
      assert.is(n + reader.lost, 201);
      assert.equal(lostReports, [reader.lost]);
    } finally {
      closeFd(prog.fd);
    }
  } finally {
    closeFd(map);
  }
});

test.run();
