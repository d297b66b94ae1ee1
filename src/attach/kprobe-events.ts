/**
 * Dynamic kprobe events through tracefs (`kprobe_events`), the mechanism older than the kprobe
 * PMU and the only one with a kretprobe `maxactive`: a line `p:GROUP/EVENT SYMBOL+OFFSET` or
 * `rN:GROUP/EVENT SYMBOL` creates the event (with a tracepoint id under `events/GROUP/EVENT/id`),
 * `-:GROUP/EVENT` removes it. The file is always appended to: truncating it would remove every
 * other tool's probes.
 * @module
 */

import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { TracefsError } from '../tracefs/tracefs-error.js';
import { tracefsRoot } from '../tracefs/tracefs-root.js';

/** The event group tsbpf creates its kprobe events in. */
export const KPROBE_EVENT_GROUP = 'tsbpf';

/** The kernel's `MAX_EVENT_NAME_LEN` (64, with the NUL). */
const MAX_EVENT_NAME = 63;
/** The largest `maxactive` the kernel accepts (`KRETPROBE_MAXACTIVE_MAX`). */
export const KRETPROBE_MAXACTIVE_MAX = 4096;

/** A kprobe event to create. */
export interface KprobeEventSpec {
  /** The kernel function. */
  readonly symbol: string;
  /** Byte offset into it (entry probes only). */
  readonly offset?: bigint;
  /** A return probe (`r`) instead of an entry probe (`p`). */
  readonly retprobe?: boolean;
  /** Return probes: how many instances may be pending at once (`rN:`). */
  readonly maxActive?: number;
}

let counter = 0;

/**
 * A unique event name for `spec` in this process: `p_<pid>_<n>_<symbol>` (`r_…` for return
 * probes), characters other than `[A-Za-z0-9_]` replaced by `_`, at most 63 bytes.
 */
export function kprobeEventName(spec: KprobeEventSpec, pid = process.pid): string {
  const head = `${spec.retprobe ? 'r' : 'p'}_${pid}_${counter++}_`;
  return (head + spec.symbol.replace(/[^A-Za-z0-9_]/g, '_')).slice(0, MAX_EVENT_NAME);
}

/**
 * The `kprobe_events` line that creates event `group/event` for `spec`:
 * `p:tsbpf/p_1_0_do_sys_openat2 do_sys_openat2+0x4`, `r16:tsbpf/r_1_1_do_sys_openat2 do_sys_openat2`.
 * Throws a RangeError for an offset on a return probe or a maxActive outside 1…4096.
 */
export function kprobeEventLine(group: string, event: string, spec: KprobeEventSpec): string {
  if (spec.retprobe && spec.offset !== undefined && spec.offset !== 0n) throw new RangeError('kprobe event: a return probe cannot have an offset');
  if (spec.maxActive !== undefined) {
    if (!spec.retprobe) throw new RangeError('kprobe event: maxActive is for return probes only');
    if (!Number.isInteger(spec.maxActive) || spec.maxActive < 1 || spec.maxActive > KRETPROBE_MAXACTIVE_MAX) throw new RangeError(`kprobe event: maxActive ${spec.maxActive} is not in 1…${KRETPROBE_MAXACTIVE_MAX}`);
  }
  if (spec.offset !== undefined && spec.offset < 0n) throw new RangeError(`kprobe event: negative offset ${spec.offset}`);
  const kind = spec.retprobe ? `r${spec.maxActive ?? ''}` : 'p';
  const where = spec.offset ? `${spec.symbol}+0x${spec.offset.toString(16)}` : spec.symbol;
  return `${kind}:${group}/${event} ${where}`;
}

/** The kernel refused to create a kprobe event (unknown or unprobeable function, bad offset). */
export class KprobeEventError extends Error {
  override name = 'KprobeEventError';
  /** The line written to `kprobe_events`. */
  readonly line: string;

  constructor(line: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.line = line;
  }
}

/** The last line of tracefs `error_log` (the kernel's explanation of a refused probe), or ''. */
function lastErrorLog(root: string): string {
  try {
    const lines = readFileSync(`${root}/error_log`, 'utf8').trim().split('\n');
    // Entries are `[time] trace_kprobe: error: Message\n  Command: …\n  ^`.
    const line = lines.filter((l) => /error:/.test(l)).pop();
    return line === undefined ? '' : line.replace(/^\[[^\]]*\]\s*/, '').trim();
  } catch {
    return '';
  }
}

/**
 * A kprobe event created in tracefs; {@link KprobeEvent.remove} deletes it (after every perf
 * event on it is closed).
 */
export class KprobeEvent {
  /** The tracefs directory. */
  readonly root: string;
  /** Its group (`tsbpf`). */
  readonly group: string;
  /** Its name. */
  readonly event: string;
  /** The line that created it. */
  readonly line: string;
  /** Its tracepoint id (the `config` of a `PERF_TYPE_TRACEPOINT` perf event). */
  readonly id: number;
  #removed = false;

  private constructor(root: string, group: string, event: string, line: string, id: number) {
    this.root = root;
    this.group = group;
    this.event = event;
    this.line = line;
    this.id = id;
  }

  /**
   * Creates the event for `spec` in tracefs `root` (mounted when missing) and reads its id.
   * Throws a {@link KprobeEventError} when the kernel refuses (the message names the function and
   * quotes the kernel's `error_log`), a TracefsError when there is no `kprobe_events`.
   */
  static create(spec: KprobeEventSpec, root: string = tracefsRoot()): KprobeEvent {
    const group = KPROBE_EVENT_GROUP;
    const event = kprobeEventName(spec);
    const line = kprobeEventLine(group, event, spec);
    const file = `${root}/kprobe_events`;
    if (!existsSync(file)) throw new TracefsError(`kprobe: ${file} does not exist (the kernel lacks CONFIG_KPROBE_EVENTS)`, file);
    try {
      appendFileSync(file, `${line}\n`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = lastErrorLog(root);
      throw new KprobeEventError(line, `kprobe: the kernel refused a probe on ${spec.symbol}${spec.offset ? `+0x${spec.offset.toString(16)}` : ''} (${code ?? String(err)}${why ? `: ${why}` : ''}; unknown function, or one that cannot be probed)`, { cause: err });
    }
    const idPath = `${root}/events/${group}/${event}/id`;
    let id: number;
    try {
      id = Number(readFileSync(idPath, 'utf8').trim());
    } catch (err) {
      removeLine(file, group, event);
      throw new TracefsError(`kprobe: created ${group}/${event} but cannot read ${idPath} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, idPath, { cause: err });
    }
    return new KprobeEvent(root, group, event, line, id);
  }

  /** Whether {@link KprobeEvent.remove} was called. */
  get removed(): boolean {
    return this.#removed;
  }

  /** Deletes the event (idempotent). Throws a TracefsError when the kernel refuses (still in use). */
  remove(): void {
    if (this.#removed) return;
    this.#removed = true;
    try {
      removeLine(`${this.root}/kprobe_events`, this.group, this.event);
    } catch (err) {
      throw new TracefsError(`kprobe: cannot remove event ${this.group}/${this.event} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, `${this.root}/kprobe_events`, { cause: err });
    }
  }
}

function removeLine(file: string, group: string, event: string): void {
  appendFileSync(file, `-:${group}/${event}\n`);
}
