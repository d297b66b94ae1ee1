/**
 * The safety net behind every fd-owning object (maps, programs) and every memory mapping of a
 * map ({@link MappedArray}): a FinalizationRegistry that, when such an object is
 * garbage-collected without `close()`, closes its fd (or unmaps its memory) and reports it.
 * Closing explicitly (or `using`) is the contract; this only catches mistakes.
 * @module
 */

import { currentBackend, type SyscallBackend } from '../../syscalls/index.js';

/** What the leak hook is told about an object collected without `close()`. */
export interface LeakReport {
  /** `'map'`, `'program'` or `'mapping'` (the mmap of a map's values). */
  readonly kind: string;
  /** The object as written in messages: `map "events"`, `mapping of map "values"`. */
  readonly object: string;
  /** The fd it owned (closed by the safety net before the hook runs); undefined for a mapping. */
  readonly fd: number | undefined;
  /** The memory it mapped (unmapped by the safety net before the hook runs); undefined for an fd. */
  readonly mapping: { readonly address: bigint; readonly length: number } | undefined;
  /** Where the object was created, when {@link trackCreationStacks} was on at the time. */
  readonly stack: string | undefined;
}

/** Receives leak reports. */
export type LeakHook = (report: LeakReport) => void;

function defaultHook(r: LeakReport): void {
  const what = r.mapping === undefined ? `(fd ${String(r.fd)}) was garbage-collected without close(); its fd was closed` : `(${r.mapping.length} bytes at 0x${r.mapping.address.toString(16)}) was garbage-collected without close(); it was unmapped`;
  console.warn(`tsbpf: ${r.object} ${what}${r.stack ? `\n${r.stack}` : ''}`);
}

let hook: LeakHook = defaultHook;
let captureStacks = false;

interface Held {
  /** The backend the fd came from: a fake fd must never be closed on the real one, nor the reverse. */
  readonly backend: SyscallBackend;
  readonly kind: string;
  readonly object: string;
  readonly fd: number | undefined;
  readonly mapping: { readonly address: bigint; readonly length: number } | undefined;
  readonly stack: string | undefined;
}

const registry = new FinalizationRegistry<Held>((held) => {
  if (held.fd !== undefined) held.backend.close(held.fd);
  // A failed munmap leaves the memory mapped until exit; the report still goes out.
  if (held.mapping !== undefined) held.backend.munmap?.(held.mapping.address, held.mapping.length);
  hook({ kind: held.kind, object: held.object, fd: held.fd, mapping: held.mapping, stack: held.stack });
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
  registry.register(owner, { backend: currentBackend(), kind, object, fd, mapping: undefined, stack }, owner);
}

/** Forgets `owner` (it closed its fd itself). */
export function untrackFd(owner: object): void {
  registry.unregister(owner);
}

/**
 * Registers a memory mapping of `length` bytes at `address`: when `memory` (the ArrayBuffer over
 * it, which outlives its owner while a view is alive) is collected before {@link untrackMapping}
 * is called with `owner`, the safety net unmaps it and reports a `'mapping'` leak.
 */
export function trackMapping(memory: object, owner: object, object: string, address: bigint, length: number): void {
  const stack = captureStacks ? new Error('created here').stack : undefined;
  registry.register(memory, { backend: currentBackend(), kind: 'mapping', object, fd: undefined, mapping: { address, length }, stack }, owner);
}

/** Forgets the mapping registered for `owner` (it unmapped the memory itself). */
export function untrackMapping(owner: object): void {
  registry.unregister(owner);
}
