/**
 * Lookups over the kernel's program, map, attach and link types (`kernel-types.generated.ts`,
 * made from `include/uapi/linux/bpf.h`): a lower-case name without prefix (`socket_filter`,
 * `percpu_array`, `cgroup_inet_ingress`, `tcx`) or a number in, the number out; and back.
 *
 * ```ts
 * programType('xdp');          // 6
 * programType(6);              // 6
 * programTypeName(6);          // 'xdp'
 * mapType('hash_of_maps');     // 13
 * programType('foo');          // RangeError: unknown program type 'foo'
 * ```
 * @module
 */

import {
  AttachTypes,
  LinkTypes,
  MapTypes,
  ProgramTypes,
  type AttachTypeName,
  type AttachTypeNumber,
  type LinkTypeName,
  type LinkTypeNumber,
  type MapTypeName,
  type MapTypeNumber,
  type ProgramTypeName,
  type ProgramTypeNumber,
} from './kernel-types.generated.js';

export * from './kernel-types.generated.js';

/** Name → number and number → name for one kind of constant. */
interface Table<N extends string, V extends number> {
  readonly kind: string;
  readonly byName: Readonly<Record<N, V>>;
  readonly names: ReadonlyMap<number, N>;
}

function table<N extends string, V extends number>(kind: string, byName: Readonly<Record<N, V>>): Table<N, V> {
  const names = new Map<number, N>();
  // Later aliases win: `cgroup_storage` (declared after `cgroup_storage_deprecated`) names 19.
  for (const [name, value] of Object.entries(byName) as [N, V][]) names.set(value, name);
  return { kind, byName, names };
}

function describe(x: unknown): string {
  return typeof x === 'string' ? `'${x}'` : String(x);
}

function toNumber<N extends string, V extends number>(t: Table<N, V>, nameOrNumber: string | number): V {
  if (typeof nameOrNumber === 'number') {
    if (t.names.has(nameOrNumber)) return nameOrNumber as V;
  } else if (typeof nameOrNumber === 'string' && Object.hasOwn(t.byName, nameOrNumber)) {
    return t.byName[nameOrNumber as N];
  }
  throw new RangeError(`unknown ${t.kind} ${describe(nameOrNumber)}`);
}

function toName<N extends string, V extends number>(t: Table<N, V>, n: number): N {
  const name = t.names.get(n);
  if (name === undefined) throw new RangeError(`unknown ${t.kind} ${describe(n)}`);
  return name;
}

const programs = table<ProgramTypeName, ProgramTypeNumber>('program type', ProgramTypes);
const maps = table<MapTypeName, MapTypeNumber>('map type', MapTypes);
const attaches = table<AttachTypeName, AttachTypeNumber>('attach type', AttachTypes);
const links = table<LinkTypeName, LinkTypeNumber>('link type', LinkTypes);

/**
 * The number of a program type (`enum bpf_prog_type`), given its lower-case name without
 * `BPF_PROG_TYPE_` (`socket_filter`, `xdp`, …) or its number.
 * @throws RangeError `unknown program type 'foo'` for any other name or number.
 */
export function programType<N extends ProgramTypeName>(name: N): (typeof ProgramTypes)[N];
export function programType(nameOrNumber: string | number): ProgramTypeNumber;
export function programType(nameOrNumber: string | number): ProgramTypeNumber {
  return toNumber(programs, nameOrNumber);
}

/**
 * The lower-case name of program type `n` (`6` → `xdp`).
 * @throws RangeError `unknown program type 99` for a number that is not a program type.
 */
export function programTypeName(n: number): ProgramTypeName {
  return toName(programs, n);
}

/**
 * The number of a map type (`enum bpf_map_type`), given its lower-case name without
 * `BPF_MAP_TYPE_` (`hash`, `percpu_array`, `ringbuf`, …) or its number.
 * @throws RangeError `unknown map type 'foo'` for any other name or number.
 */
export function mapType<N extends MapTypeName>(name: N): (typeof MapTypes)[N];
export function mapType(nameOrNumber: string | number): MapTypeNumber;
export function mapType(nameOrNumber: string | number): MapTypeNumber {
  return toNumber(maps, nameOrNumber);
}

/**
 * The lower-case name of map type `n` (`1` → `hash`). Where two names share a number, the
 * current one is returned (`19` → `cgroup_storage`, not `cgroup_storage_deprecated`).
 * @throws RangeError `unknown map type 99` for a number that is not a map type.
 */
export function mapTypeName(n: number): MapTypeName {
  return toName(maps, n);
}

/**
 * The number of an attach type (`enum bpf_attach_type`), given its lower-case name without
 * `BPF_` (`cgroup_inet_ingress`, `trace_fentry`, `tcx_ingress`, …) or its number.
 * @throws RangeError `unknown attach type 'foo'` for any other name or number.
 */
export function attachType<N extends AttachTypeName>(name: N): (typeof AttachTypes)[N];
export function attachType(nameOrNumber: string | number): AttachTypeNumber;
export function attachType(nameOrNumber: string | number): AttachTypeNumber {
  return toNumber(attaches, nameOrNumber);
}

/**
 * The lower-case name of attach type `n` (`0` → `cgroup_inet_ingress`).
 * @throws RangeError `unknown attach type 999` for a number that is not an attach type.
 */
export function attachTypeName(n: number): AttachTypeName {
  return toName(attaches, n);
}

/**
 * The number of a link type (`enum bpf_link_type`), given its lower-case name without
 * `BPF_LINK_TYPE_` (`raw_tracepoint`, `tcx`, …) or its number.
 * @throws RangeError `unknown link type 'foo'` for any other name or number.
 */
export function linkType<N extends LinkTypeName>(name: N): (typeof LinkTypes)[N];
export function linkType(nameOrNumber: string | number): LinkTypeNumber;
export function linkType(nameOrNumber: string | number): LinkTypeNumber {
  return toNumber(links, nameOrNumber);
}

/**
 * The lower-case name of link type `n` (`11` → `tcx`).
 * @throws RangeError `unknown link type 99` for a number that is not a link type.
 */
export function linkTypeName(n: number): LinkTypeName {
  return toName(links, n);
}
