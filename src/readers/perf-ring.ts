/**
 * {@link PerfRing}: the records of one perf event mmap ring (one CPU of a perf buffer), over
 * memory the caller provides: the mapped pages in the real reader, an ArrayBuffer in tests.
 *
 * Layout (`include/uapi/linux/perf_event.h`): the first page is `struct perf_event_mmap_page`
 * (`data_head` at 1024, `data_tail` at 1032); the data area that follows is 2^n pages. Each record
 * starts with `struct perf_event_header {u32 type; u16 misc; u16 size}`, 8-byte aligned, and may
 * wrap at the end of the data area.
 *
 * Hot path: the data area is read through one `Uint32Array` created once (native byte order, as
 * the kernel writes it; little-endian hosts, where `size` is the high half of the header's second
 * word), a record is copied only when it straddles the end of the data area, and `data_tail` is
 * written once per {@link PerfRing.consume} call, as libbpf's `perf_event_read_simple` does: the
 * kernel only needs it to know how much room it has, so a late write can only make it drop
 * records sooner (counted as lost), never overwrite unread ones. Positions (`__u64` byte counts
 * that only grow) are kept as two u32 halves and the distance from `data_tail` to `data_head` is
 * computed from the low halves modulo 2^32 — exact, as the kernel never lets the head get more
 * than the data size (≤ 2^31 here) ahead — so nothing rounds once they pass 2^53.
 * @module
 */

import { PerfMmapPage, PerfRecordType } from '../../syscalls/perf-event.js';
import { RingFormatError } from './reader-errors.js';

/** Receives one sample's raw bytes (valid only during the call) and the CPU of the ring. */
export type SampleSink = (data: DataView, cpu: number) => void;
/**
 * Receives one record without an allocation per record: `view` covers a whole data area (or a
 * scratch copy of a record that wrapped); the record is its `length` bytes from `offset`. Valid
 * only during the call.
 */
export type RawSampleSink = (view: DataView, offset: number, length: number, cpu: number) => void;
/** Receives the number of records the kernel dropped, and the CPU of the ring. */
export type LostSink = (count: number, cpu: number) => void;

/** Header (8) + raw size (4): where a `PERF_SAMPLE_RAW` sample's bytes start. */
const RAW_DATA = 12;
const TWO_32 = 0x1_0000_0000;
/** The largest data area the u32 position arithmetic supports (2 GiB). */
const MAX_SIZE = 0x8000_0000;
const HEAD = PerfMmapPage.DATA_HEAD >>> 2;
const TAIL = PerfMmapPage.DATA_TAIL >>> 2;

/**
 * One perf event ring. {@link PerfRing.consume} delivers the samples between `data_tail` and
 * `data_head` (as read once at the start of the call) and writes `data_tail` back when it returns
 * or throws, so every delivered view stays intact until then. Samples are `PERF_SAMPLE_RAW`
 * records (what `bpf_perf_event_output` writes); their length includes the kernel's padding to 8
 * bytes. `PERF_RECORD_LOST` records are counted.
 */
export class PerfRing {
  /** The CPU whose events this ring holds. */
  readonly cpu: number;
  /** Data area size in bytes (a power of two). */
  readonly size: number;
  private meta: Uint32Array | null;
  private data: Uint8Array | null;
  private dv: DataView | null;
  private words: Uint32Array | null;
  private scratch = new Uint8Array(256);
  private scratchView = new DataView(this.scratch.buffer);
  private scratchWords = new Uint32Array(this.scratch.buffer);

  /**
   * @param meta the first page (at least 1040 bytes, 8-byte aligned).
   * @param data the data area (its length must be a power of two, ≥ 8; 8-byte aligned).
   */
  constructor(meta: DataView, data: Uint8Array, cpu: number) {
    const size = data.byteLength;
    if (size < 8 || (size & (size - 1)) !== 0) throw new RangeError(`PerfRing: data area of ${size} bytes is not a power of two`);
    if (size > MAX_SIZE) throw new RangeError(`PerfRing: data area of ${size} bytes is larger than 2 GiB`);
    if (meta.byteLength < PerfMmapPage.DATA_TAIL + 8) throw new RangeError(`PerfRing: meta page of ${meta.byteLength} bytes is too small`);
    if ((meta.byteOffset & 7) !== 0 || (data.byteOffset & 7) !== 0) throw new RangeError('PerfRing: meta page and data area must be 8-byte aligned');
    this.meta = new Uint32Array(meta.buffer, meta.byteOffset, (PerfMmapPage.DATA_TAIL + 8) >>> 2);
    this.data = data;
    this.dv = new DataView(data.buffer, data.byteOffset, size);
    this.words = new Uint32Array(data.buffer, data.byteOffset, size >>> 2);
    this.size = size;
    this.cpu = cpu;
  }

  /** Whether records are waiting (`data_head` ≠ `data_tail`). */
  pending(): boolean {
    const meta = this.meta;
    if (meta === null) return false;
    // The positions differ exactly when their low halves do (they are less than 2^32 apart).
    return meta[HEAD] !== meta[TAIL];
  }

  /**
   * Delivers up to `limit` samples to `onSample` as DataViews, lost counts to `onLost`; returns
   * the number of samples delivered. Other record types are skipped. Throws a
   * {@link RingFormatError} on a record whose size is impossible (the ring is then left where the
   * bad record starts).
   */
  consume(limit: number, onSample: SampleSink, onLost: LostSink): number {
    return this.consumeRaw(limit, (view, offset, length, cpu) => onSample(new DataView(view.buffer, view.byteOffset + offset, length), cpu), onLost);
  }

  /**
   * Like {@link PerfRing.consume} without allocating per record (see {@link RawSampleSink}). A
   * sink that throws leaves its record unread: `data_tail` is written back up to the record
   * before it.
   */
  consumeRaw(limit: number, onRecord: RawSampleSink, onLost: LostSink): number {
    const meta = this.meta;
    const data = this.data;
    const dv = this.dv;
    const words = this.words;
    if (meta === null || data === null || dv === null || words === null) return 0;
    const size = this.size;
    const mask = size - 1;
    const cpu = this.cpu;
    // Only the low halves are needed (see the module doc); a 32-bit load cannot tear.
    const startLo = meta[TAIL]; // only this process writes data_tail
    let tailHi = meta[TAIL + 1];
    let tailLo = startLo;
    let avail = (meta[HEAD] - startLo) >>> 0;
    let n = 0;
    try {
      while (avail > 0 && n < limit) {
        const off = tailLo & mask;
        const w = off >>> 2;
        // The 8-byte header never straddles the end: records and the data area are 8-byte aligned.
        const type = words[w];
        const recSize = words[w + 1] >>> 16;
        if (recSize < 8 || recSize > size || recSize > avail) throw new RingFormatError('perf', tailHi * TWO_32 + tailLo, `size ${recSize}, ${avail} bytes available`);
        let rv = dv;
        let rw = words;
        let at = off;
        if (off + recSize > size) {
          // Only a record that wraps is copied into scratch memory.
          this.unwrap(data, off, recSize);
          rv = this.scratchView;
          rw = this.scratchWords;
          at = 0;
        }
        if (type === PerfRecordType.SAMPLE) {
          if (recSize < RAW_DATA) throw new RingFormatError('perf', tailHi * TWO_32 + tailLo, `sample of ${recSize} bytes has no raw data`);
          const raw = rw[(at >>> 2) + 2];
          if (RAW_DATA + raw > recSize) throw new RingFormatError('perf', tailHi * TWO_32 + tailLo, `raw size ${raw} exceeds the ${recSize}-byte record`);
          onRecord(rv, at + RAW_DATA, raw, cpu);
          n++;
        } else if (type === PerfRecordType.LOST) {
          if (recSize < 24) throw new RingFormatError('perf', tailHi * TWO_32 + tailLo, `lost record of ${recSize} bytes`);
          const x = at >>> 2;
          onLost(rw[x + 4] + rw[x + 5] * TWO_32, cpu);
        }
        avail -= recSize;
        tailLo += recSize;
        if (tailLo >= TWO_32) {
          tailLo -= TWO_32;
          tailHi = (tailHi + 1) >>> 0;
        }
      }
    } finally {
      if (tailLo !== startLo) {
        // Low half first: the kernel can then only see a tail too small (less room, harmless).
        meta[TAIL] = tailLo;
        meta[TAIL + 1] = tailHi;
      }
    }
    return n;
  }

  /** Copies a record that wraps at the end of the data area into scratch memory (grown as needed). */
  private unwrap(data: Uint8Array, off: number, recSize: number): void {
    if (this.scratch.byteLength < recSize) {
      this.scratch = new Uint8Array(Math.max((recSize + 7) & ~7, this.scratch.byteLength * 2));
      this.scratchView = new DataView(this.scratch.buffer);
      this.scratchWords = new Uint32Array(this.scratch.buffer);
    }
    const first = this.size - off;
    this.scratch.set(data.subarray(off, this.size), 0);
    this.scratch.set(data.subarray(0, recSize - first), first);
  }

  /**
   * Drops every reference to the ring memory; later calls deliver nothing. The owner calls this
   * before unmapping (a view of unmapped memory crashes the process when touched).
   */
  detach(): void {
    this.meta = null;
    this.data = null;
    this.dv = null;
    this.words = null;
  }
}
