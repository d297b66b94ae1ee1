/**
 * The program loads of the feature probes: minimal programs (`r0 = N; exit`, and a helper call),
 * loaded at log level 0 and, only when the errno does not decide, again at log level 1 into one
 * preallocated log buffer shared by every probe. Every fd is closed before the probe returns
 * (or handed to the caller, who closes it).
 * @module
 */

import { Call, encode, Exit, Mov, R0, R6 } from 'ebpf-bytecode-utils';
import { BpfCmd, bpfRaw, closeFd, Errno, progLoadAttrOf } from '../../syscalls/index.js';

/** A minimal program to load: the attr fields the probes set. */
export interface ProbeProgram {
  /** `enum bpf_prog_type`. */
  readonly progType: number;
  /** The bytecode. */
  readonly insns: Uint8Array;
  /** `expected_attach_type`. */
  readonly expectedAttachType?: number;
  /** `attach_btf_id` (tracing, LSM). */
  readonly attachBtfId?: number;
  /** `prog_flags` (`BPF_F_SLEEPABLE` for syscall programs). */
  readonly progFlags?: number;
  /** `kern_version` (kprobe programs before Linux 5.0). */
  readonly kernVersion?: number;
}

/** The outcome of one probe load. */
export interface ProbeLoadOutcome {
  /** The program fd (the caller closes it), or -1. */
  readonly fd: number;
  /** The errno of the failure (0 on success). */
  readonly errno: number;
  /** The verifier log of a level-1 load ('' when none was asked for or the kernel wrote none). */
  readonly log: string;
}

/** Size of the shared log buffer: far more than a level-1 log of a probe program needs. */
const LOG_SIZE = 64 << 10;
let logBuf: Uint8Array | undefined;
const latin1 = new TextDecoder('latin1');

const cache = new Map<string, Uint8Array>();

/** `r0 = value; exit` (cached per value). */
export function returnProgram(value = 0): Uint8Array {
  const key = `ret${value}`;
  let p = cache.get(key);
  if (p === undefined) {
    p = encode([Mov.imm(R0, value), Exit()]);
    cache.set(key, p);
  }
  return p;
}

/**
 * `call helper#id; r0 = r6; exit`: bpftool's helper probe cut to what decides. The verifier looks
 * the helper up for the program type before it reads any argument register, so no argument
 * set-up is needed (unset arguments fail later, with EACCES). The program also reads the
 * never-written r6 after the call, so the verifier always rejects it: with EACCES (`R2
 * !read_ok`, `R6 !read_ok`, …) once it got past the helper lookup, with EINVAL when the helper is
 * unknown to the program type (and for a few other checks, which the log tells apart). No program
 * is ever JIT-compiled and freed, and a level-1 log is two lines: both halve the cost of a probe.
 */
export function helperCallProgram(id: number): Uint8Array {
  return encode([Call.helper(id), Mov.reg(R0, R6), Exit()]);
}

function attempt(p: ProbeProgram, level: number): { ret: number; log: string } {
  const buf = level === 0 ? null : (logBuf ??= new Uint8Array(LOG_SIZE));
  if (buf !== null) buf[0] = 0;
  const attr = progLoadAttrOf(
    {
      progType: p.progType,
      insns: p.insns,
      license: 'GPL',
      ...(p.expectedAttachType !== undefined ? { expectedAttachType: p.expectedAttachType } : {}),
      ...(p.attachBtfId !== undefined ? { attachBtfId: p.attachBtfId } : {}),
      ...(p.progFlags !== undefined ? { progFlags: p.progFlags } : {}),
      ...(p.kernVersion !== undefined ? { kernVersion: p.kernVersion } : {}),
    },
    level,
    buf,
  );
  let ret = bpfRaw(BpfCmd.PROG_LOAD, attr);
  // A load interrupted by a signal is repeated (as libbpf does).
  for (let i = 0; i < 4 && ret === -Errno.EAGAIN; i++) ret = bpfRaw(BpfCmd.PROG_LOAD, attr);
  if (buf === null) return { ret, log: '' };
  let end = buf.indexOf(0);
  if (end < 0) end = buf.byteLength;
  return { ret, log: latin1.decode(buf.subarray(0, end)) };
}

/**
 * Loads `p`. At log level 0 first; when it fails and `needLog(errno)` says the errno alone does
 * not decide, once more at log level 1 so the caller can read the verifier's words. With
 * `logFirst` (the caller expects an errno that does not decide), directly at log level 1.
 */
export function probeLoad(p: ProbeProgram, needLog: (errno: number) => boolean = () => false, logFirst = false): ProbeLoadOutcome {
  if (logFirst) {
    const only = attempt(p, 1);
    if (only.ret >= 0) return { fd: only.ret, errno: 0, log: only.log };
    return { fd: -1, errno: -only.ret, log: only.log };
  }
  const first = attempt(p, 0);
  if (first.ret >= 0) return { fd: first.ret, errno: 0, log: '' };
  if (!needLog(-first.ret)) return { fd: -1, errno: -first.ret, log: '' };
  const second = attempt(p, 1);
  // Loaded with a log after failing without one: not expected, but the program exists.
  if (second.ret >= 0) return { fd: second.ret, errno: 0, log: second.log };
  return { fd: -1, errno: second.ret === -Errno.ENOSPC ? -first.ret : -second.ret, log: second.log };
}

/** Closes `fd` if it is one, ignoring errors (probe objects are short-lived and ours). */
export function closeQuietly(fd: number): void {
  if (fd < 0) return;
  try {
    closeFd(fd);
  } catch {
    // Nothing to do: the fd was ours and is gone either way.
  }
}
