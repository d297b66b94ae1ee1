/**
 * The possible CPUs (`/sys/devices/system/cpu/possible`): the indices a per-CPU structure (a perf
 * event array, a per-CPU map) must cover.
 * @module
 */

import { readFileSync } from 'node:fs';

/** Parses a kernel CPU list (`0-3,5,7-8`) into CPU numbers. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (m === null) throw new RangeError(`parseCpuList: ${JSON.stringify(part)} is not N or N-M`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new RangeError(`parseCpuList: ${JSON.stringify(part)} is a reversed range`);
    for (let c = a; c <= b; c++) out.push(c);
  }
  return out;
}

let cached: number[] | undefined;

/** The possible CPUs of this machine (read once). */
export function possibleCpus(): readonly number[] {
  cached ??= parseCpuList(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));
  return cached;
}
