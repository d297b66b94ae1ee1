/**
 * Layout of the `BPF_ENABLE_STATS` member (`enable_stats`) of `union bpf_attr`.
 * @module
 */

import { defineLayout, u32 } from './layout.js';

/** `BPF_ENABLE_STATS` attr fields (`union bpf_attr.enable_stats`). Requires Linux 5.8. */
export const enableStatsAttr = defineLayout('BPF_ENABLE_STATS', 'union bpf_attr', 'enable_stats', {
  /** `enum bpf_stats_type`: `BPF_STATS_RUN_TIME` = 0. */
  type: u32(0),
});
/** A field name of {@link enableStatsAttr}. */
export type EnableStatsField = keyof typeof enableStatsAttr.fields;
