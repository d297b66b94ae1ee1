/**
 * The BTF string section being built: NUL-terminated UTF-8 strings, each stored once, the
 * empty string at offset 0.
 * @module
 */

const encoder = new TextEncoder();

/** A deduplicating string table. Offsets start at `firstOffset` (the base's size for split BTF). */
export class StringTable {
  readonly #offsets = new Map<string, number>();
  readonly #chunks: Uint8Array[] = [];
  #length = 0;

  /** @param firstOffset offset of the first string (0, or the base's string section size). */
  constructor(readonly firstOffset = 0) {
    this.add('');
  }

  /** Adds `s` if new; returns its offset. The caller checks that `s` holds no NUL. */
  add(s: string): number {
    let off = this.#offsets.get(s);
    if (off === undefined) {
      off = this.firstOffset + this.#length;
      const b = encoder.encode(s);
      this.#chunks.push(b);
      this.#length += b.length + 1;
      this.#offsets.set(s, off);
    }
    return off;
  }

  /** Offset of `s`, or undefined when it is not in the table. */
  offsetOf(s: string): number | undefined {
    return this.#offsets.get(s);
  }

  /** Size in bytes of the section. */
  get length(): number {
    return this.#length;
  }

  /** Writes the section at `out[at…]` (NULs included). */
  writeTo(out: Uint8Array, at: number): void {
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length + 1;
    }
  }
}
