/**
 * `BPF_PROG_TEST_RUN` (`BPF_PROG_RUN`): runs a loaded program on synthetic input.
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { progTestRunAttr, type ProgTestRunField } from './attr/prog-test-run.js';
import { bpf } from './bpf.js';
import { BpfCmd } from './bpf-cmd.js';

/** Input of {@link progTestRun}; the names follow the attr fields. */
export interface ProgTestRunOptions {
  /** The program to run. */
  readonly progFd: number;
  /** Packet (or other) input data. */
  readonly dataIn?: Uint8Array;
  /** Capacity for the output data; 0 or absent: the output data is not copied back. */
  readonly dataSizeOut?: number;
  /** Context input (e.g. `struct __sk_buff`, raw_tp args). Requires Linux 5.2. */
  readonly ctxIn?: Uint8Array;
  /** Capacity for the output context; 0 or absent: not copied back. Requires Linux 5.2. */
  readonly ctxSizeOut?: number;
  /** Repetitions (0 is taken as 1 by the kernel). */
  readonly repeat?: number;
  /** `BPF_F_TEST_RUN_ON_CPU` (1), `BPF_F_TEST_XDP_LIVE_FRAMES` (2), … Requires Linux 5.10. */
  readonly flags?: number;
  /** CPU to run on (with `BPF_F_TEST_RUN_ON_CPU`). */
  readonly cpu?: number;
  /** Batch size for XDP live frames. Requires Linux 5.18. */
  readonly batchSize?: number;
}

/** What a test run produced. */
export interface ProgTestRunResult {
  /** The program's return value (u32). */
  readonly retval: number;
  /** Average duration of one run, in ns. */
  readonly duration: number;
  /** Output data (as long as the kernel reported, within the capacity), when asked for. */
  readonly dataOut: Uint8Array | undefined;
  /** Output context, when asked for. */
  readonly ctxOut: Uint8Array | undefined;
}

function capacity(who: string, n: number | undefined): number {
  if (n === undefined) return 0;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`progTestRun: ${who} ${String(n)} is not a u32`);
  return n;
}

/** Encodes the attr of `options` with output buffers `dataOut`/`ctxOut` (exported for tests). */
export function progTestRunAttrOf(options: ProgTestRunOptions, dataOut: Uint8Array | null, ctxOut: Uint8Array | null): AttrBuffer<ProgTestRunField> {
  const a = new AttrBuffer(progTestRunAttr);
  a.set('prog_fd', options.progFd);
  if (options.dataIn !== undefined) a.set('data_size_in', options.dataIn.byteLength).pointer('data_in', options.dataIn);
  if (dataOut !== null) a.set('data_size_out', dataOut.byteLength).pointer('data_out', dataOut);
  if (options.ctxIn !== undefined) a.set('ctx_size_in', options.ctxIn.byteLength).pointer('ctx_in', options.ctxIn);
  if (ctxOut !== null) a.set('ctx_size_out', ctxOut.byteLength).pointer('ctx_out', ctxOut);
  if (options.repeat !== undefined) a.set('repeat', options.repeat);
  if (options.flags !== undefined) a.set('flags', options.flags);
  if (options.cpu !== undefined) a.set('cpu', options.cpu);
  if (options.batchSize !== undefined) a.set('batch_size', options.batchSize);
  return a;
}

/** Runs program `progFd` once (or `repeat` times); throws a {@link SyscallError} on failure. */
export function progTestRun(options: ProgTestRunOptions): ProgTestRunResult {
  const dataCap = capacity('dataSizeOut', options.dataSizeOut);
  const ctxCap = capacity('ctxSizeOut', options.ctxSizeOut);
  const dataOut = dataCap > 0 ? new Uint8Array(dataCap) : null;
  const ctxOut = ctxCap > 0 ? new Uint8Array(ctxCap) : null;
  const a = progTestRunAttrOf(options, dataOut, ctxOut);
  bpf(BpfCmd.PROG_TEST_RUN, a);
  return {
    retval: a.u32('retval'),
    duration: a.u32('duration'),
    dataOut: dataOut === null ? undefined : dataOut.subarray(0, Math.min(dataCap, a.u32('data_size_out'))),
    ctxOut: ctxOut === null ? undefined : ctxOut.subarray(0, Math.min(ctxCap, a.u32('ctx_size_out'))),
  };
}
