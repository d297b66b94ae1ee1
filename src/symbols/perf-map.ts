/**
 * `/tmp/perf-PID.map`: symbols of JIT-compiled code, one `START SIZE name` line each (hex, no
 * `0x`), as written by `node --perf-basic-prof`, the JVM's perf agents and LuaJIT.
 * @module
 */

import { readFileSync, statSync } from 'node:fs';
import type { ResolvedSymbol } from './resolved-symbol.js';
import { floorIndex } from './floor-index.js';

/** The perf map file of process `pid`. */
export function perfMapPath(pid: number): string {
  return `/tmp/perf-${pid}.map`;
}

/**
 * A parsed perf map. Later lines win over earlier ones for the same start (a JIT may reuse
 * memory), and lookups require the address to lie inside `[start, start + size)`.
 */
export class PerfMap {
  /** The file it came from. */
  readonly path: string;
  /** How many entries. */
  readonly size: number;
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  private readonly names: string[];

  /** Parses perf-map text. Malformed lines are skipped. */
  constructor(text: string, path = '<perf-map>') {
    this.path = path;
    const byStart = new Map<number, [number, string]>();
    for (const line of text.split('\n')) {
      const a = line.indexOf(' ');
      const b = a < 0 ? -1 : line.indexOf(' ', a + 1);
      if (b < 0) continue;
      const start = parseInt(line.slice(0, a), 16);
      const size = parseInt(line.slice(a + 1, b), 16);
      if (Number.isNaN(start) || Number.isNaN(size)) continue;
      byStart.set(start, [size, line.slice(b + 1)]);
    }
    const starts = [...byStart.keys()].sort((x, y) => x - y);
    this.size = starts.length;
    this.starts = Float64Array.from(starts);
    this.ends = Float64Array.from(starts, (s) => s + (byStart.get(s) as [number, string])[0]);
    this.names = starts.map((s) => (byStart.get(s) as [number, string])[1]);
  }

  /** The entry containing `address`, or undefined. */
  lookup(address: number): ResolvedSymbol | undefined {
    const S = this.starts;
    const k = floorIndex(S, this.size, address);
    if (k < 0 || address >= this.ends[k]) return undefined;
    return { name: this.names[k], offset: BigInt(address - S[k]), module: this.path };
  }
}

/** A perf map file that is re-read when it grows (JITs append as they compile). */
export class PerfMapFile {
  /** The file. */
  readonly path: string;
  private map: PerfMap | undefined;
  private readSize = -1;
  private checkedAt = -Infinity;

  /** Watches `path` (read lazily). */
  constructor(path: string) {
    this.path = path;
  }

  /** The current contents, re-read when the file size changed; undefined when there is no file. */
  current(): PerfMap | undefined {
    // Look at the file at most every 100 ms (a lookup miss per frame would otherwise stat it each time).
    const now = Date.now();
    if (now - this.checkedAt < 100) return this.map;
    this.checkedAt = now;
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      return undefined;
    }
    if (size !== this.readSize || this.map === undefined) {
      try {
        this.map = new PerfMap(readFileSync(this.path, 'utf8'), this.path);
        this.readSize = size;
      } catch {
        return undefined;
      }
    }
    return this.map;
  }
}
