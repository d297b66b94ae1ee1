/**
 * What a simulated helper sees of the machine: registers (R1–R5 in, R0 out), memory, maps, the
 * environment, and a way to call a callback subprogram (for `bpf_loop`).
 * @module
 */

import type { PacketState } from '../context/packet-state.js';
import type { Environment } from '../environment.js';
import type { SimMap } from '../maps/sim-map.js';
import type { RingbufRecord } from '../maps/ringbuf-map.js';
import type { Memory } from '../memory.js';
import type { Region } from '../region.js';

/** The machine state a helper works on. */
export interface HelperContext {
  /** Low halves of R0–R10. */
  readonly lo: Int32Array;
  /** High halves of R0–R10. */
  readonly hi: Int32Array;
  /** Pointer tags of R0–R10 (region id, 0 for a scalar). */
  readonly tag: Int32Array;
  /** The run's memory. */
  readonly memory: Memory;
  /** The program's maps, indexed as `ld_imm64` map references are. */
  readonly maps: readonly SimMap[];
  /** The environment. */
  readonly env: Environment;
  /** The current CPU. */
  readonly cpu: number;
  /** Slot index of the calling instruction (for errors). */
  readonly insn: number;
  /** The packet, for networking programs. */
  readonly packet: PacketState | null;
  /** The context region (R1 at entry). */
  readonly ctx: Region;
  /** Lines written with `bpf_trace_printk`. */
  readonly trace: string[];
  /** Ring buffer records reserved by the program, by their region. */
  readonly ringbufRecords: Map<Region, { map: SimMap; record: RingbufRecord }>;
  /** Name of the program type (`xdp`, `socket_filter`, …). */
  readonly progType: string;
  /** The next `bpf_ktime_get_ns` value. */
  nextKtime(): bigint;
  /** The next `bpf_get_prandom_u32` value. */
  nextRandom(): number;
  /**
   * Calls the subprogram at `slot` with R1–R5 set from `args` (lo, hi, tag per register) in a new
   * frame, and returns when it exits; its R0 is left in R0. Callee-saved registers are preserved.
   */
  invoke(slot: number, args: readonly number[]): void;
}

/** A simulated helper: reads R1–R5, writes R0. */
export type HelperFn = (h: HelperContext) => void;
