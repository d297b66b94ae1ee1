/**
 * {@link PerfRing}: the records of one perf event mmap ring (one CPU of a perf buffer), over
 * memory the caller provides: the mapped pages in the real reader, an ArrayBuffer in tests.
 *
 * Layout (`include/uapi/linux/perf_event.h`): the first page is `struct perf_event_mmap_page`
 * (`data_head` at 1024, `data_tail` at 1032); the data area that follows is 2^n pages. Each record
 * starts with `struct perf_event_header {u32 type; u16 misc; u16 size}`, 8-byte aligned, and may
 * wrap at the end of the data area.
 * @module
 */

import { PerfMmapPage, PerfRecordType } from '../../syscalls/perf-event.js';
import { loadPosition, storePosition } from './positions.js';
import { RingFormatError } from './reader-errors.js';

/** Receives one sample's raw bytes (valid only during the call) and the CPU of the ring. */
export type SampleSink = (data: DataView, cpu: number) => void;
/** Receives the number of records the kernel dropped, and the CPU of the ring. */
export type LostSink = (count: number, cpu: number) => void;

/** Header (8) + raw size (4): where a `PERF_SAMPLE_RAW` sample's bytes start. */
const RAW_DATA = 12;

/**
 * One perf event ring. {@link PerfRing.consume} delivers the samples between `data_tail` and
 * `data_head` and advances `data_tail` after each record, so a delivered view stays intact until
 * the sink returns. Samples are `PERF_SAMPLE_RAW` records (what `bpf_perf_event_output` writes);
 * their length includes the kernel's padding to 8 bytes. `PERF_RECORD_LOST` records are counted.
 */
export class PerfRing {
  /** The CPU whose events this ring holds. */
  readonly cpu: number;
  /** Data area size in bytes (a power of two). */
  readonly size: number;
  private meta: DataView | null;
  private data: Uint8Array | null;
  private dv: DataView | null;
  private scratch = new Uint8Array(256);

  /**
   * @param meta the first page (at least 1040 bytes).
   * @param data the data area (its length must be a power of two, ≥ 8).
   */
  constructor(meta: DataView, data: Uint8Array, cpu: number) {
    const size = data.byteLength;
    if (size < 8 || (size & (size - 1)) !== 0) throw new RangeError(`PerfRing: data area of ${size} bytes is not a power of two`);
    if (meta.byteLength < PerfMmapPage.DATA_TAIL + 8) throw new RangeError(`PerfRing: meta page of ${meta.byteLength} bytes is too small`);
    this.meta = meta;
    this.data = data;
    this.dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.size = size;
    this.cpu = cpu;
  }

  /** Whether records are waiting (`data_head` ≠ `data_tail`). */
  pending(): boolean {
    const meta = this.meta;
    if (meta === null) return false;
    return loadPosition(meta, PerfMmapPage.DATA_HEAD) !== loadPosition(meta, PerfMmapPage.DATA_TAIL);
  }

  /**
   * Delivers up to `limit` samples to `onSample`, lost counts to `onLost`; returns the number of
   * samples delivered. Other record types are skipped. Throws a {@link RingFormatError} on a
   * record whose size is impossible (the ring is then left where the bad record starts).
   */
  consume(limit: number, onSample: SampleSink, onLost: LostSink): number {
    const meta = this.meta;
    const data = this.data;
    const dv = this.dv;
    if (meta === null || data === null || dv === null) return 0;
    const size = this.size;
    const head = loadPosition(meta, PerfMmapPage.DATA_HEAD);
    let tail = loadPosition(meta, PerfMmapPage.DATA_TAIL);
    let n = 0;
    while (tail < head && n < limit) {
      const off = tail % size;
      const type = dv.getUint32(off, true);
      const recSize = dv.getUint16(off + 6, true);
      if (recSize < 8 || recSize > size || tail + recSize > head) throw new RingFormatError('perf', tail, `size ${recSize}, ${head - tail} bytes available`);
      // A record that wraps is copied into scratch memory; others are read in place.
      let buf: ArrayBufferLike;
      let base: number;
      let rv: DataView;
      if (off + recSize <= size) {
        buf = data.buffer;
        base = data.byteOffset + off;
        rv = dv;
      } else {
        if (this.scratch.byteLength < recSize) this.scratch = new Uint8Array(Math.max(recSize, this.scratch.byteLength * 2));
        const first = size - off;
        this.scratch.set(data.subarray(off, size), 0);
        this.scratch.set(data.subarray(0, recSize - first), first);
        buf = this.scratch.buffer;
        base = this.scratch.byteOffset;
        rv = new DataView(buf, base, recSize);
      }
      const at = rv === dv ? off : 0;
      if (type === PerfRecordType.SAMPLE) {
        if (recSize < RAW_DATA) throw new RingFormatError('perf', tail, `sample of ${recSize} bytes has no raw data`);
        const raw = rv.getUint32(at + 8, true);
        if (RAW_DATA + raw > recSize) throw new RingFormatError('perf', tail, `raw size ${raw} exceeds the ${recSize}-byte record`);
        onSample(new DataView(buf, base + RAW_DATA, raw), this.cpu);
        n++;
      } else if (type === PerfRecordType.LOST) {
        if (recSize < 24) throw new RingFormatError('perf', tail, `lost record of ${recSize} bytes`);
        const lost = rv.getUint32(at + 16, true) + rv.getUint32(at + 20, true) * 0x1_0000_0000;
        onLost(lost, this.cpu);
      }
      tail += recSize;
      storePosition(meta, PerfMmapPage.DATA_TAIL, tail);
    }
    return n;
  }

  /**
   * Drops every reference to the ring memory; later calls deliver nothing. The owner calls this
   * before unmapping (a view of unmapped memory crashes the process when touched).
   */
  detach(): void {
    this.meta = null;
    this.data = null;
    this.dv = null;
  }
}
