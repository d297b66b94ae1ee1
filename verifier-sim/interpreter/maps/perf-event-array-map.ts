/**
 * Simulated `perf_event_array` map: one output ring per CPU slot; `bpf_perf_event_output`
 * appends a record to the current CPU's slot, and the test reads them back.
 * @module
 */

import { SimMap, type SimMapSpec } from './sim-map.js';

/** One record written with `bpf_perf_event_output`. */
export interface PerfRecord {
  /** The CPU (slot) it was written to. */
  readonly cpu: number;
  /** The raw sample bytes. */
  readonly data: Uint8Array;
}

/** A perf event array. Every slot is open unless {@link PerfEventArrayMap.close} was called. */
export class PerfEventArrayMap extends SimMap {
  private readonly captured: PerfRecord[] = [];
  private readonly closed = new Set<number>();

  constructor(spec: SimMapSpec) {
    super(spec);
    if (spec.keySize !== 4 || spec.valueSize !== 4) throw new RangeError(`map '${this.name}': a perf_event_array has 4-byte keys and values`);
  }

  /** Whether slot `index` holds an event (a test can close slots to see `-ENOENT`). */
  isOpen(index: number): boolean {
    return index < this.maxEntries && !this.closed.has(index);
  }

  /** Test API: empties slot `index`. */
  close(index: number): void {
    this.closed.add(index);
  }

  /** Appends a record (the helper calls this). */
  output(cpu: number, data: Uint8Array): void {
    this.captured.push({ cpu, data });
  }

  /** Test API: the records written so far (not removed). */
  records(): PerfRecord[] {
    return this.captured.slice();
  }

  /** Test API: takes the records written so far. */
  consume(): PerfRecord[] {
    return this.captured.splice(0, this.captured.length);
  }
}
