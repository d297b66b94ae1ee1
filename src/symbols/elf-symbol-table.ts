/**
 * All function symbols of an ELF64 LE file (`.symtab` and `.dynsym`), sorted for address
 * lookups, plus its `PT_LOAD` segments (to turn a file offset in a process mapping back into an
 * ELF virtual address).
 * @module
 */

import { readFileSync } from 'node:fs';
import { ElfError, readElfSections } from '../elf/elf-sections.js';
import { elfSymbolNameEnd, forEachElfSymbolEntry, STT_FUNC, STT_GNU_IFUNC } from '../elf/elf-symbol-entries.js';
import type { ResolvedSymbol } from './resolved-symbol.js';
import { floorIndex } from './floor-index.js';

/** One `PT_LOAD` program header. */
export interface LoadSegment {
  /** `p_offset`. */
  readonly offset: number;
  /** `p_vaddr`. */
  readonly vaddr: number;
  /** `p_filesz`. */
  readonly fileSize: number;
  /** `p_flags` (1 = X, 2 = W, 4 = R). */
  readonly flags: number;
}

const PT_LOAD = 1;
const latin1 = new TextDecoder('latin1');

/** The `PT_LOAD` segments of `elf`. Throws an ElfError for non-ELF64-LE input. */
export function elfLoadSegments(elf: Uint8Array, path = '<elf>'): LoadSegment[] {
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.byteLength < 64 || dv.getUint32(0, false) !== 0x7f454c46) throw new ElfError(path, 'not an ELF file');
  if (elf[4] !== 2 || elf[5] !== 1) throw new ElfError(path, 'not a 64-bit little-endian ELF file');
  const phoff = Number(dv.getBigUint64(0x20, true));
  const phentsize = dv.getUint16(0x36, true);
  const phnum = dv.getUint16(0x38, true);
  if (phnum > 0 && (phentsize < 56 || phoff + phnum * phentsize > elf.byteLength)) throw new ElfError(path, 'program headers beyond the end of the file');
  const out: LoadSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (dv.getUint32(o, true) !== PT_LOAD) continue;
    out.push({
      flags: dv.getUint32(o + 4, true),
      offset: Number(dv.getBigUint64(o + 8, true)),
      vaddr: Number(dv.getBigUint64(o + 16, true)),
      fileSize: Number(dv.getBigUint64(o + 32, true)),
    });
  }
  return out;
}

/**
 * The function symbols of one ELF file, sorted by address. Addresses of user-space binaries fit
 * in 53 bits, so they are kept as numbers in a Float64Array.
 */
export class ElfSymbolTable {
  /** The file (for messages and as `module` in answers). */
  readonly path: string;
  /** Its `PT_LOAD` segments. */
  readonly segments: readonly LoadSegment[];
  /** How many distinct function addresses. */
  readonly size: number;
  private readonly starts: Float64Array;
  private readonly sizes: Float64Array;
  private readonly names: string[];

  /** Builds the table from image `elf`; throws an ElfError for non-ELF64-LE input. */
  constructor(elf: Uint8Array, path = '<elf>') {
    this.path = path;
    this.segments = elfLoadSegments(elf, path);
    const seen = new Map<number, number>();
    const starts: number[] = [];
    const sizes: number[] = [];
    const names: string[] = [];
    // .symtab rows come first: their names win over .dynsym's for the same address.
    forEachElfSymbolEntry(elf, readElfSections(elf, path), (e) => {
      if ((e.type !== STT_FUNC && e.type !== STT_GNU_IFUNC) || e.shndx === 0 || e.value === 0n) return;
      const value = Number(e.value);
      const size = Number(e.size);
      const known = seen.get(value);
      if (known !== undefined) {
        if (sizes[known] === 0 && size !== 0) sizes[known] = size;
        return;
      }
      seen.set(value, starts.length);
      starts.push(value);
      sizes.push(size);
      names.push(latin1.decode(elf.subarray(e.nameStart, elfSymbolNameEnd(elf, e))));
    });
    const order = Array.from({ length: starts.length }, (_, k) => k).sort((a, b) => starts[a] - starts[b]);
    this.size = order.length;
    this.starts = Float64Array.from(order, (k) => starts[k]);
    this.sizes = Float64Array.from(order, (k) => sizes[k]);
    this.names = order.map((k) => names[k]);
  }

  /** Reads and parses file `path`; throws an ElfError when it is unreadable or not ELF64 LE. */
  static read(path: string): ElfSymbolTable {
    let elf: Uint8Array;
    try {
      elf = readFileSync(path);
    } catch (err) {
      throw new ElfError(path, `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    return new ElfSymbolTable(elf, path);
  }

  /**
   * The function containing ELF virtual address `vaddr`: the nearest symbol at or below it, when
   * `vaddr` lies within its size (symbols of size 0 match any address up to the next symbol).
   */
  lookup(vaddr: number): ResolvedSymbol | undefined {
    const S = this.starts;
    const k = floorIndex(S, this.size, vaddr);
    if (k < 0) return undefined;
    const size = this.sizes[k];
    if (size !== 0 && vaddr >= S[k] + size) return undefined;
    return { name: this.names[k], offset: BigInt(vaddr - S[k]), module: this.path };
  }

  /** The ELF virtual address of file offset `fileOffset` (through the PT_LOAD that holds it), or undefined. */
  vaddrOfFileOffset(fileOffset: number): number | undefined {
    for (const s of this.segments) {
      if (fileOffset >= s.offset && fileOffset < s.offset + s.fileSize) return fileOffset - s.offset + s.vaddr;
    }
    return undefined;
  }
}
