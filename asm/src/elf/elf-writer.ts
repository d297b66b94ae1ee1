/**
 * A writer of ELF64 little-endian relocatable objects (`ET_REL`), laid out as LLVM lays out
 * what `clang -target bpf -c` writes: section 1 is `.strtab` (section names and symbol names
 * share it), then the given sections in order, each followed by its `.rel<name>` section when
 * it has relocations, and `.symtab` last. The symbol table starts with the null symbol, then the
 * local symbols, then the global ones (`sh_info` is the index of the first global). Section
 * contents follow the 64-byte header in section order, each aligned; the section header table
 * ends the file.
 *
 * ```ts
 * const bytes = writeElfObject({
 *   machine: EM_BPF,
 *   sections: [{ name: 'xdp', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, align: 8, data }],
 *   symbols: [{ name: 'count', section: 'xdp', value: 0, size: data.length, type: 'func', binding: 'global' }],
 *   relocations: [{ section: 'xdp', offset: 32, symbol: 'counts', type: R_BPF_64_64 }],
 * });
 * ```
 * Pure: no `node:` imports.
 * @module
 */

import { ElfWriteError } from './elf-write-error.js';

/** `e_machine` of BPF objects. */
export const EM_BPF = 247;
/** `sh_type`: program data. */
export const SHT_PROGBITS = 1;
/** `sh_type`: symbol table. */
export const SHT_SYMTAB = 2;
/** `sh_type`: string table. */
export const SHT_STRTAB = 3;
/** `sh_type`: relocations without addends. */
export const SHT_REL = 9;
/** `sh_flags`: writable. */
export const SHF_WRITE = 0x1;
/** `sh_flags`: occupies memory at run time. */
export const SHF_ALLOC = 0x2;
/** `sh_flags`: executable. */
export const SHF_EXECINSTR = 0x4;
/** `sh_flags`: `sh_info` holds a section index (relocation sections). */
export const SHF_INFO_LINK = 0x40;
/** BPF relocation: a 64-bit immediate of `ld_imm64` (map references). */
export const R_BPF_64_64 = 1;
/** BPF relocation: the 32-bit immediate of a call (bpf-to-bpf calls). */
export const R_BPF_64_32 = 10;

/** `st_info` type of a symbol. */
export type ElfSymbolType = 'notype' | 'object' | 'func' | 'section' | 'file';
/** `st_info` binding of a symbol. */
export type ElfSymbolBinding = 'local' | 'global';

const SYMBOL_TYPES: Record<ElfSymbolType, number> = { notype: 0, object: 1, func: 2, section: 3, file: 4 };
const SYMBOL_BINDINGS: Record<ElfSymbolBinding, number> = { local: 0, global: 1 };

/** One section to write (the writer adds `.strtab`, `.symtab` and the `.rel` sections). */
export interface ElfSectionSpec {
  /** Section name, unique in the object. */
  readonly name: string;
  /** `sh_type` (e.g. {@link SHT_PROGBITS}). */
  readonly type: number;
  /** `sh_flags` ({@link SHF_ALLOC} | {@link SHF_EXECINSTR}, …). */
  readonly flags: number;
  /** `sh_addralign`: a power of two. */
  readonly align: number;
  /** The contents. */
  readonly data: Uint8Array;
  /** `sh_entsize` (0 unless said). */
  readonly entsize?: number;
}

/** One symbol of `.symtab`. */
export interface ElfSymbolSpec {
  /** Symbol name (a section symbol's name is its section's, as LLVM prints it; the string is not stored). */
  readonly name: string;
  /** The section it is defined in; absent for an undefined symbol (`SHN_UNDEF`: an extern). */
  readonly section?: string;
  /** `st_value`: offset in the section. */
  readonly value: number;
  /** `st_size` in bytes. */
  readonly size: number;
  /** Symbol type. */
  readonly type: ElfSymbolType;
  /** Binding. */
  readonly binding: ElfSymbolBinding;
}

/** One relocation (`Elf64_Rel`): at `offset` of `section`, against `symbol`. */
export interface ElfRelocationSpec {
  /** The section the relocation applies to. */
  readonly section: string;
  /** Byte offset in that section. */
  readonly offset: number;
  /** The symbol's name. */
  readonly symbol: string;
  /** Relocation type ({@link R_BPF_64_64}, {@link R_BPF_64_32}). */
  readonly type: number;
}

/** Everything {@link writeElfObject} writes. */
export interface ElfObjectSpec {
  /** `e_machine` ({@link EM_BPF}). */
  readonly machine: number;
  /** Sections in file order. */
  readonly sections: readonly ElfSectionSpec[];
  /** Symbols; the writer orders locals before globals. */
  readonly symbols: readonly ElfSymbolSpec[];
  /** Relocations, grouped by the writer into one `.rel<section>` per section. */
  readonly relocations: readonly ElfRelocationSpec[];
}

const HEADER_SIZE = 64;
const SECTION_HEADER_SIZE = 64;
const SYMBOL_SIZE = 24;
const REL_SIZE = 16;
const utf8 = new TextEncoder();

/** A string table under construction: `\0` first, every string stored once. */
class StringTableBuilder {
  readonly #offsets = new Map<string, number>([['', 0]]);
  readonly #parts: Uint8Array[] = [new Uint8Array(1)];
  #size = 1;
  add(s: string): number {
    let off = this.#offsets.get(s);
    if (off === undefined) {
      const bytes = utf8.encode(`${s}\0`);
      off = this.#size;
      this.#offsets.set(s, off);
      this.#parts.push(bytes);
      this.#size += bytes.length;
    }
    return off;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.#size);
    let at = 0;
    for (const p of this.#parts) { out.set(p, at); at += p.length; }
    return out;
  }
}

interface Header {
  name: number;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  align: number;
  entsize: number;
  data: Uint8Array;
}

function alignUp(n: number, a: number): number {
  return a <= 1 ? n : Math.ceil(n / a) * a;
}

function checkUint(what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new ElfWriteError(`${what} ${v} is not an integer in 0..${max}`);
}

/**
 * Writes an ELF64 little-endian relocatable object. Throws an {@link ElfWriteError} for two
 * sections of one name, a section or symbol name with a NUL, an alignment that is not a power
 * of two, a symbol in a section that does not exist, two global symbols of one name, or a
 * relocation whose section or symbol does not exist or whose offset is outside its section.
 */
export function writeElfObject(spec: ElfObjectSpec): Uint8Array {
  const strtab = new StringTableBuilder();
  const sectionIndex = new Map<string, number>();
  const rels = new Map<string, ElfRelocationSpec[]>();
  for (const r of spec.relocations) {
    const list = rels.get(r.section);
    if (list === undefined) rels.set(r.section, [r]);
    else list.push(r);
  }
  // Indices: 0 null, 1 .strtab, then each section followed by its .rel section, .symtab last.
  const order: Array<{ readonly section: ElfSectionSpec } | { readonly relFor: string }> = [];
  let next = 2;
  for (const s of spec.sections) {
    if (s.name.includes('\0')) throw new ElfWriteError(`section name ${JSON.stringify(s.name)} contains a NUL byte`);
    if (sectionIndex.has(s.name) || s.name === '.strtab' || s.name === '.symtab') throw new ElfWriteError(`section '${s.name}' is given twice`);
    if (!Number.isInteger(s.align) || s.align < 1 || (s.align & (s.align - 1)) !== 0) throw new ElfWriteError(`section '${s.name}': alignment ${s.align} is not a power of two`);
    sectionIndex.set(s.name, next++);
    order.push({ section: s });
    if (rels.has(s.name)) {
      sectionIndex.set(`.rel${s.name}`, next++);
      order.push({ relFor: s.name });
    }
  }
  for (const name of rels.keys()) if (!spec.sections.some((s) => s.name === name)) throw new ElfWriteError(`relocations for section '${name}', which does not exist`);
  const symtabIndex = next;

  // Symbols: null, locals, globals.
  const locals = spec.symbols.filter((s) => s.binding === 'local');
  const globals = spec.symbols.filter((s) => s.binding === 'global');
  const symbols = [...locals, ...globals];
  const symbolIndex = new Map<string, number>();
  symbols.forEach((s, i) => {
    if (s.name.includes('\0')) throw new ElfWriteError(`symbol name ${JSON.stringify(s.name)} contains a NUL byte`);
    if (s.binding === 'global' && globals.filter((g) => g.name === s.name).length > 1) throw new ElfWriteError(`global symbol '${s.name}' is defined twice`);
    if (s.section !== undefined && !sectionIndex.has(s.section)) throw new ElfWriteError(`symbol '${s.name}' is in section '${s.section}', which does not exist`);
    checkUint(`symbol '${s.name}': value`, s.value, Number.MAX_SAFE_INTEGER);
    checkUint(`symbol '${s.name}': size`, s.size, Number.MAX_SAFE_INTEGER);
    // Relocations name a symbol: prefer the global one, else the first of that name.
    if (!symbolIndex.has(s.name) || s.binding === 'global') symbolIndex.set(s.name, i + 1);
  });
  const symtab = new Uint8Array((symbols.length + 1) * SYMBOL_SIZE);
  const sv = new DataView(symtab.buffer);
  symbols.forEach((s, i) => {
    const at = (i + 1) * SYMBOL_SIZE;
    sv.setUint32(at, s.type === 'section' ? 0 : strtab.add(s.name), true);
    sv.setUint8(at + 4, (SYMBOL_BINDINGS[s.binding] << 4) | SYMBOL_TYPES[s.type]);
    sv.setUint8(at + 5, 0);
    sv.setUint16(at + 6, s.section === undefined ? 0 : sectionIndex.get(s.section)!, true);
    sv.setBigUint64(at + 8, BigInt(s.value), true);
    sv.setBigUint64(at + 16, BigInt(s.size), true);
  });

  const headers: Header[] = [];
  const strtabHeader: Header = { name: strtab.add('.strtab'), type: SHT_STRTAB, flags: 0, offset: 0, size: 0, link: 0, info: 0, align: 1, entsize: 0, data: new Uint8Array(0) };
  headers.push(strtabHeader);
  for (const o of order) {
    if ('section' in o) {
      const s = o.section;
      headers.push({ name: strtab.add(s.name), type: s.type, flags: s.flags, offset: 0, size: s.data.length, link: 0, info: 0, align: s.align, entsize: s.entsize ?? 0, data: s.data });
    } else {
      const target = spec.sections.find((s) => s.name === o.relFor)!;
      const list = rels.get(o.relFor)!;
      const data = new Uint8Array(list.length * REL_SIZE);
      const rv = new DataView(data.buffer);
      list.forEach((r, i) => {
        const sym = symbolIndex.get(r.symbol);
        if (sym === undefined) throw new ElfWriteError(`relocation in '${r.section}' at ${r.offset} names symbol '${r.symbol}', which does not exist`);
        checkUint(`relocation in '${r.section}': offset`, r.offset, target.data.length - 1);
        checkUint(`relocation in '${r.section}': type`, r.type, 0xffffffff);
        rv.setBigUint64(i * REL_SIZE, BigInt(r.offset), true);
        rv.setBigUint64(i * REL_SIZE + 8, (BigInt(sym) << 32n) | BigInt(r.type), true);
      });
      headers.push({ name: strtab.add(`.rel${o.relFor}`), type: SHT_REL, flags: SHF_INFO_LINK, offset: 0, size: data.length, link: symtabIndex, info: sectionIndex.get(o.relFor)!, align: 8, entsize: REL_SIZE, data });
    }
  }
  const symtabHeader: Header = { name: strtab.add('.symtab'), type: SHT_SYMTAB, flags: 0, offset: 0, size: symtab.length, link: 1, info: locals.length + 1, align: 8, entsize: SYMBOL_SIZE, data: symtab };
  headers.push(symtabHeader);
  const strtabBytes = strtab.bytes();
  strtabHeader.data = strtabBytes;
  strtabHeader.size = strtabBytes.length;

  // File layout: header, contents in section order, section headers.
  let at = HEADER_SIZE;
  for (const h of headers) {
    at = alignUp(at, h.align);
    h.offset = at;
    at += h.data.length;
  }
  const shoff = alignUp(at, 8);
  const shnum = headers.length + 1;
  if (shnum >= 0xff00) throw new ElfWriteError(`${shnum} sections do not fit in e_shnum`);
  const out = new Uint8Array(shoff + shnum * SECTION_HEADER_SIZE);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_NONE
  v.setUint16(0x10, 1, true); // ET_REL
  v.setUint16(0x12, spec.machine, true);
  v.setUint32(0x14, 1, true); // EV_CURRENT
  v.setBigUint64(0x28, BigInt(shoff), true);
  v.setUint16(0x34, HEADER_SIZE, true);
  v.setUint16(0x3a, SECTION_HEADER_SIZE, true);
  v.setUint16(0x3c, shnum, true);
  v.setUint16(0x3e, 1, true); // e_shstrndx: .strtab
  headers.forEach((h, i) => {
    out.set(h.data, h.offset);
    const o = shoff + (i + 1) * SECTION_HEADER_SIZE;
    v.setUint32(o, h.name, true);
    v.setUint32(o + 4, h.type, true);
    v.setBigUint64(o + 8, BigInt(h.flags), true);
    v.setBigUint64(o + 0x18, BigInt(h.offset), true);
    v.setBigUint64(o + 0x20, BigInt(h.size), true);
    v.setUint32(o + 0x28, h.link, true);
    v.setUint32(o + 0x2c, h.info, true);
    v.setBigUint64(o + 0x30, BigInt(h.align), true);
    v.setBigUint64(o + 0x38, BigInt(h.entsize), true);
  });
  return out;
}
