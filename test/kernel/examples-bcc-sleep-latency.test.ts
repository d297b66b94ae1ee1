/**
 * examples/bcc-sleep-latency.ts in the live kernel: three children sleep 17, 69 and 275 ms
 * (`sleep` calls clock_nanosleep once); only their pids are measured. Each sleep lands at or a
 * little above the log2 slot of its requested length in µs (sleeps never end early; a loaded
 * machine adds delay), and `print_log2_hist('usecs')` prints BCC's text for the counts (the
 * layout itself is checked against BCC's algorithm in test/unit/bcc-histogram.test.ts).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { sleepLatency } from '../../examples/bcc-sleep-latency.js';
import { formatLog2Hist } from '../../src/bcc/index.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('examples: bcc-sleep-latency (kernel)');

/** The log2 slot of `v` as bpf_log2l computes it: bit length, 1 for 0. */
function slotOf(v: bigint): number {
  return v === 0n ? 1 : v.toString(2).length;
}

kernelTest(test, 'sleeps of 17, 69 and 275 ms land in their log2 slots; the text is BCC\'s', async () => {
  using b = sleepLatency({ onlyListed: true });
  // Just above the low edge of slots 15, 17 and 19 (16384, 65536, 262144 µs): an overshoot of
  // up to 90% of the slot's width (15, 62, 249 ms on a loaded machine) keeps each in its slot.
  const seconds = ['0.0172', '0.0688', '0.2753'];
  const children = seconds.map((s) => spawn('sh', ['-c', `read x; exec sleep ${s}`], { stdio: ['pipe', 'ignore', 'inherit'] }));
  const done = children.map((c) => new Promise<number | null>((r) => c.on('exit', (code) => r(code))));
  for (const c of children) b.get('targets').set(c.pid!, 1);
  for (const c of children) c.stdin!.end('go\n');
  assert.equal(await Promise.all(done), [0, 0, 0]);
  const dist = b.get('dist');
  const got = new Array<number>(65).fill(0);
  for (const [slot, n] of dist.items()) got[slot] = Number(n);
  const samples = got.flatMap((n, slot) => Array<number>(n).fill(slot));
  assert.is(samples.length, 3, `one sample per child: ${JSON.stringify(samples)}`);
  // A sleep never ends early, so its slot is at least the requested length's; scheduling delay
  // on a loaded machine may push it up, but not by 4x (two slots).
  seconds.forEach((sec, i) => {
    const low = slotOf(BigInt(Math.round(Number(sec) * 1e6)));
    assert.ok(samples[i] >= low && samples[i] <= low + 2, `sleep ${sec}s in slot ${samples[i]}, expected ${low}..${low + 2}`);
  });
  let text = '';
  dist.print_log2_hist('usecs', undefined, undefined, { write: (s) => { text += s; } });
  assert.is(text, `${formatLog2Hist(got, 'usecs')}\n`);
  assert.match(text, /^\s+usecs\s+: count\s+distribution\n/);
  assert.equal(dist.log2_hist_json('usecs').data.filter((d) => d.count > 0).map((d) => d['interval-start']), [...new Set(samples)].map((slot) => 2 ** (slot - 1)));
  assert.is(b.get('start').items().length, 0, 'the exit probe deleted every start entry');
});

test.run();
