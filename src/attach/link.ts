/**
 * {@link Link}: an attached program. Closing it detaches the program.
 * @module
 */

import { closeFd } from '../../syscalls/close-fd.js';
import { linkInfo, type LinkInfo } from '../../syscalls/link-info.js';
import { runEveryStep } from '../system/run-every-step.js';

/** What a {@link Link} attaches. */
export type LinkKind = 'tracepoint' | 'raw_tracepoint' | 'tp_btf' | 'perf_event' | 'socket_filter' | 'uprobe' | 'uretprobe' | 'kprobe' | 'kretprobe' | 'kprobe_multi' | 'kretprobe_multi' | 'fentry' | 'fexit' | 'fmod_ret' | 'lsm' | 'xdp' | 'tcx' | 'cgroup';

/**
 * How a link holds its attachment: `'bpf_link'` (a kernel `bpf_link` fd, visible in
 * `bpftool link`), `'perf_ioctl'` (a perf event with `PERF_EVENT_IOC_SET_BPF`: the program is
 * detached when the perf event fd is closed), `'sockopt'` (`SO_ATTACH_BPF` on a socket),
 * `'prog_attach'` (`BPF_PROG_ATTACH`, undone with `BPF_PROG_DETACH`).
 */
export type LinkMode = 'bpf_link' | 'perf_ioctl' | 'sockopt' | 'prog_attach';

/** One kernel resource a link releases on close, in order. */
export interface LinkPart {
  /** The fd involved (a bpf_link or perf event fd, or the socket of a socket filter). */
  readonly fd: number;
  /** Whether {@link LinkPart.fd} is a bpf_link fd. */
  readonly isBpfLink: boolean;
  /** Releases it: closes the fd, or detaches the socket filter. */
  readonly release: () => void;
}

/** An fd this link owns and closes; `isBpfLink` for a bpf_link fd. */
export function ownedFd(fd: number, isBpfLink: boolean): LinkPart {
  return { fd, isBpfLink, release: () => closeFd(fd) };
}

/**
 * An attached program (tracepoint, raw tracepoint, tp_btf, perf events on several CPUs, socket
 * filter). It does not own the program fd: the kernel keeps the program alive while attached.
 *
 * `close()` detaches: it releases every part exactly once, in order (bpf_link fds before the perf
 * event fds they point to), and throws the first failure after releasing the rest.
 */
export class Link {
  /** What was attached. */
  readonly kind: LinkKind;
  /** The target, for messages: `'syscalls:sys_enter_openat'`, `'sched_switch'`, `'cpu-clock@0-1'`. */
  readonly target: string;
  /** How the attachment is held. */
  readonly mode: LinkMode;
  private parts: LinkPart[] | null;

  constructor(kind: LinkKind, target: string, mode: LinkMode, parts: readonly LinkPart[]) {
    this.kind = kind;
    this.target = target;
    this.mode = mode;
    this.parts = [...parts];
  }

  /** The bpf_link fds (empty for ioctl and sockopt attachments, and after close). */
  get linkFds(): readonly number[] {
    return (this.parts ?? []).filter((p) => p.isBpfLink).map((p) => p.fd);
  }

  /**
   * The kernel's view of each bpf_link (type, id, program id), one per {@link Link.linkFds}; empty
   * for ioctl and sockopt attachments. Requires Linux 5.8.
   */
  info(): LinkInfo[] {
    return this.linkFds.map((fd) => linkInfo(fd));
  }

  /** Whether {@link Link.close} was called. */
  get isClosed(): boolean {
    return this.parts === null;
  }

  /** Detaches (idempotent). */
  close(): void {
    const parts = this.parts;
    if (parts === null) return;
    this.parts = null;
    runEveryStep(parts.map((p) => () => p.release()));
  }

  /** Same as {@link Link.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** `Link(tracepoint syscalls:sys_enter_openat, bpf_link)`. */
  toString(): string {
    return `Link(${this.kind} ${this.target}, ${this.mode}${this.isClosed ? ', closed' : ''})`;
  }
}

/**
 * Runs `steps` acquiring parts; when one throws, releases the parts acquired so far (in reverse)
 * and rethrows, so a failed attach leaks nothing.
 */
export function acquireAll(acquire: (add: (part: LinkPart) => void) => void): LinkPart[] {
  const parts: LinkPart[] = [];
  try {
    acquire((p) => parts.push(p));
  } catch (err) {
    for (const p of [...parts].reverse()) {
      try {
        p.release();
      } catch {
        // The original error matters more.
      }
    }
    throw err;
  }
  return parts;
}
