/**
 * Errors of the event readers.
 * @module
 */

/** An operation on a reader after {@link EventReader.close}. `reader` names the reader class. */
export class ReaderClosedError extends Error {
  override name = 'ReaderClosedError';
  /** `'PerfBuffer'` or `'RingBuffer'`. */
  readonly reader: string;
  /** What was attempted: `'read'`, `'poll'`, … */
  readonly operation: string;

  constructor(reader: string, operation: string) {
    super(`${reader}: ${operation} after close()`);
    this.reader = reader;
    this.operation = operation;
  }
}

/**
 * Ring memory that does not hold well-formed records (a record shorter than its header, or
 * longer than the ring): the reader stops instead of reading garbage. `position` is the byte
 * position (monotonic) of the bad record.
 */
export class RingFormatError extends Error {
  override name = 'RingFormatError';
  /** The ring's kind: `'perf'` or `'ringbuf'`. */
  readonly ring: 'perf' | 'ringbuf';
  /** Monotonic byte position of the record. */
  readonly position: number;

  constructor(ring: 'perf' | 'ringbuf', position: number, what: string) {
    super(`${ring} ring: malformed record at position ${position}: ${what}`);
    this.ring = ring;
    this.position = position;
  }
}
