/**
 * `bpf(cmd, attr)` through the current backend: the raw form returning `-errno`, and the
 * throwing form.
 * @module
 */

import type { AttrBuffer } from './attr/layout.js';
import { currentBackend } from './backend.js';
import { bpfError, type SyscallErrorDetails } from './errors.js';

/**
 * Calls `bpf(cmd, attr.bytes, attr.bytes.length)` and returns the kernel's result, or `-errno`.
 * The buffers that `attr`'s pointer fields refer to stay referenced until the call returned.
 */
export function bpfRaw(cmd: number, attr: AttrBuffer<string>): number {
  const r = currentBackend().bpf(cmd, attr.bytes, attr.bytes.byteLength);
  keepAlive(attr.pointees);
  return r;
}

/** Calls `bpf(cmd, attr)`; returns the non-negative result or throws a {@link SyscallError}. */
export function bpf(cmd: number, attr: AttrBuffer<string>, details?: SyscallErrorDetails): number {
  const r = bpfRaw(cmd, attr);
  if (r < 0) throw bpfError(cmd, -r, details);
  return r;
}

let sink: unknown;
/** Uses `value` after a native call so that no optimiser can consider it dead during the call. */
function keepAlive(value: unknown): void {
  sink = value;
  sink = undefined;
}
