/**
 * The safety net behind every fd-owning object (maps, programs): a FinalizationRegistry that,
 * when such an object is garbage-collected without `close()`, closes its fd and reports it.
 * Closing explicitly (or `using`) is the contract; this only catches mistakes.
 * @module
 */

import { currentBackend, type SyscallBackend } from '../../syscalls/index.js';

/** What the leak hook is told about an object collected without `close()`. */
export interface LeakReport {
  /** `'map'` or `'program'`. */
  readonly kind: string;
  /** The object as written in messages: `map "events"`. */
  readonly object: string;
  /** The fd it owned (closed by the safety net before the hook runs). */
  readonly fd: number;
  /** Where the object was created, when {@link trackCreationStacks} was on at the time. */
  readonly stack: string | undefined;
}

/** Receives leak reports. */
export type LeakHook = (report: LeakReport) => void;

function defaultHook(r: LeakReport): void {
  console.warn(`tsbpf: ${r.object} (fd ${r.fd}) was garbage-collected without close(); its fd was closed${r.stack ? `\n${r.stack}` : ''}`);
}

let hook: LeakHook = defaultHook;
let captureStacks = false;

interface Held {
  /** The backend the fd came from: a fake fd must never be closed on the real one, nor the reverse. */
  readonly backend: SyscallBackend;
  readonly kind: string;
  readonly object: string;
  readonly fd: number;
  readonly stack: string | undefined;
}

const registry = new FinalizationRegistry<Held>((held) => {
  held.backend.close(held.fd);
  hook({ kind: held.kind, object: held.object, fd: held.fd, stack: held.stack });
});

/** Replaces the leak hook (`console.warn` by default); `undefined` restores the default. Returns the previous hook. */
export function setLeakHook(next: LeakHook | undefined): LeakHook {
  const previous = hook;
  hook = next ?? defaultHook;
  return previous;
}

/** Records the creation stack of objects created from now on (costs a few µs per object). */
export function trackCreationStacks(on: boolean): void {
  captureStacks = on;
}

/** Registers `owner` as owning `fd`; call {@link untrackFd} from its `close()`. */
export function trackFd(owner: object, kind: string, object: string, fd: number): void {
  const stack = captureStacks ? new Error('created here').stack : undefined;
  registry.register(owner, { backend: currentBackend(), kind, object, fd, stack }, owner);
}

/** Forgets `owner` (it closed its fd itself). */
export function untrackFd(owner: object): void {
  registry.unregister(owner);
}
