/**
 * An {@link Interpreter} for a program spec (DESIGN.md's JSON spec once parsed: `insns` as bytes,
 * maps with `init` contents and `progs` for prog_array slots), so `tsbpf run` and tests can run
 * the same spec the kernel loader (`tsbpf krun`) loads. Map references in `ld_imm64` (fd or
 * fd_array index) name `maps[imm]`.
 * @module
 */

import { decode, type Instruction } from 'ebpf-bytecode-utils';
import type { Environment } from './environment.js';
import { InterpreterError } from './errors.js';
import { Interpreter } from './interpreter.js';
import type { KfuncNames } from './helpers/kfuncs.js';
import { createMap } from './maps/create-map.js';
import { ProgArrayMap } from './maps/prog-array-map.js';
import type { SimMap } from './maps/sim-map.js';

/** One map of a spec. */
export interface InterpreterSpecMap {
  /** Map type name or number. */
  readonly type: string | number;
  /** Key size. */
  readonly keySize: number;
  /** Value size. */
  readonly valueSize: number;
  /** Maximum entries. */
  readonly maxEntries: number;
  /** `map_flags`. */
  readonly flags?: number;
  /** Name for messages. */
  readonly name?: string;
  /** Inner map of a map-in-map (not simulated: an error). */
  readonly innerMap?: unknown;
  /** Contents before the program runs. */
  readonly init?: readonly { readonly key: Uint8Array; readonly value: Uint8Array }[];
  /** Programs in prog_array slots. */
  readonly progs?: readonly { readonly key: number; readonly insns: Uint8Array | readonly Instruction[] }[];
}

/** The parts of a program spec the interpreter needs. */
export interface InterpreterSpec {
  /** Program type name or number. */
  readonly progType: string | number;
  /** Raw little-endian instructions, or decoded ones. */
  readonly insns: Uint8Array | readonly Instruction[];
  /** Maps, by index. */
  readonly maps?: readonly InterpreterSpecMap[];
}

/** Options of {@link interpreterFromSpec}. */
export interface FromSpecOptions {
  /** Environment of the runs. */
  readonly env?: Partial<Environment>;
  /** Simulated CPUs of per-CPU maps (default 1; must exceed `env.cpu`). */
  readonly cpus?: number;
  /** Instruction budget of one run. */
  readonly maxInstructions?: number;
  /** Use the compiled tier. */
  readonly compile?: boolean;
  /** Names of the kfuncs the program calls, by BTF id (see {@link kfuncNamesFromBtf} for the kernel's BTF). */
  readonly kfuncs?: KfuncNames;
}

function instructions(insns: Uint8Array | readonly Instruction[]): readonly Instruction[] {
  return insns instanceof Uint8Array ? decode(insns) : insns;
}

/** Creates the spec's maps (filled with `init`, prog_array slots with `progs`) and an interpreter over them. */
export function interpreterFromSpec(spec: InterpreterSpec, options: FromSpecOptions = {}): Interpreter {
  const maps: SimMap[] = (spec.maps ?? []).map((m, i) => {
    if (m.innerMap !== undefined) throw new InterpreterError('setup', -1, `map ${i}: map-in-map types are not simulated`);
    const map = createMap({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name ?? `map${i}`, cpus: options.cpus });
    for (const e of m.init ?? []) map.set(e.key, e.value);
    for (const p of m.progs ?? []) {
      if (!(map instanceof ProgArrayMap)) throw new InterpreterError('setup', -1, `map ${i}: 'progs' given for a ${map.type} map`);
      map.setProgram(p.key, instructions(p.insns));
    }
    return map;
  });
  return new Interpreter(instructions(spec.insns), { progType: spec.progType, maps, env: options.env, maxInstructions: options.maxInstructions, compile: options.compile, kfuncs: options.kfuncs });
}
