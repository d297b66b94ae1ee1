/**
 * The context of tracing programs (`kprobe`, `tracepoint`, `raw_tracepoint`, `perf_event`,
 * `tracing`, `syscall`): the test's raw context bytes (e.g. `struct pt_regs`, a tracepoint record,
 * the u64 arguments of a raw tracepoint). Only `syscall` programs may write to it.
 * @module
 */

import type { Memory } from '../memory.js';
import type { BuiltContext, RunInput } from './program-context.js';

/** Builds a raw context over a copy of `input.ctx`. */
export function buildRawContext(memory: Memory, input: RunInput, progType: string): BuiltContext {
  const bytes = (input.ctx ?? new Uint8Array(0)).slice();
  const ctx = memory.add('ctx', bytes, { writable: progType === 'syscall', label: `ctx (${progType})` });
  return {
    ctx,
    packet: null,
    dataOut: () => new Uint8Array(0),
    ctxOut: () => (input.ctx === undefined ? undefined : bytes.slice()),
  };
}
