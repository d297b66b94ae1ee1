/**
 * The region table of one run, and the checked byte-range accesses helpers use. Loads and
 * stores of instructions are checked inline by the interpreter against the same regions.
 * @module
 */

import { InterpreterError, type AccessInfo } from './errors.js';
import type { SimMap } from './maps/sim-map.js';
import { offsetIn, regionBaseHi, type PointerField, type Region, type RegionKind } from './region.js';

/** Options of {@link Memory.add}. */
export interface RegionOptions {
  /** First valid offset (default 0). */
  readonly start?: number;
  /** One past the last valid offset (default the byte length). */
  readonly end?: number;
  /** Loads allowed (default true). */
  readonly readable?: boolean;
  /** Stores allowed (default true). */
  readonly writable?: boolean;
  /** Track spilled pointers per 8-byte slot (stack frames). */
  readonly slotTags?: boolean;
  /** Context fields that load as pointers. */
  readonly fields?: ReadonlyMap<number, PointerField>;
  /** The map a `map` or `map_value` region belongs to. */
  readonly map?: SimMap;
  /** Subprogram slot of a `func` region. */
  readonly funcSlot?: number;
  /** Note for messages. */
  readonly label?: string;
}

/** A pointer decoded to its region: the region and the offset in it. */
export interface Located {
  /** The region. */
  readonly region: Region;
  /** Offset from the region's start. */
  readonly offset: number;
}

const EMPTY = new Uint8Array(0);

/** The regions of one run (index = register tag; 0 means "not a pointer"). */
export class Memory {
  /** Regions by id; index 0 is a placeholder. */
  readonly regions: Region[] = [];
  private readonly valueRegions = new Map<Uint8Array, Region>();
  private readonly mapRegions = new Map<SimMap, Region>();
  private readonly funcRegions = new Map<number, Region>();
  private readonly external: { address: bigint; region: Region }[] = [];

  constructor() {
    this.reset();
  }

  /** Forgets every region (start of a run). */
  reset(): void {
    this.regions.length = 0;
    this.valueRegions.clear();
    this.mapRegions.clear();
    this.funcRegions.clear();
    this.external.length = 0;
    this.regions.push(this.make(0, 'mem', EMPTY, { readable: false, writable: false, label: 'none' }));
  }

  private make(id: number, kind: RegionKind, bytes: Uint8Array, o: RegionOptions): Region {
    return {
      id,
      baseHi: regionBaseHi(id),
      kind,
      bytes,
      view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      start: o.start ?? 0,
      end: o.end ?? bytes.length,
      readable: o.readable ?? true,
      writable: o.writable ?? true,
      slotTags: o.slotTags === true ? new Int32Array(Math.ceil(bytes.length / 8)) : null,
      fields: o.fields ?? null,
      map: o.map ?? null,
      funcSlot: o.funcSlot ?? -1,
      state: 0,
      label: o.label ?? kind,
    };
  }

  /** Adds a region over `bytes` (not copied). */
  add(kind: RegionKind, bytes: Uint8Array, options: RegionOptions = {}): Region {
    const r = this.make(this.regions.length, kind, bytes, options);
    if (r.id > 0x7fffffff) throw new InterpreterError('limit', -1, 'too many memory regions in one run');
    this.regions.push(r);
    return r;
  }

  /** The region of a map value buffer (one per buffer per run). */
  valueRegion(map: SimMap, bytes: Uint8Array): Region {
    let r = this.valueRegions.get(bytes);
    if (r === undefined) {
      r = this.add('map_value', bytes, { map, writable: !map.readOnlyForProgram, label: `map '${map.name}' value` });
      this.valueRegions.set(bytes, r);
    }
    return r;
  }

  /** The region standing for a map pointer (`ld_imm64` with a map pseudo source). */
  mapRegion(map: SimMap): Region {
    let r = this.mapRegions.get(map);
    if (r === undefined) {
      r = this.add('map', EMPTY, { map, readable: false, writable: false, label: `map '${map.name}'` });
      this.mapRegions.set(map, r);
    }
    return r;
  }

  /** The region standing for a subprogram address (`ld_imm64` with `BPF_PSEUDO_FUNC`). */
  funcRegion(slot: number): Region {
    let r = this.funcRegions.get(slot);
    if (r === undefined) {
      r = this.add('func', EMPTY, { funcSlot: slot, readable: false, writable: false, label: `subprogram at ${slot}` });
      this.funcRegions.set(slot, r);
    }
    return r;
  }

  /** Adds memory at a fixed address that only `probe_read*` can reach (e.g. strings a tracepoint points to). */
  addExternal(address: bigint, bytes: Uint8Array): Region {
    const r = this.add('external', bytes, { readable: false, writable: false, label: `memory at 0x${address.toString(16)}` });
    this.external.push({ address: BigInt.asUintN(64, address), region: r });
    return r;
  }

  /**
   * Decodes a register value (tag, lo, hi) into a region and offset, checking that `size` bytes
   * are accessible for `type`; throws an {@link InterpreterError} of kind `memory` naming `insn`.
   */
  locate(insn: number, tag: number, lo: number, hi: number, size: number, type: 'read' | 'write', what = 'access'): Located {
    if (tag === 0) {
      throw new InterpreterError('memory', insn, `invalid ${what}: ${type} of ${size} bytes through a scalar (0x${toHex(lo, hi)})`, {
        access: { type, size, region: 'scalar' },
      });
    }
    const region = this.regions[tag];
    const offset = offsetIn(region, lo, hi);
    checkRange(insn, region, offset, size, type, what);
    return { region, offset };
  }

  /**
   * Like {@link locate} for `probe_read*`: also accepts scalars holding an address of a region
   * or of external memory, and returns null instead of throwing when nothing readable is there.
   */
  probe(tag: number, lo: number, hi: number, size: number): Located | null {
    let region: Region | undefined;
    let offset = 0;
    if (tag !== 0) {
      region = this.regions[tag];
      offset = offsetIn(region, lo, hi);
    } else if ((hi & 0x80000000) !== 0 && (hi & 0x7fffffff) < this.regions.length && (hi & 0x7fffffff) !== 0) {
      region = this.regions[hi & 0x7fffffff];
      offset = lo >>> 0;
    } else {
      const address = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
      for (const e of this.external) {
        const d = address - e.address;
        if (d >= 0n && d < BigInt(e.region.bytes.length)) {
          region = e.region;
          offset = Number(d);
          break;
        }
      }
      if (region === undefined) return null;
      if (offset + size > region.end) return null;
      return { region, offset };
    }
    if (region.kind === 'map' || region.kind === 'func') return null;
    if (offset < region.start || offset + size > region.end) return null;
    return { region, offset };
  }

  /** Copies `length` bytes from a located range. */
  read(at: Located, length: number): Uint8Array {
    return at.region.bytes.slice(at.offset, at.offset + length);
  }

  /** Writes `src` at a located range, forgetting spilled pointers it overwrites. */
  write(at: Located, src: Uint8Array): void {
    at.region.bytes.set(src, at.offset);
    clearSlotTags(at.region, at.offset, src.length);
  }
}

/** Forgets spilled pointers in the 8-byte slots that `[offset, offset + size)` touches. */
export function clearSlotTags(region: Region, offset: number, size: number): void {
  const tags = region.slotTags;
  if (tags === null || size <= 0) return;
  for (let s = offset >> 3, e = (offset + size - 1) >> 3; s <= e; s++) tags[s] = 0;
}

/** Throws the memory error for an access of `size` bytes at `offset` in `region`, if it is not allowed. */
export function checkRange(insn: number, region: Region, offset: number, size: number, type: 'read' | 'write', what = 'access'): void {
  const allowed = type === 'read' ? region.readable : region.writable;
  if (!allowed) {
    throw new InterpreterError('memory', insn, `invalid ${what}: ${type} of ${size} bytes to ${region.label} is not allowed`, {
      access: { type, size, region: region.kind, offset, bounds: [region.start, region.end] },
    });
  }
  if (offset < region.start || offset + size > region.end) throw outOfBounds(insn, region, offset, size, type, what);
}

/** The error for an out-of-bounds access. */
export function outOfBounds(insn: number, region: Region, offset: number, size: number, type: 'read' | 'write', what = 'access'): InterpreterError {
  const access: AccessInfo = { type, size, region: region.kind, offset, bounds: [region.start, region.end] };
  return new InterpreterError('memory', insn, `invalid ${what}: ${type} of ${size} bytes from ${region.label} at offset ${offset} (valid ${region.start}..${region.end})`, { access });
}

/** Hex text of a 64-bit value held as two 32-bit halves. */
export function toHex(lo: number, hi: number): string {
  return ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16);
}
