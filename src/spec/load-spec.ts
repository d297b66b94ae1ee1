/**
 * {@link loadSpec}: the kernel half of a program spec: create its maps (inner maps, init
 * contents, prog_array slots), then load the program. Everything created is closed again when a
 * step fails, and by {@link LoadedSpec.close}.
 * @module
 */

import { unlinkSync } from 'node:fs';
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

function toMapSpec(m: SpecMap, pinRoot: string | undefined): MapSpec {
  return {
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags,
    ...(m.name !== undefined ? { name: m.name } : {}),
    ...(m.numaNode !== undefined ? { numaNode: m.numaNode } : {}),
    ...(m.mapExtra !== undefined ? { mapExtra: m.mapExtra } : {}),
    ...(m.innerMap !== undefined ? { innerMap: toMapSpec(m.innerMap, undefined) } : {}),
    ...(m.pinning !== undefined ? { pinning: m.pinning, ...(pinRoot !== undefined ? { pinRoot } : {}) } : {}),
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

/** Options of {@link loadSpec}: the main program's load options, and where by-name pins live. */
export interface LoadSpecOptions extends ProgramLoadOptions {
  /**
   * Directory of the maps pinned by name (`"pinning": "by_name"`): a bpffs mount, mounted there
   * when it is not one (as root). libbpf's `pin_root_path`; default `/sys/fs/bpf`.
   */
  readonly pinRoot?: string;
}

/**
 * Creates the maps of `spec`, fills them, loads the prog_array slot programs and the program.
 * A map with `"pinning": "by_name"` reuses the compatible map pinned at `<pinRoot>/<name>` when
 * there is one (then its `init` is not applied, as libbpf leaves a reused map's contents alone),
 * else is created and pinned there; the pin outlives {@link LoadedSpec.close}.
 * @throws VerifierError when a program is rejected (slot programs first); KernelObjectError /
 *   MapSizeError when a map cannot be created or filled, or a map pinned by name is incompatible
 *   with its spec. Nothing stays open after a throw, and the pins this call made are removed
 *   (as libbpf does; pins that were reused stay).
 */
export function loadSpec(spec: ProgramSpecFile, options: LoadSpecOptions = {}): LoadedSpec {
  const { pinRoot, ...programOptions } = options;
  const maps: BpfMap[] = [];
  const slotPrograms: Program[] = [];
  try {
    for (const m of spec.maps) maps.push(BpfMap.create(toMapSpec(m, pinRoot)));
    spec.maps.forEach((m, i) => {
      if (maps[i].reusedPin) return;
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
    const program = load(spec.insns, spec.mapRefs, spec.name, programOptions);
    return new LoadedSpec(program, maps, slotPrograms);
  } catch (err) {
    for (const m of maps) {
      if (m.pinnedPath === undefined || m.reusedPin) continue;
      try {
        unlinkSync(m.pinnedPath);
      } catch {
        // Already gone (another process unpinned it): nothing to undo.
      }
    }
    try {
      closeAll([...slotPrograms, ...maps]);
    } catch {
      // The load error is the one to report.
    }
    throw err;
  }
}
