/**
 * Typed context of `tp_btf` programs (BPF_PROG_TYPE_TRACING with expected attach type
 * BPF_TRACE_RAW_TP): the attach target (`attach_btf_id`, a `btf_trace_<tracepoint>` typedef in
 * vmlinux BTF) is checked at load (`bpf_check_attach_target`), and context loads read the
 * tracepoint's arguments as `btf_ctx_access` (kernel/bpf/btf.c) types them: scalars, or trusted
 * pointers to kernel structs (maybe NULL for the arguments the kernel's `raw_tp_null_args`
 * table lists, scalars for those that may hold an error pointer). The context of fentry/fexit,
 * LSM and iterator programs is not simulated.
 * @module
 */

import type { FuncProto, Param, Type } from 'ebpf-bytecode-utils';
import { TypeFlag } from './btf-pointee.js';
import { pointeeOf } from './btf-id-access.js';
import { btfTypeName, skipModifiers } from './btf-struct-walk.js';
import { markKnown, markUnknown } from './scalar-bounds.js';
import type { VerifierEnv } from './verifier-env.js';
import { RejectError } from './verifier-error.js';
import { zeroBounds } from './verifier-state.js';

/** `BPF_TRACE_RAW_TP`. */
const TRACE_RAW_TP = 23;
/** `MAX_BPF_FUNC_ARGS`. */
const MAX_FUNC_ARGS = 12;

/**
 * `raw_tp_null_args` (kernel/bpf/btf.c, Linux 6.18): per tracepoint, 4 bits per argument — bit 0
 * the argument may be NULL, bit 1 it may be an error pointer.
 */
const RAW_TP_NULL_ARGS: Readonly<Record<string, number>> = {
  sched_pi_setprio: 0x10,
  sched_stick_numa: 0x100,
  sched_swap_numa: 0x100,
  afs_make_fs_call: 0x10,
  afs_make_fs_calli: 0x10,
  afs_make_fs_call1: 0x10,
  afs_make_fs_call2: 0x10,
  afs_protocol_error: 0x1,
  afs_flock_ev: 0x10,
  cachefiles_lookup: 0x1 | 0x200,
  cachefiles_unlink: 0x1,
  cachefiles_rename: 0x1,
  cachefiles_prep_read: 0x1,
  cachefiles_mark_active: 0x1,
  cachefiles_mark_failed: 0x1,
  cachefiles_mark_inactive: 0x1,
  cachefiles_vfs_error: 0x1,
  cachefiles_io_error: 0x1,
  cachefiles_ondemand_open: 0x1,
  cachefiles_ondemand_copen: 0x1,
  cachefiles_ondemand_close: 0x1,
  cachefiles_ondemand_read: 0x1,
  cachefiles_ondemand_cread: 0x1,
  cachefiles_ondemand_fd_write: 0x1,
  cachefiles_ondemand_fd_release: 0x1,
  ext4_mballoc_discard: 0x10,
  ext4_mballoc_free: 0x10,
  fib_table_lookup: 0x100,
  posix_lock_inode: 0x10,
  fcntl_setlk: 0x10,
  locks_remove_posix: 0x10,
  flock_lock_inode: 0x10,
  break_lease_noblock: 0x10,
  break_lease_block: 0x10,
  break_lease_unblock: 0x10,
  generic_delete_lease: 0x10,
  time_out_leases: 0x10,
  host1x_cdma_push_gather: 0x10000,
  mm_khugepaged_scan_pmd: 0x10,
  mm_collapse_huge_page_isolate: 0x1,
  mm_khugepaged_scan_file: 0x10,
  mm_khugepaged_collapse_file: 0x10,
  mm_page_alloc: 0x1,
  mm_page_pcpu_drain: 0x1,
  mm_page_alloc_zone_locked: 0x1,
  netfs_failure: 0x10,
  device_pm_callback_start: 0x10,
  qdisc_dequeue: 0x1000,
  rxrpc_recvdata: 0x1,
  rxrpc_resend: 0x10,
  rxrpc_tq: 0x10,
  rxrpc_client: 0x1,
  kfree_skb: 0x1000,
  xs_stream_read_data: 0x1,
  xprt_reserve_cong: 0x10,
  xprt_release_cong: 0x10,
  xprt_get_cong: 0x10,
  xprt_put_cong: 0x10,
  tcp_send_reset: 0x11,
  tcp_sendmsg_locked: 0x100,
  tegra_dma_tx_status: 0x100,
  tmigr_update_events: 0x1,
  writeback_dirty_folio: 0x10,
  folio_wait_writeback: 0x10,
  mr_integ_alloc: 0x2000,
  bpf_testmod_test_read: 0x0,
  amdgpu_vm_bo_map: 0x1,
  amdgpu_vm_bo_unmap: 0x1,
  netfs_folioq: 0x1,
  xfs_defer_create_intent: 0x1,
  xfs_defer_cancel_list: 0x1,
  xfs_defer_pending_finish: 0x1,
  xfs_defer_pending_abort: 0x1,
  xfs_defer_relog_intent: 0x1,
  xfs_defer_isolate_paused: 0x1,
  xfs_defer_item_pause: 0x1,
  xfs_defer_item_unpause: 0x1,
  xfs_defer_add_item: 0x1,
  xfs_defer_cancel_item: 0x1,
  xfs_defer_finish_item: 0x1,
  xfs_ioc_free_eofblocks: 0x10,
  xfs_blockgc_free_space: 0x10,
  xfs_btree_updkeys: 0x100,
  xfs_btree_overlapped_query_range: 0x100,
  xfs_map_blocks_found: 0x10000,
  xfs_map_blocks_alloc: 0x10000,
  xfs_iomap_alloc: 0x1000,
  xfs_iomap_found: 0x1000,
  xfs_inodegc_flush: 0x1,
  xfs_inodegc_push: 0x1,
  xfs_inodegc_start: 0x1,
  xfs_inodegc_stop: 0x1,
  xfs_inodegc_queue: 0x1,
  xfs_inodegc_throttle: 0x1,
  xfs_fs_sync_fs: 0x1,
  xfs_blockgc_start: 0x1,
  xfs_blockgc_stop: 0x1,
  xfs_blockgc_worker: 0x1,
  xfs_blockgc_flush_all: 0x1,
  xchk_nlinks_live_update: 0x10,
  xchk_metapath_lookup: 0x100,
  nfsd_dirent: 0x1,
  nfsd_file_acquire: 0x1001,
  nfsd_file_insert_err: 0x1,
  nfsd_file_cons_err: 0x1,
  nfs4_setup_sequence: 0x1,
  pnfs_update_layout: 0x10000,
  nfs4_inode_callback_event: 0x200,
  nfs4_inode_stateid_callback_event: 0x200,
  pnfs_mds_fallback_pg_init_read: 0x10000,
  pnfs_mds_fallback_pg_init_write: 0x10000,
  pnfs_mds_fallback_pg_get_mirror_count: 0x10000,
  pnfs_mds_fallback_read_done: 0x10000,
  pnfs_mds_fallback_write_done: 0x10000,
  pnfs_mds_fallback_read_pagelist: 0x10000,
  pnfs_mds_fallback_write_pagelist: 0x10000,
  coda_dec_pic_run: 0x10,
  coda_dec_pic_done: 0x10,
  cfg80211_scan_done: 0x11,
  rdev_set_coalesce: 0x10,
  cfg80211_report_wowlan_wakeup: 0x100,
  cfg80211_inform_bss_frame: 0x100,
  cfg80211_michael_mic_failure: 0x10000,
  wiphy_work_queue: 0x10,
  wiphy_work_run: 0x10,
  wiphy_work_cancel: 0x10,
  wiphy_work_flush: 0x10,
  hugetlbfs_alloc_inode: 0x10,
  spufs_context: 0x10,
  kvm_page_fault_enter: 0x100,
  dpu_crtc_setup_mixer: 0x100,
  binder_transaction: 0x100,
  btree_path_free: 0x100,
  hfi1_sdma_progress: 0x1000,
  iptfs_ingress_postq_event: 0x1000,
  neigh_update: 0x10,
  amdtp_packet: 0x100,
};

/** A `tp_btf` program's target: the tracepoint name and its `btf_trace_` prototype (with `void *__data` first). */
interface RawTpTarget {
  readonly name: string;
  readonly proto: FuncProto;
}

function reject(env: VerifierEnv, msg: string, extra: readonly string[] = []): never {
  throw new RejectError(msg, env.insnIdx, extra);
}

/** Whether the run is a `tp_btf` program (tracing with BPF_TRACE_RAW_TP). */
export function isRawTpBtf(env: VerifierEnv): boolean {
  return env.progType === 'tracing' && env.attachType === TRACE_RAW_TP;
}

/** The target of a `tp_btf` program, or the kernel's load-time error (`bpf_check_attach_target`). */
function rawTpTarget(env: VerifierEnv): RawTpTarget {
  const id = env.attachBtfId;
  if (id === null || id === 0) throw new RejectError('Tracing programs must provide btf_id', 0);
  const kbtf = env.kernelBtf;
  const t = kbtf.typeById(id);
  if (t === undefined) throw new RejectError(`attach_btf_id ${id} is invalid`, 0);
  const name = 'name' in t ? t.name : '';
  if (name === '') throw new RejectError(`attach_btf_id ${id} doesn't have a name`, 0);
  if (t.kind !== 'typedef') throw new RejectError(`attach_btf_id ${id} is not a typedef`, 0);
  if (!name.startsWith('btf_trace_')) throw new RejectError(`attach_btf_id ${id} points to wrong type name ${name}`, 0);
  const ptr = t.target;
  const proto = ptr.kind === 'ptr' ? ptr.target : undefined;
  if (proto === undefined || proto.kind !== 'func_proto') throw new RejectError(`attach_btf_id ${id} type ${name} is not a pointer to a function prototype`, 0);
  return { name: name.slice('btf_trace_'.length), proto };
}

/**
 * Load-time checks of `tp_btf` programs: a valid `btf_trace_` target in the kernel BTF. (Other
 * tracing attach types keep the simulator's earlier behaviour: their context is not simulated.)
 */
export function checkTracingAttach(env: VerifierEnv): void {
  if (!isRawTpBtf(env)) return;
  if (env.kernelBtf.btf === undefined) throw new RejectError('Tracing programs must provide btf_id', 0);
  rawTpTarget(env);
}

function sizeOf(t: Type): number {
  t = skipModifiers(t);
  switch (t.kind) {
    case 'ptr':
      return 8;
    case 'int': case 'enum': case 'enum64': case 'struct': case 'union': case 'float':
      return t.size;
    default:
      return 0;
  }
}

/** `btf_ctx_arg_idx`: the index in the full prototype of the argument at byte `off` of the context. */
function ctxArgIndex(proto: FuncProto, off: number): number {
  let offset = 0;
  const params: readonly Param[] = proto.params;
  for (let i = 0; i < params.length; i++) {
    const t = skipModifiers(params[i].type);
    offset += t.kind === 'ptr' ? 8 : Math.ceil(sizeOf(t) / 8) * 8;
    if (off < offset) return i;
  }
  const r = skipModifiers(proto.returns);
  offset += r.kind === 'ptr' ? 8 : Math.ceil(sizeOf(r) / 8) * 8;
  return off < offset ? params.length : params.length + 1;
}

/** `btf_type_str`: `STRUCT`, `INT`, `PTR`, … */
function kindText(t: Type): string {
  return t.kind === 'void' ? 'UNKN' : t.kind.toUpperCase();
}

/** `is_void_or_int_ptr`: a pointer to void or to an integer (read as a scalar). */
function isVoidOrIntPtr(t: Type): boolean {
  if (t.kind !== 'ptr') return false;
  const p = skipModifiers(t.target);
  return p.kind === 'void' || p.kind === 'int';
}

/**
 * A context access of a `tp_btf` program (`tracing_prog_is_valid_access` + `btf_ctx_access`):
 * reads only, at most the 12 argument slots, aligned to the size; a read puts the typed argument
 * into `valueRegno`. Failures log the kernel's reason, then `invalid bpf_context access`.
 */
export function checkRawTpCtxAccess(env: VerifierEnv, off: number, size: number, write: boolean, valueRegno: number): void {
  const invalid = `invalid bpf_context access off=${off} size=${size}`;
  if (off < 0 || off >= 8 * MAX_FUNC_ARGS || write || off % size !== 0) reject(env, invalid);
  const { name, proto } = rawTpTarget(env);
  if (off % 8 !== 0) reject(env, `func '${name}' offset ${off} is not multiple of 8`, [invalid]);
  const arg = ctxArgIndex(proto, off);
  const args = proto.params.slice(1);
  if (arg >= args.length) reject(env, `func '${name}' doesn't have ${arg + 1}-th argument`, [invalid]);
  const t = skipModifiers(args[arg].type);
  const dst = valueRegno >= 0 ? env.cur.regs[valueRegno] : null;
  if (t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64' || t.kind === 'struct' || t.kind === 'union') {
    if (dst !== null) markUnknown(dst);
    return;
  }
  if (t.kind !== 'ptr') reject(env, `func '${name}' arg${arg} '${btfTypeName(t)}' has type ${kindText(t)}. Only pointer access is allowed`, [invalid]);
  if (size !== 8) reject(env, `func '${name}' size ${size} must be 8`, [invalid]);
  if (isVoidOrIntPtr(t)) {
    if (dst !== null) markUnknown(dst);
    return;
  }
  // The argument's 4 bits of the mask (masks reach past 32 bits: no bitwise shifts).
  const bits = Math.floor((RAW_TP_NULL_ARGS[name] ?? 0) / 2 ** (arg * 4)) % 16;
  const maybeNull = args[arg].name.endsWith('__nullable') || (bits & 1) !== 0;
  const maybeErr = (bits & 2) !== 0;
  let flags = TypeFlag.TRUSTED;
  let pointee = t.target;
  if (pointee.kind === 'type_tag' && !pointee.attribute) {
    if (pointee.value === 'user') flags |= TypeFlag.USER;
    if (pointee.value === 'percpu') flags |= TypeFlag.PERCPU;
  }
  pointee = skipModifiers(pointee);
  if (pointee.kind !== 'struct' && pointee.kind !== 'union') reject(env, `func '${name}' arg${arg} type ${kindText(pointee)} is not a struct`, [invalid]);
  const kbtf = env.kernelBtf;
  if (env.log.enabled) env.log.write(`func '${name}' arg${arg} has btf_id ${kbtf.btf!.idOf(pointee) ?? 0} type ${kindText(pointee)} '${btfTypeName(pointee)}'\n`);
  if (maybeErr) {
    if (env.log.enabled) env.log.write(`marking pointer arg${arg} as scalar as it may encode error`);
    if (dst !== null) markUnknown(dst);
    return;
  }
  if (dst === null) return;
  markKnown(dst, 0n);
  zeroBounds(dst);
  dst.type = 'btf_id';
  dst.btf = pointeeOf(kbtf, pointee);
  dst.typeFlags = flags;
  dst.maybeNull = maybeNull;
  if (maybeNull) dst.id = ++env.idGen;
}
