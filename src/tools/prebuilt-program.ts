/**
 * Programs built ahead of time (instruction bytes generated from the eDSL and committed), loaded
 * without the eDSL, the assembler or BTF: the tools' fast start-up path (issue #6). A prebuilt
 * program names its maps at byte offsets of `ld_imm64` instructions, and the 32-bit immediates
 * that hold filter values (`patches`); {@link loadPrebuiltSet} creates the maps once by name,
 * writes their fds and the filter values into a copy of the bytes, and loads each program at
 * verifier log level 0 (the syscalls layer retries with a log only when the load fails).
 * @module
 */

import { closeFd } from '../../syscalls/close-fd.js';
import { mapCreate } from '../../syscalls/map-create.js';
import { progLoad } from '../../syscalls/prog-load.js';
import { possibleCpuCount } from '../system/possible-cpus.js';

/** `BPF_MAP_TYPE_PERF_EVENT_ARRAY`. */
const PERF_EVENT_ARRAY = 4;

/** A map of a prebuilt program (`BPF_MAP_CREATE` fields). */
export interface PrebuiltMap {
  /** Name, shared by the programs of a set. */
  readonly name: string;
  /** `enum bpf_map_type` value. */
  readonly mapType: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Capacity (ring buffer: bytes); 0 for a perf event array: the number of possible CPUs where it is loaded. */
  readonly maxEntries: number;
  /** `BPF_F_*` flags. */
  readonly flags: number;
}

/** A program as instruction bytes plus where to write map fds and filter values. */
export interface PrebuiltProgram {
  /** Program name (at most 15 bytes are given to the kernel). */
  readonly name: string;
  /** `enum bpf_prog_type` value. */
  readonly progType: number;
  /** License string. */
  readonly license: string;
  /** The instructions, base64 (8-byte little-endian slots). */
  readonly code: string;
  /** `ld_imm64` map references: the instruction's byte offset (its imm is at +4) and the map name. */
  readonly mapRefs: readonly { readonly offset: number; readonly map: string }[];
  /** Byte offsets of the 32-bit immediates holding filter values, by filter name. */
  readonly patches: Readonly<Record<string, number>>;
  /** The maps the program uses. */
  readonly maps: readonly PrebuiltMap[];
}

/** Prebuilt programs loaded with their shared maps; owns the fds. */
export interface LoadedPrebuiltSet {
  /** Program fds by program name. */
  readonly progFds: Readonly<Record<string, number>>;
  /** Map fds by map name. */
  readonly mapFds: Readonly<Record<string, number>>;
  /** Closes every program and map fd (idempotent). */
  close(): void;
}

/**
 * The bytes of `program` with map fds from `mapFds` and the filter values of `values` (unsigned
 * 32-bit; every patch of the program needs one) written in.
 */
export function patchPrebuilt(program: PrebuiltProgram, mapFds: Readonly<Record<string, number>>, values: Readonly<Record<string, number>> = {}): Uint8Array {
  const code = Buffer.from(program.code, 'base64');
  for (const ref of program.mapRefs) {
    const fd = mapFds[ref.map];
    if (fd === undefined) throw new RangeError(`prebuilt ${program.name}: no fd for map '${ref.map}'`);
    code.writeInt32LE(fd, ref.offset + 4);
  }
  for (const [name, offset] of Object.entries(program.patches)) {
    const v = values[name];
    if (v === undefined || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`prebuilt ${program.name}: ${name} ${String(v)} is not a 32-bit unsigned integer`);
    code.writeUInt32LE(v, offset);
  }
  return new Uint8Array(code.buffer, code.byteOffset, code.byteLength);
}

function sameMap(a: PrebuiltMap, b: PrebuiltMap): boolean {
  return a.mapType === b.mapType && a.keySize === b.keySize && a.valueSize === b.valueSize && a.maxEntries === b.maxEntries && a.flags === b.flags;
}

/**
 * Creates the maps of `programs` once by name and loads each program with filter `values`.
 * On failure everything created so far is closed and the error (a `SyscallError` with the
 * verifier log for a rejected program) is rethrown.
 */
export function loadPrebuiltSet(programs: readonly PrebuiltProgram[], values: Readonly<Record<string, number>> = {}): LoadedPrebuiltSet {
  const mapFds: Record<string, number> = {};
  const progFds: Record<string, number> = {};
  const specs = new Map<string, PrebuiltMap>();
  for (const p of programs) {
    if (progFds[p.name] !== undefined || programs.filter((q) => q.name === p.name).length > 1) throw new RangeError(`loadPrebuiltSet: two programs are named '${p.name}'`);
    for (const m of p.maps) {
      const seen = specs.get(m.name);
      if (seen === undefined) specs.set(m.name, m);
      else if (!sameMap(seen, m)) throw new RangeError(`loadPrebuiltSet: map '${m.name}' is declared differently by two programs`);
    }
  }
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    for (const fd of Object.values(progFds)) closeFd(fd);
    for (const fd of Object.values(mapFds)) closeFd(fd);
  };
  try {
    for (const m of specs.values()) {
      mapFds[m.name] = mapCreate({ mapType: m.mapType, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries === 0 && m.mapType === PERF_EVENT_ARRAY ? possibleCpuCount() : m.maxEntries, mapFlags: m.flags, mapName: m.name });
    }
    for (const p of programs) {
      progFds[p.name] = progLoad({ progType: p.progType, insns: patchPrebuilt(p, mapFds, values), license: p.license, progName: p.name.slice(0, 15) }).fd;
    }
  } catch (err) {
    close();
    throw err;
  }
  return { progFds: { ...progFds }, mapFds: { ...mapFds }, close };
}
