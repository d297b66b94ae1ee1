/**
 * The symbol entries (`Elf64_Sym`) of an ELF64 little-endian image: every row of its `.symtab`
 * and `.dynsym` tables, visited in one pass without decoding names (a binary can hold 100k
 * symbols; callers decode only the names they keep, or compare bytes).
 * @module
 */

import type { ElfSection } from './elf-sections.js';

/** `sh_type` of a full symbol table (`.symtab`). */
export const SHT_SYMTAB = 2;
/** `sh_type` of the dynamic symbol table (`.dynsym`). */
export const SHT_DYNSYM = 11;
/** `STT_FUNC`: a function symbol. */
export const STT_FUNC = 2;
/** `STT_GNU_IFUNC`: an indirect function (its address is a resolver). */
export const STT_GNU_IFUNC = 10;
/** `st_shndx` from which section indexes are reserved (`SHN_LORESERVE`: absolute, common, …). */
export const SHN_LORESERVE = 0xff00;

/**
 * One symbol table row, as {@link forEachElfSymbolEntry} passes it. The object is reused from row
 * to row: copy the fields you keep.
 */
export interface ElfSymbolEntry {
  /** Where the row starts in the image. */
  offset: number;
  /** Where its NUL-terminated name starts in the image. */
  nameStart: number;
  /** The end of the string table the name lives in (a name never runs past it). */
  nameLimit: number;
  /** `ST_TYPE(st_info)`: {@link STT_FUNC}, {@link STT_GNU_IFUNC}, … */
  type: number;
  /** `st_shndx`: the section the symbol lives in (0 = undefined). */
  shndx: number;
  /** `st_value`: the virtual address. */
  value: bigint;
  /** `st_size`. */
  size: bigint;
  /** The `sh_type` of the table the row belongs to ({@link SHT_SYMTAB} or {@link SHT_DYNSYM}). */
  table: number;
}

/**
 * Calls `visit` for every row of the symbol tables among `sections` (the headers of `elf`, from
 * `readElfSections`): `.symtab` tables first, then `.dynsym`, so a caller that keeps the first row
 * per address prefers the full table's names. A table whose string table index is out of range
 * is skipped (its names cannot be read). `visit` returns `false` to stop early.
 */
export function forEachElfSymbolEntry(elf: Uint8Array, sections: readonly ElfSection[], visit: (entry: ElfSymbolEntry) => boolean | void): void {
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const entry: ElfSymbolEntry = { offset: 0, nameStart: 0, nameLimit: 0, type: 0, shndx: 0, value: 0n, size: 0n, table: 0 };
  for (const kind of [SHT_SYMTAB, SHT_DYNSYM]) {
    for (const s of sections) {
      if (s.type !== kind) continue;
      const strtab = sections[s.link];
      if (strtab === undefined || strtab.offset + strtab.size > elf.byteLength) continue;
      const entsize = s.entsize || 24;
      if (entsize < 24) continue;
      entry.table = kind;
      entry.nameLimit = strtab.offset + strtab.size;
      for (let o = s.offset; o + entsize <= s.offset + s.size; o += entsize) {
        const nameOffset = dv.getUint32(o, true);
        entry.offset = o;
        entry.nameStart = nameOffset < strtab.size ? strtab.offset + nameOffset : entry.nameLimit;
        entry.type = elf[o + 4] & 0xf;
        entry.shndx = dv.getUint16(o + 6, true);
        entry.value = dv.getBigUint64(o + 8, true);
        entry.size = dv.getBigUint64(o + 16, true);
        if (visit(entry) === false) return;
      }
    }
  }
}

/** The end of the name of `entry` in `elf` (the index of its NUL, or the string table's end). */
export function elfSymbolNameEnd(elf: Uint8Array, entry: ElfSymbolEntry): number {
  let end = entry.nameStart;
  while (end < entry.nameLimit && elf[end] !== 0) end++;
  return end;
}
