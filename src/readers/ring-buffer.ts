/**
 * {@link RingBuffer}: the reader of a `BPF_MAP_TYPE_RINGBUF` map (`bpf_ringbuf_output`,
 * `bpf_ringbuf_reserve`/`submit`). Requires Linux 5.8.
 * @module
 */

import { closeFd } from '../../syscalls/close-fd.js';
import { Epoll, epollAdd, epollCreate } from '../../syscalls/epoll.js';
import { mapInfo } from '../../syscalls/map-info.js';
import { mmap, munmap, nativeView, PAGE_SIZE, Prot } from '../../syscalls/mmap.js';
import { EventReader, type ReaderOptions } from './event-reader.js';
import type { LostSink, RawSampleSink, SampleSink } from './perf-ring.js';
import { RingBufferRing } from './ring-buffer-ring.js';

/** `BPF_MAP_TYPE_RINGBUF`. */
const RINGBUF = 27;

/** Options of {@link RingBuffer.create}. */
export interface RingBufferOptions<T> extends ReaderOptions<T> {
  /** The map's data size (`max_entries`); read from the kernel when absent. */
  readonly size?: number;
}

/**
 * Reads a ring buffer map: the consumer page mapped read-write, the producer page and the data
 * area (mapped twice by the kernel, so records never wrap) read-only. Records are delivered
 * zero-copy in callbacks. Drops are silent here: a full ring makes `bpf_ringbuf_reserve` fail in
 * the program, which must count them itself.
 *
 * `close()` unmaps both mappings and closes the epoll fd once; it does not close the map.
 */
export class RingBuffer<T = DataView> extends EventReader<T> {
  /** The ring buffer map's fd (not owned). */
  readonly mapFd: number;
  /** Data area size in bytes. */
  readonly size: number;
  private ring: RingBufferRing;
  private consumerAddr: bigint;
  private producerAddr: bigint;
  private readonly producerLength: number;

  private constructor(mapFd: number, epfd: number, size: number, consumerAddr: bigint, producerAddr: bigint, options: ReaderOptions<T>) {
    super('RingBuffer', epfd, options);
    this.mapFd = mapFd;
    this.size = size;
    this.consumerAddr = consumerAddr;
    this.producerAddr = producerAddr;
    this.producerLength = PAGE_SIZE + 2 * size;
    const consumer = nativeView(consumerAddr, PAGE_SIZE);
    const producer = nativeView(producerAddr, this.producerLength);
    this.ring = new RingBufferRing(new DataView(consumer), new DataView(producer, 0, PAGE_SIZE), new Uint8Array(producer, PAGE_SIZE, 2 * size), size);
  }

  /** Maps ring buffer map `mapFd` and watches it. Throws a SyscallError when a step fails. */
  static create<T = DataView>(mapFd: number, options: RingBufferOptions<T> = {}): RingBuffer<T> {
    let size = options.size;
    if (size === undefined) {
      const info = mapInfo(mapFd);
      if (info.type !== RINGBUF) throw new TypeError(`RingBuffer: map fd ${mapFd} is of type ${info.type}, not ringbuf (27)`);
      size = info.maxEntries;
    }
    const epfd = epollCreate();
    let consumer: bigint | undefined;
    let producer: bigint | undefined;
    try {
      consumer = mmap(mapFd, PAGE_SIZE, Prot.READ | Prot.WRITE, 0);
      producer = mmap(mapFd, PAGE_SIZE + 2 * size, Prot.READ, PAGE_SIZE);
      epollAdd(epfd, mapFd, 0n, Epoll.IN | Epoll.ET);
      return new RingBuffer<T>(mapFd, epfd, size, consumer, producer, options);
    } catch (err) {
      if (producer !== undefined) munmap(producer, PAGE_SIZE + 2 * size);
      if (consumer !== undefined) munmap(consumer, PAGE_SIZE);
      closeFd(epfd);
      throw err;
    }
  }

  protected consumeRings(limit: number, onSample: SampleSink, _onLost: LostSink): number {
    return this.ring.consume(limit, onSample);
  }

  protected consumeRingsRaw(limit: number, onRecord: RawSampleSink, _onLost: LostSink): number {
    return this.ring.consumeRaw(limit, onRecord);
  }

  protected hasPending(): boolean {
    return this.ring.pending();
  }

  protected release(): void {
    this.ring.detach();
    munmap(this.producerAddr, this.producerLength);
    munmap(this.consumerAddr, PAGE_SIZE);
    this.producerAddr = 0n;
    this.consumerAddr = 0n;
  }
}
