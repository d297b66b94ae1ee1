/**
 * `BPF_ENABLE_STATS`: turns on run-time statistics (`run_time_ns`, `run_cnt` of
 * `bpf_prog_info`) for as long as the returned fd is open.
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { enableStatsAttr } from './attr/enable-stats.js';
import { bpf } from './bpf.js';
import { BpfCmd } from './bpf-cmd.js';

/** `BPF_STATS_RUN_TIME` of `enum bpf_stats_type`. */
export const BPF_STATS_RUN_TIME = 0;

/**
 * Enables statistics of `type` system-wide; returns an fd that keeps them on until closed
 * (owned by the caller). Throws a {@link SyscallError}. Requires Linux 5.8.
 */
export function enableStats(type: number = BPF_STATS_RUN_TIME): number {
  return bpf(BpfCmd.ENABLE_STATS, new AttrBuffer(enableStatsAttr).set('type', type));
}
