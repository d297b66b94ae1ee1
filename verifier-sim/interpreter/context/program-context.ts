/**
 * What a program type gets as R1 and as packet, built the way `BPF_PROG_TEST_RUN` builds it, and
 * how the run's `dataOut` / `ctxOut` are read back.
 * @module
 */

import type { Memory } from '../memory.js';
import type { Region } from '../region.js';
import type { PacketState } from './packet-state.js';

/** Input of one run. */
export interface RunInput {
  /** Packet bytes (`data_in`): an Ethernet frame for skb and XDP programs. */
  readonly data?: Uint8Array;
  /** Context bytes (`ctx_in`): `struct __sk_buff` fields for skb programs, the raw context otherwise. */
  readonly ctx?: Uint8Array;
}

/** A context built in a run's memory. */
export interface BuiltContext {
  /** The region R1 points to at entry. */
  readonly ctx: Region;
  /** The packet, for networking programs. */
  readonly packet: PacketState | null;
  /** The packet bytes after the run (`data_out`). */
  dataOut(): Uint8Array;
  /** The context bytes after the run (`ctx_out`), or undefined when no context was given. */
  ctxOut(): Uint8Array | undefined;
}

/** Builds a program type's context in `memory`. */
export type ContextBuilder = (memory: Memory, input: RunInput, progType: string) => BuiltContext;
