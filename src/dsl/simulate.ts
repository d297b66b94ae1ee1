/**
 * Running a compiled program without a kernel, in verifier-sim's interpreter: creates simulated
 * maps from the program's map specs, binds the symbolic map references to them, and returns the
 * interpreter with the maps by name.
 *
 * ```ts
 * const sim = simulate(compile(prog));
 * sim.run({ data: frame }).retval;   // 2n
 * sim.maps.counts.entries();         // [[key, value], …]
 * ```
 * @module
 */

import { resolve } from 'ebpf-bytecode-utils';
import { createMap, Interpreter, type Environment, type SimMap } from '../../verifier-sim/index.js';
import type { CompiledProgram } from './compile.js';

/** Options of {@link simulate}. */
export interface SimulateOptions {
  /** Interpreter environment (time, pid, cpu, …). */
  readonly env?: Partial<Environment>;
  /** Simulated CPUs for per-CPU and perf event array maps (default: enough for `env.cpu`). */
  readonly cpus?: number;
  /** Use the interpreter's second tier (the program compiled once to a JS function). */
  readonly compile?: boolean;
}

/** An interpreter over a compiled program, with its maps by name. */
export interface Simulation {
  /** The interpreter (`run({ data, ctx, repeat })`). */
  readonly interpreter: Interpreter;
  /** Simulated maps by name. */
  readonly maps: Readonly<Record<string, SimMap>>;
  /** Runs once: shorthand of `interpreter.run(input)`. */
  run(input?: Parameters<Interpreter['run']>[0]): ReturnType<Interpreter['run']>;
}

/** Creates the maps of `compiled` and an interpreter over it. */
export function simulate(compiled: CompiledProgram, options: SimulateOptions = {}): Simulation {
  const sims = compiled.maps.map((m) => createMap({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name, cpus: options.cpus ?? (options.env?.cpu ?? 0) + 1 }));
  compiled.maps.forEach((m, i) => { if (m.rodata !== undefined) sims[i].set(new Uint8Array(4), m.rodata); });
  const index = Object.fromEntries(compiled.maps.map((m, i) => [m.name, i]));
  const insns = resolve(compiled.insns, { maps: index }).instructions;
  const interpreter = new Interpreter(insns, { progType: compiled.progType, maps: sims, env: options.env, ...(compiled.kfuncs === undefined ? {} : { kfuncs: compiled.kfuncs }), ...(options.compile === true ? { compile: true } : {}) });
  const maps = Object.fromEntries(compiled.maps.map((m, i) => [m.name, sims[i]]));
  return { interpreter, maps, run: (input = {}) => interpreter.run(input) };
}
