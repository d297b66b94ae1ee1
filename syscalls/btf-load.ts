/**
 * `BPF_BTF_LOAD`, with the log policy of {@link LogOptions}.
 * @module
 */

import { AttrBuffer, decodeLog } from './attr/layout.js';
import { btfLoadAttr, type BtfLoadField } from './attr/btf-load.js';
import { bpfRaw } from './bpf.js';
import { BpfCmd } from './bpf-cmd.js';
import { bpfError } from './errors.js';
import { loadWithLog, type LogOptions } from './verifier-log.js';

/** What {@link btfLoad} loads. */
export interface BtfLoadOptions extends LogOptions {
  /** The raw BTF blob (header, types, strings). */
  readonly btf: Uint8Array;
  /** `BPF_F_TOKEN_FD`. Requires Linux 6.9. */
  readonly btfFlags?: number;
  /** BPF token fd. Requires Linux 6.9. */
  readonly btfTokenFd?: number;
}

/** Loaded BTF: its fd (owned by the caller) and the log, if one was collected. */
export interface BtfLoadResult {
  /** The BTF fd. */
  readonly fd: number;
  /** The BTF log ('' at log level 0). */
  readonly log: string;
  /** `btf_log_true_size` (0 at log level 0). */
  readonly logTrueSize: number;
}

/** Encodes the `BPF_BTF_LOAD` attr (exported for tests). */
export function btfLoadAttrOf(options: BtfLoadOptions, level = 0, log: Uint8Array | null = null): AttrBuffer<BtfLoadField> {
  if (options.btf.byteLength === 0) throw new RangeError('btfLoad: btf is empty');
  const a = new AttrBuffer(btfLoadAttr);
  a.pointer('btf', options.btf).set('btf_size', options.btf.byteLength);
  if (level !== 0) a.set('btf_log_level', level);
  if (log !== null) a.pointer('btf_log_buf', log).set('btf_log_size', log.byteLength);
  if (options.btfFlags !== undefined) a.set('btf_flags', options.btfFlags);
  if (options.btfTokenFd !== undefined) a.set('btf_token_fd', options.btfTokenFd);
  return a;
}

/** Loads BTF into the kernel; throws a {@link SyscallError} carrying the BTF log on failure. */
export function btfLoad(options: BtfLoadOptions): BtfLoadResult {
  const outcome = loadWithLog('btfLoad', options, (level, buf) => {
    const a = btfLoadAttrOf(options, level, buf);
    const ret = bpfRaw(BpfCmd.BTF_LOAD, a);
    return { ret, logTrueSize: a.u32('btf_log_true_size') };
  });
  const log = outcome.buf === null ? '' : decodeLog(outcome.buf);
  if (outcome.ret < 0) {
    throw bpfError(BpfCmd.BTF_LOAD, -outcome.ret, { ...(outcome.buf === null ? {} : { log }), ...(outcome.logTrueSize ? { logTrueSize: outcome.logTrueSize } : {}) });
  }
  return { fd: outcome.ret, log, logTrueSize: outcome.logTrueSize };
}
