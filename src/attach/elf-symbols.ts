/**
 * A minimal ELF64 little-endian symbol reader: the file offset of a function symbol, which is
 * what a uprobe attaches to. Reads `.symtab` and `.dynsym` (symbol versions such as
 * `open64@@GLIBC_2.2.5` live elsewhere: names are matched without them).
 * @module
 */

import { readFileSync } from 'node:fs';
import { ElfError, readElfSections, type ElfSection } from '../elf/elf-sections.js';
import { forEachElfSymbolEntry, SHN_LORESERVE } from '../elf/elf-symbol-entries.js';

/** The file is not an ELF64 LE object, or the symbol is missing. */
export class ElfSymbolError extends Error {
  override name = 'ElfSymbolError';
  /** The ELF file. */
  readonly path: string;
  /** The symbol looked for, when the error is about one. */
  readonly symbol: string | undefined;

  constructor(path: string, message: string, symbol?: string) {
    super(`${path}: ${message}`);
    this.path = path;
    this.symbol = symbol;
  }
}

/** One defined symbol. */
export interface ElfSymbol {
  /** The name. */
  readonly name: string;
  /** `st_value`: the virtual address. */
  readonly address: bigint;
  /** `st_size`. */
  readonly size: bigint;
  /** The file offset of the address (what `perf_event_open`'s `probe_offset` wants). */
  readonly fileOffset: bigint;
  /** `STT_*` type: 2 for functions (STT_FUNC), 10 for STT_GNU_IFUNC. */
  readonly type: number;
}

const utf8 = new TextDecoder();

/**
 * Defined symbols named `name` in ELF image `elf` (both symbol tables, duplicates removed by
 * address). Throws an {@link ElfSymbolError} when the image is not ELF64 little-endian.
 */
export function findElfSymbols(elf: Uint8Array, name: string, path = '<elf>'): ElfSymbol[] {
  let sections: ElfSection[];
  try {
    sections = readElfSections(elf, path);
  } catch (e) {
    if (e instanceof ElfError) throw new ElfSymbolError(path, e.message.slice(path.length + 2));
    throw e;
  }
  const want = new TextEncoder().encode(name);
  const out = new Map<bigint, ElfSymbol>();
  forEachElfSymbolEntry(elf, sections, (e) => {
    if (e.shndx === 0 || e.shndx >= SHN_LORESERVE) return; // undefined, absolute, common
    const p = e.nameStart;
    if (p + want.length >= e.nameLimit || elf[p + want.length] !== 0) return;
    for (let k = 0; k < want.length; k++) if (elf[p + k] !== want[k]) return;
    if (out.has(e.value)) return;
    const home = sections[e.shndx];
    if (home === undefined) throw new ElfSymbolError(path, `section index ${e.shndx} out of range`);
    out.set(e.value, { name: utf8.decode(want), address: e.value, size: e.size, fileOffset: e.value - home.addr + BigInt(home.offset), type: e.type });
  });
  return [...out.values()];
}

/**
 * The file offset of function `symbol` in ELF file `path`. Throws an {@link ElfSymbolError} when it
 * is missing, or ambiguous (several addresses).
 */
export function elfSymbolOffset(path: string, symbol: string): bigint {
  let elf: Uint8Array;
  try {
    elf = readFileSync(path);
  } catch (err) {
    throw new ElfSymbolError(path, `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, symbol);
  }
  const found = findElfSymbols(elf, symbol, path);
  if (found.length === 0) throw new ElfSymbolError(path, `no defined symbol '${symbol}'`, symbol);
  if (found.length > 1) throw new ElfSymbolError(path, `symbol '${symbol}' has ${found.length} addresses (${found.map((s) => `0x${s.address.toString(16)}`).join(', ')})`, symbol);
  return found[0].fileOffset;
}
