/**
 * `BPF_PROG_LOAD`, with the verifier log policy of {@link LogOptions}.
 * @module
 */

import { AttrBuffer, decodeLog } from './attr/layout.js';
import { progLoadAttr, type ProgLoadField } from './attr/prog-load.js';
import { bpfRaw } from './bpf.js';
import { BpfCmd } from './bpf-cmd.js';
import { bpfError } from './errors.js';
import { loadWithLog, type LogOptions } from './verifier-log.js';

/** What {@link progLoad} loads; the names follow the attr fields (`prog_type` → `progType`). */
export interface ProgLoadOptions extends LogOptions {
  /** `enum bpf_prog_type` value (`BPF_PROG_TYPE_SOCKET_FILTER` = 1, …). */
  readonly progType: number;
  /** The bytecode: little-endian `struct bpf_insn` slots, 8 bytes each. */
  readonly insns: Uint8Array;
  /** License; `'GPL'` when absent (GPL-only helpers need a GPL-compatible license). */
  readonly license?: string;
  /** Ignored by kernels since 5.0. */
  readonly kernVersion?: number;
  /** `BPF_F_*` load flags (`BPF_F_SLEEPABLE`, `BPF_F_XDP_HAS_FRAGS`, …). */
  readonly progFlags?: number;
  /** Name, at most 15 bytes. Requires Linux 4.15. */
  readonly progName?: string;
  /** Network device for offload. */
  readonly progIfindex?: number;
  /** `enum bpf_attach_type` value checked at load time. Requires Linux 4.17. */
  readonly expectedAttachType?: number;
  /** BTF fd for func_info/line_info. Requires Linux 5.0. */
  readonly progBtfFd?: number;
  /** `struct bpf_func_info` records (bytes) and their size (8). */
  readonly funcInfo?: { readonly records: Uint8Array; readonly recSize: number };
  /** `struct bpf_line_info` records (bytes) and their size (16). */
  readonly lineInfo?: { readonly records: Uint8Array; readonly recSize: number };
  /** In-kernel BTF id of the attach target. Requires Linux 5.5. */
  readonly attachBtfId?: number;
  /** Program fd of the attach target (freplace, fentry on BPF). Exclusive with attachBtfObjFd. */
  readonly attachProgFd?: number;
  /** Module BTF fd of attachBtfId. Exclusive with attachProgFd. Requires Linux 5.11. */
  readonly attachBtfObjFd?: number;
  /** fds the instructions refer to by index (`BPF_PSEUDO_MAP_IDX`, kfunc module BTF). Requires Linux 5.14. */
  readonly fdArray?: readonly number[];
  /** Pass `fd_array_cnt` = fdArray.length, binding every map of fdArray to the program. Requires Linux 6.14. */
  readonly bindFdArray?: boolean;
  /** `struct bpf_core_relo` records (bytes) and their size. Requires Linux 5.17. */
  readonly coreRelos?: { readonly records: Uint8Array; readonly recSize: number };
  /** BPF token fd (with `BPF_F_TOKEN_FD` in progFlags). Requires Linux 6.9. */
  readonly progTokenFd?: number;
}

/** A loaded program: its fd (owned by the caller) and the log, if one was asked for. */
export interface ProgLoadResult {
  /** The program fd. */
  readonly fd: number;
  /** The verifier log ('' when loaded at log level 0). */
  readonly log: string;
  /** `log_true_size` reported by the kernel (0 at log level 0). */
  readonly logTrueSize: number;
}

const encoder = new TextEncoder();

function records(a: AttrBuffer<ProgLoadField>, who: string, r: { readonly records: Uint8Array; readonly recSize: number }, ptrField: ProgLoadField, sizeField: ProgLoadField, cntField: ProgLoadField): void {
  if (!Number.isInteger(r.recSize) || r.recSize <= 0 || r.records.byteLength % r.recSize !== 0) {
    throw new RangeError(`progLoad: ${who} of ${r.records.byteLength} bytes is not a whole number of ${String(r.recSize)}-byte records`);
  }
  a.pointer(ptrField, r.records).set(sizeField, r.recSize).set(cntField, r.records.byteLength / r.recSize);
}

/**
 * Encodes the `BPF_PROG_LOAD` attr of `options` with log `level` and buffer `log` (exported for
 * tests).
 */
export function progLoadAttrOf(options: ProgLoadOptions, level = 0, log: Uint8Array | null = null): AttrBuffer<ProgLoadField> {
  const { insns } = options;
  if (insns.byteLength === 0 || insns.byteLength % 8 !== 0) throw new RangeError(`progLoad: insns is ${insns.byteLength} bytes, not a non-zero multiple of 8`);
  if (options.attachProgFd !== undefined && options.attachBtfObjFd !== undefined) throw new RangeError('progLoad: attachProgFd and attachBtfObjFd share one attr field; give one');
  const a = new AttrBuffer(progLoadAttr);
  const license = encoder.encode(`${options.license ?? 'GPL'}\0`);
  a.set('prog_type', options.progType).set('insn_cnt', insns.byteLength / 8).pointer('insns', insns).pointer('license', license);
  if (level !== 0) a.set('log_level', level);
  if (log !== null) a.set('log_size', log.byteLength).pointer('log_buf', log);
  if (options.kernVersion !== undefined) a.set('kern_version', options.kernVersion);
  if (options.progFlags !== undefined) a.set('prog_flags', options.progFlags);
  if (options.progName !== undefined) a.string('prog_name', options.progName);
  if (options.progIfindex !== undefined) a.set('prog_ifindex', options.progIfindex);
  if (options.expectedAttachType !== undefined) a.set('expected_attach_type', options.expectedAttachType);
  if (options.progBtfFd !== undefined) a.set('prog_btf_fd', options.progBtfFd);
  if (options.funcInfo !== undefined) records(a, 'funcInfo', options.funcInfo, 'func_info', 'func_info_rec_size', 'func_info_cnt');
  if (options.lineInfo !== undefined) records(a, 'lineInfo', options.lineInfo, 'line_info', 'line_info_rec_size', 'line_info_cnt');
  if (options.attachBtfId !== undefined) a.set('attach_btf_id', options.attachBtfId);
  if (options.attachProgFd !== undefined) a.set('attach_prog_fd', options.attachProgFd);
  if (options.attachBtfObjFd !== undefined) a.set('attach_btf_obj_fd', options.attachBtfObjFd);
  if (options.fdArray !== undefined && options.fdArray.length > 0) {
    const fds = new Int32Array(options.fdArray.length);
    options.fdArray.forEach((fd, i) => {
      if (!Number.isInteger(fd) || fd < -1 || fd > 0x7fffffff) throw new RangeError(`progLoad: fdArray[${i}] = ${String(fd)} is not a file descriptor`);
      fds[i] = fd;
    });
    a.pointer('fd_array', new Uint8Array(fds.buffer));
    if (options.bindFdArray) a.set('fd_array_cnt', fds.length);
  }
  if (options.coreRelos !== undefined) records(a, 'coreRelos', options.coreRelos, 'core_relos', 'core_relo_rec_size', 'core_relo_cnt');
  if (options.progTokenFd !== undefined) a.set('prog_token_fd', options.progTokenFd);
  return a;
}

/**
 * Verifies and loads a program. Returns its fd and log; throws a {@link SyscallError} carrying
 * the verifier log on failure (see {@link LogOptions} for when a log is collected).
 */
export function progLoad(options: ProgLoadOptions): ProgLoadResult {
  const outcome = loadWithLog('progLoad', options, (level, buf) => {
    const a = progLoadAttrOf(options, level, buf);
    const ret = bpfRaw(BpfCmd.PROG_LOAD, a);
    return { ret, logTrueSize: a.u32('log_true_size') };
  });
  const log = outcome.buf === null ? '' : decodeLog(outcome.buf);
  if (outcome.ret < 0) {
    throw bpfError(BpfCmd.PROG_LOAD, -outcome.ret, { ...(outcome.buf === null ? {} : { log }), ...(outcome.logTrueSize ? { logTrueSize: outcome.logTrueSize } : {}) });
  }
  return { fd: outcome.ret, log, logTrueSize: outcome.logTrueSize };
}
