/**
 * The kernel side every tracepoint tool shares: compiled programs loaded as one set (maps shared
 * by name), an optional event reader on one of its maps (perf buffer or ring buffer), and the
 * programs attached to their tracepoints — released together, in reverse order, by `close()`.
 * `start` releases what it created when a step fails.
 * @module
 */

import { attachTracepoint } from '../attach/tracepoint.js';
import type { Link } from '../attach/link.js';
import type { CompiledProgram } from '../dsl/compile.js';
import { loadProgramSet, type LoadedProgramSet } from '../dsl/load-programs.js';
import type { EventReader } from '../readers/event-reader.js';
import { PerfBuffer } from '../readers/perf-buffer.js';
import { RingBuffer } from '../readers/ring-buffer.js';
import { runEveryStep } from '../system/run-every-step.js';

/** A program and the tracepoint it attaches to. */
export interface TracepointAttachment {
  /** The compiled program. */
  readonly program: CompiledProgram;
  /** Tracepoint category (`syscalls`). */
  readonly category: string;
  /** Tracepoint name (`sys_enter_execve`). */
  readonly name: string;
}

/** Where events come from and how they are decoded. */
export interface SessionEvents<T> {
  /** The perf event array or ring buffer map, by name. */
  readonly map: string;
  /** `'perf'` (a perf event array) or `'ring'` (a ring buffer map of `ringBytes`). */
  readonly transport: 'perf' | 'ring';
  /** Perf buffer pages per CPU (default 64). */
  readonly pageCount?: number;
  /** Ring buffer size in bytes (ring transport). */
  readonly ringBytes?: number;
  /** Decodes one record. */
  readonly decode: (view: DataView) => T;
  /** Called with each decoded record, from the event loop. */
  readonly onEvent: (event: T) => void;
}

/** Loaded and attached tracepoint programs, with their event reader. */
export class TracepointSession<T = never> {
  readonly #set: LoadedProgramSet;
  readonly #links: Link[];
  readonly #reader: EventReader<T> | undefined;
  #closed = false;

  private constructor(set: LoadedProgramSet, links: Link[], reader: EventReader<T> | undefined) {
    this.#set = set;
    this.#links = links;
    this.#reader = reader;
  }

  /**
   * Loads `attachments`' programs, opens the reader of `events` (if given), and attaches the
   * programs in the order given (put exit probes first so that no entry is saved without its exit).
   */
  static start<T = never>(attachments: readonly TracepointAttachment[], events?: SessionEvents<T>): TracepointSession<T> {
    const set = loadProgramSet(attachments.map((a) => a.program));
    const links: Link[] = [];
    let reader: EventReader<T> | undefined;
    try {
      if (events !== undefined) {
        const fd = set.mapFds[events.map];
        if (fd === undefined) throw new RangeError(`tracepoint session: no map '${events.map}' in the programs`);
        reader = events.transport === 'ring'
          ? RingBuffer.create(fd, { decode: events.decode, ...(events.ringBytes === undefined ? {} : { size: events.ringBytes }) })
          : PerfBuffer.create(fd, { decode: events.decode, pageCount: events.pageCount ?? 64 });
        reader.open(events.onEvent);
      }
      for (const a of attachments) links.push(attachTracepoint(set.progFds[a.program.name], a.category, a.name));
      return new TracepointSession(set, links, reader);
    } catch (err) {
      for (const l of links.reverse()) l.close();
      reader?.close();
      set.close();
      throw err;
    }
  }

  /** Map fds by name. */
  get mapFds(): Readonly<Record<string, number>> {
    return this.#set.mapFds;
  }

  /** Records the kernel reported lost (perf buffer full). */
  get lost(): number {
    return this.#reader?.lost ?? 0;
  }

  /** Delivers the events already waiting, without waiting; returns how many records were read. */
  drain(): number {
    return this.#closed || this.#reader === undefined ? 0 : this.#reader.consume();
  }

  /** Detaches every program, then closes the reader and every fd (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    runEveryStep([...[...this.#links].reverse().map((l) => () => l.close()), () => this.#reader?.close(), () => this.#set.close()]);
  }

  /** Same as {@link TracepointSession.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
