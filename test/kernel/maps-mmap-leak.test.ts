// MappedArray in the leak tracker, against the live kernel: a mapping dropped without close() is
// unmapped by the safety net (it leaves /proc/self/maps) and reported like an unclosed fd, only
// once every view of its memory is gone; a closed mapping is unmapped exactly once and never
// reported.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ArrayMap, BPF_F_MMAPABLE, setLeakHook, trackCreationStacks, u64, type LeakReport } from '../../src/maps/index.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('maps mmap leak tracking (kernel)');

/** Lines of /proc/self/maps naming a BPF map (anon_inode:bpf-map). */
const bpfMappings = () => readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes('bpf-map')).length;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage until `done()` or 30 rounds have passed. */
async function collectUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 30 && !done(); i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}

kernelTest(test, 'a mapping collected without close() is unmapped and reported, with its creation stack', async () => {
  using m = ArrayMap.create({ value: u64, maxEntries: 1024, flags: BPF_F_MMAPABLE, name: 'tsbpf_t_mleak' });
  const reports: LeakReport[] = [];
  const previous = setLeakHook((r) => reports.push(r));
  trackCreationStacks(true);
  const before = bpfMappings();
  try {
    (() => {
      const mapped = m.mmap();
      mapped.set(3, 42n);
    })();
    trackCreationStacks(false);
    assert.is(bpfMappings(), before + 1, 'mapped');
    assert.is(m.get(3), 42n, 'the write went through the mapping');
    await collectUntil(() => reports.some((r) => r.kind === 'mapping'));
    const ours = reports.filter((r) => r.object === 'mapping of map "tsbpf_t_mleak"');
    assert.is(ours.length, 1, 'reported once');
    const [r] = ours;
    assert.is(r!.kind, 'mapping');
    assert.is(r!.fd, undefined);
    assert.is(r!.mapping?.length, 8192, '1024 values of 8 bytes: two pages');
    assert.ok(r!.stack?.includes('maps-mmap-leak.test'), `the stack names the creating test: ${r!.stack ?? '(none)'}`);
    assert.is(bpfMappings(), before, 'the safety net unmapped it');
    assert.is(m.get(3), 42n, 'the map itself is untouched');
  } finally {
    trackCreationStacks(false);
    setLeakHook(previous);
  }
});

kernelTest(test, 'a live view keeps an unclosed mapping mapped; dropping the view lets the safety net unmap it', async () => {
  using m = ArrayMap.create({ value: u64, maxEntries: 4, flags: BPF_F_MMAPABLE, name: 'tsbpf_t_mview' });
  const reports: LeakReport[] = [];
  const previous = setLeakHook((r) => reports.push(r));
  const before = bpfMappings();
  try {
    let view: DataView | undefined = (() => m.mmap().view)();
    const ours = () => reports.filter((r) => r.object === 'mapping of map "tsbpf_t_mview"');
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(ours(), [], 'not reported while a view is alive');
    assert.is(bpfMappings(), before + 1);
    view.setBigUint64(8, 7n, true);
    assert.is(m.get(1), 7n, 'the view still reaches the map');
    view = undefined;
    await collectUntil(() => ours().length > 0);
    assert.is(ours().length, 1);
    assert.is(bpfMappings(), before);
  } finally {
    setLeakHook(previous);
  }
});

kernelTest(test, 'closed mappings are unmapped once and never reported', async () => {
  using m = ArrayMap.create({ value: u64, maxEntries: 4, flags: BPF_F_MMAPABLE, name: 'tsbpf_t_mclose' });
  const reports: LeakReport[] = [];
  const previous = setLeakHook((r) => reports.push(r));
  const before = bpfMappings();
  try {
    (() => {
      for (let i = 0; i < 50; i++) {
        const mapped = m.mmap();
        mapped.close();
        mapped.close();
      }
    })();
    assert.is(bpfMappings(), before);
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(reports.filter((r) => r.kind === 'mapping'), []);
    assert.is(bpfMappings(), before, 'nothing unmapped twice (a second munmap of reused memory would show here or crash)');
  } finally {
    setLeakHook(previous);
  }
});

test.run();
