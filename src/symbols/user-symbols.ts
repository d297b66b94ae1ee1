/**
 * User-space symbols of one process: the ELF files it maps (`.symtab` + `.dynsym`, through the
 * mapping's file offset and the file's `PT_LOAD` headers, so PIE, shared libraries and non-PIE
 * executables all resolve), and its perf map (`/tmp/perf-PID.map`) for JIT code.
 * @module
 */

import { existsSync, statSync } from 'node:fs';
import { ElfError } from '../elf/elf-sections.js';
import { ElfSymbolTable } from './elf-symbol-table.js';
import { PerfMapFile, perfMapPath } from './perf-map.js';
import { readProcessMaps, type ProcessMapping } from './process-maps.js';
import type { ResolvedSymbol } from './resolved-symbol.js';

/** Parsed ELF tables shared by every process that maps the same file (keyed by path, size and mtime). */
const elfCache = new Map<string, { key: string; table: ElfSymbolTable | null }>();

function elfTable(path: string): ElfSymbolTable | null {
  let key: string;
  try {
    const st = statSync(path);
    key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return null;
  }
  const hit = elfCache.get(path);
  if (hit !== undefined && hit.key === key) return hit.table;
  let table: ElfSymbolTable | null;
  try {
    table = ElfSymbolTable.read(path);
  } catch (err) {
    if (!(err instanceof ElfError)) throw err;
    table = null;
  }
  elfCache.set(path, { key, table });
  return table;
}

/**
 * The symbols of process `pid`. Mappings are re-read when an address falls outside all known ones
 * (at most once a second), or on {@link UserSymbols.refresh}.
 */
export class UserSymbols {
  /** The process. */
  readonly pid: number;
  private mappings: ProcessMapping[];
  private readonly perfMap: PerfMapFile;
  /** ELF tables by mapped path, looked up once per path for this process's current mappings. */
  private readonly tables = new Map<string, ElfSymbolTable | null>();
  private refreshedAt = Date.now();

  /** Reads `/proc/PID/maps` now (throws a ProcessMapsError when the process is gone). */
  constructor(pid: number) {
    this.pid = pid;
    this.mappings = readProcessMaps(pid);
    this.perfMap = new PerfMapFile(perfMapPath(pid));
  }

  /** Re-reads the process's mappings (after it loaded a library). */
  refresh(): void {
    this.mappings = readProcessMaps(this.pid);
    this.tables.clear();
    this.refreshedAt = Date.now();
  }

  private tableOf(path: string): ElfSymbolTable | null {
    let t = this.tables.get(path);
    if (t === undefined) {
      t = elfTable(this.filePath(path));
      this.tables.set(path, t);
    }
    return t;
  }

  private mappingOf(address: number): ProcessMapping | undefined {
    const m = this.mappings;
    let lo = 0;
    let hi = m.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (m[mid].end <= address) lo = mid + 1;
      else if (m[mid].start > address) hi = mid - 1;
      else return m[mid];
    }
    return undefined;
  }

  /** The file to read for a mapping: through `/proc/PID/root` so processes in other mount namespaces resolve. */
  private filePath(path: string): string {
    const viaRoot = `/proc/${this.pid}/root${path}`;
    return existsSync(viaRoot) ? viaRoot : path;
  }

  /**
   * The symbol at user address `address`: from the mapped ELF file, or from the perf map for JIT
   * code; undefined when neither knows it. `module` is the mapped file's path (or the perf map's).
   */
  lookup(address: bigint): ResolvedSymbol | undefined {
    if (address <= 0n || address > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    const a = Number(address);
    let mapping = this.mappingOf(a);
    // Outside every known mapping: the process may have mapped more since (at most once a second).
    if (mapping === undefined && Date.now() - this.refreshedAt >= 1000) {
      try {
        this.refresh();
      } catch {
        return undefined;
      }
      mapping = this.mappingOf(a);
    }
    if (mapping !== undefined && mapping.path.startsWith('/') && mapping.inode !== 0 && !mapping.path.endsWith(' (deleted)')) {
      const table = this.tableOf(mapping.path);
      if (table !== null) {
        const vaddr = table.vaddrOfFileOffset(a - mapping.start + mapping.offset);
        const found = vaddr === undefined ? undefined : table.lookup(vaddr);
        if (found !== undefined) return { ...found, module: mapping.path };
      }
      // A file-backed ELF mapping that has no symbol here: JIT code never lives in one.
      if (table !== null) return undefined;
    }
    return this.perfMap.current()?.lookup(a);
  }

  /** The ELF virtual address that user address `address` maps to, with the mapped file (undefined for anonymous memory). */
  fileAddress(address: bigint): { readonly path: string; readonly vaddr: bigint } | undefined {
    const a = Number(address);
    const mapping = this.mappingOf(a);
    if (mapping === undefined || !mapping.path.startsWith('/')) return undefined;
    const table = this.tableOf(mapping.path);
    const vaddr = table?.vaddrOfFileOffset(a - mapping.start + mapping.offset);
    return vaddr === undefined ? undefined : { path: mapping.path, vaddr: BigInt(vaddr) };
  }
}

/** The user-space symbols of process `pid` (see {@link UserSymbols}). Like BCC's `sym(addr, pid)`. */
export function userSymbols(pid: number): UserSymbols {
  if (!Number.isInteger(pid) || pid <= 0) throw new RangeError(`userSymbols: pid ${String(pid)} is not a positive integer`);
  return new UserSymbols(pid);
}
