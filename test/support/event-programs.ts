/**
 * Small BPF programs that emit events, for the attach/readers kernel tests and bench/events.ts:
 * each stores a few u64 fields on the stack and sends them with `bpf_perf_event_output`
 * (perf event array) or `bpf_ringbuf_output` (ring buffer), optionally only for one process.
 * @module
 */

import {
  Add, Call, Exit, JNE, Label, LoadMapPtr, LoadMem, Mov, R0, R1, R10, R2, R3, R4, R5, R6, RSh, Size, StoreMem, encodeProgram,
  type ProgramItem,
} from 'ebpf-bytecode-utils';

/** Where events go. */
export type EventSink = { readonly kind: 'perf'; readonly mapFd: number } | { readonly kind: 'ringbuf'; readonly mapFd: number };

/** One u64 field of the event. */
export type EventField =
  | { readonly kind: 'ctx'; readonly offset: number; readonly size: 'W' | 'DW' }
  | { readonly kind: 'pid_tgid' }
  | { readonly kind: 'cpu' }
  | { readonly kind: 'imm'; readonly value: number };

/** What {@link eventProgram} builds. */
export interface EventProgramOptions {
  readonly sink: EventSink;
  readonly fields: readonly EventField[];
  /** Emit only when `bpf_get_current_pid_tgid() >> 32` equals this (the test's own pid). */
  readonly pid?: number;
  /** The program's return value (default 0). */
  readonly retval?: number;
}

const BPF_FUNC_get_smp_processor_id = 8;
const BPF_FUNC_get_current_pid_tgid = 14;
const BPF_FUNC_perf_event_output = 25;
const BPF_FUNC_ringbuf_output = 130;

/** Builds the bytecode: events of `fields.length` u64s. */
export function eventProgram(o: EventProgramOptions): Uint8Array {
  const n = o.fields.length;
  const base = -8 * n;
  const p: ProgramItem[] = [Mov.reg(R6, R1)];
  if (o.pid !== undefined) {
    p.push(Call.helper(BPF_FUNC_get_current_pid_tgid), RSh.imm(R0, 32), JNE.imm(R0, o.pid, 'out'));
  }
  o.fields.forEach((f, i) => {
    const slot = base + 8 * i;
    switch (f.kind) {
      case 'ctx':
        p.push(LoadMem(R1, R6, f.offset, f.size === 'W' ? Size.W : Size.DW), StoreMem(R10, slot, R1, Size.DW));
        break;
      case 'pid_tgid':
        p.push(Call.helper(BPF_FUNC_get_current_pid_tgid), StoreMem(R10, slot, R0, Size.DW));
        break;
      case 'cpu':
        p.push(Call.helper(BPF_FUNC_get_smp_processor_id), StoreMem(R10, slot, R0, Size.DW));
        break;
      case 'imm':
        p.push(Mov.imm(R1, f.value), StoreMem(R10, slot, R1, Size.DW));
        break;
    }
  });
  if (o.sink.kind === 'perf') {
    // flags = BPF_F_CURRENT_CPU (0xffffffff; a 32-bit mov zero-extends).
    p.push(Mov.reg(R1, R6), LoadMapPtr(R2, o.sink.mapFd), Mov.imm32(R3, -1), Mov.reg(R4, R10), Add.imm(R4, base), Mov.imm(R5, 8 * n), Call.helper(BPF_FUNC_perf_event_output));
  } else {
    p.push(LoadMapPtr(R1, o.sink.mapFd), Mov.reg(R2, R10), Add.imm(R2, base), Mov.imm(R3, 8 * n), Mov.imm(R4, 0), Call.helper(BPF_FUNC_ringbuf_output));
  }
  p.push(Label('out'), Mov.imm(R0, o.retval ?? 0), Exit());
  return encodeProgram(p).bytes;
}

/** Reads the `i`-th u64 of an event. */
export function u64At(data: DataView, i: number): bigint {
  return data.getBigUint64(8 * i, true);
}
