/**
 * BCC's map declarations as values: `BPF_HASH(u64, Val)` is what `BPF_HASH(name, u64, struct
 * val_t)` declares in C; the name is the key of the `tables` record given to {@link BPF}. Sizes
 * and defaults are BCC's (`src/cc/export/helpers.h`): hashes and arrays hold 10240 entries,
 * histograms 64 `u64` slots, `BPF_PERF_OUTPUT` one ring per CPU.
 *
 * ```ts
 * const tables = {
 *   infotmp: BPF_HASH(u64, Val),           // BPF_HASH(infotmp, u64, struct val_t);
 *   dist: BPF_HISTOGRAM(),                 // BPF_HISTOGRAM(dist);
 *   open_events: BPF_PERF_OUTPUT(Data),    // BPF_PERF_OUTPUT(open_events);  (events are Data)
 * };
 * ```
 * @module
 */

import { array, u32, u64, type SomeType } from '../types/index.js';
import { BccError } from './bcc-error.js';

/** The kinds of table BCC declares, each a row of {@link TABLE_MAP_TYPES}. */
export type TableKind =
  | 'hash' | 'lru_hash' | 'array' | 'histogram' | 'percpu_hash' | 'percpu_array' | 'lpm_trie'
  | 'prog_array' | 'stack_trace' | 'queue' | 'stack' | 'perf_output' | 'ringbuf_output';

/** The kernel map type (lower-case name) behind each table kind. */
export const TABLE_MAP_TYPES: Readonly<Record<TableKind, string>> = {
  hash: 'hash',
  lru_hash: 'lru_hash',
  array: 'array',
  histogram: 'hash', // BCC: BPF_TABLE("histogram", …) is a BPF_MAP_TYPE_HASH
  percpu_hash: 'percpu_hash',
  percpu_array: 'percpu_array',
  lpm_trie: 'lpm_trie',
  prog_array: 'prog_array',
  stack_trace: 'stack_trace',
  queue: 'queue',
  stack: 'stack',
  perf_output: 'perf_event_array',
  ringbuf_output: 'ringbuf',
};

/** `BPF_F_NO_PREALLOC`: required by LPM tries. */
export const BPF_F_NO_PREALLOC = 1;
/** BCC's `BPF_MAX_STACK_DEPTH`: frames per stack trace. */
export const MAX_STACK_DEPTH = 127;

/** A table declaration: kind, key and value types, capacity. `K`/`V` are struct types. */
export interface TableDecl<Kind extends TableKind = TableKind, K extends SomeType = SomeType, V extends SomeType = SomeType> {
  /** Discriminant. */
  readonly kind: Kind;
  /** Key type (`u32` for arrays; zero-sized for queues, stacks and outputs). */
  readonly key: K;
  /** Value type (for outputs: the event type records decode to). */
  readonly value: V;
  /** Capacity (a ring buffer: its size in bytes). */
  readonly maxEntries: number;
  /** `BPF_F_*` map flags. */
  readonly flags: number;
}

function checkSize(who: string, size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > 0x7fffffff) throw new BccError(`${who}: size ${String(size)} must be a positive integer`);
}

function decl<Kind extends TableKind, K extends SomeType, V extends SomeType>(kind: Kind, key: K, value: V, maxEntries: number, flags = 0): TableDecl<Kind, K, V> {
  checkSize(`BPF_${kind.toUpperCase()}`, maxEntries);
  return Object.freeze({ kind, key, value, maxEntries, flags });
}

/** `BPF_HASH(name)`: `u64` keys and values, 10240 entries. */
export function BPF_HASH(): TableDecl<'hash', typeof u64, typeof u64>;
/** `BPF_HASH(name, key)`: `u64` values. */
export function BPF_HASH<K extends SomeType>(key: K): TableDecl<'hash', K, typeof u64>;
/** `BPF_HASH(name, key, leaf, size = 10240)`. */
export function BPF_HASH<K extends SomeType, V extends SomeType>(key: K, value: V, size?: number): TableDecl<'hash', K, V>;
export function BPF_HASH(key: SomeType = u64, value: SomeType = u64, size = 10240): TableDecl {
  return decl('hash', key, value, size);
}

/** `BPF_TABLE("lru_hash", key, leaf, name, size)`: a hash that evicts the least recently used. */
export function BPF_LRU_HASH<K extends SomeType, V extends SomeType>(key: K, value: V, size = 10240): TableDecl<'lru_hash', K, V> {
  return decl('lru_hash', key, value, size);
}

/** `BPF_ARRAY(name)`: `u32` indexes, `u64` zero-filled values, 10240 of them. */
export function BPF_ARRAY(): TableDecl<'array', typeof u32, typeof u64>;
/** `BPF_ARRAY(name, leaf, size = 10240)`. */
export function BPF_ARRAY<V extends SomeType>(value: V, size?: number): TableDecl<'array', typeof u32, V>;
export function BPF_ARRAY(value: SomeType = u64, size = 10240): TableDecl {
  return decl('array', u32, value, size);
}

/**
 * `BPF_HISTOGRAM(name, key = u32, size = 64)`: `u64` counts by slot (a hash, as in BCC, whose
 * default key is a 4-byte `int`; `u32` here, the type `$.log2l` returns). Fill it with
 * `t.dist.increment($.log2l(v))` and print it with `print_log2_hist`. A struct key
 * `{ bucket, slot }` gives one histogram per bucket.
 */
export function BPF_HISTOGRAM(): TableDecl<'histogram', typeof u32, typeof u64>;
/** `BPF_HISTOGRAM(name, key, size = 64)`: a struct key `{ bucket, slot }` gives one histogram per bucket. */
export function BPF_HISTOGRAM<K extends SomeType>(key: K, size?: number): TableDecl<'histogram', K, typeof u64>;
export function BPF_HISTOGRAM(key: SomeType = u32, size = 64): TableDecl {
  return decl('histogram', key, u64, size);
}

/** `BPF_PERCPU_HASH(name, key, leaf, size = 10240)`: one value per CPU. */
export function BPF_PERCPU_HASH<K extends SomeType, V extends SomeType>(key: K, value: V, size = 10240): TableDecl<'percpu_hash', K, V> {
  return decl('percpu_hash', key, value, size);
}

/** `BPF_PERCPU_ARRAY(name, leaf, size = 10240)`: one value per CPU. */
export function BPF_PERCPU_ARRAY<V extends SomeType>(value: V, size = 10240): TableDecl<'percpu_array', typeof u32, V> {
  return decl('percpu_array', u32, value, size);
}

/**
 * `BPF_LPM_TRIE(name, key, leaf = u64, size = 10240)`: longest-prefix match; the key struct
 * starts with a `u32` prefix length in bits. Created with `BPF_F_NO_PREALLOC`.
 */
export function BPF_LPM_TRIE<K extends SomeType, V extends SomeType>(key: K, value: V, size = 10240): TableDecl<'lpm_trie', K, V> {
  if (key.size < 5) throw new BccError(`BPF_LPM_TRIE: a key of ${key.size} bytes has no room for the u32 prefix length and data`);
  return decl('lpm_trie', key, value, size, BPF_F_NO_PREALLOC);
}

/** `BPF_PROG_ARRAY(name, size)`: program fds for tail calls (`table.call(idx)`). */
export function BPF_PROG_ARRAY(size: number): TableDecl<'prog_array', typeof u32, typeof u32> {
  return decl('prog_array', u32, u32, size);
}

/** The value of a stack trace map: {@link MAX_STACK_DEPTH} instruction pointers. */
export const StackFrames = array(u64, MAX_STACK_DEPTH);

/** `BPF_STACK_TRACE(name, size)`: stacks by id (`table.get_stackid(flags)` in programs). */
export function BPF_STACK_TRACE(size: number): TableDecl<'stack_trace', typeof u32, typeof StackFrames> {
  return decl('stack_trace', u32, StackFrames, size);
}

const noKey = array(u32, 0);
/** The zero-sized key of queues, stacks and outputs. */
export type NoKey = typeof noKey;

/** `BPF_QUEUE(name, leaf, size)`: FIFO (`push`/`pop`/`peek`). Requires Linux 4.20. */
export function BPF_QUEUE<V extends SomeType>(value: V, size: number): TableDecl<'queue', NoKey, V> {
  return decl('queue', noKey, value, size);
}

/** `BPF_STACK(name, leaf, size)`: LIFO (`push`/`pop`/`peek`). Requires Linux 4.20. */
export function BPF_STACK<V extends SomeType>(value: V, size: number): TableDecl<'stack', NoKey, V> {
  return decl('stack', noKey, value, size);
}

/**
 * `BPF_PERF_OUTPUT(name)`: per-CPU perf rings. `event` is the record type `perf_submit`
 * sends, which `open_perf_buffer` callbacks and `table.event(data)` decode to. `cpus` slots
 * (default 128, enough for any possible CPU count up to that).
 */
export function BPF_PERF_OUTPUT(): TableDecl<'perf_output', NoKey, NoKey>;
/** `BPF_PERF_OUTPUT(name)` whose records are `event`s. */
export function BPF_PERF_OUTPUT<V extends SomeType>(event: V, cpus?: number): TableDecl<'perf_output', NoKey, V>;
export function BPF_PERF_OUTPUT(event: SomeType = noKey, cpus = 128): TableDecl {
  return decl('perf_output', noKey, event, cpus);
}

/**
 * `BPF_RINGBUF_OUTPUT(name, page_cnt)`: a ring buffer of `pageCnt` pages (a power of two);
 * `event` is the record type. Requires Linux 5.8.
 */
export function BPF_RINGBUF_OUTPUT<V extends SomeType>(event: V, pageCnt = 8): TableDecl<'ringbuf_output', NoKey, V> {
  if (!Number.isInteger(pageCnt) || pageCnt < 1 || (pageCnt & (pageCnt - 1)) !== 0) throw new BccError(`BPF_RINGBUF_OUTPUT: page_cnt ${String(pageCnt)} must be a power of two`);
  return decl('ringbuf_output', noKey, event, pageCnt * 4096);
}

/** A record of table declarations by name. */
export type TableDecls = Readonly<Record<string, TableDecl>>;
