/**
 * Facts about the `bpf_for_each_map_elem` helper that `$.forEachElem` compiles to:
 * `long bpf_for_each_map_elem(struct bpf_map *map, long (*callback_fn)(struct bpf_map *map,
 * const void *key, void *value, void *ctx), void *callback_ctx, u64 flags)`. The callback is a
 * subprogram whose address is loaded with `ld_imm64` (`BPF_PSEUDO_FUNC`); it returns 0 to go on
 * and 1 to stop (the verifier refuses any other value); `flags` must be 0. The helper returns the
 * number of elements visited. Requires Linux 5.13.
 * @module
 */

/**
 * The map types whose `map_for_each_callback` the kernel implements (kernel/bpf/hashtab.c,
 * arraymap.c), by the eDSL's map type names.
 */
export const FOR_EACH_MAP_TYPES: ReadonlySet<string> = new Set(['hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash', 'array', 'percpu_array']);

/** The name (BTF `FUNC` and dumps) of the `n`th function of a program when it is a `$.forEachElem` callback. */
export function forEachCallbackName(n: number): string {
  return `for_each_cb${n}`;
}
