/**
 * Attach kind probes: cheap checks of the mechanisms tsbpf attaches programs with — the PMU type
 * files of `/sys/bus/event_source/devices/`, the kernel's BTF, and where only the kernel can
 * tell, a tiny program loaded and attached (or a link request that fails in a telling way). Every
 * object a probe creates is closed before it returns.
 * @module
 */

import { AttachTypes, ProgramTypes, type ProgramTypeName } from 'ebpf-bytecode-utils';
import { BpfCmd, bpfRaw, Errno, errnoName, errnoText, linkCreateAttrOf, rawTracepointOpenAttrOf } from '../../syscalls/index.js';
import { existsSync, readFileSync } from 'node:fs';
import type { AttachKind } from './attach-kind.js';
import { probeEnvironment } from './probe-environment.js';
import { closeQuietly, probeLoad, returnProgram, type ProbeProgram } from './probe-load.js';
import { EPERM_AS_ROOT, loadNeedsLog, NEEDS_PRIVILEGES, probeProgramType, programTypeProbeProgram } from './program-types.js';
import { supported, unknown, unsupported, type ProbeResult } from './probe-result.js';

/** `kprobe attach`: how messages name an attach kind. */
export function attachKindFeature(kind: AttachKind): string {
  return `${kind} attach`;
}

/** The raw tracepoint the `raw_tp` probe attaches to (present in every kernel with tracepoints). */
const RAW_TP_PROBE_TARGET = 'sched_switch';
/** A kernel function in every kernel with BPF and networking (`net/bpf/test_run.c`), for fentry/fexit. */
const FENTRY_PROBE_TARGET = 'bpf_fentry_test1';
/** An interface index no machine has: the tcx probe asks to attach there and expects ENODEV. */
const NO_SUCH_IFINDEX = 0x7ffffff0;
/** An fd number no process has open: the cgroup link probe expects EBADF for it. */
const NO_SUCH_FD = 0x7fffffff;
/** `XDP_PASS`: what the XDP link probe's program returns, so traffic on lo is untouched. */
const XDP_PASS = 2;
/** BTF_KIND_FUNC. */
const BTF_KIND_FUNC = 12;

function failure(feature: string, what: string, errno: number): ProbeResult {
  if (errno === Errno.EPERM) return probeEnvironment().privileged() ? unsupported(feature, `${what}: ${EPERM_AS_ROOT}`, errno) : unknown(feature, NEEDS_PRIVILEGES, errno);
  return unsupported(feature, `${what} fails with ${errnoName(errno)} (${errnoText(errno)})`, errno);
}

/** Loads `program` (or reports why it could not be built) and runs `then` with its fd, closing it after. */
function withProgram(feature: string, what: string, program: ProbeProgram | string, then: (fd: number) => ProbeResult): ProbeResult {
  if (typeof program === 'string') return unsupported(feature, program);
  const outcome = probeLoad(program, loadNeedsLog);
  if (outcome.fd < 0) {
    const line = outcome.log.trim().split('\n').filter((l) => l !== '' && !/^processed \d+ insns/.test(l)).at(-1);
    return line === undefined ? failure(feature, `loading the ${what} probe program`, outcome.errno) : unsupported(feature, `loading the ${what} probe program fails: ${line}`, outcome.errno);
  }
  try {
    return then(outcome.fd);
  } finally {
    closeQuietly(outcome.fd);
  }
}

/** A PMU check plus the program type that attaches there. */
function pmuAndType(kind: AttachKind, pmu: string, type: ProgramTypeName): ProbeResult {
  const feature = attachKindFeature(kind);
  if (!probeEnvironment().pmuExists(pmu)) return unsupported(feature, `no ${pmu} PMU (/sys/bus/event_source/devices/${pmu}/type is missing)`);
  const t = probeProgramType(type);
  if (t.status === 'supported') return supported(feature);
  if (t.status === 'unknown') return { ...t, feature };
  return { ...t, feature, reason: `${type} programs: ${t.reason ?? 'not supported'}` };
}

/** Attaches tracing/LSM program `fd` to the target chosen at load time; closes the link. */
function attachTracing(feature: string, fd: number): ProbeResult {
  const link = bpfRaw(BpfCmd.RAW_TRACEPOINT_OPEN, rawTracepointOpenAttrOf(fd));
  if (link < 0) return failure(feature, 'attaching (BPF_RAW_TRACEPOINT_OPEN)', -link);
  closeQuietly(link);
  return supported(feature);
}

/** `link_create` of `fd` on `target`: the link fd (closed here) or `-errno`. */
function linkCreate(fd: number, target: number, attachType: number): number {
  const link = bpfRaw(BpfCmd.LINK_CREATE, linkCreateAttrOf({ progFd: fd, targetFd: target, attachType }));
  closeQuietly(link);
  return link;
}

function loopbackIfindex(): number {
  try {
    return Number(readFileSync('/sys/class/net/lo/ifindex', 'utf8').trim()) || 1;
  } catch {
    return 1;
  }
}

function fentryLike(kind: 'fentry' | 'fexit'): ProbeResult {
  const feature = attachKindFeature(kind);
  const id = probeEnvironment().vmlinuxBtfId(FENTRY_PROBE_TARGET, BTF_KIND_FUNC);
  if (id === null) return unsupported(feature, 'the kernel has no BTF (/sys/kernel/btf/vmlinux is missing: CONFIG_DEBUG_INFO_BTF is off)');
  if (id === undefined) return unsupported(feature, `the kernel's BTF has no ${FENTRY_PROBE_TARGET} to attach to`);
  const program: ProbeProgram = { progType: ProgramTypes.tracing, insns: returnProgram(), expectedAttachType: kind === 'fentry' ? AttachTypes.trace_fentry : AttachTypes.trace_fexit, attachBtfId: id };
  return withProgram(feature, kind, program, (fd) => attachTracing(feature, fd));
}

/**
 * Probes attach kind `kind`. What each check is, and what `unsupported` then means:
 * - `tracepoint`: the `tracepoint` PMU exists and `tracepoint` programs load;
 * - `raw_tp`: a `raw_tracepoint` program attaches to `sched_switch` (and is detached);
 * - `tp_btf`: a `tracing` program loads against `btf_trace_sched_switch` and attaches;
 * - `kprobe`, `uprobe`: the kprobe / uprobe PMU exists (no PMU: the kernel lacks
 *   CONFIG_KPROBE_EVENTS / CONFIG_UPROBE_EVENTS) and `kprobe` programs load;
 * - `kprobe_multi`: a kprobe_multi link request with no functions answers EINVAL (the
 *   mechanism exists) rather than EOPNOTSUPP (no CONFIG_FPROBE);
 * - `fentry`, `fexit`: a program on `bpf_fentry_test1` loads and attaches (a trampoline is
 *   built); EPERM as root means the kernel blocks trampolines / ftrace hooks;
 * - `lsm`: an `lsm` program on `file_open` (returning 0, allowing) loads and attaches;
 * - `xdp_link`: an XDP_PASS program attaches to `lo` through a link (and is detached; EBUSY
 *   because lo already has one counts as supported);
 * - `tcx`: a tcx link request for a missing interface answers ENODEV (rather than EINVAL);
 * - `cgroup_link`: a cgroup link request with a closed fd answers EBADF (rather than EINVAL);
 * - `perf_event`: the `software` PMU exists and `perf_event` programs load.
 */
export function probeAttachKind(kind: AttachKind): ProbeResult {
  const feature = attachKindFeature(kind);
  switch (kind) {
    case 'tracepoint':
      return pmuAndType(kind, 'tracepoint', 'tracepoint');
    case 'kprobe':
      return pmuAndType(kind, 'kprobe', 'kprobe');
    case 'uprobe':
      return pmuAndType(kind, 'uprobe', 'kprobe');
    case 'perf_event':
      return pmuAndType(kind, 'software', 'perf_event');
    case 'raw_tp':
      return withProgram(feature, 'raw_tracepoint', { progType: ProgramTypes.raw_tracepoint, insns: returnProgram() }, (fd) => {
        const link = bpfRaw(BpfCmd.RAW_TRACEPOINT_OPEN, rawTracepointOpenAttrOf(fd, RAW_TP_PROBE_TARGET));
        if (link < 0) return failure(feature, `attaching to raw tracepoint ${RAW_TP_PROBE_TARGET}`, -link);
        closeQuietly(link);
        return supported(feature);
      });
    case 'tp_btf':
      return withProgram(feature, 'tp_btf', programTypeProbeProgram('tracing'), (fd) => attachTracing(feature, fd));
    case 'fentry':
    case 'fexit':
      return fentryLike(kind);
    case 'lsm':
      if (existsSync('/sys/kernel/security/lsm')) {
        const lsms = readFileSync('/sys/kernel/security/lsm', 'utf8').split(',');
        if (!lsms.includes('bpf')) return unsupported(feature, `the bpf LSM is not active (/sys/kernel/security/lsm lists ${lsms.join(',') || 'nothing'}; add bpf to the lsm= boot parameter)`);
      }
      return withProgram(feature, 'lsm', programTypeProbeProgram('lsm'), (fd) => attachTracing(feature, fd));
    case 'kprobe_multi':
      return withProgram(feature, 'kprobe_multi', { progType: ProgramTypes.kprobe, insns: returnProgram(), expectedAttachType: AttachTypes.trace_kprobe_multi }, (fd) => {
        const r = linkCreate(fd, 0, AttachTypes.trace_kprobe_multi);
        if (r === -Errno.EINVAL) return supported(feature);
        if (r === -Errno.EOPNOTSUPP || r === -Errno.ENOTSUPP) return unsupported(feature, 'the kernel has no fprobe support (EOPNOTSUPP: CONFIG_FPROBE is off)', -r);
        return r >= 0 ? supported(feature) : failure(feature, 'a kprobe_multi link request', -r);
      });
    case 'xdp_link':
      return withProgram(feature, 'xdp', { progType: ProgramTypes.xdp, insns: returnProgram(XDP_PASS), expectedAttachType: AttachTypes.xdp }, (fd) => {
        const r = linkCreate(fd, loopbackIfindex(), AttachTypes.xdp);
        if (r >= 0 || r === -Errno.EBUSY || r === -Errno.EEXIST) return supported(feature);
        if (r === -Errno.EINVAL) return unsupported(feature, 'the kernel has no XDP links (EINVAL)', -r);
        return failure(feature, 'attaching an XDP link to lo', -r);
      });
    case 'tcx':
      return withProgram(feature, 'tcx', { progType: ProgramTypes.sched_cls, insns: returnProgram(), expectedAttachType: AttachTypes.tcx_ingress }, (fd) => {
        const r = linkCreate(fd, NO_SUCH_IFINDEX, AttachTypes.tcx_ingress);
        if (r === -Errno.ENODEV || r >= 0) return supported(feature);
        if (r === -Errno.EINVAL) return unsupported(feature, 'the kernel has no tcx hooks (EINVAL)', -r);
        return failure(feature, 'a tcx link request', -r);
      });
    case 'cgroup_link':
      return withProgram(feature, 'cgroup_skb', { progType: ProgramTypes.cgroup_skb, insns: returnProgram(1), expectedAttachType: AttachTypes.cgroup_inet_ingress }, (fd) => {
        const r = linkCreate(fd, NO_SUCH_FD, AttachTypes.cgroup_inet_ingress);
        if (r === -Errno.EBADF || r >= 0) return supported(feature);
        if (r === -Errno.EINVAL) return unsupported(feature, 'the kernel has no cgroup links (EINVAL)', -r);
        return failure(feature, 'a cgroup link request', -r);
      });
  }
}
