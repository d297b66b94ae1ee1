/**
 * Program type probes: load a minimal `r0 = 0; exit` of the type, with the expected attach type,
 * attach BTF id or flags the type needs (as bpftool's `feature probe` and libbpf's
 * `libbpf_probe_bpf_prog_type` do).
 * @module
 */

import { AttachTypes, ProgramTypes, programType, programTypeName, type AttachTypeName, type ProgramTypeName } from 'ebpf-bytecode-utils';
import { Errno, errnoName, errnoText } from '../../syscalls/index.js';
import { closeQuietly, probeLoad, returnProgram, type ProbeLoadOutcome, type ProbeProgram } from './probe-load.js';
import { probeEnvironment } from './probe-environment.js';
import { supported, unknown, unsupported, type ProbeResult } from './probe-result.js';

/** `BPF_F_SLEEPABLE`. */
const BPF_F_SLEEPABLE = 1 << 4;
/** BTF kinds of the attach targets. */
const BTF_KIND_TYPEDEF = 8;
const BTF_KIND_FUNC = 12;

/** A kernel BTF type a program is loaded against. */
interface BtfTarget {
  readonly name: string;
  readonly kind: number;
}

/** What the minimal program of a type needs besides `r0 = 0; exit`. */
interface ProgramTypeProbe {
  readonly expectedAttachType?: AttachTypeName;
  readonly btfTarget?: BtfTarget;
  readonly flags?: number;
  readonly kernVersion?: boolean;
}

/**
 * The tp_btf target the `tracing` type (and its helpers) is probed with: `btf_trace_sched_switch`
 * exists in every kernel with BTF.
 */
export const TRACING_PROBE_TARGET: BtfTarget = { name: 'btf_trace_sched_switch', kind: BTF_KIND_TYPEDEF };
/** The LSM hook the `lsm` type is probed on: `file_open` (allowing everything, r0 = 0). */
export const LSM_PROBE_TARGET: BtfTarget = { name: 'bpf_lsm_file_open', kind: BTF_KIND_FUNC };

const probes: Readonly<Partial<Record<ProgramTypeName, ProgramTypeProbe>>> = {
  // Kernels before 5.0 compare kern_version with LINUX_VERSION_CODE for kprobe programs.
  kprobe: { kernVersion: true },
  cgroup_skb: { expectedAttachType: 'cgroup_inet_ingress' },
  cgroup_sock: { expectedAttachType: 'cgroup_inet_sock_create' },
  cgroup_sock_addr: { expectedAttachType: 'cgroup_inet4_connect' },
  cgroup_sockopt: { expectedAttachType: 'cgroup_getsockopt' },
  sk_lookup: { expectedAttachType: 'sk_lookup' },
  netfilter: { expectedAttachType: 'netfilter' },
  syscall: { flags: BPF_F_SLEEPABLE },
  tracing: { expectedAttachType: 'trace_raw_tp', btfTarget: TRACING_PROBE_TARGET },
  lsm: { expectedAttachType: 'lsm_mac', btfTarget: LSM_PROBE_TARGET },
};

/** Why a load failed with EPERM, when the process holds every privilege. */
export const EPERM_AS_ROOT =
  'the kernel refuses to load it even with full privileges (EPERM with an empty verifier log: BPF trampolines / ftrace function hooks are blocked here, or kernel lockdown)';
/** Why a probe could not run without privileges. */
export const NEEDS_PRIVILEGES = 'needs privileges: run as root (or with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)';

/** `xdp program type`: how messages name a program type. */
export function programTypeFeature(name: ProgramTypeName): string {
  return `${name} program type`;
}

/**
 * The load of program type `name` with bytecode `insns` (`r0 = 0; exit` by default) and the
 * expected attach type, attach BTF id, flags or kern_version the type needs; or a reason why it
 * cannot be built here (no kernel BTF, no attach target in it).
 */
export function programTypeProbeProgram(name: ProgramTypeName, insns: Uint8Array = returnProgram()): ProbeProgram | string {
  const spec = probes[name] ?? {};
  let attachBtfId: number | undefined;
  if (spec.btfTarget !== undefined) {
    const id = probeEnvironment().vmlinuxBtfId(spec.btfTarget.name, spec.btfTarget.kind);
    if (id === null) return 'the kernel has no BTF (/sys/kernel/btf/vmlinux is missing: CONFIG_DEBUG_INFO_BTF is off)';
    if (id === undefined) return `the kernel's BTF has no ${spec.btfTarget.name}${name === 'lsm' ? ' (CONFIG_BPF_LSM is off)' : ''}`;
    attachBtfId = id;
  }
  return {
    progType: ProgramTypes[name],
    insns,
    ...(spec.expectedAttachType !== undefined ? { expectedAttachType: AttachTypes[spec.expectedAttachType] } : {}),
    ...(attachBtfId !== undefined ? { attachBtfId } : {}),
    ...(spec.flags !== undefined ? { progFlags: spec.flags } : {}),
    ...(spec.kernVersion ? { kernVersion: probeEnvironment().kernelVersionCode() } : {}),
  };
}

/** Whether a failed load of a probe program needs the verifier log to be classified. */
export function loadNeedsLog(errno: number): boolean {
  return errno === Errno.EINVAL || errno === Errno.ENOTSUPP || errno === Errno.EACCES;
}

/**
 * Classifies the outcome of loading the minimal program of type `name` (exported for tests):
 * - loaded, or rejected by the verifier (a non-empty log: the kernel knows the type and
 *   verified the program) → `supported`. For `ext` the verifier's `Cannot replace kernel
 *   functions` and for `struct_ops` its ENOTSUPP for the missing struct count as supported:
 *   the type exists, and a real program needs a target program / a struct_ops map;
 * - EINVAL with an empty log (refused before verification: the kernel does not know the type,
 *   or was built without its option) → `unsupported`;
 * - EPERM with every privilege → `unsupported` (the kernel refuses the type; see
 *   {@link EPERM_AS_ROOT}); EPERM without privileges → `unknown`;
 * - any other errno → `unsupported`, naming the errno.
 */
export function classifyProgramLoad(name: ProgramTypeName, outcome: ProbeLoadOutcome, privileged: boolean): ProbeResult {
  const feature = programTypeFeature(name);
  if (outcome.fd >= 0) return supported(feature);
  const { errno, log } = outcome;
  if (errno === Errno.EPERM) {
    return privileged ? unsupported(feature, EPERM_AS_ROOT, errno) : unknown(feature, NEEDS_PRIVILEGES, errno);
  }
  if (log.trim() !== '') return supported(feature);
  if (errno === Errno.EINVAL) return unsupported(feature, 'the kernel does not know this program type (EINVAL before verification)', errno);
  return unsupported(feature, `loading a minimal program fails with ${errnoName(errno)} (${errnoText(errno)})`, errno);
}

/**
 * Probes program type `type` (name or number): loads the minimal program and closes it. What
 * `supported` means per type (see {@link classifyProgramLoad}):
 * - most types: `r0 = 0; exit` loads (kprobe: the *program type* exists; whether kprobes can
 *   be attached is the `kprobe` attach kind);
 * - `tracing`: a tp_btf program on `sched_switch` loads (fentry/fexit are the attach kinds);
 * - `lsm`: a program on the `file_open` hook loads;
 * - `ext`: the kernel knows freplace programs (it reached the verifier);
 * - `struct_ops`: the kernel knows the type (it reached the struct_ops check).
 */
export function probeProgramType(type: ProgramTypeName | number): ProbeResult {
  const name = typeof type === 'number' ? programTypeName(type) : programTypeName(programType(type));
  const feature = programTypeFeature(name);
  if (name === 'unspec') return unsupported(feature, 'not a program type');
  const program = programTypeProbeProgram(name);
  if (typeof program === 'string') return unsupported(feature, program);
  const outcome = probeLoad(program, loadNeedsLog);
  closeQuietly(outcome.fd);
  return classifyProgramLoad(name, outcome, probeEnvironment().privileged());
}
