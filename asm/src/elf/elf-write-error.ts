/**
 * The error of the ELF object writers: input that cannot be written as an ELF object.
 * @module
 */

/**
 * An ELF object that cannot be written: no programs, two symbols or sections of one name, a
 * relocation against a symbol that does not exist, a program type without a libbpf section
 * name. The message starts with what was being written (`.maps: map 'counts' …`).
 */
export class ElfWriteError extends Error {
  /** Always `'ElfWriteError'`. */
  override readonly name = 'ElfWriteError';
}
