/**
 * {@link parseProgramSpec}: JSON text (or a parsed value) → a validated {@link ProgramSpecFile}.
 * Pure: no kernel, no file system; shared by the offline verifier and the kernel loader.
 * @module
 */

import { attachType, hexToBytes, mapType, programType } from 'ebpf-bytecode-utils';
import { objectNameProblem } from '../maps/map-spec.js';
import type { ProgramSpecFile, SpecMap, SpecMapInit, SpecMapRef, SpecSlotProgram } from './program-spec.js';
import { SpecError } from './spec-error.js';

type Json = Record<string, unknown>;

const TOP_KEYS = new Set(['progType', 'expectedAttachType', 'license', 'progFlags', 'insns', 'maps', 'name', 'kernVersion']);
const MAP_KEYS = new Set(['type', 'keySize', 'valueSize', 'maxEntries', 'flags', 'name', 'innerMap', 'init', 'progs', 'numaNode', 'mapExtra', 'pinning']);
/** Map types by number that the reader treats specially. */
const PROG_ARRAY = 3;
const MAP_IN_MAP = new Set([12, 13]);
const PER_CPU = new Set([5, 6, 10, 21]);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function object(path: string, v: unknown, allowed: ReadonlySet<string>): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new SpecError(path, `expected an object, got ${describe(v)}`);
  for (const key of Object.keys(v)) {
    // Keys starting with '_' and "comment" are annotations, ignored.
    if (!allowed.has(key) && !key.startsWith('_') && key !== 'comment') throw new SpecError(path === '' ? key : `${path}.${key}`, 'unknown field');
  }
  return v as Json;
}

function at(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function u32(path: string, v: unknown, what = 'a non-negative integer'): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new SpecError(path, `expected ${what}, got ${describe(v)}`);
  return v;
}

function positive(path: string, v: unknown): number {
  const n = u32(path, v, 'a positive integer');
  if (n === 0) throw new SpecError(path, 'expected a positive integer, got 0');
  return n;
}

function str(path: string, v: unknown): string {
  if (typeof v !== 'string') throw new SpecError(path, `expected a string, got ${describe(v)}`);
  return v;
}

function hex(path: string, v: unknown): Uint8Array {
  const s = str(path, v);
  try {
    return hexToBytes(s);
  } catch (e) {
    throw new SpecError(path, (e as Error).message);
  }
}

function kind<T>(path: string, v: unknown, lookup: (x: string | number) => T, what: string): T {
  if (typeof v !== 'string' && typeof v !== 'number') throw new SpecError(path, `expected a ${what} name or number, got ${describe(v)}`);
  try {
    return lookup(v);
  } catch (e) {
    throw new SpecError(path, (e as Error).message);
  }
}

function insnsOf(path: string, v: unknown): Uint8Array {
  const bytes = hex(path, v);
  if (bytes.length === 0) throw new SpecError(path, 'no instructions');
  if (bytes.length % 8 !== 0) throw new SpecError(path, `${bytes.length} bytes is not a whole number of 8-byte instructions`);
  return bytes;
}

/** The map references (`ld_imm64` with src_reg 1, 2, 5, 6) of `insns`, checked against `mapCount`. */
export function findMapRefs(path: string, insns: Uint8Array, mapCount: number): SpecMapRef[] {
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const refs: SpecMapRef[] = [];
  const slots = insns.byteLength / 8;
  for (let slot = 0; slot < slots; slot++) {
    if (insns[slot * 8] !== 0x18) continue; // BPF_LD | BPF_IMM | BPF_DW
    const src = insns[slot * 8 + 1] >> 4;
    if (src === 1 || src === 2 || src === 5 || src === 6) {
      const map = view.getInt32(slot * 8 + 4, true);
      if (map < 0 || map >= mapCount) {
        throw new SpecError(path, `slot ${slot}: ld_imm64 with src_reg ${src} refers to maps[${map}], but the spec has ${mapCount} map${mapCount === 1 ? '' : 's'}`);
      }
      const offset = (src === 2 || src === 6) && slot + 1 < slots ? view.getInt32(slot * 8 + 12, true) : 0;
      refs.push({ slot, srcReg: src, map, offset });
    }
    slot++; // the second half of the ld_imm64
  }
  return refs;
}

/**
 * The `pinning` field: `"by_name"` (or libbpf's `LIBBPF_PIN_BY_NAME`, 1) needs a `name` that is a
 * valid object name, since the pin path is `<pin root>/<name>`; `"none"` (or 0) is the default.
 */
function pinningOf(path: string, o: Json, inner: boolean): 'by_name' | undefined {
  const v = o.pinning;
  if (v === undefined || v === 'none' || v === 0) return undefined;
  if (v !== 'by_name' && v !== 1) throw new SpecError(at(path, 'pinning'), `expected "none" or "by_name", got ${describe(v)}`);
  if (inner) throw new SpecError(at(path, 'pinning'), 'an inner map is a template and cannot be pinned');
  if (o.name === undefined) throw new SpecError(at(path, 'name'), 'missing (pinning "by_name" pins the map at <pin root>/<name>)');
  const name = str(at(path, 'name'), o.name);
  if (name === '') throw new SpecError(at(path, 'name'), 'empty (pinning "by_name" pins the map at <pin root>/<name>)');
  const bad = objectNameProblem(name);
  if (bad !== undefined) throw new SpecError(at(path, 'name'), bad);
  return 'by_name';
}

function parseMap(path: string, v: unknown, mapCount: number, inner: boolean): SpecMap {
  const o = object(path, v, MAP_KEYS);
  for (const required of ['type', 'keySize', 'valueSize', 'maxEntries']) {
    if (!(required in o)) throw new SpecError(at(path, required), 'missing');
  }
  const type = kind(at(path, 'type'), o.type, mapType, 'map type');
  const keySize = u32(at(path, 'keySize'), o.keySize);
  const valueSize = u32(at(path, 'valueSize'), o.valueSize);
  const maxEntries = u32(at(path, 'maxEntries'), o.maxEntries);
  const flags = o.flags === undefined ? 0 : u32(at(path, 'flags'), o.flags);
  let innerMap: SpecMap | undefined;
  if (o.innerMap !== undefined) {
    if (!MAP_IN_MAP.has(type)) throw new SpecError(at(path, 'innerMap'), 'only array_of_maps and hash_of_maps take an inner map');
    innerMap = parseMap(at(path, 'innerMap'), o.innerMap, mapCount, true);
  } else if (MAP_IN_MAP.has(type)) {
    throw new SpecError(at(path, 'innerMap'), 'missing (a map-in-map needs its inner map)');
  }
  if (inner && (o.init !== undefined || o.progs !== undefined)) throw new SpecError(path, 'an inner map takes no init or progs');
  const init: SpecMapInit[] = [];
  if (o.init !== undefined) {
    if (!Array.isArray(o.init)) throw new SpecError(at(path, 'init'), `expected an array, got ${describe(o.init)}`);
    if (MAP_IN_MAP.has(type) || type === PROG_ARRAY) throw new SpecError(at(path, 'init'), 'maps of fds take no init (use progs for a prog_array)');
    o.init.forEach((e, i) => {
      const p = `${path}.init[${i}]`;
      const eo = object(p, e, new Set(['key', 'value']));
      if (eo.key === undefined) throw new SpecError(`${p}.key`, 'missing');
      if (eo.value === undefined) throw new SpecError(`${p}.value`, 'missing');
      const key = hex(`${p}.key`, eo.key);
      const value = hex(`${p}.value`, eo.value);
      if (key.length !== keySize) throw new SpecError(`${p}.key`, `${key.length} bytes, expected keySize ${keySize}`);
      const stride = (valueSize + 7) & ~7;
      const perCpuOk = PER_CPU.has(type) && value.length > 0 && value.length % stride === 0;
      if (value.length !== valueSize && !perCpuOk) throw new SpecError(`${p}.value`, `${value.length} bytes, expected valueSize ${valueSize}`);
      init.push({ key, value });
    });
  }
  const progs: SpecSlotProgram[] = [];
  if (o.progs !== undefined) {
    if (type !== PROG_ARRAY) throw new SpecError(at(path, 'progs'), 'only a prog_array map takes progs');
    if (!Array.isArray(o.progs)) throw new SpecError(at(path, 'progs'), `expected an array, got ${describe(o.progs)}`);
    o.progs.forEach((e, i) => {
      const p = `${path}.progs[${i}]`;
      const eo = object(p, e, new Set(['key', 'insns']));
      if (eo.key === undefined) throw new SpecError(`${p}.key`, 'missing');
      if (eo.insns === undefined) throw new SpecError(`${p}.insns`, 'missing');
      const key = u32(`${p}.key`, eo.key);
      if (key >= maxEntries) throw new SpecError(`${p}.key`, `slot ${key} is beyond maxEntries ${maxEntries}`);
      const insns = insnsOf(`${p}.insns`, eo.insns);
      progs.push({ key, insns, mapRefs: findMapRefs(`${p}.insns`, insns, mapCount) });
    });
  }
  let mapExtra: bigint | undefined;
  if (o.mapExtra !== undefined) {
    const x = o.mapExtra;
    try {
      if (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0) mapExtra = BigInt(x);
      else if (typeof x === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(x)) mapExtra = BigInt(x);
    } catch {
      mapExtra = undefined;
    }
    if (mapExtra === undefined || mapExtra >= 1n << 64n) throw new SpecError(at(path, 'mapExtra'), `expected a u64 (number or decimal/0x string), got ${describe(x)}`);
  }
  const pinning = pinningOf(path, o, inner);
  return {
    type,
    keySize,
    valueSize,
    maxEntries,
    flags,
    ...(o.name !== undefined ? { name: str(at(path, 'name'), o.name) } : {}),
    ...(o.numaNode !== undefined ? { numaNode: u32(at(path, 'numaNode'), o.numaNode) } : {}),
    ...(mapExtra !== undefined ? { mapExtra } : {}),
    ...(innerMap !== undefined ? { innerMap } : {}),
    ...(pinning !== undefined ? { pinning } : {}),
    init,
    progs,
  };
}

/**
 * Parses and validates a program spec. `input` is JSON text or an already parsed value.
 * @throws SpecError naming the JSON path: `maps[0].keySize: expected a non-negative integer, got -1`,
 *   `progType: unknown program type 'foo'`, `insns: slot 3: ld_imm64 with src_reg 1 refers to maps[2], but the spec has 1 map`.
 */
export function parseProgramSpec(input: string | unknown): ProgramSpecFile {
  let doc: unknown = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch (e) {
      throw new SpecError('', `invalid JSON: ${(e as Error).message}`);
    }
  }
  const o = object('', doc, TOP_KEYS);
  if (o.progType === undefined) throw new SpecError('progType', 'missing');
  if (o.insns === undefined) throw new SpecError('insns', 'missing');
  const progType = kind('progType', o.progType, programType, 'program type');
  const expectedAttachType = o.expectedAttachType === undefined || o.expectedAttachType === null ? null : kind('expectedAttachType', o.expectedAttachType, attachType, 'attach type');
  const license = o.license === undefined ? 'GPL' : str('license', o.license);
  if (license.includes('\0')) throw new SpecError('license', 'contains NUL');
  const progFlags = o.progFlags === undefined ? 0 : u32('progFlags', o.progFlags);
  const rawMaps = o.maps === undefined ? [] : o.maps;
  if (!Array.isArray(rawMaps)) throw new SpecError('maps', `expected an array, got ${describe(rawMaps)}`);
  const maps = rawMaps.map((m, i) => parseMap(`maps[${i}]`, m, rawMaps.length, false));
  const insns = insnsOf('insns', o.insns);
  const mapRefs = findMapRefs('insns', insns, maps.length);
  return {
    progType,
    expectedAttachType,
    license,
    progFlags,
    insns,
    mapRefs,
    maps,
    ...(o.name !== undefined ? { name: str('name', o.name) } : {}),
    ...(o.kernVersion !== undefined ? { kernVersion: u32('kernVersion', o.kernVersion) } : {}),
  };
}
