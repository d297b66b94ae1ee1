/**
 * A minimal ELF64 little-endian section reader: the section headers of an image, with names,
 * and a section's bytes by name (`.BTF` of a BPF object, `.symtab` of a binary).
 * @module
 */

/** The image is not an ELF64 LE file, or its headers point outside it. */
export class ElfError extends Error {
  override name = 'ElfError';
  /** The ELF file (or `<elf>` for an in-memory image). */
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
  }
}

/** One section header (`Elf64_Shdr`). */
export interface ElfSection {
  /** The name from the section-name string table ('' when it has none). */
  readonly name: string;
  /** `sh_type` (`SHT_SYMTAB` = 2, `SHT_DYNSYM` = 11, …). */
  readonly type: number;
  /** `sh_addr`. */
  readonly addr: bigint;
  /** `sh_offset`: where the contents start in the file. */
  readonly offset: number;
  /** `sh_size`. */
  readonly size: number;
  /** `sh_link`. */
  readonly link: number;
  /** `sh_entsize`. */
  readonly entsize: number;
}

const utf8 = new TextDecoder();

/** The section headers of `elf`, checked to lie inside the image. */
export function readElfSections(elf: Uint8Array, path = '<elf>'): ElfSection[] {
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.byteLength < 64 || dv.getUint32(0, false) !== 0x7f454c46) throw new ElfError(path, 'not an ELF file');
  if (elf[4] !== 2 || elf[5] !== 1) throw new ElfError(path, 'not a 64-bit little-endian ELF file');
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  const shstrndx = dv.getUint16(0x3e, true);
  if (shnum > 0 && shentsize < 64) throw new ElfError(path, `section header size ${shentsize} is smaller than 64`);
  if (shoff + shnum * shentsize > elf.byteLength) throw new ElfError(path, 'section headers beyond the end of the file');
  const raw = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize;
    const section = {
      nameOffset: dv.getUint32(o, true),
      type: dv.getUint32(o + 4, true),
      addr: dv.getBigUint64(o + 0x10, true),
      offset: Number(dv.getBigUint64(o + 0x18, true)),
      size: Number(dv.getBigUint64(o + 0x20, true)),
      link: dv.getUint32(o + 0x28, true),
      entsize: Number(dv.getBigUint64(o + 0x38, true)),
    };
    // SHT_NOBITS (8) occupies no file space.
    if (section.type !== 8 && section.offset + section.size > elf.byteLength) throw new ElfError(path, `section ${i} lies beyond the end of the file`);
    return section;
  });
  const names = shstrndx < raw.length ? raw[shstrndx] : undefined;
  return raw.map(({ nameOffset, ...s }) => {
    let name = '';
    if (names !== undefined && nameOffset < names.size) {
      const start = names.offset + nameOffset;
      let end = start;
      while (end < names.offset + names.size && elf[end] !== 0) end++;
      name = utf8.decode(elf.subarray(start, end));
    }
    return { name, ...s };
  });
}

/** The contents of the section called `name`, or undefined when there is none. */
export function elfSectionBytes(elf: Uint8Array, name: string, path = '<elf>'): Uint8Array | undefined {
  const section = readElfSections(elf, path).find((s) => s.name === name);
  return section === undefined ? undefined : elf.subarray(section.offset, section.offset + section.size);
}
