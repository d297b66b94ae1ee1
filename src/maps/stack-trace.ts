/**
 * {@link StackTrace} (`BPF_MAP_TYPE_STACK_TRACE`, BCC's `BPF_STACK_TRACE`): stack ids (from
 * `bpf_get_stackid`) to arrays of instruction pointers.
 * @module
 */

import { MapTypes } from 'ebpf-bytecode-utils';
import { BpfMap } from './bpf-map.js';
import { u32, viewOf } from './codec.js';

/** Options of {@link StackTrace.create}. */
export interface StackTraceOptions {
  /** Number of stacks. */
  readonly maxEntries: number;
  /** Frames per stack (the kernel's default limit, `kernel.perf_event_max_stack`, is 127). */
  readonly depth?: number;
  /** Name. */
  readonly name?: string;
  /** `BPF_F_STACK_BUILD_ID` (0x20) and friends. */
  readonly flags?: number;
}

/** A stack trace map: `get(stackId)` returns the frames (instruction pointers) of a stack. */
export class StackTrace implements Disposable {
  /** The underlying raw map. */
  readonly map: BpfMap;

  /** Narrows a stack trace `map`. */
  constructor(map: BpfMap) {
    this.map = map;
  }

  /** Creates a `stack_trace` map with `depth` (default 127) u64 frames per stack. */
  static create(options: StackTraceOptions): StackTrace {
    return new StackTrace(
      BpfMap.create({
        type: MapTypes.stack_trace,
        keySize: 4,
        valueSize: 8 * (options.depth ?? 127),
        maxEntries: options.maxEntries,
        ...(options.flags !== undefined ? { flags: options.flags } : {}),
        ...(options.name !== undefined ? { name: options.name } : {}),
      }),
    );
  }

  private key(stackId: number): Uint8Array {
    const k = new Uint8Array(4);
    u32.write(viewOf(k), 0, stackId);
    return k;
  }

  /** The frames of `stackId` (up to the first zero), or undefined when the id is unknown. */
  get(stackId: number): bigint[] | undefined {
    const v = this.map.get(this.key(stackId));
    if (v === undefined) return undefined;
    const view = viewOf(v);
    const frames: bigint[] = [];
    for (let off = 0; off + 8 <= v.byteLength; off += 8) {
      const ip = view.getBigUint64(off, true);
      if (ip === 0n) break;
      frames.push(ip);
    }
    return frames;
  }

  /** Forgets `stackId`; returns whether it existed. */
  delete(stackId: number): boolean {
    return this.map.delete(this.key(stackId));
  }

  /** Closes the underlying map. */
  close(): void {
    this.map.close();
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
