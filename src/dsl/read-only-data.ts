/**
 * A program's read-only string constants, laid out as clang lays out `.rodata`: NUL-terminated
 * strings, each once, in one value of an internal array map (one element,
 * `BPF_F_RDONLY_PROG`) that the loader writes and then freezes. An argument pointing at one is
 * an `ld_imm64` with `BPF_PSEUDO_MAP_VALUE` (src_reg 2: imm = the map, next imm = the offset).
 * Helpers with an `ARG_PTR_TO_CONST_STR` argument (`bpf_snprintf`'s format, `bpf_strncmp`'s
 * second string) accept only such a string: the verifier reads it at load time, so the map must
 * be frozen and read-only for programs (`bpf_map_is_rdonly`).
 * @module
 */

import { DslError } from './errors.js';
import type { DslMapSpec } from './maps.js';
import type { ArgNode } from './nodes.js';

/** The name of the internal map holding a program's string constants. */
export const RODATA_MAP_NAME = '.rodata';

/** `BPF_F_RDONLY_PROG`: programs may read the map's values but not write them. */
export const BPF_F_RDONLY_PROG = 1 << 7;

/** Collects a program's string constants and makes its `.rodata` map spec. */
export class ReadOnlyData {
  readonly #bytes: number[] = [];
  readonly #offsets = new Map<string, number>();

  /** The argument pointing at constant `text` (added once, NUL-terminated); `who` names the caller in errors. */
  constString(text: string, who: string): ArgNode {
    if (typeof text !== 'string') throw new DslError(`${who}: a string constant must be a string, got ${typeof text}`);
    if (text.includes('\0')) throw new DslError(`${who}: the string constant ${JSON.stringify(text)} contains a NUL byte (the kernel reads it up to the first NUL)`);
    const encoded = new TextEncoder().encode(text);
    let off = this.#offsets.get(text);
    if (off === undefined) {
      off = this.#bytes.length;
      this.#bytes.push(...encoded, 0);
      this.#offsets.set(text, off);
    }
    return { kind: 'mapValue', map: RODATA_MAP_NAME, off, size: encoded.length + 1 };
  }

  /** The `.rodata` map spec (value padded to 8 bytes), or undefined when there are no constants. */
  spec(): DslMapSpec | undefined {
    if (this.#bytes.length === 0) return undefined;
    const value = new Uint8Array((this.#bytes.length + 7) & ~7);
    value.set(this.#bytes);
    return { name: RODATA_MAP_NAME, type: 'array', keySize: 4, valueSize: value.length, maxEntries: 1, flags: BPF_F_RDONLY_PROG, rodata: value };
  }
}
