/**
 * `bpf_for_each_map_elem`: calls a callback subprogram on every element of an array or hash
 * map (kernel/bpf/arraymap.c `bpf_for_each_array_elem`, hashtab.c `bpf_for_each_hash_elem`).
 * @module
 */

import { Errno } from '../errno.js';
import { InterpreterError } from '../errors.js';
import { argCallback, argMap, argU64, setR0 } from './args.js';
import type { HelperFn } from './helper-context.js';

/** Map types whose elements the helper walks (those with `map_for_each_callback`). */
const WALKABLE: ReadonlySet<string> = new Set(['array', 'percpu_array', 'hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash']);

/**
 * `long bpf_for_each_map_elem(map, callback_fn, callback_ctx, flags)`: calls
 * `callback_fn(map, key, value, ctx)` per element (this CPU's value of per-CPU maps; the key
 * read-only, the value the map's own) until it returns non-zero; returns the number of
 * elements visited, counting the one that stopped the walk. Elements deleted by an earlier
 * call are skipped.
 */
export const bpfForEachMapElem: HelperFn = (h) => {
  const map = argMap(h, 1, 'bpf_for_each_map_elem');
  if (!WALKABLE.has(map.type)) throw new InterpreterError('helper_args', h.insn, `bpf_for_each_map_elem: map '${map.name}' of type ${map.type} cannot be walked`, { helper: 'bpf_for_each_map_elem' });
  const callback = argCallback(h, 2, 'bpf_for_each_map_elem');
  if (argU64(h, 4) !== 0n) {
    setR0(h, -Errno.EINVAL);
    return;
  }
  const mapPtr = h.memory.mapRegion(map);
  const args = [0, mapPtr.baseHi, mapPtr.id, 0, 0, 0, 0, 0, 0, h.lo[3], h.hi[3], h.tag[3]];
  let visited = 0;
  for (const [key] of map.entries()) {
    const value = map.lookupElem(key, 0, h.cpu);
    if (value === undefined) continue;
    const keyRegion = h.memory.add('mem', key, { writable: false, label: `map '${map.name}' key` });
    const valueRegion = h.memory.valueRegion(map, value);
    args[4] = keyRegion.baseHi;
    args[5] = keyRegion.id;
    args[7] = valueRegion.baseHi;
    args[8] = valueRegion.id;
    visited++;
    h.invoke(callback, args);
    if (h.lo[0] !== 0 || h.hi[0] !== 0) break;
  }
  setR0(h, visited);
};
