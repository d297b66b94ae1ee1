/**
 * Which helpers may take which map types (`check_map_func_compatibility()` in
 * kernel/bpf/verifier.c): checked both ways, from the map's side and from the helper's.
 * Helpers are named without the `bpf_` prefix, maps by their lower-case type names.
 * @module
 */

/** Map type → the only helpers that accept it (maps not listed accept any helper). */
const MAP_SIDE: Readonly<Record<string, readonly string[]>> = {
  prog_array: ['tail_call'],
  perf_event_array: ['perf_event_read', 'perf_event_output', 'skb_output', 'perf_event_read_value', 'xdp_output'],
  ringbuf: ['ringbuf_output', 'ringbuf_reserve', 'ringbuf_query', 'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr'],
  user_ringbuf: ['user_ringbuf_drain'],
  stack_trace: ['get_stackid'],
  cgroup_array: ['skb_under_cgroup', 'current_task_under_cgroup'],
  cgroup_storage: ['get_local_storage'],
  percpu_cgroup_storage: ['get_local_storage'],
  devmap: ['redirect_map', 'map_lookup_elem'],
  devmap_hash: ['redirect_map', 'map_lookup_elem'],
  cpumap: ['redirect_map'],
  xskmap: ['redirect_map', 'map_lookup_elem'],
  array_of_maps: ['map_lookup_elem'],
  hash_of_maps: ['map_lookup_elem'],
  reuseport_sockarray: ['sk_select_reuseport'],
  queue: ['map_peek_elem', 'map_pop_elem', 'map_push_elem'],
  stack: ['map_peek_elem', 'map_pop_elem', 'map_push_elem'],
  sk_storage: ['sk_storage_get', 'sk_storage_delete', 'kptr_xchg'],
  inode_storage: ['inode_storage_get', 'inode_storage_delete', 'kptr_xchg'],
  task_storage: ['task_storage_get', 'task_storage_delete', 'kptr_xchg'],
  cgrp_storage: ['cgrp_storage_get', 'cgrp_storage_delete', 'kptr_xchg'],
  bloom_filter: ['map_peek_elem', 'map_push_elem'],
};

/** Helper → the only map types it accepts (helpers not listed accept any map). */
const HELPER_SIDE: Readonly<Record<string, readonly string[]>> = {
  tail_call: ['prog_array'],
  perf_event_read: ['perf_event_array'],
  perf_event_output: ['perf_event_array'],
  perf_event_read_value: ['perf_event_array'],
  skb_output: ['perf_event_array'],
  xdp_output: ['perf_event_array'],
  ringbuf_output: ['ringbuf'],
  ringbuf_reserve: ['ringbuf'],
  ringbuf_query: ['ringbuf'],
  ringbuf_reserve_dynptr: ['ringbuf'],
  ringbuf_submit_dynptr: ['ringbuf'],
  ringbuf_discard_dynptr: ['ringbuf'],
  user_ringbuf_drain: ['user_ringbuf'],
  get_stackid: ['stack_trace'],
  current_task_under_cgroup: ['cgroup_array'],
  skb_under_cgroup: ['cgroup_array'],
  redirect_map: ['devmap', 'devmap_hash', 'cpumap', 'xskmap'],
  sk_redirect_map: ['sockmap'],
  msg_redirect_map: ['sockmap'],
  sock_map_update: ['sockmap'],
  sk_redirect_hash: ['sockhash'],
  msg_redirect_hash: ['sockhash'],
  sock_hash_update: ['sockhash'],
  get_local_storage: ['cgroup_storage', 'percpu_cgroup_storage'],
  sk_select_reuseport: ['reuseport_sockarray', 'sockmap', 'sockhash'],
  map_pop_elem: ['queue', 'stack'],
  map_peek_elem: ['queue', 'stack', 'bloom_filter'],
  map_push_elem: ['queue', 'stack', 'bloom_filter'],
  map_lookup_percpu_elem: ['percpu_array', 'percpu_hash', 'lru_percpu_hash'],
  sk_storage_get: ['sk_storage'],
  sk_storage_delete: ['sk_storage'],
  inode_storage_get: ['inode_storage'],
  inode_storage_delete: ['inode_storage'],
  task_storage_get: ['task_storage'],
  task_storage_delete: ['task_storage'],
  cgrp_storage_get: ['cgrp_storage'],
  cgrp_storage_delete: ['cgrp_storage'],
};

/** Whether helper `helper` (name without `bpf_`) may take a map of type `mapType` (lower-case name). */
export function mapFitsHelper(mapType: string, helper: string): boolean {
  const allowed = MAP_SIDE[mapType];
  if (allowed !== undefined && !allowed.includes(helper)) {
    // sockmap/sockhash also allow map_update/delete in some program types; not modelled.
    return false;
  }
  const maps = HELPER_SIDE[helper];
  return maps === undefined || maps.includes(mapType);
}
