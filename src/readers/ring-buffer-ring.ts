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
 * @module
 */

import { loadPosition, storePosition } from './positions.js';
import { RingFormatError } from './reader-errors.js';
import type { SampleSink } from './perf-ring.js';

/** `BPF_RINGBUF_BUSY_BIT`: the record is reserved but not yet committed. */
export const RINGBUF_BUSY_BIT = 0x8000_0000;
/** `BPF_RINGBUF_DISCARD_BIT`: the record was discarded; skip it. */
export const RINGBUF_DISCARD_BIT = 0x4000_0000;
/** `BPF_RINGBUF_HDR_SZ`. */
export const RINGBUF_HEADER_SIZE = 8;

/**
 * One ring buffer. {@link RingBufferRing.consume} delivers committed records from
 * `consumer_pos` on, stops at the first busy one, skips discarded ones, and advances
 * `consumer_pos` after each record (so a delivered view stays intact until the sink returns).
 */
export class RingBufferRing {
  /** Data area size in bytes (a power of two). */
  readonly size: number;
  private consumer: DataView | null;
  private producer: DataView | null;
  private data: Uint8Array | null;
  private dv: DataView | null;
  private scratch = new Uint8Array(256);

  /**
   * @param consumer the consumer page (`consumer_pos` at 0).
   * @param producer the producer page (`producer_pos` at 0).
   * @param data the data area: `size` bytes, or `2 × size` when mapped twice (no copies on wrap).
   * @param size the data area size (a power of two).
   */
  constructor(consumer: DataView, producer: DataView, data: Uint8Array, size: number) {
    if (size < 8 || (size & (size - 1)) !== 0) throw new RangeError(`RingBufferRing: data size ${size} is not a power of two`);
    if (data.byteLength < size) throw new RangeError(`RingBufferRing: data area of ${data.byteLength} bytes is smaller than ${size}`);
    this.consumer = consumer;
    this.producer = producer;
    this.data = data;
    this.dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.size = size;
  }

  /** Whether records are waiting (`producer_pos` > `consumer_pos`; they may still be busy). */
  pending(): boolean {
    if (this.consumer === null || this.producer === null) return false;
    return loadPosition(this.producer, 0) > loadPosition(this.consumer, 0);
  }

  /**
   * Delivers up to `limit` committed records to `onSample` (cpu -1: a ring buffer is shared by
   * every CPU); returns how many. Throws a {@link RingFormatError} on a record longer than the ring.
   */
  consume(limit: number, onSample: SampleSink): number {
    const consumer = this.consumer;
    const producer = this.producer;
    const data = this.data;
    const dv = this.dv;
    if (consumer === null || producer === null || data === null || dv === null) return 0;
    const size = this.size;
    let prod = loadPosition(producer, 0);
    let cons = loadPosition(consumer, 0);
    let n = 0;
    for (;;) {
      if (cons >= prod) {
        // The kernel wakes the consumer only for a record committed when consumer_pos had caught
        // up with it: stopping while records are waiting would never be woken again. Look again.
        prod = loadPosition(producer, 0);
        if (cons >= prod) break;
      }
      if (n >= limit) break;
      const off = cons % size;
      const len = dv.getUint32(off, true);
      if ((len & RINGBUF_BUSY_BIT) !== 0) break;
      const recLen = len & ~(RINGBUF_BUSY_BIT | RINGBUF_DISCARD_BIT);
      const total = (recLen + RINGBUF_HEADER_SIZE + 7) & ~7;
      if (total > size || cons + total > prod) throw new RingFormatError('ringbuf', cons, `length ${recLen}, ${prod - cons} bytes produced`);
      if ((len & RINGBUF_DISCARD_BIT) === 0) {
        const start = off + RINGBUF_HEADER_SIZE;
        if (start + recLen <= data.byteLength) {
          onSample(new DataView(data.buffer, data.byteOffset + start, recLen), -1);
        } else {
          // Only when the data area is mapped once (tests): copy the two parts.
          if (this.scratch.byteLength < recLen) this.scratch = new Uint8Array(Math.max(recLen, this.scratch.byteLength * 2));
          const s = start % size;
          const first = Math.min(recLen, size - s);
          this.scratch.set(data.subarray(s, s + first), 0);
          this.scratch.set(data.subarray(0, recLen - first), first);
          onSample(new DataView(this.scratch.buffer, this.scratch.byteOffset, recLen), -1);
        }
        n++;
      }
      cons += total;
      storePosition(consumer, 0, cons);
    }
    return n;
  }

  /** Drops every reference to the ring memory (before unmapping); later calls deliver nothing. */
  detach(): void {
    this.consumer = null;
    this.producer = null;
    this.data = null;
    this.dv = null;
  }
}
