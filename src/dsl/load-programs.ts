/**
 * Loading several compiled programs that share maps (BCC's one `BPF(text=…)` with an entry and
 * an exit probe over one hash): maps are created once by name, every program is loaded with
 * its references bound to those fds. A map declared by several programs must have the same
 * spec in each.
 *
 * ```ts
 * using set = loadProgramSet([compile(enter), compile(exit)]);
 * attachTracepoint(set.progFds.enter, 'syscalls', 'sys_enter_openat');
 * set.mapFds.events;   // the perf event array both programs write
 * ```
 * @module
 */

import { createDslMap } from './create-map.js';
import { closeFd } from '../../syscalls/close-fd.js';
import { loadOneCompiled } from './load-one.js';
import type { CompiledProgram } from './compile.js';
import { DslError } from './errors.js';
import type { DslMapSpec } from './maps.js';

/** Programs and their shared maps in the kernel; owns the fds. */
export interface LoadedProgramSet {
  /** Program fds by program name. */
  readonly progFds: Readonly<Record<string, number>>;
  /** Map fds by map name. */
  readonly mapFds: Readonly<Record<string, number>>;
  /** Closes every program and map fd (idempotent). */
  close(): void;
  /** Same as {@link LoadedProgramSet.close}. */
  [Symbol.dispose](): void;
}

function sameSpec(a: DslMapSpec, b: DslMapSpec): boolean {
  const ai = a.innerMap;
  const bi = b.innerMap;
  const sameInner = ai === undefined || bi === undefined ? ai === bi
    : ai.type === bi.type && ai.keySize === bi.keySize && ai.valueSize === bi.valueSize && ai.maxEntries === bi.maxEntries && ai.flags === bi.flags;
  return sameInner && a.type === b.type && a.keySize === b.keySize && a.valueSize === b.valueSize && a.maxEntries === b.maxEntries && a.flags === b.flags;
}

/**
 * The union of the maps of `programs`, by name; throws a {@link DslError} when two programs
 * declare one name differently.
 */
export function sharedMapSpecs(programs: readonly CompiledProgram[]): DslMapSpec[] {
  const byName = new Map<string, DslMapSpec>();
  for (const p of programs) {
    for (const m of p.maps) {
      const seen = byName.get(m.name);
      if (seen === undefined) byName.set(m.name, m);
      else if (!sameSpec(seen, m)) throw new DslError(`map '${m.name}' is declared differently by two programs (${seen.type} ${seen.keySize}/${seen.valueSize}/${seen.maxEntries} vs ${m.type} ${m.keySize}/${m.valueSize}/${m.maxEntries})`);
    }
  }
  return [...byName.values()];
}

/**
 * Creates the maps of `programs` once and loads each program (verifier log level 0; a
 * rejection throws a `VerifierError` at the TS line of the failing instruction, other failures a
 * `SyscallError`). Program names must be
 * distinct. On failure everything created so far is closed.
 */
export function loadProgramSet(programs: readonly CompiledProgram[]): LoadedProgramSet {
  const names = new Set<string>();
  for (const p of programs) {
    if (names.has(p.name)) throw new DslError(`loadProgramSet: two programs are named '${p.name}'`);
    names.add(p.name);
  }
  const specs = sharedMapSpecs(programs);
  const mapFds: Record<string, number> = {};
  const progFds: Record<string, number> = {};
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    for (const fd of Object.values(progFds)) closeFd(fd);
    for (const fd of Object.values(mapFds)) closeFd(fd);
  };
  try {
    for (const m of specs) {
      mapFds[m.name] = createDslMap(m);
    }
    for (const p of programs) {
      progFds[p.name] = loadOneCompiled(p, mapFds).fd;
    }
  } catch (err) {
    close();
    throw err;
  }
  return { progFds: { ...progFds }, mapFds: { ...mapFds }, close, [Symbol.dispose]: close };
}
