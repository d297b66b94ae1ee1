// Ring parsing without a kernel: perf rings and ring buffers built in ArrayBuffers (wrap-around,
// PERF_RECORD_LOST, busy and discard bits, tail/consumer write-back), plus the CPU list parser.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  PerfRing, RINGBUF_BUSY_BIT, RINGBUF_DISCARD_BIT, RingBufferRing, RingFormatError, loadPosition, parseCpuList, storePosition,
} from '../../src/readers/index.js';

const test = suite('readers');

/** A perf ring in an ArrayBuffer, with a writer that produces records the way the kernel does. */
class FakePerfRing {
  readonly meta = new DataView(new ArrayBuffer(4096));
  readonly data: Uint8Array;
  head = 0;
  constructor(readonly size: number) {
    this.data = new Uint8Array(size);
  }
  private put(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.data[(this.head + i) % this.size] = bytes[i];
    this.head += bytes.length;
    storePosition(this.meta, 1024, this.head);
  }
  /** A PERF_RECORD_SAMPLE with PERF_SAMPLE_RAW: header, u32 size, data padded to 8 bytes. */
  sample(payload: Uint8Array): void {
    const raw = ((payload.length + 4 + 7) & ~7) - 4;
    const rec = new Uint8Array(8 + 4 + raw);
    const dv = new DataView(rec.buffer);
    dv.setUint32(0, 9, true);
    dv.setUint16(6, rec.length, true);
    dv.setUint32(8, raw, true);
    rec.set(payload, 12);
    this.put(rec);
  }
  lost(count: bigint): void {
    const rec = new Uint8Array(24);
    const dv = new DataView(rec.buffer);
    dv.setUint32(0, 2, true);
    dv.setUint16(6, 24, true);
    dv.setBigUint64(8, 77n, true);
    dv.setBigUint64(16, count, true);
    this.put(rec);
  }
  other(): void {
    const rec = new Uint8Array(16);
    new DataView(rec.buffer).setUint32(0, 3, true); // PERF_RECORD_COMM
    new DataView(rec.buffer).setUint16(6, 16, true);
    this.put(rec);
  }
  get tail(): number {
    return loadPosition(this.meta, 1032);
  }
}

function bytesOf(v: DataView): number[] {
  return [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)];
}

test('perf ring: samples in order, padded to 8 bytes, tail written back once after the batch', () => {
  const f = new FakePerfRing(256);
  const ring = new PerfRing(f.meta, f.data, 3);
  f.sample(Uint8Array.of(1, 2, 3, 4));
  f.sample(Uint8Array.of(5, 6, 7, 8, 9, 10, 11, 12));
  const got: [number[], number, number][] = [];
  const n = ring.consume(Infinity, (d, cpu) => got.push([bytesOf(d), cpu, f.tail]), () => assert.unreachable());
  assert.is(n, 2);
  assert.equal(got, [
    [[1, 2, 3, 4], 3, 0],
    [[5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 0], 3, 0],
  ]);
  assert.is(f.tail, f.head);
  assert.not.ok(ring.pending());
});

test('perf ring: records that wrap at the end of the data area (header, size and data split)', () => {
  for (let start = 0; start < 64; start += 8) {
    const f = new FakePerfRing(64);
    f.head = start;
    storePosition(f.meta, 1024, start);
    storePosition(f.meta, 1032, start);
    const ring = new PerfRing(f.meta, f.data, 0);
    const payload = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
    f.sample(payload);
    const got: number[][] = [];
    ring.consume(Infinity, (d) => got.push(bytesOf(d).slice(0, 20)), () => {});
    assert.equal(got, [[...payload]], `start ${start}`);
    assert.is(f.tail, start + 32);
  }
});

test('perf ring: PERF_RECORD_LOST counted exactly; other record types skipped; limit respected', () => {
  const f = new FakePerfRing(512);
  const ring = new PerfRing(f.meta, f.data, 1);
  f.sample(Uint8Array.of(1));
  f.lost(5n);
  f.other();
  f.sample(Uint8Array.of(2));
  f.lost(0x1_0000_0003n);
  f.sample(Uint8Array.of(3));
  const lost: number[] = [];
  const seen: number[] = [];
  assert.is(ring.consume(2, (d) => seen.push(d.getUint8(0)), (n) => lost.push(n)), 2);
  assert.equal(seen, [1, 2]);
  assert.equal(lost, [5]);
  assert.ok(ring.pending());
  assert.is(ring.consume(Infinity, (d) => seen.push(d.getUint8(0)), (n) => lost.push(n)), 1);
  assert.equal(seen, [1, 2, 3]);
  assert.equal(lost, [5, 0x1_0000_0003]);
});

test('perf ring: positions above 2^32 and a malformed size', () => {
  const f = new FakePerfRing(64);
  const base = 0x1_0000_0000 * 5 - 8;
  f.head = base;
  storePosition(f.meta, 1024, base);
  storePosition(f.meta, 1032, base);
  const ring = new PerfRing(f.meta, f.data, 0);
  f.sample(Uint8Array.of(9, 9, 9, 9));
  let n = 0;
  ring.consume(Infinity, () => n++, () => {});
  assert.is(n, 1);
  assert.is(f.meta.getBigUint64(1032, true), BigInt(base + 16));
  // A record header claiming size 4 (less than the header itself).
  f.data.fill(0);
  new DataView(f.data.buffer).setUint16((base + 16) % 64 + 6, 4, true);
  new DataView(f.data.buffer).setUint32((base + 16) % 64, 9, true);
  storePosition(f.meta, 1024, base + 32);
  assert.throws(() => ring.consume(Infinity, () => {}, () => {}), (e: unknown) => e instanceof RingFormatError && e.position === base + 16);
});

test('perf ring: detach drops the memory; consume then delivers nothing', () => {
  const f = new FakePerfRing(64);
  const ring = new PerfRing(f.meta, f.data, 0);
  f.sample(Uint8Array.of(1));
  ring.detach();
  assert.is(ring.consume(Infinity, () => assert.unreachable(), () => {}), 0);
  assert.not.ok(ring.pending());
});

test('perf ring: any sequence of samples and losses is delivered in order, across wraps (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 40 }), fc.bigInt({ min: 1n, max: 1000n })), { maxLength: 60 }), fc.integer({ min: 1, max: 5 }), (items, batch) => {
      const f = new FakePerfRing(128);
      const ring = new PerfRing(f.meta, f.data, 0);
      const seen: (number[] | bigint)[] = [];
      const expected: (number[] | bigint)[] = [];
      for (const item of items) {
        const need = typeof item === 'bigint' ? 24 : (8 + 4 + item.length + 7) & ~7;
        // The writer waits for room, as the kernel would drop the record instead.
        while (f.head + need - f.tail > f.size) ring.consume(batch, (d) => seen.push(bytesOf(d)), (n) => seen.push(BigInt(n)));
        if (typeof item === 'bigint') {
          f.lost(item);
          expected.push(item);
        } else {
          f.sample(item);
          const raw = ((item.length + 4 + 7) & ~7) - 4;
          expected.push([...item, ...new Array<number>(raw - item.length).fill(0)]);
        }
      }
      while (ring.pending()) ring.consume(batch, (d) => seen.push(bytesOf(d)), (n) => seen.push(BigInt(n)));
      assert.equal(seen, expected);
    }),
  );
});

/** A ring buffer in ArrayBuffers: consumer page, producer page, data area (once or twice). */
class FakeRingBuf {
  readonly consumer = new DataView(new ArrayBuffer(4096));
  readonly producer = new DataView(new ArrayBuffer(4096));
  readonly data: Uint8Array;
  prod = 0;
  constructor(readonly size: number, double: boolean) {
    this.data = new Uint8Array(double ? 2 * size : size);
  }
  private write(pos: number, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const p = (pos + i) % this.size;
      this.data[p] = bytes[i];
      if (this.data.length === 2 * this.size) this.data[p + this.size] = bytes[i];
    }
  }
  /** Reserves and writes a record; returns its position (to flip its header bits later). */
  record(payload: Uint8Array, bits = 0): number {
    const pos = this.prod;
    const hdr = new Uint8Array(8);
    new DataView(hdr.buffer).setUint32(0, (payload.length | bits) >>> 0, true);
    this.write(pos, hdr);
    this.write(pos + 8, payload);
    this.prod += (payload.length + 8 + 7) & ~7;
    storePosition(this.producer, 0, this.prod);
    return pos;
  }
  setBits(pos: number, payloadLength: number, bits: number): void {
    const hdr = new Uint8Array(4);
    new DataView(hdr.buffer).setUint32(0, (payloadLength | bits) >>> 0, true);
    this.write(pos, hdr);
  }
  get cons(): number {
    return loadPosition(this.consumer, 0);
  }
}

test('ring buffer: records in order, 8-byte aligned, consumer_pos written back', () => {
  const f = new FakeRingBuf(128, true);
  const ring = new RingBufferRing(f.consumer, f.producer, f.data, 128);
  f.record(Uint8Array.of(1, 2, 3));
  f.record(Uint8Array.of(4, 5, 6, 7, 8, 9, 10, 11));
  const got: [number[], number, number][] = [];
  assert.is(ring.consume(Infinity, (d, cpu) => got.push([bytesOf(d), cpu, f.cons])), 2);
  assert.equal(got, [[[1, 2, 3], -1, 0], [[4, 5, 6, 7, 8, 9, 10, 11], -1, 16]]);
  assert.is(f.cons, 32);
});

test('ring buffer: a busy record stops the reader until committed; discarded records are skipped', () => {
  const f = new FakeRingBuf(256, true);
  const ring = new RingBufferRing(f.consumer, f.producer, f.data, 256);
  f.record(Uint8Array.of(1));
  const busy = f.record(Uint8Array.of(2), RINGBUF_BUSY_BIT);
  f.record(Uint8Array.of(3));
  f.record(Uint8Array.of(4), RINGBUF_DISCARD_BIT);
  f.record(Uint8Array.of(5));
  const seen: number[] = [];
  assert.is(ring.consume(Infinity, (d) => seen.push(d.getUint8(0))), 1);
  assert.equal(seen, [1]);
  assert.is(f.cons, busy);
  assert.ok(ring.pending());
  f.setBits(busy, 1, 0);
  assert.is(ring.consume(Infinity, (d) => seen.push(d.getUint8(0))), 3);
  assert.equal(seen, [1, 2, 3, 5]);
  assert.is(f.cons, f.prod);
  // A busy record that ends up discarded.
  const b2 = f.record(Uint8Array.of(6), RINGBUF_BUSY_BIT);
  assert.is(ring.consume(Infinity, () => assert.unreachable()), 0);
  f.setBits(b2, 1, RINGBUF_DISCARD_BIT);
  assert.is(ring.consume(Infinity, () => assert.unreachable()), 0);
  assert.is(f.cons, f.prod);
});

test('ring buffer: wrap-around, with the data area mapped twice (in place) and once (copied)', () => {
  for (const double of [true, false]) {
    for (let start = 0; start < 64; start += 8) {
      const f = new FakeRingBuf(64, double);
      f.prod = start;
      storePosition(f.producer, 0, start);
      storePosition(f.consumer, 0, start);
      const ring = new RingBufferRing(f.consumer, f.producer, f.data, 64);
      const payload = Uint8Array.from({ length: 21 }, (_, i) => 100 + i);
      f.record(payload);
      const got: number[][] = [];
      ring.consume(Infinity, (d) => got.push(bytesOf(d)));
      assert.equal(got, [[...payload]], `double ${double} start ${start}`);
      assert.is(f.cons, start + 32);
    }
  }
});

test('ring buffer: a record longer than the ring is an error, not a read past the end', () => {
  const f = new FakeRingBuf(64, true);
  const ring = new RingBufferRing(f.consumer, f.producer, f.data, 64);
  new DataView(f.data.buffer).setUint32(0, 1000, true);
  storePosition(f.producer, 0, 1008);
  assert.throws(() => ring.consume(Infinity, () => {}), (e: unknown) => e instanceof RingFormatError && e.ring === 'ringbuf');
});

test('ring buffer: any sequence of records, some discarded, arrives in order (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 30 }), fc.boolean()), { maxLength: 60 }), fc.boolean(), (items, double) => {
      const f = new FakeRingBuf(128, double);
      const ring = new RingBufferRing(f.consumer, f.producer, f.data, 128);
      const seen: number[][] = [];
      const expected: number[][] = [];
      for (const [payload, discard] of items) {
        const need = (payload.length + 8 + 7) & ~7;
        if (f.prod + need - f.cons > 128) ring.consume(Infinity, (d) => seen.push(bytesOf(d)));
        f.record(payload, discard ? RINGBUF_DISCARD_BIT : 0);
        if (!discard) expected.push([...payload]);
      }
      ring.consume(Infinity, (d) => seen.push(bytesOf(d)));
      assert.equal(seen, expected);
    }),
  );
});

test('perf ring: consumeRaw delivers the same bytes as consume, wraps included (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 40 }), { maxLength: 40 }), fc.integer({ min: 0, max: 127 }), (payloads, startWord) => {
      const start = startWord * 8;
      const a = new FakePerfRing(128);
      const b = new FakePerfRing(128);
      for (const f of [a, b]) {
        f.head = start;
        storePosition(f.meta, 1024, start);
        storePosition(f.meta, 1032, start);
      }
      const ra = new PerfRing(a.meta, a.data, 2);
      const rb = new PerfRing(b.meta, b.data, 2);
      const viaView: number[][] = [];
      const viaRaw: number[][] = [];
      for (const p of payloads) {
        const need = (12 + p.length + 7) & ~7;
        if (a.head + need - a.tail > 128) {
          ra.consume(Infinity, (d) => viaView.push(bytesOf(d)), () => {});
          rb.consumeRaw(Infinity, (v, off, len, cpu) => {
            assert.is(cpu, 2);
            viaRaw.push([...new Uint8Array(v.buffer, v.byteOffset + off, len)]);
          }, () => {});
        }
        a.sample(p);
        b.sample(p);
      }
      ra.consume(Infinity, (d) => viaView.push(bytesOf(d)), () => {});
      rb.consumeRaw(Infinity, (v, off, len) => viaRaw.push([...new Uint8Array(v.buffer, v.byteOffset + off, len)]), () => {});
      assert.equal(viaRaw, viaView);
      assert.is(viaRaw.length, payloads.length);
      assert.is(b.tail, b.head);
    }),
  );
});

test('perf ring: a sink that throws leaves its record unread; the ones before it are consumed', () => {
  const f = new FakePerfRing(256);
  const ring = new PerfRing(f.meta, f.data, 0);
  f.sample(Uint8Array.of(1));
  f.sample(Uint8Array.of(2));
  f.sample(Uint8Array.of(3));
  const seen: number[] = [];
  assert.throws(() => ring.consume(Infinity, (d) => {
    if (d.getUint8(0) === 2) throw new Error('boom');
    seen.push(d.getUint8(0));
  }, () => {}), /boom/);
  assert.is(f.tail, 16);
  ring.consume(Infinity, (d) => seen.push(d.getUint8(0)), () => {});
  assert.equal(seen, [1, 2, 3]);
});

test('ring buffer: consumeRaw and consume agree, consumer_pos per record across 2^32 (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 30 }), fc.boolean()), { maxLength: 40 }), fc.boolean(), fc.integer({ min: 0, max: 15 }), (items, double, back) => {
      // Start just below a 2^32 boundary, so the high half of consumer_pos changes mid-run.
      const start = 0x1_0000_0000 * 3 - back * 8;
      const f = new FakeRingBuf(128, double);
      f.prod = start;
      storePosition(f.producer, 0, start);
      storePosition(f.consumer, 0, start);
      const ring = new RingBufferRing(f.consumer, f.producer, f.data, 128);
      const seen: number[][] = [];
      const expected: number[][] = [];
      const ends: number[] = [];
      const sink = (v: DataView, off: number, len: number, cpu: number) => {
        assert.is(cpu, -1);
        seen.push([...new Uint8Array(v.buffer, v.byteOffset + off, len)]);
        ends.push(f.cons);
      };
      for (const [payload, discard] of items) {
        const need = (payload.length + 8 + 7) & ~7;
        if (f.prod + need - f.cons > 128) ring.consumeRaw(Infinity, sink);
        f.record(payload, discard ? RINGBUF_DISCARD_BIT : 0);
        if (!discard) expected.push([...payload]);
      }
      ring.consumeRaw(Infinity, sink);
      assert.equal(seen, expected);
      assert.is(f.cons, f.prod);
      assert.is(f.consumer.getBigUint64(0, true), BigInt(f.prod));
      // consumer_pos is written back after each record: it grows between deliveries.
      for (let i = 1; i < ends.length; i++) assert.ok(ends[i] > ends[i - 1]);
    }),
  );
});

test('positions past 2^53 and across 2^64: both rings stay exact (u32 halves, no rounding)', () => {
  const U64 = 1n << 64n;
  for (const big of [(1n << 53n) - 24n, (1n << 53n) + 0x1_0000_0000n * 7n - 8n, U64 - 40n]) {
    // Perf: the fake writes at small positions with the same low bits; the meta page then gets the big ones.
    const f = new FakePerfRing(128);
    const s = Number(big % 128n);
    f.head = s;
    for (let i = 0; i < 5; i++) f.sample(Uint8Array.of(i, i, i));
    const written = BigInt(f.head - s);
    f.meta.setBigUint64(1024, (big + written) % U64, true);
    f.meta.setBigUint64(1032, big, true);
    const ring = new PerfRing(f.meta, f.data, 0);
    const seen: number[] = [];
    assert.is(ring.consume(Infinity, (d) => seen.push(d.getUint8(0)), () => {}), 5);
    assert.equal(seen, [0, 1, 2, 3, 4]);
    assert.is(f.meta.getBigUint64(1032, true), (big + written) % U64, `perf from ${big}`);
    assert.not.ok(ring.pending());

    const r = new FakeRingBuf(128, true);
    r.prod = s;
    for (let i = 0; i < 5; i++) r.record(Uint8Array.of(i, 9));
    const produced = BigInt(r.prod - s);
    r.producer.setBigUint64(0, (big + produced) % U64, true);
    r.consumer.setBigUint64(0, big, true);
    const rb = new RingBufferRing(r.consumer, r.producer, r.data, 128);
    const ends: bigint[] = [];
    const got: number[] = [];
    assert.is(rb.consume(Infinity, (d) => {
      got.push(d.getUint8(0));
      ends.push(r.consumer.getBigUint64(0, true));
    }), 5);
    assert.equal(got, [0, 1, 2, 3, 4]);
    // Written back per record: 16 bytes each.
    assert.equal(ends, [0n, 16n, 32n, 48n, 64n].map((d) => (big + d) % U64), `ringbuf from ${big}`);
    assert.is(r.consumer.getBigUint64(0, true), (big + produced) % U64);
    assert.not.ok(rb.pending());
  }
});

test('positions: load/store round-trip up to 2^53 in two 32-bit halves', () => {
  const dv = new DataView(new ArrayBuffer(8));
  for (const v of [0, 1, 0xffffffff, 0x1_0000_0000, 2 ** 53 - 1]) {
    storePosition(dv, 0, v);
    assert.is(loadPosition(dv, 0), v);
    assert.is(dv.getBigUint64(0, true), BigInt(v));
  }
});

test('parseCpuList: the kernel cpu list syntax', () => {
  assert.equal(parseCpuList('0-1\n'), [0, 1]);
  assert.equal(parseCpuList('0'), [0]);
  assert.equal(parseCpuList('0-2,4,6-7'), [0, 1, 2, 4, 6, 7]);
  assert.throws(() => parseCpuList('a-b'), (e: unknown) => e instanceof RangeError);
  assert.throws(() => parseCpuList('3-1'), (e: unknown) => e instanceof RangeError);
});

test.run();
