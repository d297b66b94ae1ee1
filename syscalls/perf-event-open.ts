/**
 * `perf_event_open(2)` through the current backend.
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { perfEventAttr, type PerfEventAttrField } from './attr/perf-event-attr.js';
import { backendMember } from './backend.js';
import { SyscallError } from './errors.js';
import { PerfFlag } from './perf-event.js';

/** What {@link perfEventOpen} opens; the names follow the attr fields (`sample_type` → `sampleType`). */
export interface PerfEventOpenOptions {
  /** `PERF_TYPE_*` or a dynamic PMU type (e.g. from `/sys/bus/event_source/devices/uprobe/type`). */
  readonly type: number;
  /** The event within the type. */
  readonly config: bigint | number;
  /** Sample every N events; exclusive with {@link PerfEventOpenOptions.sampleFreq}. */
  readonly samplePeriod?: bigint | number;
  /** Samples per second (sets the `freq` flag); exclusive with samplePeriod. */
  readonly sampleFreq?: bigint | number;
  /** `PERF_SAMPLE_*` bits. */
  readonly sampleType?: bigint | number;
  /** Wake the reader every N events (0 means 1 for rings). */
  readonly wakeupEvents?: number;
  /** Wake the reader every N bytes instead (sets the `watermark` flag). */
  readonly wakeupWatermark?: number;
  /** Open disabled (enable with `PERF_EVENT_IOC_ENABLE`). */
  readonly disabled?: boolean;
  /** `config1`. Exclusive with probePath. */
  readonly config1?: bigint;
  /**
   * The function name (kprobe PMU, `kprobe_func`) or binary path (uprobe PMU, `uprobe_path`):
   * stored as a pointer to a NUL-terminated copy in `config1`.
   */
  readonly probePath?: string;
  /** `config2` (`probe_offset` for probe PMUs). */
  readonly config2?: bigint;
  /** Process to watch: -1 for every process (with a CPU), 0 for this one. Default -1. */
  readonly pid?: number;
  /** CPU to watch: -1 for any (with a pid). Default -1. */
  readonly cpu?: number;
  /** Group leader fd, -1 for none. Default -1. */
  readonly groupFd?: number;
  /** `PERF_FLAG_*`; `PERF_FLAG_FD_CLOEXEC` is always added. */
  readonly flags?: number;
}

/** Encodes the `perf_event_attr` of `options` (exported for tests). */
export function perfEventAttrOf(options: PerfEventOpenOptions): AttrBuffer<PerfEventAttrField> {
  const a = new AttrBuffer(perfEventAttr);
  a.set('type', options.type).set('size', perfEventAttr.size).set('config', BigInt(options.config));
  if (options.samplePeriod !== undefined && options.sampleFreq !== undefined) throw new RangeError('perfEventOpen: samplePeriod and sampleFreq share one attr field; give one');
  if (options.samplePeriod !== undefined) a.set('sample_period', BigInt(options.samplePeriod));
  if (options.sampleFreq !== undefined) a.set('sample_freq', BigInt(options.sampleFreq)).set('freq', true);
  if (options.sampleType !== undefined) a.set('sample_type', BigInt(options.sampleType));
  if (options.wakeupEvents !== undefined && options.wakeupWatermark !== undefined) throw new RangeError('perfEventOpen: wakeupEvents and wakeupWatermark share one attr field; give one');
  if (options.wakeupEvents !== undefined) a.set('wakeup_events', options.wakeupEvents);
  if (options.wakeupWatermark !== undefined) a.set('wakeup_watermark', options.wakeupWatermark).set('watermark', true);
  if (options.disabled) a.set('disabled', true);
  if (options.config1 !== undefined && options.probePath !== undefined) throw new RangeError('perfEventOpen: config1 and probePath share one attr field; give one');
  if (options.config1 !== undefined) a.set('config1', options.config1);
  if (options.probePath !== undefined) {
    if (options.probePath.includes('\0')) throw new RangeError('perfEventOpen: probePath must not contain NUL');
    a.pointer('uprobe_path', new TextEncoder().encode(`${options.probePath}\0`));
  }
  if (options.config2 !== undefined) a.set('config2', options.config2);
  return a;
}

/**
 * Opens a perf event; returns its fd (the caller owns it, close-on-exec). Throws a
 * {@link SyscallError} (`perf_event_open`) on failure: ENOENT for an unknown event or PMU,
 * EACCES/EPERM without CAP_PERFMON, EINVAL for a bad attr.
 */
export function perfEventOpen(options: PerfEventOpenOptions): number {
  const a = perfEventAttrOf(options);
  const r = backendMember('perfEventOpen')(a.bytes, options.pid ?? -1, options.cpu ?? -1, options.groupFd ?? -1, (options.flags ?? 0) | PerfFlag.FD_CLOEXEC);
  keepAlive(a.pointees);
  if (r < 0) throw new SyscallError('perf_event_open', -r, perfReason(-r, options));
  return r;
}

function perfReason(errno: number, options: PerfEventOpenOptions): { reason?: string } {
  switch (errno) {
    case 2:
      return { reason: `no such event (type ${options.type}, config ${String(options.config)}): the PMU or event does not exist on this kernel` };
    case 1:
    case 13:
      return { reason: 'permission denied (needs CAP_PERFMON or root, or a lower kernel.perf_event_paranoid)' };
    case 19:
      return { reason: `no such device (PMU type ${options.type} is not available, e.g. CONFIG_KPROBES is off)` };
    default:
      return {};
  }
}

let sink: unknown;
/** Uses `value` after the native call, so the path buffer `config1` points to outlives it. */
function keepAlive(value: unknown): void {
  sink = value;
  sink = undefined;
}
