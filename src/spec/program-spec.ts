/**
 * The validated form of a program spec (DESIGN.md, "Program spec"): what `parseProgramSpec`
 * returns and `tsbpf verify`, `kload`, `run` and `krun` consume. Plain data: no fds, no kernel.
 * @module
 */

/** An element to store in a map before the program runs (`init`). */
export interface SpecMapInit {
  /** The key bytes (`keySize` long). */
  readonly key: Uint8Array;
  /** The value bytes (`valueSize` long; for per-CPU maps one CPU's value, stored for every CPU, or all CPUs' slots). */
  readonly value: Uint8Array;
}

/** A program to place in a `prog_array` slot (`progs`). */
export interface SpecSlotProgram {
  /** The slot index. */
  readonly key: number;
  /** Its bytecode (same program type as the main program). */
  readonly insns: Uint8Array;
  /** The map references in `insns`. */
  readonly mapRefs: readonly SpecMapRef[];
}

/** One map of a spec. Types are numbers here, whatever form the JSON used. */
export interface SpecMap {
  /** `enum bpf_map_type` value. */
  readonly type: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Capacity. */
  readonly maxEntries: number;
  /** `BPF_F_*` flags (0 when absent). */
  readonly flags: number;
  /** Name, when given. */
  readonly name?: string;
  /** NUMA node, when given. */
  readonly numaNode?: number;
  /** `map_extra`, when given. */
  readonly mapExtra?: bigint;
  /** The inner map of a map-in-map. */
  readonly innerMap?: SpecMap;
  /**
   * libbpf's pin-by-name (`"pinning": "by_name"`): the map is pinned at `<pin root>/<name>`, and a
   * compatible map already pinned there is reused instead of creating one (its contents kept:
   * `init` is applied only to a map created now). Absent for `"none"`.
   */
  readonly pinning?: 'by_name';
  /** Contents before the program runs. */
  readonly init: readonly SpecMapInit[];
  /** Programs for the slots of a `prog_array`. */
  readonly progs: readonly SpecSlotProgram[];
}

/**
 * A `ld_imm64` that refers to a map: `src_reg` 1 (`BPF_PSEUDO_MAP_FD`) or 5
 * (`BPF_PSEUDO_MAP_IDX`) loads a pointer to `maps[map]`; 2 (`BPF_PSEUDO_MAP_VALUE`) or 6
 * (`BPF_PSEUDO_MAP_IDX_VALUE`) a pointer to its value at `offset`.
 */
export interface SpecMapRef {
  /** The 8-byte slot of the `ld_imm64`. */
  readonly slot: number;
  /** Its src_reg: 1, 2, 5 or 6. */
  readonly srcReg: 1 | 2 | 5 | 6;
  /** Index into the spec's maps. */
  readonly map: number;
  /** Offset into the value (src_reg 2 and 6; 0 otherwise). */
  readonly offset: number;
}

/** A validated program spec. */
export interface ProgramSpecFile {
  /** `enum bpf_prog_type` value. */
  readonly progType: number;
  /** `enum bpf_attach_type` value, or null. */
  readonly expectedAttachType: number | null;
  /** License (`'GPL'` when absent). */
  readonly license: string;
  /** `BPF_F_*` load flags (0 when absent). */
  readonly progFlags: number;
  /** The bytecode as written (map references not yet rewritten). */
  readonly insns: Uint8Array;
  /** The map references found in `insns`. */
  readonly mapRefs: readonly SpecMapRef[];
  /** The maps `insns` refers to, by index. */
  readonly maps: readonly SpecMap[];
  /** Program name, when given. */
  readonly name?: string;
  /** `kern_version`, when given. */
  readonly kernVersion?: number;
}
