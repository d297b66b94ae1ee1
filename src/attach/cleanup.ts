/**
 * Detaching on the way out. Some attachments outlive the process that made them: cgroup programs
 * attached with `BPF_PROG_ATTACH`, pinned links, netlink XDP and tc filters. This process-wide
 * registry detaches the live ones when the process exits, is interrupted (SIGINT, SIGTERM,
 * SIGHUP) or dies of an uncaught exception; after a signal it re-raises the signal so the exit
 * status still says what happened. SIGKILL cannot be caught: use bpf_links (which the kernel
 * detaches when the last fd closes) where that matters.
 * @module
 */

/** What the registry can detach: a Link, or anything with the same two members. */
export interface Detachable {
  /** Whether it is already detached (skipped then). */
  readonly isClosed: boolean;
  /** Detaches (must be synchronous and idempotent). */
  close(): void;
}

const live = new Set<Detachable>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

/** Detaches every registered attachment now (errors are reported on stderr, never thrown). */
export function detachAllRegistered(): number {
  let n = 0;
  for (const d of [...live]) {
    live.delete(d);
    if (d.isClosed) continue;
    try {
      d.close();
      n++;
    } catch (err) {
      process.stderr.write(`tsbpf: detaching ${String(d)} on exit failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  return n;
}

function onSignal(signal: NodeJS.Signals): void {
  detachAllRegistered();
  // Another listener means the application handles this signal itself: leave the rest to it
  // (the exit hook still runs). Otherwise do what the default action would have done.
  if (process.listenerCount(signal) > 1) return;
  uninstall();
  process.kill(process.pid, signal);
}

const handlers = new Map<NodeJS.Signals, () => void>(SIGNALS.map((s) => [s, () => onSignal(s)]));
const onExit = (): void => void detachAllRegistered();

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  // The monitor runs before Node's default crash handling without replacing it.
  process.on('uncaughtExceptionMonitor', onExit);
  for (const [s, h] of handlers) process.on(s, h);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', onExit);
  process.off('uncaughtExceptionMonitor', onExit);
  for (const [s, h] of handlers) process.off(s, h);
}

/**
 * Registers `attachment` to be detached when the process exits, gets SIGINT/SIGTERM/SIGHUP, or
 * throws an uncaught exception; returns it. Attachments closed in the meantime are skipped and
 * forgotten. The first registration installs the handlers; {@link forgetRegistered} removes them.
 */
export function detachOnExit<T extends Detachable>(attachment: T): T {
  for (const d of live) if (d.isClosed) live.delete(d);
  live.add(attachment);
  install();
  return attachment;
}

/** Stops tracking `attachment` (it will not be detached on exit). */
export function keepOnExit(attachment: Detachable): void {
  live.delete(attachment);
}

/** How many registered attachments are still attached. */
export function registeredCount(): number {
  let n = 0;
  for (const d of live) if (!d.isClosed) n++;
  return n;
}

/** Forgets every registration and removes the handlers (for tests). */
export function forgetRegistered(): void {
  live.clear();
  uninstall();
}
