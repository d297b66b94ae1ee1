/**
 * The number of possible CPUs: the length of every per-CPU map value array and of a perf event
 * array's natural size.
 * @module
 */

import { readFileSync } from 'node:fs';

/** Path of the kernel's possible-CPU list. */
export const POSSIBLE_CPUS_PATH = '/sys/devices/system/cpu/possible';

/**
 * Parses a CPU list as the kernel prints it (`0-3`, `0,2-5`) and returns the highest CPU + 1
 * (the kernel sizes per-CPU values by the highest possible CPU number, not by the count).
 * @throws RangeError for text that is not a CPU list.
 */
export function parseCpuList(text: string): number {
  let max = -1;
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) throw new RangeError(`cpu list: '${text.trim()}' is not a CPU list`);
    max = Math.max(max, Number(m[2] ?? m[1]));
  }
  return max + 1;
}

let cached: number | undefined;

/** Number of possible CPUs (from {@link POSSIBLE_CPUS_PATH}, read once). */
export function possibleCpus(): number {
  cached ??= parseCpuList(readFileSync(POSSIBLE_CPUS_PATH, 'utf8'));
  return cached;
}
