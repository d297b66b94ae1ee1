// src/features/ against the live kernel: the answers on the development machines (Linux 6.18,
// no CONFIG_KPROBES, fentry/fexit/LSM refused with EPERM), checked against independent oracles
// where the answer depends on the kernel (the kprobe PMU file, a direct fentry load), plus the
// JSON shape of `tsbpf probe --json` (spawned once). Needs root and bpf(); skips otherwise.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { AttachTypes, Call, encode, Exit, helpers, Mov, ProgramTypes, R0, R1, R2, R3, R4, R5 } from 'ebpf-bytecode-utils';
import { Errno, SyscallError, closeFd, progLoad } from '../../syscalls/index.js';
import { findBtfTypeId } from '../../src/attach/vmlinux-btf-id.js';
import {
  AttachKinds,
  NotSupportedError,
  assertSupported,
  attachKindSupported,
  clearFeatureCache,
  helperSupported,
  mapTypeSupported,
  probeFeature,
  programTypeSupported,
} from '../../src/features/index.js';
import { kernelTest } from '../support/kernel.js';
import { arenaMissing, attachTypeMissing } from '../support/kernel-lacks.js';

const test = suite('features (kernel)');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

kernelTest(test, 'program types: socket_filter, xdp and kprobe (the type exists without kprobes) are supported', () => {
  for (const t of ['socket_filter', 'xdp', 'kprobe', 'tracepoint', 'raw_tracepoint', 'sched_cls', 'cgroup_skb', 'syscall', 'tracing'] as const) {
    assert.ok(programTypeSupported(t), `${t}: ${probeFeature({ programType: t }).reason}`);
  }
});

kernelTest(test, 'map types: hash, array, ringbuf, bloom_filter and the map-in-maps are supported', () => {
  for (const t of ['hash', 'array', 'ringbuf', 'bloom_filter', 'array_of_maps', 'hash_of_maps', 'lpm_trie', 'task_storage', 'struct_ops'] as const) {
    assert.ok(mapTypeSupported(t), `${t}: ${probeFeature({ mapType: t }).reason}`);
  }
});

kernelTest(test, 'map types: arena is supported exactly when a direct create works', () => {
  const refused = arenaMissing();
  const r = probeFeature({ mapType: 'arena' });
  if (refused === null) {
    assert.is(r.status, 'supported', r.reason ?? '');
  } else {
    // The probe must agree with the direct attempt; that is all this kernel lets us check.
    assert.is.not(r.status, 'supported', `the probe says supported, but ${refused}`);
    console.log(`skip: arena supported: ${refused}`);
  }
});

kernelTest(test, 'attach: tracepoint, raw_tp, tp_btf and uprobe are supported', () => {
  for (const k of ['tracepoint', 'raw_tp', 'tp_btf', 'uprobe', 'perf_event', 'tcx', 'cgroup_link', 'xdp_link'] as const) {
    // tcx needs Linux 6.6: where the kernel's BTF has no BPF_TCX_INGRESS, the probe must say unsupported.
    const lacking = k === 'tcx' ? attachTypeMissing('tcx_ingress') : null;
    if (lacking !== null) {
      assert.not.ok(attachKindSupported(k), `${k}: the probe says supported, but ${lacking}`);
      console.log(`skip: ${k} supported: ${lacking}`);
      continue;
    }
    assert.ok(attachKindSupported(k), `${k}: ${probeFeature({ attach: k }).reason}`);
  }
});

kernelTest(test, 'attach: kprobe follows the kprobe PMU (missing here: no CONFIG_KPROBES) and assertSupported says so', () => {
  const pmu = existsSync('/sys/bus/event_source/devices/kprobe/type');
  const r = probeFeature({ attach: 'kprobe' });
  assert.is(r.status, pmu ? 'supported' : 'unsupported', r.reason ?? '');
  if (!pmu) {
    assert.match(r.reason ?? '', 'no kprobe PMU');
    assert.throws(() => assertSupported({ attach: 'kprobe' }), (e: unknown) => e instanceof NotSupportedError && e.minimumKernel === '4.17' && e.message.startsWith('kprobe attach is not supported by this kernel (requires Linux 4.17 with CONFIG_KPROBE_EVENTS)'));
  }
});

kernelTest(test, 'attach: fentry agrees with a direct load (EPERM here → unsupported, with the reason)', () => {
  const id = findBtfTypeId(readFileSync('/sys/kernel/btf/vmlinux'), 'bpf_fentry_test1', 12);
  assert.ok(id !== undefined, 'bpf_fentry_test1 in the kernel BTF');
  let errno = 0;
  try {
    const r = progLoad({ progType: ProgramTypes.tracing, insns: encode([Mov.imm(R0, 0), Exit()]), expectedAttachType: AttachTypes.trace_fentry, attachBtfId: id, logLevel: 0 });
    closeFd(r.fd);
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e;
    errno = e.errno;
  }
  const r = probeFeature({ attach: 'fentry' });
  if (errno === 0) {
    // The load works (a VM with a distribution kernel): the probe must then also attach.
    assert.is(r.status, 'supported', r.reason ?? '');
  } else {
    assert.is(r.status, 'unsupported');
    assert.is(r.errno, errno);
    if (errno === Errno.EPERM) assert.match(r.reason ?? '', 'EPERM');
    assert.throws(() => assertSupported({ attach: 'fentry' }), (e: unknown) => e instanceof NotSupportedError && e.feature === 'fentry attach');
  }
});

kernelTest(test, 'helpers: xdp may call bpf_redirect, socket_filter may not; answers are cached', () => {
  assert.ok(helperSupported('xdp', 'bpf_redirect'));
  assert.not.ok(helperSupported('socket_filter', 'bpf_redirect'));
  assert.ok(helperSupported('socket_filter', 'bpf_map_lookup_elem'));
  assert.ok(helperSupported('syscall', 'bpf_sys_bpf'));
  const a = probeFeature({ programType: 'xdp', helper: 'bpf_redirect' });
  assert.is(probeFeature({ programType: 'xdp', helper: 23 }), a, 'the cached object');
});

kernelTest(test, "helpers: the short probe program agrees with bpftool's (r1..r5 = 0; call; r0 = 0; exit, always with a log)", () => {
  const disagree: string[] = [];
  for (const type of ['socket_filter', 'xdp', 'tracepoint'] as const) {
    for (const h of helpers.slice(1)) {
      const insns = encode([Mov.imm(R1, 0), Mov.imm(R2, 0), Mov.imm(R3, 0), Mov.imm(R4, 0), Mov.imm(R5, 0), Call.helper(h.id), Mov.imm(R0, 0), Exit()]);
      let text = '';
      try {
        closeFd(progLoad({ progType: ProgramTypes[type], insns, logLevel: 1, logSize: 1 << 16 }).fd);
      } catch (e) {
        if (!(e instanceof SyscallError)) throw e;
        text = e.log ?? '';
      }
      // `invalid func unknown#N`: a kernel older than our helper table does not know the id.
      const oracle = !/unknown func|program of this type cannot use helper|invalid func unknown#/.test(text);
      if (oracle !== helperSupported(type, h.id)) disagree.push(`${type} ${h.name}: bpftool's program says ${oracle}`);
    }
  }
  assert.equal(disagree, []);
});

kernelTest(test, 'probes leave no fds open', () => {
  clearFeatureCache();
  const before = readdirSync('/proc/self/fd').length;
  for (const k of AttachKinds) probeFeature({ attach: k });
  for (const t of ['arena', 'hash_of_maps', 'task_storage', 'ringbuf'] as const) probeFeature({ mapType: t });
  assert.is(readdirSync('/proc/self/fd').length, before);
});

kernelTest(test, 'tsbpf probe --json: one JSON object with every section', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/tsbpf.js'), 'probe', '--json'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '');
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 1, 'one line');
  const j = JSON.parse(lines[0]!) as Record<string, unknown> & {
    programTypes: Record<string, { status: string; reason: string | null; minimumKernel: string | null }>;
    mapTypes: Record<string, { status: string }>;
    helpers: Record<string, { probed: boolean; supported: string[] }>;
    attachKinds: Record<string, { status: string; reason: string | null }>;
    elapsedMs: number;
  };
  assert.equal(Object.keys(j).sort(), ['attachKinds', 'elapsedMs', 'helpers', 'kernel', 'mapTypes', 'needPrivileges', 'privileged', 'programTypes']);
  assert.is(j.privileged, true);
  assert.is(Object.keys(j.programTypes).length, Object.keys(ProgramTypes).length - 1);
  assert.is(j.programTypes.xdp.status, 'supported');
  assert.is(j.programTypes.xdp.minimumKernel, '4.8');
  assert.is(j.mapTypes.ringbuf.status, 'supported');
  assert.ok(j.helpers.socket_filter.probed);
  assert.ok(j.helpers.socket_filter.supported.includes('bpf_map_lookup_elem'));
  assert.not.ok(j.helpers.socket_filter.supported.includes('bpf_redirect'));
  assert.equal(Object.keys(j.attachKinds), [...AttachKinds]);
  assert.is(j.attachKinds.tracepoint.status, 'supported');
  assert.is(j.attachKinds.kprobe.status, existsSync('/sys/bus/event_source/devices/kprobe/type') ? 'supported' : 'unsupported');
  console.log(`tsbpf probe --json: probes took ${j.elapsedMs} ms`);
});

test.run();
