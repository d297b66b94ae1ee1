/**
 * The target kernel's BTF (vmlinux) as the verifier needs it: given to {@link verify} as a
 * decoded {@link Btf}, raw bytes, or a function that returns either (called at most once, and
 * only when a program needs BTF: a BTF-id pointer or a kfunc call). Without it the simulator
 * answers like a kernel built without `CONFIG_DEBUG_INFO_BTF`.
 * @module
 */

import { decodeBtf, type Btf, type Type } from 'ebpf-bytecode-utils';

/** Where the kernel's BTF comes from: decoded, raw bytes, or a lazy provider (undefined: none). */
export type KernelBtfSource = Btf | Uint8Array | (() => Btf | Uint8Array | undefined);

/** Lazy access to the kernel BTF of one verification run (shared by every path). */
export class KernelBtf {
  #source: KernelBtfSource | undefined;
  #btf: Btf | undefined | null = null;
  readonly #structIds = new Map<string, number | undefined>();

  /** @param source what {@link VerifyOptions.btf} gave, if anything */
  constructor(source: KernelBtfSource | undefined) {
    this.#source = source;
  }

  /** The decoded BTF, or undefined when the run has none. Resolves the source on first call. */
  get btf(): Btf | undefined {
    if (this.#btf === null) {
      const src = this.#source;
      this.#source = undefined;
      const value = typeof src === 'function' ? src() : src;
      this.#btf = value === undefined ? undefined : value instanceof Uint8Array ? decodeBtf(value) : value;
    }
    return this.#btf;
  }

  /** The id of the struct named `name` (the first one, as `btf_find_by_name_kind`), or undefined. */
  structId(name: string): number | undefined {
    if (this.#structIds.has(name)) return this.#structIds.get(name);
    const btf = this.btf;
    const id = btf?.idsByName(name).find((i) => btf.kindOf(i) === 'struct');
    this.#structIds.set(name, id);
    return id;
  }

  /** The type with `id`, or undefined when out of range. */
  typeById(id: number): Type | undefined {
    const btf = this.btf;
    if (btf === undefined || id <= 0 || id >= btf.typeCount) return undefined;
    return btf.typeById(id);
  }
}
