// Zero-copy access to mmapable array maps (BPF_F_MMAPABLE) against the live kernel: what is
// written through the mapping is what BPF_MAP_LOOKUP_ELEM returns and the other way round, frozen
// maps map read-only, and closing unmaps.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ArrayMap, BPF_F_MMAPABLE, BpfMap, MappedArray, bytes, u64, viewOf } from '../../src/maps/index.js';
import { KernelObjectError } from '../../src/errors.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('maps mmap (kernel)');

/** Lines of /proc/self/maps naming a BPF map (anon_inode:bpf-map). */
const bpfMappings = () => readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes('bpf-map')).length;

kernelTest(test, 'writes through the mapping are what the syscall reads, and the other way round (fast-check)', () => {
  using m = ArrayMap.create({ value: u64, maxEntries: 1000, flags: BPF_F_MMAPABLE, name: 'tsbpf_t_mmap' });
  using mapped = m.mmap();
  assert.ok(mapped.writable);
  assert.is(mapped.length, 1000);
  assert.is(mapped.stride, 8);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 999 }), fc.bigUint64Array({ minLength: 2, maxLength: 2 }), fc.boolean(), (i, [a, b], viaMapping) => {
      if (viaMapping) mapped.set(i, a!);
      else m.set(i, a!);
      assert.is(m.get(i), a);
      assert.is(mapped.get(i), a);
      mapped.view.setBigUint64(i * 8, b!, true);
      assert.is(m.get(i), b);
    }),
    { numRuns: 300 },
  );
});

kernelTest(test, 'values whose size is not a multiple of 8 sit at an 8-byte stride', () => {
  using raw = BpfMap.create({ type: 'array', keySize: 4, valueSize: 12, maxEntries: 5, flags: BPF_F_MMAPABLE });
  using mapped = MappedArray.of(raw, bytes(12));
  assert.is(mapped.stride, 16);
  const key = new Uint8Array(4);
  for (let i = 0; i < 5; i++) {
    viewOf(key).setUint32(0, i, true);
    raw.set(key, Uint8Array.from({ length: 12 }, (_, j) => i * 16 + j));
  }
  for (let i = 0; i < 5; i++) {
    assert.equal([...mapped.get(i)], Array.from({ length: 12 }, (_, j) => i * 16 + j));
    assert.equal([...mapped.bytes.subarray(i * 16, i * 16 + 12)], Array.from({ length: 12 }, (_, j) => i * 16 + j));
  }
});

kernelTest(test, 'a frozen map maps read-only; asking for writable is a clear error', () => {
  using m = ArrayMap.create({ value: u64, maxEntries: 4, flags: BPF_F_MMAPABLE, name: 'tsbpf_t_frozen' });
  m.set(2, 77n);
  m.map.freeze();
  using ro = m.mmap();
  assert.not.ok(ro.writable);
  assert.is(ro.get(2), 77n);
  assert.throws(() => ro.set(2, 1n), (e: unknown) => e instanceof KernelObjectError && /read-only/.test(e.message));
  assert.throws(() => ro.bytes, (e: unknown) => e instanceof KernelObjectError && /use get\(\)/.test(e.message));
  assert.throws(() => m.mmap({ writable: true }), (e: unknown) => e instanceof KernelObjectError && e.code === 'EPERM' && /frozen/.test(e.message));
});

kernelTest(test, 'the kernel refuses to freeze a map with a writable mapping (EBUSY)', () => {
  using m = ArrayMap.create({ value: u64, maxEntries: 4, flags: BPF_F_MMAPABLE });
  const mapped = m.mmap();
  assert.throws(() => m.map.freeze(), (e: unknown) => e instanceof KernelObjectError && e.code === 'EBUSY');
  mapped.close();
  m.map.freeze();
});

kernelTest(test, 'bad maps and indexes give typed errors; close unmaps once', () => {
  using plain = ArrayMap.create({ value: u64, maxEntries: 4 });
  assert.throws(() => plain.mmap(), (e: unknown) => e instanceof KernelObjectError && /BPF_F_MMAPABLE/.test(e.message));
  using hash = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4 });
  assert.throws(() => MappedArray.of(hash, u64), (e: unknown) => e instanceof KernelObjectError && /not an array map/.test(e.message));
  using m = ArrayMap.create({ value: u64, maxEntries: 4, flags: BPF_F_MMAPABLE });
  assert.throws(() => MappedArray.of(m.map, bytes(4)), (e: unknown) => e instanceof KernelObjectError && /codec is 4 bytes/.test(e.message));
  const before = bpfMappings();
  const mapped = m.mmap();
  assert.is(bpfMappings(), before + 1);
  assert.throws(() => mapped.get(4), (e: unknown) => e instanceof RangeError);
  assert.throws(() => mapped.get(-1), (e: unknown) => e instanceof RangeError);
  mapped.close();
  mapped.close();
  assert.ok(mapped.closed);
  assert.is(bpfMappings(), before);
  assert.throws(() => mapped.get(0), (e: unknown) => e instanceof KernelObjectError && /closed/.test(e.message));
});

test.run();
