/**
 * {@link loadSpec}: the kernel half of a program spec: create its maps (inner maps, init
 * contents, prog_array slots), then load the program. Everything created is closed again when a
 * step fails, and by {@link LoadedSpec.close}.
 * @module
 */

import { BpfMap } from '../maps/bpf-map.js';
import { isPerCpu, perCpuStride, type MapSpec } from '../maps/map-spec.js';
import { Program, type ProgramLoadOptions } from '../programs/program.js';
import type { ProgramSpecFile, SpecMap, SpecMapRef } from './program-spec.js';
import { relocateMaps } from './relocate.js';

/** A loaded spec: the program, its maps and the programs in prog_array slots. */
export class LoadedSpec implements Disposable {
  /** The main program. */
  readonly program: Program;
  /** The maps, by spec index. */
  readonly maps: readonly BpfMap[];
  /** Programs loaded into prog_array slots. */
  readonly slotPrograms: readonly Program[];

  /** Groups objects created by {@link loadSpec}. */
  constructor(program: Program, maps: readonly BpfMap[], slotPrograms: readonly Program[]) {
    this.program = program;
    this.maps = maps;
    this.slotPrograms = slotPrograms;
  }

  /** Closes the program, slot programs and maps (each once). */
  close(): void {
    closeAll([this.program, ...this.slotPrograms, ...this.maps]);
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function closeAll(objects: readonly { close(): void }[]): void {
  let first: unknown;
  for (const o of objects) {
    try {
      o.close();
    } catch (e) {
      first ??= e;
    }
  }
  if (first !== undefined) throw first;
}

function toMapSpec(m: SpecMap): MapSpec {
  return {
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags,
    ...(m.name !== undefined ? { name: m.name } : {}),
    ...(m.numaNode !== undefined ? { numaNode: m.numaNode } : {}),
    ...(m.mapExtra !== undefined ? { mapExtra: m.mapExtra } : {}),
    ...(m.innerMap !== undefined ? { innerMap: toMapSpec(m.innerMap) } : {}),
  };
}

/** A per-CPU init value given for one CPU, repeated into every possible CPU's slot. */
function fullValue(map: BpfMap, value: Uint8Array): Uint8Array {
  if (!isPerCpu(map.type) || value.byteLength !== map.valueSize || map.valueBufferSize === value.byteLength) return value;
  const stride = perCpuStride(map.valueSize);
  const out = new Uint8Array(map.valueBufferSize);
  for (let cpu = 0; cpu < map.cpus; cpu++) out.set(value, cpu * stride);
  return out;
}

/** Options of {@link loadSpec}. */
export type LoadSpecOptions = ProgramLoadOptions;

/**
 * Creates the maps of `spec`, fills them, loads the prog_array slot programs and the program.
 * @throws VerifierError when a program is rejected (slot programs first); KernelObjectError /
 *   MapSizeError when a map cannot be created or filled. Nothing stays open after a throw.
 */
export function loadSpec(spec: ProgramSpecFile, options: LoadSpecOptions = {}): LoadedSpec {
  const maps: BpfMap[] = [];
  const slotPrograms: Program[] = [];
  try {
    for (const m of spec.maps) maps.push(BpfMap.create(toMapSpec(m)));
    spec.maps.forEach((m, i) => {
      for (const e of m.init) maps[i].set(e.key, fullValue(maps[i], e.value));
    });
    const fds = maps.map((m) => m.fd);
    const load = (insns: Uint8Array, refs: readonly SpecMapRef[], name: string | undefined, loadOptions: ProgramLoadOptions) => {
      const r = relocateMaps(insns, refs, fds);
      return Program.load(
        {
          type: spec.progType,
          insns: r.insns,
          license: spec.license,
          expectedAttachType: spec.expectedAttachType,
          flags: spec.progFlags,
          ...(name !== undefined ? { name } : {}),
          ...(spec.kernVersion !== undefined ? { kernelVersion: spec.kernVersion } : {}),
          ...(r.fdArray !== undefined ? { fdArray: r.fdArray } : {}),
        },
        loadOptions,
      );
    };
    spec.maps.forEach((m, i) => {
      for (const slot of m.progs) {
        const p = load(slot.insns, slot.mapRefs, undefined, {});
        slotPrograms.push(p);
        const key = new Uint8Array(4);
        new DataView(key.buffer).setUint32(0, slot.key, true);
        const value = new Uint8Array(4);
        new DataView(value.buffer).setUint32(0, p.fd, true);
        maps[i].set(key, value);
      }
    });
    const program = load(spec.insns, spec.mapRefs, spec.name, options);
    return new LoadedSpec(program, maps, slotPrograms);
  } catch (err) {
    try {
      closeAll([...slotPrograms, ...maps]);
    } catch {
      // The load error is the one to report.
    }
    throw err;
  }
}
