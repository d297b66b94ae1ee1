/**
 * Simulated `ringbuf` map (`kernel/bpf/ringbuf.c`): records of `8 + round_up(len, 8)` bytes
 * against a capacity of `maxEntries` bytes; producer and consumer positions as the kernel keeps
 * them. Records are captured in order; a test reads them with {@link RingbufMap.consume}.
 * @module
 */

import { SimMap, type SimMapSpec } from './sim-map.js';

/** `BPF_RB_*` query flags of `bpf_ringbuf_query`. */
export const RingbufQuery = { AVAIL_DATA: 0, RING_SIZE: 1, CONS_POS: 2, PROD_POS: 3 } as const;

/** Header bytes of a ring buffer record (`BPF_RINGBUF_HDR_SZ`). */
export const RINGBUF_HEADER = 8;

/** One record: the data, and whether it was discarded. */
export interface RingbufRecord {
  /** The record's bytes. */
  readonly data: Uint8Array;
  /** 0 reserved, 1 submitted, 2 discarded. */
  state: number;
}

/** A ring buffer map. */
export class RingbufMap extends SimMap {
  /** Producer position in bytes (grows by each record's total size). */
  producerPos = 0;
  /** Consumer position in bytes. */
  consumerPos = 0;
  private readonly pending: RingbufRecord[] = [];

  constructor(spec: SimMapSpec) {
    super(spec);
    const n = spec.maxEntries;
    if (n < 4096 || (n & (n - 1)) !== 0) throw new RangeError(`map '${this.name}': ring buffer size ${n} must be a power of 2 and at least a page`);
  }

  /** Reserves a record of `size` bytes; null when it does not fit (the program gets NULL). */
  reserve(size: number): RingbufRecord | null {
    const total = RINGBUF_HEADER + ((size + 7) & ~7);
    if (size > this.maxEntries - RINGBUF_HEADER || this.producerPos - this.consumerPos + total > this.maxEntries) return null;
    this.producerPos += total;
    const rec: RingbufRecord = { data: new Uint8Array(size), state: 0 };
    this.pending.push(rec);
    return rec;
  }

  /** Test API: the submitted records not yet consumed, oldest first (without consuming). */
  records(): Uint8Array[] {
    return this.pending.filter((r) => r.state === 1).map((r) => r.data.slice());
  }

  /**
   * Test API: takes the submitted records (as a consumer would), oldest first, up to the first
   * record still reserved; discarded records are skipped. Frees their space.
   */
  consume(): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.pending.length > 0 && this.pending[0].state !== 0) {
      const rec = this.pending.shift() as RingbufRecord;
      this.consumerPos += RINGBUF_HEADER + ((rec.data.length + 7) & ~7);
      if (rec.state === 1) out.push(rec.data);
    }
    return out;
  }

  /** `bpf_ringbuf_query`: the value for a `BPF_RB_*` flag, or 0 for an unknown one. */
  query(flags: number): number {
    switch (flags) {
      case RingbufQuery.AVAIL_DATA:
        return this.producerPos - this.consumerPos;
      case RingbufQuery.RING_SIZE:
        return this.maxEntries;
      case RingbufQuery.CONS_POS:
        return this.consumerPos;
      case RingbufQuery.PROD_POS:
        return this.producerPos;
    }
    return 0;
  }
}
