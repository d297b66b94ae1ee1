/**
 * `/proc/PID/maps`: the memory mappings of a process (range, permissions, file offset, path).
 * @module
 */

import { readFileSync } from 'node:fs';

/** One mapping. */
export interface ProcessMapping {
  /** First address. */
  readonly start: number;
  /** One past the last address. */
  readonly end: number;
  /** `r-xp` and the like. */
  readonly perms: string;
  /** Offset in the file of `start`. */
  readonly offset: number;
  /** `major:minor` of the file's device. */
  readonly device: string;
  /** The file's inode (0 for anonymous mappings). */
  readonly inode: number;
  /** The path, or a pseudo name (`[heap]`, `[vdso]`), or '' for anonymous memory. */
  readonly path: string;
}

/** Parses the text of a `/proc/PID/maps` file. Malformed lines are skipped. */
export function parseProcessMaps(text: string): ProcessMapping[] {
  const out: ProcessMapping[] = [];
  const re = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) (\S+) (\d+)[ \t]*(.*)$/gm;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.push({
      start: parseInt(m[1], 16),
      end: parseInt(m[2], 16),
      perms: m[3],
      offset: parseInt(m[4], 16),
      device: m[5],
      inode: Number(m[6]),
      path: m[7],
    });
  }
  return out;
}

/** Process `pid` is gone, or its maps cannot be read. */
export class ProcessMapsError extends Error {
  override name = 'ProcessMapsError';
  /** The process. */
  readonly pid: number;
  constructor(pid: number, message: string) {
    super(`pid ${pid}: ${message}`);
    this.pid = pid;
  }
}

/** The mappings of process `pid` (`'self'` for this one). Throws a {@link ProcessMapsError}. */
export function readProcessMaps(pid: number | 'self'): ProcessMapping[] {
  if (pid !== 'self' && (!Number.isInteger(pid) || pid <= 0)) throw new RangeError(`readProcessMaps: pid ${String(pid)} is not a positive integer`);
  try {
    return parseProcessMaps(readFileSync(`/proc/${pid}/maps`, 'utf8'));
  } catch (err) {
    throw new ProcessMapsError(pid === 'self' ? process.pid : pid, `cannot read /proc/${pid}/maps (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}
