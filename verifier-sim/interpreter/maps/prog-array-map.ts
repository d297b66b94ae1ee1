/**
 * Simulated `prog_array` map: slots holding programs for `bpf_tail_call`.
 * @module
 */

import type { Instruction } from 'ebpf-bytecode-utils';
import { SimMap, type SimMapSpec } from './sim-map.js';

/** A program array: slot index → program (instructions), or empty. */
export class ProgArrayMap extends SimMap {
  private readonly slots: (readonly Instruction[] | undefined)[];

  constructor(spec: SimMapSpec) {
    super(spec);
    if (spec.keySize !== 4 || spec.valueSize !== 4) throw new RangeError(`map '${this.name}': a prog_array has 4-byte keys and values`);
    this.slots = new Array<readonly Instruction[] | undefined>(spec.maxEntries).fill(undefined);
  }

  /** Test API: places a program (of the same type as the caller) in slot `index`. */
  setProgram(index: number, program: readonly Instruction[]): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.maxEntries) throw new RangeError(`map '${this.name}': slot ${index} is not in 0..${this.maxEntries - 1}`);
    this.slots[index] = program;
  }

  /** Test API: empties slot `index`. */
  clearProgram(index: number): void {
    this.slots[index] = undefined;
  }

  /** The program in slot `index`, or undefined. */
  program(index: number): readonly Instruction[] | undefined {
    return index >= 0 && index < this.slots.length ? this.slots[index] : undefined;
  }
}
