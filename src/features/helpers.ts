/**
 * Helper probes: whether a program of a given type may call a given helper, asked the way
 * bpftool does: load a program calling the helper (see `helperCallProgram`) and read the
 * verifier's answer. `unknown func bpf_x#N` / `program of this type cannot use helper bpf_x#N` mean the
 * helper is not offered to the type; anything else (accepted, or rejected for its arguments,
 * for sleeping in a non-sleepable program, …) means it is.
 * @module
 */

import { helperById, programType, programTypeName, type ProgramTypeName } from 'ebpf-bytecode-utils';
import { Errno, errnoName } from '../../syscalls/index.js';
import { closeQuietly, helperCallProgram, probeLoad, type ProbeLoadOutcome } from './probe-load.js';
import { probeEnvironment } from './probe-environment.js';
import { NEEDS_PRIVILEGES, programTypeProbeProgram } from './program-types.js';
import { supported, unknown, unsupported, type ProbeResult } from './probe-result.js';

/**
 * Program types whose helpers are not probed, and why: what they may call depends on the
 * attach target (the replaced program for `ext`, the struct_ops kind for `struct_ops`), so a
 * target-free probe would answer for one target only. libbpf refuses to probe them too.
 */
export const HELPERS_NOT_PROBED: Readonly<Partial<Record<ProgramTypeName, string>>> = {
  ext: 'ext programs call what their target program may call',
  struct_ops: 'struct_ops programs call what their struct_ops kind allows',
  unspec: 'not a program type',
};

/** The verifier's words for a helper the program type cannot call. */
const UNAVAILABLE = /unknown func|program of this type cannot use helper|invalid func/;

/** `bpf_redirect helper for xdp programs`: how messages name a helper of a program type. */
export function helperFeature(type: ProgramTypeName, helperId: number): string {
  return `${helperById(helperId)?.name ?? `helper #${helperId}`} helper for ${type} programs`;
}

/** Whether a failed helper-call load must be loaded again with a log to be classified. */
export function helperLoadNeedsLog(errno: number): boolean {
  return errno === Errno.EINVAL || errno === Errno.EPERM || errno === Errno.ENOTSUPP;
}

/**
 * Classifies the outcome of loading a helper call (exported for tests): loaded, or EACCES (the
 * verifier got past the helper lookup: `R6 !read_ok` after the call, or an argument check) →
 * `supported`; the verifier's `unknown func` / `cannot use helper` → `unsupported`; EPERM with
 * no log → `unknown` (no privileges) or `unsupported`; any other rejection → `supported`.
 */
export function classifyHelperLoad(type: ProgramTypeName, helperId: number, outcome: ProbeLoadOutcome, privileged: boolean): ProbeResult {
  const feature = helperFeature(type, helperId);
  if (outcome.fd >= 0) return supported(feature);
  const { errno, log } = outcome;
  if (UNAVAILABLE.test(log)) return unsupported(feature, `the verifier does not offer it to ${type} programs`, errno);
  if (errno === Errno.EPERM && log.trim() === '') {
    return privileged ? unsupported(feature, `the kernel refuses the program (${errnoName(errno)})`, errno) : unknown(feature, NEEDS_PRIVILEGES, errno);
  }
  return supported(feature);
}

/**
 * Probes whether programs of type `type` may call helper `helperId`. The program type itself
 * must load (see `probeProgramType`); `tracing` is probed as a tp_btf program, `lsm` on the
 * `file_open` hook, `syscall` as sleepable. For `ext` and `struct_ops` the answer is `unknown`
 * (see {@link HELPERS_NOT_PROBED}).
 */
export function probeHelper(type: ProgramTypeName | number, helperId: number): ProbeResult {
  const name = programTypeName(typeof type === 'number' ? type : programType(type));
  const feature = helperFeature(name, helperId);
  const notProbed = HELPERS_NOT_PROBED[name];
  if (notProbed !== undefined) return unknown(feature, notProbed);
  if (!Number.isInteger(helperId) || helperId <= 0 || helperId > 0x7fffffff) throw new RangeError(`probeHelper: ${String(helperId)} is not a helper id`);
  const program = programTypeProbeProgram(name, helperCallProgram(helperId));
  if (typeof program === 'string') return unsupported(feature, program);
  // Where the helper table says the type is not offered the helper, the load will fail with
  // EINVAL, which only the log explains: load with a log straight away (one load, not two). The
  // verdict is still the kernel's; the table only picks the order.
  const expectUnavailable = helperById(helperId)?.programTypes.includes(name) === false;
  const outcome = probeLoad(program, helperLoadNeedsLog, expectUnavailable);
  closeQuietly(outcome.fd);
  return classifyHelperLoad(name, helperId, outcome, probeEnvironment().privileged());
}
