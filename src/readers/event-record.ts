/**
 * {@link EventRecord}: a reusable buffer for {@link EventReader.readInto}.
 * @module
 */

/**
 * One record copied out of a ring, in a buffer that grows as needed and is reused across
 * {@link EventReader.readInto} calls (no allocation per record once it is large enough).
 */
export class EventRecord {
  /** The backing buffer (its first {@link EventRecord.length} bytes are the record). */
  bytes: Uint8Array;
  /** Length of the record in bytes. */
  length = 0;
  /** The CPU whose ring held the record (-1 for a ring buffer, shared by every CPU). */
  cpu = -1;
  private cachedView: DataView | undefined;

  constructor(capacity = 256) {
    this.bytes = new Uint8Array(capacity);
  }

  /** The record's bytes as a DataView (valid until the next readInto). */
  get data(): DataView {
    const v = this.cachedView;
    if (v !== undefined && v.byteLength === this.length && v.buffer === this.bytes.buffer) return v;
    return (this.cachedView = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.length));
  }

  /** Copies `src` into this record (growing the buffer when needed). */
  set(src: DataView, cpu: number): void {
    this.setBytes(src, 0, src.byteLength, cpu);
  }

  /** Copies the `length` bytes of `view` from `offset` into this record (growing the buffer when needed). */
  setBytes(view: DataView, offset: number, length: number, cpu: number): void {
    if (this.bytes.byteLength < length) this.bytes = new Uint8Array(Math.max(length, this.bytes.byteLength * 2));
    this.bytes.set(new Uint8Array(view.buffer, view.byteOffset + offset, length), 0);
    this.length = length;
    this.cpu = cpu;
  }
}
