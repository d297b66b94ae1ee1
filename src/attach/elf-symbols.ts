/**
 * A minimal ELF64 little-endian symbol reader: the file offset of a function symbol, which is
 * what a uprobe attaches to. Reads `.symtab` and `.dynsym` (symbol versions such as
 * `open64@@GLIBC_2.2.5` live elsewhere: names are matched without them).
 * @module
 */

import { readFileSync } from 'node:fs';
import { ElfError, readElfSections, type ElfSection } from '../elf/elf-sections.js';

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

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
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
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const sec = (i: number): ElfSection => {
    const s = sections[i];
    if (s === undefined) throw new ElfSymbolError(path, `section index ${i} out of range`);
    return s;
  };
  const want = new TextEncoder().encode(name);
  const out = new Map<bigint, ElfSymbol>();
  for (let i = 0; i < sections.length; i++) {
    const s = sections[i];
    if (s.type !== SHT_SYMTAB && s.type !== SHT_DYNSYM) continue;
    const strtab = sec(s.link);
    const entsize = s.entsize || 24;
    if (strtab.offset + strtab.size > elf.byteLength) throw new ElfSymbolError(path, 'string table beyond the end of the file');
    for (let o = s.offset; o + entsize <= s.offset + s.size; o += entsize) {
      const nameOff = dv.getUint32(o, true);
      const shndx = dv.getUint16(o + 6, true);
      if (shndx === 0 || shndx >= 0xff00) continue; // undefined, absolute, common
      const p = strtab.offset + nameOff;
      if (p + want.length >= elf.byteLength || elf[p + want.length] !== 0) continue;
      let same = true;
      for (let k = 0; k < want.length; k++) {
        if (elf[p + k] !== want[k]) {
          same = false;
          break;
        }
      }
      if (!same) continue;
      const address = dv.getBigUint64(o + 8, true);
      if (out.has(address)) continue;
      const home = sec(shndx);
      out.set(address, {
        name: utf8.decode(want),
        address,
        size: dv.getBigUint64(o + 16, true),
        fileOffset: address - home.addr + BigInt(home.offset),
        type: elf[o + 4] & 0xf,
      });
    }
  }
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
