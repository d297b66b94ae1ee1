/**
 * `BPF_PROG_QUERY`: which programs (and links) are attached to a hook — a cgroup's attach type,
 * a tcx or netkit device. Asks for the count first, then for the ids, retrying when the hook
 * changed in between.
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { progQueryAttr, type ProgQueryField } from './attr/prog-query.js';
import { bpf } from './bpf.js';
import { BpfCmd } from './bpf-cmd.js';
import { SyscallError } from './errors.js';

/** What {@link progQuery} asks about. */
export interface ProgQueryOptions {
  /** A cgroup fd (cgroup attach types) or an ifindex (tcx, netkit: `target_ifindex`). */
  readonly target: number;
  /** `enum bpf_attach_type` value. */
  readonly attachType: number;
  /** `BPF_F_QUERY_EFFECTIVE` (1) for the effective set of a cgroup. */
  readonly queryFlags?: number;
}

/** The answer of {@link progQuery}. */
export interface ProgQueryResult {
  /** The hook's attach flags (cgroups: `BPF_F_ALLOW_MULTI` / `ALLOW_OVERRIDE` of the hook). */
  readonly attachFlags: number;
  /** Ids of the attached programs, in run order. */
  readonly progIds: number[];
  /** Per program: its attach flags (cgroup hooks without `BPF_F_QUERY_EFFECTIVE`; else zeros). */
  readonly progAttachFlags: number[];
  /** Per program: the id of the bpf_link holding it, 0 when attached without a link (tcx, netkit; zeros elsewhere). */
  readonly linkIds: number[];
  /** The hook's revision (tcx, netkit; 0 elsewhere). */
  readonly revision: bigint;
}

function attrOf(o: ProgQueryOptions, capacity: number, arrays: Uint8Array[] | null, withLinkIds = true): AttrBuffer<ProgQueryField> {
  const a = new AttrBuffer(progQueryAttr);
  a.set('target_fd', o.target).set('attach_type', o.attachType).set('query_flags', o.queryFlags ?? 0).set('prog_cnt', capacity);
  if (arrays !== null) {
    a.pointer('prog_ids', arrays[0]);
    // Per-program flags are reported for cgroup hooks only without EFFECTIVE (the kernel rejects the pair).
    if (((o.queryFlags ?? 0) & 1) === 0) a.pointer('prog_attach_flags', arrays[1]);
    if (withLinkIds) a.pointer('link_ids', arrays[2]);
  }
  return a;
}

function u32s(buf: Uint8Array, n: number): number[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return Array.from({ length: n }, (_, i) => dv.getUint32(4 * i, true));
}

/**
 * Programs attached to a hook (`BPF_PROG_QUERY`). Throws a {@link SyscallError} (EINVAL for an
 * attach type the target does not take, EBADF for a bad fd). Requires Linux 4.15; link ids and
 * revisions Linux 6.6 (zeros before).
 */
export function progQuery(options: ProgQueryOptions): ProgQueryResult {
  for (let attempt = 0; ; attempt++) {
    const first = attrOf(options, 0, null);
    bpf(BpfCmd.PROG_QUERY, first);
    const n = first.u32('prog_cnt');
    const capacity = n + 4;
    const arrays = [new Uint8Array(4 * capacity), new Uint8Array(4 * capacity), new Uint8Array(4 * capacity)];
    let second = attrOf(options, capacity, arrays);
    try {
      try {
        bpf(BpfCmd.PROG_QUERY, second);
      } catch (err) {
        // Kernels before 6.6 have no query.link_ids: a non-zero pointer there is an unknown
        // attr field, EINVAL. The count-only call just succeeded, so the field is the cause.
        if (!(err instanceof SyscallError && err.code === 'EINVAL')) throw err;
        second = attrOf(options, capacity, arrays, false);
        bpf(BpfCmd.PROG_QUERY, second);
      }
    } catch (err) {
      // ENOSPC: more programs arrived between the two calls.
      if (err instanceof SyscallError && err.code === 'ENOSPC' && attempt < 8) continue;
      throw err;
    }
    const count = second.u32('prog_cnt');
    return {
      attachFlags: second.u32('attach_flags'),
      progIds: u32s(arrays[0], count),
      progAttachFlags: u32s(arrays[1], count),
      linkIds: u32s(arrays[2], count),
      revision: second.u64('revision'),
    };
  }
}
