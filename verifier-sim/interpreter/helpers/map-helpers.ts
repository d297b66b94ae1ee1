/**
 * Map helpers: `bpf_map_lookup_elem`, `_update_elem`, `_delete_elem`, `_push_elem`,
 * `_pop_elem`, `_peek_elem`, `bpf_map_lookup_percpu_elem`. A lookup returns a pointer into the
 * value's own region, so stores through it change the map.
 * @module
 */

import { argMap, argMem, argU32, argU64, setR0, setR0Pointer } from './args.js';
import type { HelperFn } from './helper-context.js';

/** `void *bpf_map_lookup_elem(map, key)`: a value pointer or NULL. */
export const mapLookupElem: HelperFn = (h) => {
  const map = argMap(h, 1, 'bpf_map_lookup_elem');
  const key = argMem(h, 2, map.keySize, 'read', 'bpf_map_lookup_elem');
  const v = map.lookupElem(key.region.bytes, key.offset, h.cpu);
  if (v === undefined) setR0(h, 0);
  else setR0Pointer(h, h.memory.valueRegion(map, v), 0);
};

/** `void *bpf_map_lookup_percpu_elem(map, key, cpu)`: CPU `cpu`'s value pointer or NULL. */
export const mapLookupPercpuElem: HelperFn = (h) => {
  const map = argMap(h, 1, 'bpf_map_lookup_percpu_elem');
  const key = argMem(h, 2, map.keySize, 'read', 'bpf_map_lookup_percpu_elem');
  const cpu = argU32(h, 3);
  const v = cpu < map.cpus ? map.lookupElem(key.region.bytes, key.offset, cpu) : undefined;
  if (v === undefined) setR0(h, 0);
  else setR0Pointer(h, h.memory.valueRegion(map, v), 0);
};

/** `long bpf_map_update_elem(map, key, value, flags)`. */
export const mapUpdateElem: HelperFn = (h) => {
  const map = argMap(h, 1, 'bpf_map_update_elem');
  const key = argMem(h, 2, map.keySize, 'read', 'bpf_map_update_elem');
  const value = argMem(h, 3, map.valueSize, 'read', 'bpf_map_update_elem');
  setR0(h, map.updateElem(key.region.bytes, key.offset, value.region.bytes, value.offset, argU64(h, 4), h.cpu));
};

/** `long bpf_map_delete_elem(map, key)`. */
export const mapDeleteElem: HelperFn = (h) => {
  const map = argMap(h, 1, 'bpf_map_delete_elem');
  const key = argMem(h, 2, map.keySize, 'read', 'bpf_map_delete_elem');
  setR0(h, map.deleteElem(key.region.bytes, key.offset));
};

/** `long bpf_map_push_elem(map, value, flags)`. */
export const mapPushElem: HelperFn = (h) => {
  const map = argMap(h, 1, 'bpf_map_push_elem');
  const value = argMem(h, 2, map.valueSize, 'read', 'bpf_map_push_elem');
  setR0(h, map.pushElem(value.region.bytes, value.offset, argU64(h, 3)));
};

function popOrPeek(name: string, remove: boolean): HelperFn {
  return (h) => {
    const map = argMap(h, 1, name);
    const dst = argMem(h, 2, map.valueSize, 'write', name);
    const r = map.popElem(remove);
    if (typeof r === 'number') {
      // An empty queue/stack zeroes the destination (`__queue_map_get`).
      h.memory.write(dst, new Uint8Array(map.valueSize));
      setR0(h, r);
      return;
    }
    h.memory.write(dst, r);
    setR0(h, 0);
  };
}

/** `long bpf_map_pop_elem(map, value)`. */
export const mapPopElem: HelperFn = popOrPeek('bpf_map_pop_elem', true);
/** `long bpf_map_peek_elem(map, value)`. */
export const mapPeekElem: HelperFn = popOrPeek('bpf_map_peek_elem', false);
