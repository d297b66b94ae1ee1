/**
 * Creates the simulated map for a spec, by type name (or `bpf_map_type` number).
 * @module
 */

import { mapTypeName } from 'ebpf-bytecode-utils';
import { ArrayMap } from './array-map.js';
import { HashMap } from './hash-map.js';
import { LpmTrieMap } from './lpm-trie-map.js';
import { PerfEventArrayMap } from './perf-event-array-map.js';
import { ProgArrayMap } from './prog-array-map.js';
import { QueueStackMap } from './queue-stack-map.js';
import { RingbufMap } from './ringbuf-map.js';
import type { SimMap, SimMapSpec } from './sim-map.js';
import { StackTraceMap } from './stack-trace-map.js';

/** A map spec whose type may also be the kernel's number. */
export type MapSpecInput = Omit<SimMapSpec, 'type'> & { readonly type: string | number };

/**
 * Creates a simulated map: `hash`, `percpu_hash`, `lru_hash`, `lru_percpu_hash`, `array`,
 * `percpu_array`, `lpm_trie`, `queue`, `stack`, `prog_array`, `ringbuf`, `perf_event_array`,
 * `stack_trace`. Throws a RangeError for other types or inconsistent sizes.
 */
export function createMap(input: MapSpecInput): SimMap {
  const type = typeof input.type === 'number' ? mapTypeName(input.type) : input.type;
  const spec: SimMapSpec = { ...input, type };
  switch (type) {
    case 'hash':
    case 'percpu_hash':
    case 'lru_hash':
    case 'lru_percpu_hash':
      return new HashMap(spec);
    case 'array':
    case 'percpu_array':
      return new ArrayMap(spec);
    case 'lpm_trie':
      return new LpmTrieMap(spec);
    case 'queue':
    case 'stack':
      return new QueueStackMap(spec);
    case 'prog_array':
      return new ProgArrayMap(spec);
    case 'ringbuf':
      return new RingbufMap(spec);
    case 'perf_event_array':
      return new PerfEventArrayMap(spec);
    case 'stack_trace':
      return new StackTraceMap(spec);
  }
  throw new RangeError(`map '${spec.name ?? type}': map type '${type}' is not simulated`);
}
