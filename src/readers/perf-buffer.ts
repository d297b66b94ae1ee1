/**
 * {@link PerfBuffer}: the reader of a `BPF_MAP_TYPE_PERF_EVENT_ARRAY` (BCC's `BPF_PERF_OUTPUT` +
 * `open_perf_buffer`): one `PERF_COUNT_SW_BPF_OUTPUT` event per possible CPU, each with an mmap
 * ring of 1 + 2^n pages, stored in the array at its CPU index.
 * @module
 */

import { closeFd } from '../../syscalls/close-fd.js';
import { Epoll, epollAdd, epollCreate } from '../../syscalls/epoll.js';
import { SyscallError } from '../../syscalls/errors.js';
import { mmap, munmap, nativeView, PAGE_SIZE, Prot } from '../../syscalls/mmap.js';
import { PerfSampleType, PerfSwConfig, PerfType } from '../../syscalls/perf-event.js';
import { perfEventOpen } from '../../syscalls/perf-event-open.js';
import { EventReader, type ReaderOptions } from './event-reader.js';
import { deleteU32, updateU32 } from './map-update.js';
import { PerfRing, type LostSink, type RawSampleSink, type SampleSink } from './perf-ring.js';
import { possibleCpus } from '../system/possible-cpus.js';

/** Options of {@link PerfBuffer.create}. */
export interface PerfBufferOptions<T> extends ReaderOptions<T> {
  /** Data pages per CPU, a power of two (default 8, like BCC's `page_cnt`). */
  readonly pageCount?: number;
  /**
   * Wake the reader every N records (default 1, as libbpf, bpftrace and BCC do: lowest latency,
   * highest cost). Larger values batch wake-ups; records below the threshold wait for the next.
   */
  readonly wakeupEvents?: number;
  /** Wake the reader when this many bytes are waiting instead (exclusive with wakeupEvents). */
  readonly wakeupWatermark?: number;
  /** CPUs to open rings for (default: every possible CPU). */
  readonly cpus?: readonly number[];
}

interface CpuRing {
  readonly cpu: number;
  readonly fd: number;
  readonly addr: bigint;
  readonly length: number;
  readonly ring: PerfRing;
}

/**
 * Reads the per-CPU rings of a perf event array. Create with {@link PerfBuffer.create}; see
 * {@link EventReader} for the ways to receive events. Samples are the raw bytes the program
 * passed to `bpf_perf_event_output`, followed by up to 7 bytes of kernel padding.
 *
 * `close()` clears the array slots it set, unmaps every ring and closes every perf event fd once;
 * it does not close the map.
 */
export class PerfBuffer<T = DataView> extends EventReader<T> {
  /** The perf event array's fd (not owned). */
  readonly mapFd: number;
  private readonly rings: CpuRing[];
  private next = 0;

  private constructor(mapFd: number, epfd: number, rings: CpuRing[], options: ReaderOptions<T>) {
    super('PerfBuffer', epfd, options);
    this.mapFd = mapFd;
    this.rings = rings;
  }

  /**
   * Opens one ring per possible CPU for perf event array `mapFd` (whose `max_entries` must cover
   * them) and stores their fds in it. Throws a {@link SyscallError} when a step fails, after
   * releasing what was already opened.
   */
  static create<T = DataView>(mapFd: number, options: PerfBufferOptions<T> = {}): PerfBuffer<T> {
    const pages = options.pageCount ?? 8;
    if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0) throw new RangeError(`PerfBuffer: pageCount ${String(pages)} is not a power of two`);
    const length = (1 + pages) * PAGE_SIZE;
    const rings: CpuRing[] = [];
    const epfd = epollCreate();
    const undo = () => {
      for (const r of rings) {
        r.ring.detach();
        deleteU32(mapFd, r.cpu);
        munmap(r.addr, r.length);
        closeFd(r.fd);
      }
      closeFd(epfd);
    };
    try {
      for (const cpu of options.cpus ?? possibleCpus()) {
        let fd: number;
        try {
          fd = perfEventOpen({
            type: PerfType.SOFTWARE,
            config: PerfSwConfig.BPF_OUTPUT,
            sampleType: PerfSampleType.RAW,
            samplePeriod: 1,
            ...(options.wakeupWatermark !== undefined ? { wakeupWatermark: options.wakeupWatermark } : { wakeupEvents: options.wakeupEvents ?? 1 }),
            pid: -1,
            cpu,
          });
        } catch (err) {
          // A possible CPU that is offline has no events (ENODEV); skip it like libbpf does.
          if (err instanceof SyscallError && err.errno === 19 && options.cpus === undefined) continue;
          throw err;
        }
        let addr: bigint;
        try {
          addr = mmap(fd, length, Prot.READ | Prot.WRITE);
        } catch (err) {
          closeFd(fd);
          throw err;
        }
        const mem = nativeView(addr, length);
        const ring = new PerfRing(new DataView(mem, 0, PAGE_SIZE), new Uint8Array(mem, PAGE_SIZE, pages * PAGE_SIZE), cpu);
        rings.push({ cpu, fd, addr, length, ring });
        epollAdd(epfd, fd, BigInt(rings.length - 1), Epoll.IN | Epoll.ET);
        updateU32(mapFd, cpu, fd);
      }
    } catch (err) {
      undo();
      throw err;
    }
    return new PerfBuffer<T>(mapFd, epfd, rings, options);
  }

  /** The CPUs that have a ring. */
  get cpus(): readonly number[] {
    return this.rings.map((r) => r.cpu);
  }

  protected consumeRings(limit: number, onSample: SampleSink, onLost: LostSink): number {
    return this.consumeRingsRaw(limit, (view, offset, length, cpu) => onSample(new DataView(view.buffer, view.byteOffset + offset, length), cpu), onLost);
  }

  protected consumeRingsRaw(limit: number, onRecord: RawSampleSink, onLost: LostSink): number {
    const rings = this.rings;
    const count = rings.length;
    let n = 0;
    // Round-robin from where the last call stopped, so one busy CPU cannot starve the others.
    for (let i = 0; i < count && n < limit; i++) {
      const idx = (this.next + i) % count;
      const got = rings[idx].ring.consumeRaw(limit - n, onRecord, onLost);
      n += got;
      if (n >= limit) {
        this.next = got > 0 ? idx : (idx + 1) % count;
        return n;
      }
    }
    return n;
  }

  protected hasPending(): boolean {
    return this.rings.some((r) => r.ring.pending());
  }

  protected release(): void {
    let first: unknown;
    for (const r of this.rings) {
      r.ring.detach();
      try {
        deleteU32(this.mapFd, r.cpu);
        munmap(r.addr, r.length);
      } catch (err) {
        first ??= err;
      }
      try {
        closeFd(r.fd);
      } catch (err) {
        first ??= err;
      }
    }
    this.rings.length = 0;
    if (first !== undefined) throw first;
  }
}
