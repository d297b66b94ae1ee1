/**
 * Kernel symbols from `/proc/kallsyms`: address → `{name, offset, module}` by binary search over
 * sorted typed arrays, and name → address. Parsed once per process ({@link kernelSymbols}); a
 * 120k-line kallsyms loads in tens of milliseconds and answers millions of lookups per second.
 * Whether a name exists ({@link kernelSymbolExists}, what attaching a kprobe asks) is a scan of the
 * same text without parsing it. The text is read once per process and shared by both (the kernel
 * generates the ~5–10 MB list slowly: ~0.1 s of CPU), so a process that asks both kinds of
 * question — the BCC facade's `get_syscall_fnname` and `ksym` — reads it once.
 * @module
 */

import { readFileSync } from 'node:fs';
import type { ResolvedSymbol } from './resolved-symbol.js';

/** Where the kernel lists its symbols. */
export const KALLSYMS_PATH = '/proc/kallsyms';

/** kallsyms cannot be read, or shows only zero addresses (not root: `kptr_restrict`). */
export class KernelSymbolsError extends Error {
  override name = 'KernelSymbolsError';
  /** The file read. */
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
  }
}

/** One kallsyms line. */
export interface KernelSymbol {
  /** The name. */
  readonly name: string;
  /** The address. */
  readonly address: bigint;
  /** The one-letter `nm` type (`T`, `t`, `W`, `D`, …). */
  readonly type: string;
  /** The module, without brackets; absent for vmlinux. */
  readonly module?: string;
}

const TWO32 = 0x100000000;

/**
 * The permutation that sorts `n` addresses (`hi:lo` halves) ascending, stable. Kernel addresses
 * share their upper half, so `(hi - minHi, lo, index)` packs into one exact double and a native
 * Float64Array sort does the work (a comparator sort over 120k indices costs ~10× more).
 */
function sortOrder(hi: Uint32Array, lo: Uint32Array, n: number): Uint32Array {
  let minHi = 0xffffffff;
  let maxHi = 0;
  for (let k = 0; k < n; k++) {
    if (hi[k] < minHi) minHi = hi[k];
    if (hi[k] > maxHi) maxHi = hi[k];
  }
  const indexBits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  const scale = 2 ** indexBits;
  if ((maxHi - minHi + 1) * TWO32 * scale <= Number.MAX_SAFE_INTEGER) {
    const keys = new Float64Array(n);
    for (let k = 0; k < n; k++) keys[k] = ((hi[k] - minHi) * TWO32 + lo[k]) * scale + k;
    keys.sort();
    const order = new Uint32Array(n);
    for (let k = 0; k < n; k++) order[k] = keys[k] % scale;
    return order;
  }
  const order = Array.from({ length: n }, (_, k) => k);
  order.sort((a, b) => hi[a] - hi[b] || lo[a] - lo[b] || a - b);
  return Uint32Array.from(order);
}

/**
 * A parsed kallsyms: symbols sorted by address (as two u32 halves, so comparisons stay on
 * numbers), names, types and module indexes in parallel arrays.
 */
export class KernelSymbols {
  /** How many symbols (with a non-zero address). */
  readonly size: number;
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  private readonly names: string[];
  private readonly types: Uint8Array;
  private readonly moduleOf: Uint16Array;
  private readonly modules: string[];
  private byName: Map<string, number> | undefined;

  /**
   * Parses kallsyms text (`address type name[\t[module]]` per line). Lines with address 0 (absolute
   * per-CPU symbols, or everything when addresses are hidden) are left out.
   */
  constructor(text: string) {
    let lines = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    lines++;
    let hi = new Uint32Array(lines);
    let lo = new Uint32Array(lines);
    let types = new Uint8Array(lines);
    let mods = new Uint16Array(lines);
    let names = new Array<string>(lines);
    const modules: string[] = [''];
    const moduleIndex = new Map<string, number>();
    let sorted = true;
    let n = 0;
    for (let i = 0; i < text.length; ) {
      let nl = text.indexOf('\n', i);
      if (nl < 0) nl = text.length;
      // `ffffffff81000000 T _stext`: 16 hex digits (8 on 32-bit kernels), a type letter, a name.
      let h = 0;
      let l = 0;
      let p = i;
      let bad = false;
      for (; p < nl; p++) {
        const c = text.charCodeAt(p);
        let d: number;
        if (c >= 48 && c <= 57) d = c - 48;
        else if (c >= 97 && c <= 102) d = c - 87;
        else if (c >= 65 && c <= 70) d = c - 55;
        else break;
        h = ((h << 4) | (l >>> 28)) >>> 0;
        l = ((l << 4) | d) >>> 0;
      }
      if (p - i > 16 || p === i || text.charCodeAt(p) !== 32 || p + 3 > nl) bad = true;
      if (!bad && (h !== 0 || l !== 0)) {
        // Module lines end in `\t[module]`; scan this line only (indexOf would run to the next one).
        let nameEnd = p + 3;
        while (nameEnd < nl && text.charCodeAt(nameEnd) !== 9) nameEnd++;
        let m = 0;
        if (nameEnd !== nl) {
          const mod = text.slice(nameEnd + 2, text.charCodeAt(nl - 1) === 93 /* ] */ ? nl - 1 : nl);
          m = moduleIndex.get(mod) ?? 0;
          if (m === 0) {
            m = modules.push(mod) - 1;
            moduleIndex.set(mod, m);
          }
        }
        if (n > 0 && (h < hi[n - 1] || (h === hi[n - 1] && l < lo[n - 1]))) sorted = false;
        hi[n] = h;
        lo[n] = l;
        types[n] = text.charCodeAt(p + 1);
        names[n] = text.slice(p + 3, nameEnd);
        mods[n] = m;
        n++;
      }
      i = nl + 1;
    }
    if (!sorted) {
      const order = sortOrder(hi, lo, n);
      const [h0, l0, t0, m0, n0] = [hi, lo, types, mods, names];
      // Plain loops: TypedArray.from with a mapping callback costs ~10× more here.
      hi = new Uint32Array(n);
      lo = new Uint32Array(n);
      types = new Uint8Array(n);
      mods = new Uint16Array(n);
      names = new Array<string>(n);
      for (let k = 0; k < n; k++) {
        const src = order[k];
        hi[k] = h0[src];
        lo[k] = l0[src];
        types[k] = t0[src];
        mods[k] = m0[src];
        names[k] = n0[src];
      }
    }
    this.size = n;
    this.hi = hi.subarray(0, n);
    this.lo = lo.subarray(0, n);
    this.types = types.subarray(0, n);
    this.moduleOf = mods.subarray(0, n);
    names.length = n;
    this.names = names;
    this.modules = modules;
  }

  /**
   * Reads `path` (default `/proc/kallsyms`) afresh, keeping the text for later questions of this
   * process, and parses it. Throws a {@link KernelSymbolsError}.
   */
  static read(path = KALLSYMS_PATH): KernelSymbols {
    return parseKallsyms(kallsymsText(path, true), path);
  }

  /** Index of the last symbol at or below `h:l`, or -1. */
  private floor(h: number, l: number): number {
    let lo = 0;
    let hi = this.size - 1;
    let found = -1;
    const H = this.hi;
    const L = this.lo;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const mh = H[mid];
      if (mh < h || (mh === h && L[mid] <= l)) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    // Several names at one address: answer the first.
    while (found > 0 && H[found - 1] === H[found] && L[found - 1] === L[found]) found--;
    return found;
  }

  /**
   * The symbol containing kernel address `address` (the nearest one at or below it), with the
   * offset into it; undefined below the first symbol. Like BCC's `ksym`.
   */
  lookup(address: bigint): ResolvedSymbol | undefined {
    if (address < 0n || address >= 1n << 64n) return undefined;
    const h = Number(address >> 32n);
    const l = Number(address & 0xffffffffn);
    const k = this.floor(h, l);
    if (k < 0) return undefined;
    const offset = h === this.hi[k] ? BigInt(l - this.lo[k]) : address - this.addressAt(k);
    const m = this.moduleOf[k];
    return m === 0 ? { name: this.names[k], offset } : { name: this.names[k], offset, module: this.modules[m] };
  }

  /** The address of the symbol named `name` (the first when several share it), or undefined. Like BCC's `ksymname`. */
  address(name: string): bigint | undefined {
    if (this.byName === undefined) {
      const byName = new Map<string, number>();
      for (let k = 0; k < this.size; k++) if (!byName.has(this.names[k])) byName.set(this.names[k], k);
      this.byName = byName;
    }
    const k = this.byName.get(name);
    return k === undefined ? undefined : this.addressAt(k);
  }

  /** Every symbol named `name` (static functions may repeat across files and modules). */
  symbolsNamed(name: string): KernelSymbol[] {
    const out: KernelSymbol[] = [];
    for (let k = 0; k < this.size; k++) if (this.names[k] === name) out.push(this.at(k));
    return out;
  }

  /** The `k`-th symbol in address order. */
  at(k: number): KernelSymbol {
    if (!Number.isInteger(k) || k < 0 || k >= this.size) throw new RangeError(`KernelSymbols.at: index ${k} is outside 0..${this.size - 1}`);
    const m = this.moduleOf[k];
    const s = { name: this.names[k], address: this.addressAt(k), type: String.fromCharCode(this.types[k]) };
    return m === 0 ? s : { ...s, module: this.modules[m] };
  }

  private addressAt(k: number): bigint {
    return (BigInt(this.hi[k]) << 32n) | BigInt(this.lo[k]);
  }
}

/** Parses the kallsyms `text` read from `path`; a {@link KernelSymbolsError} when it shows no address. */
function parseKallsyms(text: string, path: string): KernelSymbols {
  const table = new KernelSymbols(text);
  if (table.size === 0) throw new KernelSymbolsError(path, 'no symbol has a non-zero address (addresses are hidden: run as root, or lower kernel.kptr_restrict)');
  return table;
}

/** The kallsyms text of each path read so far. */
const texts = new Map<string, string>();
/** The parsed table of each path. */
const tables = new Map<string, KernelSymbols>();
/** The set of every name of each path (for many existence questions at once). */
const nameSets = new Map<string, ReadonlySet<string>>();

/** The text of kallsyms file `path`, read on first use (or again with `reload`). Throws a {@link KernelSymbolsError}. */
function kallsymsText(path: string, reload: boolean): string {
  let text = reload ? undefined : texts.get(path);
  if (text === undefined) {
    try {
      text = readFileSync(path, 'latin1');
    } catch (err) {
      throw new KernelSymbolsError(path, `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    texts.set(path, text);
    tables.delete(path);
    nameSets.delete(path);
  }
  return text;
}

/** The cached text of `path`, or '' when it cannot be read (existence questions answer "no"). */
function kallsymsTextOrEmpty(path: string): string {
  try {
    return kallsymsText(path, false);
  } catch {
    return '';
  }
}

/**
 * This machine's kernel symbols (or those of the kallsyms file `path`), read and parsed on first
 * use and kept for the process (pass `{ reload: true }` after loading a module or a BPF program
 * whose symbols you want). Throws a {@link KernelSymbolsError} when kallsyms is unreadable or hidden.
 */
export function kernelSymbols(options: { readonly reload?: boolean; readonly path?: string } = {}): KernelSymbols {
  const path = options.path ?? KALLSYMS_PATH;
  let table = options.reload === true ? undefined : tables.get(path);
  if (table === undefined) {
    table = parseKallsyms(kallsymsText(path, options.reload === true), path);
    tables.set(path, table);
  }
  return table;
}

/**
 * Whether `/proc/kallsyms` (or `path`) lists a symbol named exactly `name` (of vmlinux or of a
 * module). False when the file cannot be read.
 */
export function kernelSymbolExists(name: string, path = KALLSYMS_PATH): boolean {
  const text = kallsymsTextOrEmpty(path);
  // Lines are `address type name` or `address type name\t[module]`.
  for (let i = text.indexOf(` ${name}`); i >= 0; i = text.indexOf(` ${name}`, i + 1)) {
    const end = i + 1 + name.length;
    const after = end === text.length ? 10 : text.charCodeAt(end);
    // Before the name: `<space><one-letter type><space>`.
    if ((after === 10 /* \n */ || after === 9 /* \t */) && text.charCodeAt(i - 2) === 32) return true;
  }
  return false;
}

/** The names of `names` that `/proc/kallsyms` (or `path`) does not list, in order. */
export function missingKernelSymbols(names: readonly string[], path = KALLSYMS_PATH): string[] {
  if (names.length <= 8) return names.filter((n) => !kernelSymbolExists(n, path));
  let set = nameSets.get(path);
  if (set === undefined) {
    const all = new Set<string>();
    for (const line of kallsymsTextOrEmpty(path).split('\n')) {
      const a = line.indexOf(' ');
      const b = line.indexOf(' ', a + 1);
      if (a < 0 || b < 0) continue;
      const tab = line.indexOf('\t', b + 1);
      all.add(tab < 0 ? line.slice(b + 1) : line.slice(b + 1, tab));
    }
    nameSets.set(path, (set = all));
  }
  return names.filter((n) => !set.has(n));
}

/** Forgets every cached kallsyms text, table and name set (after loading a module, or in tests). */
export function forgetKernelSymbols(): void {
  texts.clear();
  tables.clear();
  nameSets.clear();
}
