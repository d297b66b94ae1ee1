/**
 * Tables as user space sees them (BCC's `b["counts"]`): {@link Table} for keyed maps (items,
 * keys, values, clear, zero, lookups returning plain JS values, per-CPU values as arrays, the
 * histogram printers), {@link StackTraceTable} for stack ids, {@link QueueTable} for queues and
 * stacks. Output tables are {@link PerfOutputTable} and {@link RingbufOutputTable}
 * (`output-tables.ts`). All are views over maps the {@link BPF} object owns.
 * @module
 */

import { PushPopMap } from '../maps/queue-stack.js';
import { BpfMap } from '../maps/bpf-map.js';
import { perCpu } from '../maps/per-cpu-map.js';
import { TypedMap } from '../maps/typed-map.js';
import type { Codec } from '../maps/codec.js';
import { BccError } from './bcc-error.js';
import { formatLinearHist, formatLog2Hist, LINEAR_INDEX_MAX, LOG2_INDEX_MAX, log2HistJson, type Count, type JsonHist } from './histogram.js';
import type { TableDecl } from './table-decl.js';

/** Where printers write (default: `process.stdout`). */
export type Writer = (text: string) => void;

const stdout: Writer = (text) => { process.stdout.write(text); };

/** Options of {@link Table.print_log2_hist} and {@link Table.print_linear_hist} (BCC's keyword arguments). */
export interface HistOptions {
  /** Section title of secondary-keyed histograms (default `Bucket ptr`). */
  readonly section_header?: string;
  /** Formats a section's bucket value. */
  readonly section_print_fn?: (bucket: unknown) => string;
  /** Maps a key's bucket value to the section it counts in. */
  readonly bucket_fn?: (bucket: unknown) => unknown;
  /** Orders the sections. */
  readonly bucket_sort_fn?: (buckets: unknown[]) => unknown[];
  /** Leave out empty slots before the first non-empty one (log2 only). */
  readonly strip_leading_zero?: boolean;
  /** Where to write (default: stdout). */
  readonly write?: Writer;
}

function sum(v: unknown): Count {
  if (Array.isArray(v)) return v.reduce<bigint>((a, x) => a + BigInt(x as Count), 0n);
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  throw new BccError(`histogram values must be integers, got ${typeof v}`);
}

function pyRepr(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : String(v);
}

/** A keyed table: hash, LRU hash, array, histogram, per-CPU hash/array, LPM trie. */
export class Table<K = unknown, V = unknown> implements Iterable<[K, V]> {
  /** Table name. */
  readonly name: string;
  /** The declaration. */
  readonly decl: TableDecl;
  /** The map (owned by the {@link BPF} object). */
  readonly map: BpfMap;
  readonly #typed: TypedMap<K, V>;
  readonly #perCpu: boolean;

  /** A view of `map` (internal: made by the {@link BPF} object). */
  constructor(name: string, decl: TableDecl, map: BpfMap) {
    this.name = name;
    this.decl = decl;
    this.map = map;
    this.#perCpu = decl.kind === 'percpu_hash' || decl.kind === 'percpu_array';
    const value = (this.#perCpu ? perCpu(decl.value as Codec<unknown>, map.cpus) : decl.value) as Codec<V>;
    this.#typed = new TypedMap(map, decl.key as Codec<K>, value);
  }

  /** The value of `key` (per-CPU tables: one per possible CPU), or undefined when absent. */
  get(key: K): V | undefined { return this.#typed.get(key); }
  /** The value of `key`; throws a {@link BccError} when absent (Python's `table[key]` KeyError). */
  at(key: K): V {
    const v = this.#typed.get(key);
    if (v === undefined) throw new BccError(`table '${this.name}': no key ${String(key)}`);
    return v;
  }
  /** Whether `key` is present. */
  has(key: K): boolean { return this.#typed.has(key); }
  /** `table[key] = value` (per-CPU: an array with one value per CPU). */
  set(key: K, value: V): this { this.#typed.set(key, value); return this; }
  /** `del table[key]`: whether it was there. */
  delete(key: K): boolean { return this.#typed.delete(key); }
  /** Every key. */
  keys(): K[] { return [...this.#typed.keys()]; }
  /** Every value. */
  values(): V[] { return [...this.#typed.values()]; }
  /** Every `[key, value]` pair (BCC's `items()`). */
  items(): [K, V][] { return [...this.#typed.entries()]; }
  /** Same as {@link Table.items}. */
  [Symbol.iterator](): Iterator<[K, V]> { return this.#typed.entries(); }
  /** Number of keys. */
  get size(): number { let n = 0; for (const _ of this.#typed.keys()) n++; return n; }
  /** Removes every key (arrays: zeroes every value, as the kernel cannot delete array slots). */
  clear(): void { this.#typed.clear(); }
  /** Sets every present key's value to zero (BCC's `zero()`). */
  zero(): void {
    const one = this.decl.value.decode(new Uint8Array(this.decl.value.size)) as unknown;
    const zero = (this.#perCpu ? Array.from({ length: this.map.cpus }, () => one) : one) as V;
    for (const k of this.keys()) this.#typed.set(k, zero);
  }

  /** The slots of a single-keyed histogram (`size` of them): slot index → summed count. */
  #slots(size: number, who: string): Map<unknown, Count[]> {
    const sections = new Map<unknown, Count[]>();
    for (const [k, v] of this.#typed.entries()) {
      let bucket: unknown = undefined;
      let slot: unknown = k;
      if (typeof k === 'object' && k !== null && !Array.isArray(k)) {
        const fields = Object.keys(k as object);
        if (fields.length < 2) throw new BccError(`${who}: a struct key needs a bucket field and a slot field`);
        bucket = (k as Record<string, unknown>)[fields[0]];
        slot = (k as Record<string, unknown>)[fields[1]];
      }
      const i = Number(slot);
      if (!Number.isInteger(i) || i < 0 || i >= size) throw new BccError(`${who}: slot ${String(slot)} of table '${this.name}' exceeds max of ${size}`);
      let vals = sections.get(bucket);
      if (vals === undefined) { vals = new Array<Count>(size).fill(0); sections.set(bucket, vals); }
      vals[i] = sum(v);
    }
    return sections;
  }

  #print(kind: 'log2' | 'linear', valType: string, options: HistOptions): void {
    const size = kind === 'log2' ? LOG2_INDEX_MAX : LINEAR_INDEX_MAX;
    const write = options.write ?? stdout;
    const text = (vals: Count[]) => (kind === 'log2' ? formatLog2Hist(vals, valType, options.strip_leading_zero ?? false) : formatLinearHist(vals, valType));
    const sections = this.#slots(size, `print_${kind}_hist`);
    const keyed = typeof this.decl.key === 'object' && (this.decl.key.kind === 'struct');
    if (!keyed) {
      const out = text(sections.get(undefined) ?? new Array<Count>(size).fill(0));
      if (out !== '') write(`${out}\n`);
      return;
    }
    const merged = new Map<unknown, Count[]>();
    for (const [bucket, vals] of sections) {
      const b = options.bucket_fn ? options.bucket_fn(bucket) : bucket;
      const into = merged.get(b);
      if (into === undefined) merged.set(b, vals);
      else vals.forEach((v, i) => { if (BigInt(v) !== 0n) into[i] = v; });
    }
    let buckets = [...merged.keys()];
    if (options.bucket_sort_fn) buckets = options.bucket_sort_fn(buckets);
    for (const b of buckets) {
      const title = options.section_print_fn ? options.section_print_fn(b) : pyRepr(b);
      write(`\n${options.section_header ?? 'Bucket ptr'} = ${title}\n`);
      const out = text(merged.get(b)!);
      if (out !== '') write(`${out}\n`);
    }
  }

  /**
   * Prints the table as a log2 histogram in BCC's layout (keys are slots; a struct key's first
   * field is a section, its second the slot). `valType` is the column header.
   */
  print_log2_hist(valType = 'value', sectionHeader = 'Bucket ptr', sectionPrintFn?: (bucket: unknown) => string, options: HistOptions = {}): void {
    this.#print('log2', valType, { section_header: sectionHeader, ...(sectionPrintFn ? { section_print_fn: sectionPrintFn } : {}), ...options });
  }

  /** Prints the table as a linear histogram in BCC's layout (keys 0…1024 are the values). */
  print_linear_hist(valType = 'value', sectionHeader = 'Bucket ptr', sectionPrintFn?: (bucket: unknown) => string, options: HistOptions = {}): void {
    this.#print('linear', valType, { section_header: sectionHeader, ...(sectionPrintFn ? { section_print_fn: sectionPrintFn } : {}), ...options });
  }

  /** The log2 histogram as BCC's JSON object (`get_json_hist`); single-keyed tables. */
  log2_hist_json(valType = 'value'): JsonHist {
    return log2HistJson(this.#slots(LOG2_INDEX_MAX, 'log2_hist_json').get(undefined) ?? [], valType);
  }

  /**
   * BCC's `print_json_hist`: the log2 histogram as one JSON object per line (per section for a
   * struct key, with the section under `section_header`).
   */
  print_json_hist(valType = 'value', sectionHeader = 'Bucket ptr', options: { readonly write?: Writer } = {}): void {
    const write = options.write ?? stdout;
    const sections = this.#slots(LOG2_INDEX_MAX, 'print_json_hist');
    for (const [bucket, vals] of sections) write(`${JSON.stringify(log2HistJson(vals, valType, bucket === undefined ? undefined : [sectionHeader, bucket]), (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}\n`);
  }

  /** camelCase alias of {@link Table.print_log2_hist}. */
  printLog2Hist(valType = 'value', options: HistOptions = {}): void { this.#print('log2', valType, options); }
  /** camelCase alias of {@link Table.print_linear_hist}. */
  printLinearHist(valType = 'value', options: HistOptions = {}): void { this.#print('linear', valType, options); }
}

/** A `BPF_STACK_TRACE` table: stacks by id. */
export class StackTraceTable {
  /** Table name. */
  readonly name: string;
  /** The map (owned by the {@link BPF} object). */
  readonly map: BpfMap;
  readonly #typed: TypedMap<number, bigint[]>;

  /** A view of `map` (internal). */
  constructor(name: string, decl: TableDecl, map: BpfMap) {
    this.name = name;
    this.map = map;
    this.#typed = new TypedMap(map, decl.key as Codec<number>, decl.value as Codec<bigint[]>);
  }

  /** The instruction pointers of stack `stackId`, innermost first (BCC's `walk`); empty when unknown. */
  walk(stackId: number | bigint): bigint[] {
    const id = Number(stackId);
    if (id < 0) return [];
    const frames = this.#typed.get(id);
    if (frames === undefined) return [];
    const end = frames.indexOf(0n);
    return end < 0 ? frames : frames.slice(0, end);
  }

  /** Every stored stack id. */
  keys(): number[] { return [...this.#typed.keys()]; }
  /** Removes stack `stackId`. */
  delete(stackId: number): boolean { return this.#typed.delete(stackId); }
  /** Removes every stack. */
  clear(): void { for (const k of this.keys()) this.#typed.delete(k); }
}

/** A `BPF_QUEUE` / `BPF_STACK` table. */
export class QueueTable<V = unknown> {
  /** Table name. */
  readonly name: string;
  /** The map (owned by the {@link BPF} object). */
  readonly map: BpfMap;
  readonly #ops: PushPopMap<V>;

  /** A view of `map` (internal). */
  constructor(name: string, decl: TableDecl, map: BpfMap) {
    this.name = name;
    this.map = map;
    this.#ops = new PushPopMap(map, decl.value as Codec<V>);
  }

  /** `push(value)`; with `overwrite`, the oldest value makes room when full (`BPF_EXIST`). */
  push(value: V, overwrite = false): void { this.#ops.push(value, overwrite); }
  /** `pop()`: removes and returns the next value, or undefined when empty. */
  pop(): V | undefined { return this.#ops.pop(); }
  /** `peek()`: the next value without removing it, or undefined when empty. */
  peek(): V | undefined { return this.#ops.peek(); }
  /** Every value, popped in order (empties the table). */
  values(): V[] {
    const out: V[] = [];
    for (let v = this.pop(); v !== undefined; v = this.pop()) out.push(v);
    return out;
  }
}

/** A `BPF_PROG_ARRAY` table: program fds by index, for tail calls. */
export class ProgArrayTable {
  /** Table name. */
  readonly name: string;
  /** The map (owned by the {@link BPF} object). */
  readonly map: BpfMap;
  readonly #fdOf: (fn: string) => number;

  /** A view of `map` (internal); `fdOf` gives a function's program fd. */
  constructor(name: string, map: BpfMap, fdOf: (fn: string) => number) {
    this.name = name;
    this.map = map;
    this.#fdOf = fdOf;
  }

  /** `prog_array[index] = fn` (a function name or a program fd). */
  set(index: number, fn: string | number): this {
    const fd = typeof fn === 'string' ? this.#fdOf(fn) : fn;
    const k = new Uint8Array(4);
    const v = new Uint8Array(4);
    new DataView(k.buffer).setUint32(0, index, true);
    new DataView(v.buffer).setUint32(0, fd, true);
    this.map.set(k, v);
    return this;
  }

  /** Empties slot `index`; whether it held a program. */
  delete(index: number): boolean {
    const k = new Uint8Array(4);
    new DataView(k.buffer).setUint32(0, index, true);
    return this.map.delete(k);
  }
}
