/**
 * The possible CPUs (`/sys/devices/system/cpu/possible`): the indices a per-CPU structure (a perf
 * event array, a per-CPU map value) must cover.
 * @module
 */

import { readFileSync } from 'node:fs';

/** Path of the kernel's possible-CPU list. */
export const POSSIBLE_CPUS_PATH = '/sys/devices/system/cpu/possible';

/**
 * Parses a CPU list as the kernel prints it (`0-3`, `0,2-5`) into CPU numbers.
 * @throws RangeError for text that is not a CPU list.
 */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (m === null) throw new RangeError(`cpu list: ${JSON.stringify(part)} is not N or N-M`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new RangeError(`cpu list: ${JSON.stringify(part)} is a reversed range`);
    for (let c = a; c <= b; c++) out.push(c);
  }
  if (out.length === 0) throw new RangeError(`cpu list: ${JSON.stringify(text.trim())} names no CPU`);
  return out;
}

let cached: number[] | undefined;

/** The possible CPUs of this machine (read once). */
export function possibleCpus(): readonly number[] {
  cached ??= parseCpuList(readFileSync(POSSIBLE_CPUS_PATH, 'utf8'));
  return cached;
}

/**
 * The highest possible CPU + 1: how many values a per-CPU map holds per key (the kernel sizes
 * per-CPU values by the highest possible CPU number, not by the count).
 */
export function possibleCpuCount(): number {
  const cpus = possibleCpus();
  return cpus[cpus.length - 1] + 1;
}
