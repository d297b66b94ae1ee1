/**
 * {@link RingBufferRing}: the records of a `BPF_MAP_TYPE_RINGBUF` map, over memory the caller
 * provides (the mapped pages in the real reader, ArrayBuffers in tests).
 *
 * Layout (`kernel/bpf/ringbuf.c`): a consumer page mapped read-write at offset 0
 * (`consumer_pos` at 0), then, from offset 4096, a producer page mapped read-only
 * (`producer_pos` at 0) followed by the data area, mapped twice in a row so that no record wraps.
 * Each record starts with an 8-byte header `{u32 len; u32 pg_off}`: bit 31 of `len` is set while
 * the producer has not committed it (busy), bit 30 when it was discarded; records are 8-byte
 * aligned.
 *
 * Hot path: the pages are read through `Uint32Array`s created once (native byte order, as the
 * kernel writes them), a record header is one 32-bit load, and nothing is allocated per record.
 * Positions are `unsigned long` byte counts that only grow (`kernel/bpf/ringbuf.c` masks them
 * with `rb->mask` to index the data), so they can pass 2^53 — a `number` would then round — after
 * about a year at 160 MB/s (10 M records of 16 bytes a second). The loop therefore keeps
 * `consumer_pos` as two u32 halves and computes the distance to `producer_pos` from the low halves
 * alone, modulo 2^32: exact because the kernel never lets the producer get more than the ring size
 * (≤ 2^31 here) ahead. `consumer_pos` is written back per record as libbpf does
 * (`ringbuf_process_ring`: `smp_store_release(r->consumer_pos, cons_pos)` after each record) with
 * one u32 store, plus one for the high half when the low half wraps (once per 4 GiB), low half
 * first so that the kernel can only see a position too small (less room, harmless).
 * @module
 */

import { RingFormatError } from './reader-errors.js';
import type { RawSampleSink, SampleSink } from './perf-ring.js';

/** `BPF_RINGBUF_BUSY_BIT`: the record is reserved but not yet committed. */
export const RINGBUF_BUSY_BIT = 0x8000_0000;
/** `BPF_RINGBUF_DISCARD_BIT`: the record was discarded; skip it. */
export const RINGBUF_DISCARD_BIT = 0x4000_0000;
/** `BPF_RINGBUF_HDR_SZ`. */
export const RINGBUF_HEADER_SIZE = 8;

const TWO_32 = 0x1_0000_0000;
const LENGTH_MASK = 0x3fff_ffff;

/** A u32 view of the 8 bytes at the start of `dv` (must be 4-byte aligned). */
function words(dv: DataView, count: number): Uint32Array {
  if ((dv.byteOffset & 3) !== 0) throw new RangeError('RingBufferRing: position pages must be 4-byte aligned');
  return new Uint32Array(dv.buffer, dv.byteOffset, count);
}

/** The largest data area the u32 position arithmetic supports (2 GiB). */
const MAX_SIZE = 0x8000_0000;

/**
 * One ring buffer. {@link RingBufferRing.consume} delivers committed records from
 * `consumer_pos` on, stops at the first busy one, skips discarded ones, and advances
 * `consumer_pos` after each record (so a delivered view stays intact until the sink returns).
 */
export class RingBufferRing {
  /** Data area size in bytes (a power of two). */
  readonly size: number;
  private consumer: Uint32Array | null;
  private producer: Uint32Array | null;
  private data: Uint8Array | null;
  private dv: DataView | null;
  private headers: Uint32Array | null;
  private scratch = new Uint8Array(256);
  private scratchView = new DataView(this.scratch.buffer);

  /**
   * @param consumer the consumer page (`consumer_pos` at 0; 4-byte aligned).
   * @param producer the producer page (`producer_pos` at 0; 4-byte aligned).
   * @param data the data area: `size` bytes, or `2 × size` when mapped twice (no copies on wrap);
   *   8-byte aligned.
   * @param size the data area size (a power of two).
   */
  constructor(consumer: DataView, producer: DataView, data: Uint8Array, size: number) {
    if (size < 8 || (size & (size - 1)) !== 0) throw new RangeError(`RingBufferRing: data size ${size} is not a power of two`);
    if (size > MAX_SIZE) throw new RangeError(`RingBufferRing: data size ${size} is larger than 2 GiB`);
    if (data.byteLength < size) throw new RangeError(`RingBufferRing: data area of ${data.byteLength} bytes is smaller than ${size}`);
    if ((data.byteOffset & 7) !== 0) throw new RangeError('RingBufferRing: data area must be 8-byte aligned');
    this.consumer = words(consumer, 2);
    this.producer = words(producer, 2);
    this.data = data;
    this.dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.headers = new Uint32Array(data.buffer, data.byteOffset, data.byteLength >>> 2);
    this.size = size;
  }

  /** Whether records are waiting (`producer_pos` > `consumer_pos`; they may still be busy). */
  pending(): boolean {
    if (this.consumer === null || this.producer === null) return false;
    // The positions differ exactly when their low halves do (they are less than 2^32 apart).
    return this.producer[0] !== this.consumer[0];
  }

  /**
   * Delivers up to `limit` committed records to `onSample` as zero-copy DataViews (cpu -1: a ring
   * buffer is shared by every CPU); returns how many. Throws a {@link RingFormatError} on a record
   * longer than the ring.
   */
  consume(limit: number, onSample: SampleSink): number {
    return this.consumeRaw(limit, (view, offset, length, cpu) => onSample(new DataView(view.buffer, view.byteOffset + offset, length), cpu));
  }

  /**
   * Like {@link RingBufferRing.consume} without allocating per record: `onRecord` receives one
   * DataView over the whole data area (or a scratch buffer for a record split at the end of a
   * data area mapped once), the record's byte offset in it and its length.
   */
  consumeRaw(limit: number, onRecord: RawSampleSink): number {
    const consumer = this.consumer;
    const producer = this.producer;
    const data = this.data;
    const dv = this.dv;
    const headers = this.headers;
    if (consumer === null || producer === null || data === null || dv === null || headers === null) return 0;
    const size = this.size;
    const mask = size - 1;
    const mapped = data.byteLength;
    let consLo = consumer[0];
    let consHi = consumer[1];
    // Bytes produced and not yet consumed (committed or busy), from the low halves: see the module doc.
    let avail = (producer[0] - consLo) >>> 0;
    let n = 0;
    for (;;) {
      if (avail === 0) {
        // The kernel wakes the consumer only for a record committed when consumer_pos had caught
        // up with it: stopping while records are waiting would never be woken again. Look again.
        avail = (producer[0] - consLo) >>> 0;
        if (avail === 0) break;
      }
      if (n >= limit) break;
      const off = consLo & mask;
      const len = headers[off >>> 2];
      if ((len & RINGBUF_BUSY_BIT) !== 0) break;
      const recLen = len & LENGTH_MASK;
      const total = (recLen + RINGBUF_HEADER_SIZE + 7) & ~7;
      if (total > size || total > avail) throw new RingFormatError('ringbuf', consHi * TWO_32 + consLo, `length ${recLen}, ${avail} bytes produced`);
      if ((len & RINGBUF_DISCARD_BIT) === 0) {
        const start = off + RINGBUF_HEADER_SIZE;
        if (start + recLen <= mapped) {
          onRecord(dv, start, recLen, -1);
        } else {
          onRecord(this.unwrap(data, start & mask, recLen), 0, recLen, -1);
        }
        n++;
      }
      avail -= total;
      consLo += total;
      if (consLo < TWO_32) {
        consumer[0] = consLo;
      } else {
        consLo -= TWO_32;
        consHi = (consHi + 1) >>> 0;
        consumer[0] = consLo;
        consumer[1] = consHi;
      }
    }
    return n;
  }

  /** Copies a record split at the end of a data area mapped once (tests only) into scratch memory. */
  private unwrap(data: Uint8Array, s: number, recLen: number): DataView {
    if (this.scratch.byteLength < recLen) {
      this.scratch = new Uint8Array(Math.max(recLen, this.scratch.byteLength * 2));
      this.scratchView = new DataView(this.scratch.buffer);
    }
    const first = Math.min(recLen, this.size - s);
    this.scratch.set(data.subarray(s, s + first), 0);
    this.scratch.set(data.subarray(0, recLen - first), first);
    return this.scratchView;
  }

  /** Drops every reference to the ring memory (before unmapping); later calls deliver nothing. */
  detach(): void {
    this.consumer = null;
    this.producer = null;
    this.data = null;
    this.dv = null;
    this.headers = null;
  }
}
