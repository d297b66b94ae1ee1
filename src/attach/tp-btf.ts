/**
 * BTF-typed raw tracepoints (`tp_btf`): `BPF_PROG_TYPE_TRACING` with expected attach type
 * `BPF_TRACE_RAW_TP` and `attach_btf_id` = the id of the `btf_trace_<name>` typedef in vmlinux
 * BTF, attached with `BPF_RAW_TRACEPOINT_OPEN` (no name).
 * @module
 */

import { rawTracepointOpen } from '../../syscalls/raw-tracepoint-open.js';
import { TracefsError } from '../tracefs/tracefs-error.js';
import { isTracepointName } from '../tracefs/tracepoint-name.js';
import { Link, ownedFd } from './link.js';
import { BtfKindId, vmlinuxBtfTypeId } from './vmlinux-btf-id.js';

/** A raw tracepoint the kernel's BTF does not describe. */
export class TpBtfTargetError extends Error {
  override name = 'TpBtfTargetError';
  /** The raw tracepoint name. */
  readonly tracepoint: string;

  constructor(tracepoint: string) {
    super(`tp_btf: no typedef btf_trace_${tracepoint} in the kernel's BTF (unknown raw tracepoint, or a module's)`);
    this.tracepoint = tracepoint;
  }
}

/**
 * The `attach_btf_id` for a tp_btf program on raw tracepoint `name` (`sched_switch`): the
 * vmlinux BTF id of typedef `btf_trace_<name>`. Pass it to `progLoad` with program type
 * `tracing` and expected attach type `trace_raw_tp`. Requires Linux 5.5.
 */
export function tpBtfAttachId(name: string): number {
  if (!isTracepointName(name)) throw new TracefsError(`tp_btf: invalid raw tracepoint name ${JSON.stringify(name)}`);
  const id = vmlinuxBtfTypeId(`btf_trace_${name}`, BtfKindId.TYPEDEF);
  if (id === undefined) throw new TpBtfTargetError(name);
  return id;
}

/**
 * Attaches a loaded tp_btf program (its target fixed at load time). `name` is only for messages.
 * Requires Linux 5.5.
 */
export function attachTpBtf(progFd: number, name = '?'): Link {
  const fd = rawTracepointOpen(progFd);
  return new Link('tp_btf', name, 'bpf_link', [ownedFd(fd, true)]);
}
