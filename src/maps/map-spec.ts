/**
 * {@link MapSpec}: what a map is (type, sizes, flags, name, inner map), before it exists, and the
 * facts derived from it (per-CPU value size, whether elements can be deleted).
 * @module
 */

import { mapType, mapTypeName, MapTypes, type MapTypeName, type Type as BtfType } from 'ebpf-bytecode-utils';

/** A map to create. The field names follow the program spec of DESIGN.md. */
export interface MapSpec {
  /** Map type: the kernel's lower-case name without `BPF_MAP_TYPE_` (`'hash'`) or its number. */
  readonly type: MapTypeName | number;
  /** Key size in bytes (0 for queue, stack, bloom filter and ring buffer maps). */
  readonly keySize: number;
  /** Value size in bytes; for per-CPU maps the size of one CPU's value. */
  readonly valueSize: number;
  /** Capacity (for ring buffers: the data size, a power-of-2 multiple of the page size). */
  readonly maxEntries: number;
  /** `BPF_F_*` map flags (`BPF_F_NO_PREALLOC` = 1, `BPF_F_RDONLY_PROG` = 0x80, `BPF_F_MMAPABLE` = 0x400, …). */
  readonly flags?: number;
  /** Name, at most 15 bytes of letters, digits, `_` and `.`. */
  readonly name?: string;
  /** The inner map of `array_of_maps` / `hash_of_maps` (a template: created, used, closed). */
  readonly innerMap?: MapSpec;
  /** NUMA node (needs `BPF_F_NUMA_NODE` = 4 in flags). */
  readonly numaNode?: number;
  /** Type-specific extra: number of hash functions of a bloom filter (low 4 bits). Requires Linux 5.16. */
  readonly mapExtra?: bigint;
  /**
   * libbpf's `pinning`: `'by_name'` pins the map at `<pinRoot>/<name>`, or reuses the map
   * already pinned there when it is compatible (same type, sizes, capacity, flags and extra;
   * an incompatible one is an error). Needs {@link name}. Default `'none'`.
   */
  readonly pinning?: 'none' | 'by_name';
  /**
   * BTF of the key and the value (model types, e.g. a `struct(…)`'s `btf()`): encoded, loaded
   * with `BPF_BTF_LOAD` and given to the map, so that `bpftool map dump` prints fields. Their
   * sizes must be `keySize` and `valueSize`. Requires Linux 4.18.
   */
  readonly btf?: { readonly key: BtfType; readonly value: BtfType };
  /** Directory of by-name pins: a bpffs mount, mounted when missing (libbpf's `pin_root_path`; default `/sys/fs/bpf`). */
  readonly pinRoot?: string;
}

/** Map type numbers tsbpf treats specially. */
const T = MapTypes;

const perCpuTypes: ReadonlySet<number> = new Set([T.percpu_hash, T.percpu_array, T.lru_percpu_hash, T.percpu_cgroup_storage]);
const arrayTypes: ReadonlySet<number> = new Set([T.array, T.percpu_array]);
const mapInMapTypes: ReadonlySet<number> = new Set([T.array_of_maps, T.hash_of_maps]);

/** Whether map type `type` holds one value per possible CPU. */
export function isPerCpu(type: number): boolean {
  return perCpuTypes.has(type);
}

/** Whether elements of map type `type` cannot be deleted (plain and per-CPU arrays). */
export function isArrayLike(type: number): boolean {
  return arrayTypes.has(type);
}

/** Whether `type` is a map-in-map type (needs an inner map). */
export function isMapInMap(type: number): boolean {
  return mapInMapTypes.has(type);
}

/** The size of one CPU's slot in a per-CPU value: `valueSize` rounded up to 8 bytes. */
export function perCpuStride(valueSize: number): number {
  return (valueSize + 7) & ~7;
}

/** The map type number of `spec.type` (a RangeError for unknown names). */
export function mapTypeOf(spec: Pick<MapSpec, 'type'>): number {
  return mapType(spec.type);
}

/**
 * How a map is named in messages: `map "events"` when named, else `hash map`, `map type 99 map`
 * for a number the tables do not know.
 */
export function describeMap(type: number, name: string | undefined): string {
  if (name !== undefined && name !== '') return `map "${name}"`;
  try {
    return `${mapTypeName(type)} map`;
  } catch {
    return `map of type ${type}`;
  }
}

/**
 * Why `name` cannot be a kernel object name (`BPF_OBJ_NAME_LEN`: at most 15 bytes of letters,
 * digits, `_` and `.`), or undefined when it can. Shared by maps and programs.
 */
export function objectNameProblem(name: string): string | undefined {
  if (name.length > 15) return `name "${name}" is longer than 15 bytes`;
  if (!/^[A-Za-z0-9_.]*$/.test(name)) return `name "${name}" may hold only letters, digits, '_' and '.'`;
  return undefined;
}
