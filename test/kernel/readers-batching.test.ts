// Wake-up batching (open(cb, {batchMs})): events produced 10 ms apart are delivered together
// once the window closes, none lost or repeated; without batchMs the first arrives at once.
// Events come from BPF_PROG_TEST_RUN on a socket filter (deterministic, this process only).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeFd, mapCreate, progLoad, progTestRun } from '../../syscalls/index.js';
import { PerfBuffer, RingBuffer, possibleCpus, type EventReader } from '../../src/readers/index.js';
import { eventProgram } from '../support/event-programs.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('readers: wake-up batching');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function deliveries(kind: 'perf' | 'ringbuf', batchMs: number): Promise<{ produced: number[]; delivered: number[]; values: number[] }> {
  const map = kind === 'perf' ? mapCreate({ mapType: 4, keySize: 4, valueSize: 4, maxEntries: Math.max(...possibleCpus()) + 1 }) : mapCreate({ mapType: 27, keySize: 0, valueSize: 0, maxEntries: 1 << 16 });
  const progs = [1, 2, 3].map((v) => progLoad({ progType: 1, insns: eventProgram({ sink: { kind, mapFd: map }, fields: [{ kind: 'imm', value: v }] }), license: 'GPL' }).fd);
  const reader: EventReader<DataView> = kind === 'perf' ? PerfBuffer.create(map) : RingBuffer.create(map);
  try {
    const produced: number[] = [];
    const delivered: number[] = [];
    const values: number[] = [];
    reader.open((v) => {
      delivered.push(performance.now());
      values.push(Number(v.getBigUint64(0, true)));
    }, { batchMs });
    await sleep(5);
    for (const p of progs) {
      produced.push(performance.now());
      progTestRun({ progFd: p, dataIn: new Uint8Array(64) });
      await sleep(10);
    }
    for (let i = 0; i < 100 && values.length < 3; i++) await sleep(10);
    return { produced, delivered, values };
  } finally {
    reader.close();
    for (const p of progs) closeFd(p);
    closeFd(map);
  }
}

for (const kind of ['ringbuf', 'perf'] as const) {
  kernelTest(test, `${kind}: batchMs 80 delivers three events 10 ms apart together, after the window`, async () => {
    const r = await deliveries(kind, 80);
    assert.equal(r.values, [1, 2, 3]);
    assert.ok(r.delivered[0] - r.produced[0] >= 70, `first delivered ${(r.delivered[0] - r.produced[0]).toFixed(1)} ms after production`);
    assert.ok(r.delivered[2] - r.delivered[0] < 5, `one batch: ${(r.delivered[2] - r.delivered[0]).toFixed(1)} ms between first and last delivery`);
  });

  kernelTest(test, `${kind}: without batchMs each event is delivered before the next is produced`, async () => {
    const r = await deliveries(kind, 0);
    assert.equal(r.values, [1, 2, 3]);
    for (let i = 0; i < 2; i++) assert.ok(r.delivered[i] < r.produced[i + 1], `event ${i + 1} delivered before event ${i + 2} was produced`);
  });
}

kernelTest(test, 'batchMs must be a non-negative number', () => {
  const map = mapCreate({ mapType: 27, keySize: 0, valueSize: 0, maxEntries: 1 << 16 });
  try {
    using reader = RingBuffer.create(map);
    assert.throws(() => reader.open(() => undefined, { batchMs: -1 }), (e: unknown) => e instanceof RangeError && /batchMs -1/.test(e.message));
  } finally {
    closeFd(map);
  }
});

test.run();
