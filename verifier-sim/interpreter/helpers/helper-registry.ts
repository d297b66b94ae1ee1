/**
 * The simulated helpers by id. Ids come from the helper table of `ebpf-bytecode-utils`, looked
 * up by name, so this file cannot disagree with it.
 * @module
 */

import { helperByName } from 'ebpf-bytecode-utils';
import type { HelperFn } from './helper-context.js';
import { bpfLoop } from './loop-helpers.js';
import { bpfForEachMapElem } from './for-each-helpers.js';
import { mapDeleteElem, mapLookupElem, mapLookupPercpuElem, mapPeekElem, mapPopElem, mapPushElem, mapUpdateElem } from './map-helpers.js';
import { probeReadCompat, probeReadKernel, probeReadKernelStr, probeReadStrCompat, probeReadUser, probeReadUserStr } from './memory-helpers.js';
import { perfEventOutput, ringbufDiscard, ringbufOutput, ringbufQuery, ringbufReserve, ringbufSubmit, tracePrintk } from './output-helpers.js';
import { skbLoadBytes, xdpAdjustHead, xdpAdjustMeta, xdpAdjustTail } from './packet-helpers.js';
import { getStackid } from './stack-helpers.js';
import { csumDiff, l3CsumReplace, l4CsumReplace, skbLoadBytesRelative, skbPullData, skbStoreBytes } from './skb-write-helpers.js';
import { xdpGetBuffLen, xdpLoadBytes, xdpStoreBytes } from './xdp-bytes-helpers.js';
import { strtol, strtoul } from './string-helpers.js';
import { getSocketUid, skbAncestorCgroupId, skbCgroupId } from './skb-socket-helpers.js';
import { getCurrentAncestorCgroupId, getCurrentCgroupId, getNsCurrentPidTgid, jiffies64 } from './namespace-helpers.js';
import { csumLevel, csumUpdate, getRouteRealm, redirect, redirectNeigh, redirectPeer, setHash, setHashInvalid, skbChangeType } from './skb-metadata-helpers.js';
import { getListenerSock, skFullsock, skLookupTcp, skLookupUdp, skRelease, skcLookupTcp, tcpSock } from './socket-helpers.js';
import { getCurrentComm, getCurrentPidTgid, getCurrentUidGid, getNumaNodeId, getPrandomU32, getSmpProcessorId, ktimeGetNs } from './task-helpers.js';

const byName: Readonly<Record<string, HelperFn>> = {
  bpf_map_lookup_elem: mapLookupElem,
  bpf_map_update_elem: mapUpdateElem,
  bpf_map_delete_elem: mapDeleteElem,
  bpf_map_push_elem: mapPushElem,
  bpf_map_pop_elem: mapPopElem,
  bpf_map_peek_elem: mapPeekElem,
  bpf_map_lookup_percpu_elem: mapLookupPercpuElem,
  bpf_ktime_get_ns: ktimeGetNs,
  bpf_ktime_get_boot_ns: ktimeGetNs,
  bpf_ktime_get_coarse_ns: ktimeGetNs,
  bpf_ktime_get_tai_ns: ktimeGetNs,
  bpf_get_current_pid_tgid: getCurrentPidTgid,
  bpf_get_current_uid_gid: getCurrentUidGid,
  bpf_get_current_comm: getCurrentComm,
  bpf_get_prandom_u32: getPrandomU32,
  bpf_get_smp_processor_id: getSmpProcessorId,
  bpf_get_numa_node_id: getNumaNodeId,
  bpf_trace_printk: tracePrintk,
  bpf_perf_event_output: perfEventOutput,
  bpf_ringbuf_output: ringbufOutput,
  bpf_ringbuf_reserve: ringbufReserve,
  bpf_ringbuf_submit: ringbufSubmit,
  bpf_ringbuf_discard: ringbufDiscard,
  bpf_ringbuf_query: ringbufQuery,
  bpf_probe_read: probeReadCompat,
  bpf_probe_read_kernel: probeReadKernel,
  bpf_probe_read_user: probeReadUser,
  bpf_probe_read_str: probeReadStrCompat,
  bpf_probe_read_kernel_str: probeReadKernelStr,
  bpf_probe_read_user_str: probeReadUserStr,
  bpf_skb_load_bytes: skbLoadBytes,
  bpf_xdp_adjust_head: xdpAdjustHead,
  bpf_xdp_adjust_tail: xdpAdjustTail,
  bpf_xdp_adjust_meta: xdpAdjustMeta,
  bpf_get_stackid: getStackid,
  bpf_loop: bpfLoop,
  bpf_for_each_map_elem: bpfForEachMapElem,
  bpf_sk_lookup_tcp: skLookupTcp,
  bpf_sk_lookup_udp: skLookupUdp,
  bpf_skc_lookup_tcp: skcLookupTcp,
  bpf_sk_release: skRelease,
  bpf_sk_fullsock: skFullsock,
  bpf_tcp_sock: tcpSock,
  bpf_get_listener_sock: getListenerSock,
  bpf_skb_store_bytes: skbStoreBytes,
  bpf_l3_csum_replace: l3CsumReplace,
  bpf_l4_csum_replace: l4CsumReplace,
  bpf_csum_diff: csumDiff,
  bpf_skb_load_bytes_relative: skbLoadBytesRelative,
  bpf_skb_pull_data: skbPullData,
  bpf_xdp_load_bytes: xdpLoadBytes,
  bpf_xdp_store_bytes: xdpStoreBytes,
  bpf_xdp_get_buff_len: xdpGetBuffLen,
  bpf_strtol: strtol,
  bpf_strtoul: strtoul,
  bpf_get_ns_current_pid_tgid: getNsCurrentPidTgid,
  bpf_jiffies64: jiffies64,
  bpf_get_current_cgroup_id: getCurrentCgroupId,
  bpf_get_current_ancestor_cgroup_id: getCurrentAncestorCgroupId,
  bpf_skb_cgroup_id: skbCgroupId,
  bpf_skb_ancestor_cgroup_id: skbAncestorCgroupId,
  bpf_get_socket_uid: getSocketUid,
  bpf_csum_update: csumUpdate,
  bpf_csum_level: csumLevel,
  bpf_set_hash: setHash,
  bpf_set_hash_invalid: setHashInvalid,
  bpf_skb_change_type: skbChangeType,
  bpf_get_route_realm: getRouteRealm,
  bpf_redirect: redirect,
  bpf_redirect_peer: redirectPeer,
  bpf_redirect_neigh: redirectNeigh,
};

/** Simulated helpers indexed by helper id (undefined: not simulated). `bpf_tail_call` is handled by the interpreter itself. */
export const helperFunctions: readonly (HelperFn | undefined)[] = (() => {
  const table: (HelperFn | undefined)[] = [];
  for (const [name, fn] of Object.entries(byName)) {
    const h = helperByName(name);
    if (h === undefined) throw new Error(`helper table has no ${name}`);
    table[h.id] = fn;
  }
  return table;
})();

/** The id of `bpf_tail_call`. */
export const TAIL_CALL_ID: number = helperByName('bpf_tail_call')?.id ?? 12;
