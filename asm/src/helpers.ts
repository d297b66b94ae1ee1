/**
 * The helper table: every BPF helper of `include/uapi/linux/bpf.h` up to Linux 6.18 with its
 * prototype (from the kernel's `bpf_func_proto` definitions) and the program types whose
 * `get_func_proto` offers it. The data lives in `helper-table.generated.ts`, produced by
 * `scripts/gen-kernel-tables.ts` from a kernel source tree.
 * @module
 */

import { helperTable } from './helper-table.generated.js';

/** Argument kinds of a helper (`enum bpf_arg_type`, with the kernel's `ARG_` names). */
export type HelperArgKind = string;

/** One helper: id, name, prototype, license and program types. */
export interface Helper {
  /** `BPF_FUNC_…` id. */
  readonly id: number;
  /** Name as the kernel prints it, with the `bpf_` prefix: `bpf_map_lookup_elem`. */
  readonly name: string;
  /** Return kind (`RET_INTEGER`, `RET_PTR_TO_MAP_VALUE_OR_NULL`, …); null when no prototype was found. */
  readonly ret: string | null;
  /** Argument kinds, `ARG_…` names with modifiers joined by `|` (e.g. `ARG_PTR_TO_MEM|MEM_RDONLY`). */
  readonly args: readonly HelperArgKind[];
  /** Whether the helper is GPL-only (`gpl_only = true`). */
  readonly gplOnly: boolean;
  /** Program type names (`socket_filter`, `kprobe`, …) whose func_proto tables offer the helper. */
  readonly programTypes: readonly string[];
  /** C name of the `bpf_func_proto` that `ret`/`args`/`gplOnly` come from (e.g. `bpf_get_stackid_proto`). */
  readonly proto?: string;
  /**
   * Other `bpf_func_proto` definitions the kernel returns for this id in some program types
   * (e.g. `bpf_get_stackid_proto_tp`); their arguments may differ from `args`.
   */
  readonly otherProtos?: readonly string[];
}

const byName = new Map<string, Helper>();
for (const h of helperTable) if (h) byName.set(h.name, h);

/** Every helper, indexed by id (index 0 is `unspec`). */
export const helpers: readonly Helper[] = helperTable;

/** The helper with `id`, or undefined. */
export function helperById(id: number): Helper | undefined {
  return id >= 0 && id < helperTable.length ? helperTable[id] : undefined;
}

/** The helper called `name` (with or without the `bpf_` prefix), or undefined. */
export function helperByName(name: string): Helper | undefined {
  return byName.get(name) ?? byName.get(`bpf_${name}`);
}
