/**
 * uprobes and uretprobes through the uprobe PMU (`/sys/bus/event_source/devices/uprobe`):
 * `perf_event_open` with `uprobe_path` and `probe_offset`, and a `BPF_PROG_TYPE_KPROBE` program
 * attached to it. Requires Linux 4.17.
 * @module
 */

import { readFileSync } from 'node:fs';
import { perfEventOpen } from '../../syscalls/perf-event-open.js';
import { elfSymbolOffset } from './elf-symbols.js';
import { acquireAll, Link, type LinkMode } from './link.js';
import { attachToPerfEvent, type PerfAttachMode } from './perf-event-link.js';

/** A dynamic PMU (kprobe, uprobe) that this kernel does not have. */
export class ProbePmuError extends Error {
  override name = 'ProbePmuError';
  /** `'kprobe'` or `'uprobe'`. */
  readonly pmu: string;

  constructor(pmu: string, reason: string) {
    super(`${pmu}: ${reason}`);
    this.pmu = pmu;
  }
}

/** The type number of dynamic PMU `pmu`, and the config bit of its `retprobe` format. */
export function probePmu(pmu: 'kprobe' | 'uprobe'): { type: number; retprobeBit: number } {
  const dir = `/sys/bus/event_source/devices/${pmu}`;
  let type: number;
  try {
    type = Number(readFileSync(`${dir}/type`, 'utf8').trim());
  } catch {
    throw new ProbePmuError(pmu, `no ${pmu} PMU (${dir} is missing: the kernel lacks CONFIG_${pmu === 'kprobe' ? 'KPROBE_EVENTS' : 'UPROBE_EVENTS'})`);
  }
  let retprobeBit = 0;
  try {
    const m = /^config:(\d+)$/.exec(readFileSync(`${dir}/format/retprobe`, 'utf8').trim());
    if (m !== null) retprobeBit = Number(m[1]);
  } catch {
    // Older kernels: bit 0.
  }
  return { type, retprobeBit };
}

/** Where a uprobe goes. */
export interface UprobeOptions {
  /** The ELF binary or library (`/usr/lib/x86_64-linux-gnu/libc.so.6`). */
  readonly path: string;
  /** A function symbol in it; its file offset is looked up. Exclusive with offset. */
  readonly symbol?: string;
  /** A file offset in it (plus symbol's, when both are given). */
  readonly offset?: bigint;
  /** Fire on return instead of entry. */
  readonly retprobe?: boolean;
  /** Only this process (default -1: every process that maps the file). */
  readonly pid?: number;
  /** How to attach; `'auto'` by default. */
  readonly mode?: PerfAttachMode;
  /** `bpf_get_attach_cookie` value (bpf_link mode). */
  readonly cookie?: bigint;
}

/**
 * Attaches kprobe-type program `progFd` as a uprobe (or uretprobe) on `path` at `symbol` or
 * `offset`. Throws a {@link ProbePmuError} when the kernel has no uprobe PMU, an ElfSymbolError
 * for an unknown symbol. Requires Linux 4.17.
 */
export function attachUprobe(progFd: number, options: UprobeOptions): Link {
  if (options.symbol === undefined && options.offset === undefined) throw new RangeError('attachUprobe: give symbol or offset');
  const pmu = probePmu('uprobe');
  const offset = (options.symbol !== undefined ? elfSymbolOffset(options.path, options.symbol) : 0n) + (options.offset ?? 0n);
  const pid = options.pid ?? -1;
  let mode: LinkMode = 'bpf_link';
  const parts = acquireAll((add) => {
    const fd = perfEventOpen({
      type: pmu.type,
      config: options.retprobe ? 1n << BigInt(pmu.retprobeBit) : 0n,
      probePath: options.path,
      config2: offset,
      samplePeriod: 1,
      wakeupEvents: 1,
      pid,
      // Every process: one event on CPU 0 stands for all; one process: any CPU.
      cpu: pid === -1 ? 0 : -1,
    });
    mode = attachToPerfEvent(progFd, fd, options.mode ?? 'auto', add, options.cookie);
  });
  const where = `${options.path}:${options.symbol ?? ''}${options.offset !== undefined ? `+0x${options.offset.toString(16)}` : ''}`;
  return new Link(options.retprobe ? 'uretprobe' : 'uprobe', where, mode, parts);
}
