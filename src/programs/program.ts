/**
 * {@link Program}: a loaded BPF program owned through its fd: load (with the verifier's
 * verdict as a {@link VerifierError}), `BPF_PROG_TEST_RUN`, and `bpf_prog_info`.
 * @module
 */

import { attachType, encode, programType, programTypeName, type AttachTypeName, type Instruction, type ProgramTypeName } from 'ebpf-bytecode-utils';
import { SyscallError, closeFd, getFdById, objGet, objPin, progInfo, progLoad, progTestRun, type ProgInfo } from '../../syscalls/index.js';
import { KernelObjectError } from '../errors.js';
import { trackFd, untrackFd } from '../maps/leak-tracker.js';
import { objectNameProblem } from '../maps/map-spec.js';
import { processedInsns } from './verifier-log.js';
import { VerifierError } from './verifier-error.js';

/** What {@link Program.load} loads. */
export interface ProgramSpec {
  /** Program type: lower-case name without `BPF_PROG_TYPE_` (`'socket_filter'`) or number. */
  readonly type: ProgramTypeName | number;
  /** The bytecode (raw little-endian slots) or instructions (encoded with `encode`). */
  readonly insns: Uint8Array | readonly Instruction[];
  /** License (`'GPL'` by default; GPL-only helpers need a GPL-compatible one). */
  readonly license?: string;
  /** `kern_version` (ignored by kernels since 5.0). */
  readonly kernelVersion?: number;
  /** Expected attach type: lower-case name without `BPF_` (`'cgroup_inet_ingress'`) or number. */
  readonly expectedAttachType?: AttachTypeName | number | null;
  /** Name, at most 15 bytes. */
  readonly name?: string;
  /** `BPF_F_*` load flags. */
  readonly flags?: number;
  /** fds that `BPF_PSEUDO_MAP_IDX`/`_IDX_VALUE` instructions index. Requires Linux 5.14. */
  readonly fdArray?: readonly number[];
  /** In-kernel BTF id of the attach target (tracing, LSM, struct_ops). */
  readonly attachBtfId?: number;
  /** Module BTF fd of `attachBtfId`. */
  readonly attachBtfObjFd?: number;
  /** Target program fd (freplace, fentry on BPF). */
  readonly attachProgFd?: number;
  /** BTF fd for func/line info. */
  readonly btfFd?: number;
}

/** How to collect the verifier log (see `LogOptions` in syscalls/verifier-log.ts). */
export interface ProgramLoadOptions {
  /**
   * Verifier log level. Absent: load at level 0 and, on failure, retry at level 1 to explain it.
   * 1 also on success: {@link Program.log} and {@link Program.processed} are then filled.
   */
  readonly logLevel?: number;
  /** Log buffer size (default 16 MiB, grown to `log_true_size` when too small). */
  readonly logSize?: number;
}

/** Input of {@link Program.testRun}. */
export interface TestRunOptions {
  /** Packet (or other) input. */
  readonly data?: Uint8Array;
  /** Context input (`struct __sk_buff`, `struct xdp_md`, raw_tp args, …). */
  readonly ctx?: Uint8Array;
  /** Repetitions (the reported duration is the average). */
  readonly repeat?: number;
  /** `BPF_F_TEST_RUN_ON_CPU` (1), `BPF_F_TEST_XDP_LIVE_FRAMES` (2), … */
  readonly flags?: number;
  /** CPU to run on, with `BPF_F_TEST_RUN_ON_CPU`. */
  readonly cpu?: number;
  /** Capacity for the output data (default: input size + 512, room for a grown packet). */
  readonly dataOutSize?: number;
  /** Capacity for the output context (default: the input context's size). */
  readonly ctxOutSize?: number;
}

/** What {@link Program.testRun} produced. */
export interface TestRunResult {
  /** The program's return value (u32). */
  readonly retval: number;
  /** The data after the run, when data was given. */
  readonly dataOut: Uint8Array | undefined;
  /** The context after the run, when a context was given. */
  readonly ctxOut: Uint8Array | undefined;
  /** Average ns per run. */
  readonly duration: number;
}

function describeProgram(type: number, name: string | undefined): string {
  if (name) return `program "${name}"`;
  try {
    return `${programTypeName(type)} program`;
  } catch {
    return `program of type ${type}`;
  }
}

/**
 * A loaded program. Owns its fd: {@link close} (or `using`) closes it exactly once; a program
 * collected without close is reported by the leak hook and its fd closed.
 */
export class Program implements Disposable {
  /** `enum bpf_prog_type` value. */
  readonly type: number;
  /** Name ('' when unnamed). */
  readonly name: string;
  /** How messages name the program. */
  readonly description: string;
  /** The verifier log of the load ('' at log level 0). */
  readonly log: string;
  /** `processed N insns` from the log, or undefined without a log. */
  readonly processed: number | undefined;
  #fd: number;

  private constructor(fd: number, type: number, name: string, log: string) {
    this.#fd = fd;
    this.type = type;
    this.name = name;
    this.log = log;
    this.processed = processedInsns(log);
    this.description = describeProgram(type, name);
    trackFd(this, 'program', this.description, fd);
  }

  /**
   * Verifies and loads `spec`.
   * @throws VerifierError when the kernel refuses the program (with the log and failing instruction).
   * @throws RangeError for an unknown program or attach type, bad instruction bytes.
   */
  static load(spec: ProgramSpec, options: ProgramLoadOptions = {}): Program {
    const type = programType(spec.type);
    const description = describeProgram(type, spec.name);
    const badName = spec.name === undefined ? undefined : objectNameProblem(spec.name);
    if (badName !== undefined) throw new KernelObjectError('load', description, badName);
    const insns = spec.insns instanceof Uint8Array ? spec.insns : encode(spec.insns);
    const eat = spec.expectedAttachType;
    try {
      const { fd, log } = progLoad({
        progType: type,
        insns,
        license: spec.license ?? 'GPL',
        ...(spec.kernelVersion !== undefined ? { kernVersion: spec.kernelVersion } : {}),
        ...(spec.flags ? { progFlags: spec.flags } : {}),
        ...(spec.name ? { progName: spec.name } : {}),
        ...(eat !== undefined && eat !== null ? { expectedAttachType: attachType(eat) } : {}),
        ...(spec.fdArray !== undefined && spec.fdArray.length > 0 ? { fdArray: spec.fdArray } : {}),
        ...(spec.attachBtfId !== undefined ? { attachBtfId: spec.attachBtfId } : {}),
        ...(spec.attachBtfObjFd !== undefined ? { attachBtfObjFd: spec.attachBtfObjFd } : {}),
        ...(spec.attachProgFd !== undefined ? { attachProgFd: spec.attachProgFd } : {}),
        ...(spec.btfFd !== undefined ? { progBtfFd: spec.btfFd } : {}),
        ...(options.logLevel !== undefined ? { logLevel: options.logLevel } : {}),
        ...(options.logSize !== undefined ? { logSize: options.logSize } : {}),
      });
      return new Program(fd, type, spec.name ?? '', log);
    } catch (err) {
      if (err instanceof SyscallError) throw new VerifierError(description, err);
      throw err;
    }
  }

  /** Adopts program fd `fd` (closed by this object from now on). */
  static fromFd(fd: number): Program {
    let info: ProgInfo;
    try {
      info = progInfo(fd);
    } catch (err) {
      throw KernelObjectError.wrap('open', `program fd ${fd}`, err);
    }
    return new Program(fd, info.type, info.name, '');
  }

  /** Opens the program with kernel id `id` (needs CAP_SYS_ADMIN). */
  static fromId(id: number): Program {
    let fd: number;
    try {
      fd = getFdById('prog', id);
    } catch (err) {
      throw KernelObjectError.wrap('open', `program id ${id}`, err);
    }
    return Program.fromFd(fd);
  }

  /** Opens the program pinned at `path`. */
  static fromPin(path: string): Program {
    let fd: number;
    try {
      fd = objGet(path);
    } catch (err) {
      throw KernelObjectError.wrap('open', `pinned program '${path}'`, err);
    }
    return Program.fromFd(fd);
  }

  /** The fd; throws once closed. */
  get fd(): number {
    if (this.#fd < 0) throw new KernelObjectError('use', this.description, 'the program is closed');
    return this.#fd;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /**
   * Runs the program on synthetic input (`BPF_PROG_TEST_RUN`). Requires Linux 4.12 and a
   * program type the kernel can test-run (socket filter, sched_cls, XDP, raw_tp, …).
   */
  testRun(options: TestRunOptions = {}): TestRunResult {
    const progFd = this.fd;
    const dataCap = options.dataOutSize ?? (options.data !== undefined ? options.data.byteLength + 512 : 0);
    const ctxCap = options.ctxOutSize ?? options.ctx?.byteLength ?? 0;
    try {
      const r = progTestRun({
        progFd,
        ...(options.data !== undefined ? { dataIn: options.data } : {}),
        ...(dataCap > 0 ? { dataSizeOut: dataCap } : {}),
        ...(options.ctx !== undefined ? { ctxIn: options.ctx } : {}),
        ...(ctxCap > 0 ? { ctxSizeOut: ctxCap } : {}),
        ...(options.repeat !== undefined ? { repeat: options.repeat } : {}),
        ...(options.flags !== undefined ? { flags: options.flags } : {}),
        ...(options.cpu !== undefined ? { cpu: options.cpu } : {}),
      });
      return { retval: r.retval, dataOut: r.dataOut, ctxOut: r.ctxOut, duration: r.duration };
    } catch (err) {
      throw KernelObjectError.wrap('test-run', this.description, err);
    }
  }

  /** `bpf_prog_info`: id, tag, translated instructions, map ids, run statistics (with `BPF_ENABLE_STATS`). */
  info(): ProgInfo {
    try {
      return progInfo(this.fd, { xlatedInsns: true, mapIds: true });
    } catch (err) {
      throw KernelObjectError.wrap('read info of', this.description, err);
    }
  }

  /** Pins the program at `path` in bpffs. */
  pin(path: string): void {
    try {
      objPin(this.fd, path);
    } catch (err) {
      throw KernelObjectError.wrap('pin', this.description, err);
    }
  }

  /** Closes the fd (once). Links and prog arrays that hold the program keep it alive. */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    untrackFd(this);
    closeFd(fd);
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
