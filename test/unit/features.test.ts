// src/features/ against a fake kernel (the fake syscalls backend plus a fake probe environment):
// how load and create results are classified, which loads ask for a log, that every probe
// object is closed, caching, NotSupportedError / assertSupported, and `tsbpf probe` exit codes.
// No kernel needed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AttachTypes, MapTypes, ProgramTypes, helperByName } from 'ebpf-bytecode-utils';
import { BpfCmd, Errno, installBackend } from '../../syscalls/index.js';
import {
  EPERM_AS_ROOT,
  NEEDS_PRIVILEGES,
  NotSupportedError,
  assertSupported,
  attachKindSupported,
  cachedFeatureCount,
  classifyHelperLoad,
  classifyMapCreate,
  classifyProgramLoad,
  clearFeatureCache,
  helperSupported,
  installProbeEnvironment,
  mapTypeSupported,
  probeFeature,
  probeHelper,
  probeKernel,
  probeMapType,
  probeProgramType,
  programTypeSupported,
  versionCode,
  capabilitiesSuffice,
  type ProbeEnvironment,
} from '../../src/features/index.js';
import { probe } from '../../src/cli/commands/probe.js';
import { FakeBackend } from '../support/fake-backend.js';

const test = suite('features');

/** A PROG_LOAD as the fake kernel sees it. */
interface Load {
  readonly progType: number;
  readonly expectedAttachType: number;
  readonly attachBtfId: number;
  readonly logLevel: number;
  readonly logAddress: bigint;
  /** The helper the program calls, or undefined. */
  readonly helper: number | undefined;
}

/** What the fake kernel answers: an fd (≥ 0) or -errno, and a log for level-1 loads. */
type Answer = { ret: number; log?: string };

interface FakeKernel {
  readonly backend: FakeBackend;
  readonly loads: Load[];
  /** fds handed out and not closed. */
  open(): number[];
  restore(): void;
}

function decodeLoad(attr: Uint8Array, fake: FakeBackend): Load {
  const dv = new DataView(attr.buffer, attr.byteOffset, attr.byteLength);
  const insns = fake.buffer(dv.getBigUint64(8, true))!;
  let helper: number | undefined;
  for (let i = 0; i < insns.byteLength; i += 8) if (insns[i] === 0x85) helper = new DataView(insns.buffer, insns.byteOffset).getInt32(i + 4, true);
  return {
    progType: dv.getUint32(0, true),
    logLevel: dv.getUint32(24, true),
    logAddress: dv.getBigUint64(32, true),
    expectedAttachType: dv.getUint32(68, true),
    attachBtfId: dv.getUint32(108, true),
    helper,
  };
}

const defaultEnv: ProbeEnvironment = {
  privileged: () => true,
  pmuExists: () => true,
  vmlinuxBtfId: (name) => (name === 'btf_trace_sched_switch' ? 100 : name === 'bpf_lsm_file_open' ? 200 : 300),
  kernelVersionCode: () => versionCode('6.18.2'),
  kernelRelease: () => '6.18.2-fake',
};

/**
 * Installs a fake kernel: `onLoad` answers program loads, `onMap` map creations (type → answer),
 * `onOther` everything else (links, raw tracepoints, BTF loads: a new fd by default).
 */
function fakeKernel(
  onLoad: (l: Load) => Answer,
  options: { onMap?: (type: number, attr: Uint8Array) => number; onOther?: (cmd: number, attr: Uint8Array) => number; env?: Partial<ProbeEnvironment> } = {},
): FakeKernel {
  const loads: Load[] = [];
  const handedOut: number[] = [];
  let next = 10;
  const fd = () => {
    handedOut.push(next);
    return next++;
  };
  const backend = new FakeBackend((cmd, attr, fake) => {
    if (cmd === BpfCmd.PROG_LOAD) {
      const l = decodeLoad(attr, fake);
      loads.push(l);
      const a = onLoad(l);
      if (l.logLevel > 0 && a.log !== undefined) {
        const buf = fake.buffer(l.logAddress)!;
        const text = new TextEncoder().encode(`${a.log}\0`);
        buf.set(text.subarray(0, buf.byteLength));
      }
      return a.ret >= 0 ? fd() : a.ret;
    }
    if (cmd === BpfCmd.MAP_CREATE) {
      const r = options.onMap?.(new DataView(attr.buffer).getUint32(0, true), attr) ?? 0;
      return r >= 0 ? fd() : r;
    }
    const r = options.onOther?.(cmd, attr) ?? 0;
    return r >= 0 ? fd() : r;
  });
  const restoreBackend = installBackend(backend);
  const restoreEnv = installProbeEnvironment({ ...defaultEnv, ...options.env });
  return {
    backend,
    loads,
    open: () => handedOut.filter((f) => !backend.closed.includes(f)),
    restore() {
      restoreEnv();
      restoreBackend();
    },
  };
}

/** Runs `fn` with a fake kernel, always restoring the real one. */
function withKernel(k: FakeKernel, fn: (k: FakeKernel) => void): void {
  try {
    fn(k);
  } finally {
    k.restore();
  }
}

const ok: Answer = { ret: 0 };
const einvalNoLog: Answer = { ret: -Errno.EINVAL, log: '' };

test('classifyProgramLoad: loaded / verifier reached → supported; EINVAL before verification → unsupported; EPERM depends on privileges', () => {
  const rows: [Parameters<typeof classifyProgramLoad>[1], boolean, string, string | RegExp | null][] = [
    [{ fd: 5, errno: 0, log: '' }, true, 'supported', null],
    [{ fd: -1, errno: Errno.EINVAL, log: 'Cannot replace kernel functions\nprocessed 0 insns' }, true, 'supported', null],
    [{ fd: -1, errno: Errno.ENOTSUPP, log: 'attach_btf_id 0 is not a supported struct\n' }, true, 'supported', null],
    [{ fd: -1, errno: Errno.EINVAL, log: '' }, true, 'unsupported', 'the kernel does not know this program type (EINVAL before verification)'],
    [{ fd: -1, errno: Errno.EPERM, log: '' }, true, 'unsupported', EPERM_AS_ROOT],
    [{ fd: -1, errno: Errno.EPERM, log: '' }, false, 'unknown', NEEDS_PRIVILEGES],
    [{ fd: -1, errno: Errno.E2BIG, log: '' }, true, 'unsupported', /E2BIG/],
  ];
  for (const [outcome, privileged, status, reason] of rows) {
    const r = classifyProgramLoad('ext', outcome, privileged);
    assert.is(r.status, status, JSON.stringify(outcome));
    assert.is(r.feature, 'ext program type');
    if (reason === null) assert.is(r.reason, null);
    else if (typeof reason === 'string') assert.is(r.reason, reason);
    else assert.match(r.reason ?? '', reason);
  }
});

test('classifyHelperLoad: unknown func / cannot use helper → unsupported; EACCES or other verifier errors → supported', () => {
  const rows: [Parameters<typeof classifyHelperLoad>[2], boolean, string][] = [
    [{ fd: -1, errno: Errno.EINVAL, log: '5: (85) call bpf_skb_store_bytes#9\nunknown func bpf_skb_store_bytes#9\n' }, true, 'unsupported'],
    [{ fd: -1, errno: Errno.EINVAL, log: 'program of this type cannot use helper bpf_probe_read#4\n' }, true, 'unsupported'],
    [{ fd: -1, errno: Errno.EACCES, log: '' }, true, 'supported'],
    [{ fd: -1, errno: Errno.EINVAL, log: 'helper call might sleep in a non-sleepable prog\n' }, true, 'supported'],
    [{ fd: 7, errno: 0, log: '' }, true, 'supported'],
    [{ fd: -1, errno: Errno.EPERM, log: '' }, false, 'unknown'],
    [{ fd: -1, errno: Errno.EPERM, log: '' }, true, 'unsupported'],
  ];
  for (const [outcome, privileged, status] of rows) assert.is(classifyHelperLoad('socket_filter', 9, outcome, privileged).status, status, outcome.log || String(outcome.errno));
  assert.is(classifyHelperLoad('xdp', 9, rows[0][0], true).feature, 'bpf_skb_store_bytes helper for xdp programs');
});

test('classifyMapCreate: fd → supported, EINVAL → unsupported, struct_ops ENOTSUPP → supported, EPERM by privilege', () => {
  assert.is(classifyMapCreate('hash', 4, true).status, 'supported');
  assert.is(classifyMapCreate('ringbuf', -Errno.EINVAL, true).reason, 'the kernel does not know this map type (EINVAL)');
  assert.is(classifyMapCreate('struct_ops', -Errno.ENOTSUPP, true).status, 'supported');
  assert.is(classifyMapCreate('hash', -Errno.ENOTSUPP, true).status, 'unsupported');
  assert.is(classifyMapCreate('arena', -Errno.EPERM, false).status, 'unknown');
  assert.is(classifyMapCreate('arena', -Errno.EPERM, true).status, 'unsupported');
});

test('probeProgramType: a loadable type takes one level-0 load and its fd is closed', () => {
  withKernel(fakeKernel(() => ok), (k) => {
    const r = probeProgramType('xdp');
    assert.is(r.status, 'supported');
    assert.is(k.loads.length, 1);
    assert.is(k.loads[0].progType, ProgramTypes.xdp);
    assert.is(k.loads[0].logLevel, 0);
    assert.equal(k.open(), []);
  });
});

test('probeProgramType: EINVAL is loaded again at log level 1; an empty log means the type is unknown', () => {
  withKernel(fakeKernel(() => einvalNoLog), (k) => {
    const r = probeProgramType('lirc_mode2');
    assert.is(r.status, 'unsupported');
    assert.is(r.errno, Errno.EINVAL);
    assert.equal(k.loads.map((l) => l.logLevel), [0, 1]);
  });
});

test('probeProgramType: expected attach types, BTF targets and flags per type', () => {
  withKernel(fakeKernel(() => ok), (k) => {
    probeProgramType('cgroup_sock_addr');
    probeProgramType('tracing');
    probeProgramType('lsm');
    assert.is(k.loads[0].expectedAttachType, AttachTypes.cgroup_inet4_connect);
    assert.is(k.loads[1].expectedAttachType, AttachTypes.trace_raw_tp);
    assert.is(k.loads[1].attachBtfId, 100);
    assert.is(k.loads[2].expectedAttachType, AttachTypes.lsm_mac);
    assert.is(k.loads[2].attachBtfId, 200);
  });
  withKernel(fakeKernel(() => ok, { env: { vmlinuxBtfId: () => null } }), (k) => {
    const r = probeProgramType('tracing');
    assert.is(r.status, 'unsupported');
    assert.match(r.reason ?? '', 'no BTF');
    assert.is(k.loads.length, 0);
  });
});

test('probeProgramType: struct_ops answers ENOTSUPP with a log (the type exists); lsm EPERM as root is unsupported, without privileges unknown', () => {
  withKernel(fakeKernel((l) => (l.progType === ProgramTypes.struct_ops ? { ret: -Errno.ENOTSUPP, log: 'attach_btf_id 0 is not a supported struct\n' } : { ret: -Errno.EPERM, log: '' })), () => {
    assert.is(probeProgramType('struct_ops').status, 'supported');
    const lsm = probeProgramType('lsm');
    assert.is(lsm.status, 'unsupported');
    assert.is(lsm.reason, EPERM_AS_ROOT);
  });
  withKernel(fakeKernel(() => ({ ret: -Errno.EPERM }), { env: { privileged: () => false } }), () => {
    assert.is(probeProgramType('lsm').status, 'unknown');
  });
});

test('probeHelper: EACCES decides without a log; EINVAL asks the log, in one buffer reused by every probe', () => {
  const available = helperByName('ktime_get_ns')!.id;
  const unavailable = helperByName('skb_store_bytes')!.id;
  const unknownFunc = (id: number | undefined): Answer => ({ ret: -Errno.EINVAL, log: `0: (85) call bpf_x#${id}\nunknown func bpf_x#${id}\n` });
  withKernel(
    fakeKernel((l) => (l.helper === available ? { ret: -Errno.EACCES } : unknownFunc(l.helper))),
    (k) => {
      assert.is(probeHelper('socket_filter', available).status, 'supported');
      assert.is(k.loads.length, 1);
      assert.is(k.loads[0].logLevel, 0, 'the errno decides');
      // The helper table says socket_filter and xdp do not get skb_store_bytes: the load that
      // must be explained by the log is made with the log at once.
      assert.is(probeHelper('socket_filter', unavailable).status, 'unsupported');
      assert.is(probeHelper('xdp', unavailable).status, 'unsupported');
      assert.equal(k.loads.map((l) => l.logLevel), [0, 1, 1]);
      assert.is(k.loads[1].logAddress, k.loads[2].logAddress, 'one log buffer');
      assert.ok(k.loads[1].logAddress !== 0n);
      assert.is(k.loads[1].helper, unavailable);
      assert.equal(k.open(), []);
    },
  );
  // A kernel that does not offer what the table lists: level 0 answers EINVAL, then the log decides.
  withKernel(fakeKernel((l) => unknownFunc(l.helper)), (k) => {
    assert.is(probeHelper('socket_filter', available).status, 'unsupported');
    assert.equal(k.loads.map((l) => l.logLevel), [0, 1]);
  });
});

test('probeHelper: ext and struct_ops helpers are not probed', () => {
  withKernel(fakeKernel(() => ok), (k) => {
    assert.is(probeHelper('ext', 1).status, 'unknown');
    assert.is(probeHelper('struct_ops', 1).status, 'unknown');
    assert.is(k.loads.length, 0);
  });
});

test('probeMapType: per-type sizes, inner map for map-in-maps, BTF for local storage; everything closed', () => {
  const creates: { type: number; key: number; value: number; max: number; flags: number; inner: number; btf: number }[] = [];
  withKernel(
    fakeKernel(() => ok, {
      onMap: (type, attr) => {
        const dv = new DataView(attr.buffer);
        creates.push({ type, key: dv.getUint32(4, true), value: dv.getUint32(8, true), max: dv.getUint32(12, true), flags: dv.getUint32(16, true), inner: dv.getUint32(20, true), btf: dv.getUint32(48, true) });
        return 0;
      },
    }),
    (k) => {
      for (const t of ['ringbuf', 'bloom_filter', 'arena', 'hash_of_maps', 'task_storage', 'lpm_trie'] as const) assert.is(probeMapType(t).status, 'supported', t);
      const [ringbuf, bloom, arena, innerArray, hashOfMaps, task, lpm] = creates;
      assert.is(ringbuf.type, MapTypes.ringbuf);
      assert.is(ringbuf.key, 0);
      assert.is(ringbuf.max % 4096, 0);
      assert.is(bloom.key, 0);
      assert.is(arena.flags, 1 << 10);
      assert.is(innerArray.type, MapTypes.array);
      assert.ok(hashOfMaps.inner > 0, 'inner_map_fd');
      assert.ok(task.btf > 0, 'btf_fd');
      assert.is(task.flags, 1, 'BPF_F_NO_PREALLOC');
      assert.is(lpm.key, 8);
      assert.equal(k.open(), [], 'every fd closed');
      assert.is(k.backend.calls.filter((c) => c.cmd === BpfCmd.BTF_LOAD).length, 1);
    },
  );
});

test('cache: each feature is probed once per process until the cache is cleared', () => {
  withKernel(fakeKernel(() => ok), (k) => {
    assert.ok(programTypeSupported('xdp'));
    assert.ok(programTypeSupported(ProgramTypes.xdp));
    assert.ok(mapTypeSupported('hash'));
    assert.ok(mapTypeSupported('hash'));
    assert.is(k.loads.length, 1);
    assert.is(k.backend.calls.filter((c) => c.cmd === BpfCmd.MAP_CREATE).length, 1);
    assert.is(cachedFeatureCount(), 2);
    clearFeatureCache();
    programTypeSupported('xdp');
    assert.is(k.loads.length, 2);
    assert.ok(helperSupported('xdp', 'bpf_ktime_get_ns'));
    assert.ok(helperSupported('xdp', 'ktime_get_ns'));
    assert.is(k.loads.length, 3);
  });
  assert.is(cachedFeatureCount(), 0, 'restoring the environment clears the cache');
});

test('attach kinds: kprobe without a kprobe PMU is unsupported without any bpf() call', () => {
  withKernel(fakeKernel(() => ok, { env: { pmuExists: (n) => n !== 'kprobe' } }), (k) => {
    assert.not.ok(attachKindSupported('kprobe'));
    assert.ok(attachKindSupported('uprobe'));
    assert.is(k.loads.length, 1, 'only the kprobe program type for uprobe');
    const r = probeFeature({ attach: 'kprobe' });
    assert.is(r.reason, 'no kprobe PMU (/sys/bus/event_source/devices/kprobe/type is missing)');
  });
});

test('attach kinds: link probes read the telling errno (kprobe_multi EOPNOTSUPP, tcx ENODEV, cgroup EBADF)', () => {
  const answers: Record<number, number> = { [AttachTypes.trace_kprobe_multi]: -Errno.EOPNOTSUPP, [AttachTypes.tcx_ingress]: -Errno.ENODEV, [AttachTypes.cgroup_inet_ingress]: -Errno.EBADF };
  withKernel(
    fakeKernel(() => ok, { onOther: (cmd, attr) => (cmd === BpfCmd.LINK_CREATE ? (answers[new DataView(attr.buffer).getUint32(8, true)] ?? 0) : 0) }),
    (k) => {
      const multi = probeFeature({ attach: 'kprobe_multi' });
      assert.is(multi.status, 'unsupported');
      assert.match(multi.reason ?? '', 'CONFIG_FPROBE');
      assert.ok(attachKindSupported('tcx'));
      assert.ok(attachKindSupported('cgroup_link'));
      assert.ok(attachKindSupported('xdp_link'));
      assert.equal(k.open(), []);
    },
  );
});

test('attach kinds: fentry refused with EPERM as root is unsupported with the reason', () => {
  withKernel(fakeKernel((l) => (l.expectedAttachType === AttachTypes.trace_fentry ? { ret: -Errno.EPERM, log: '' } : ok)), () => {
    const r = probeFeature({ attach: 'fentry' });
    assert.is(r.status, 'unsupported');
    assert.is(r.errno, Errno.EPERM);
    assert.match(r.reason ?? '', 'EPERM');
  });
});

test('NotSupportedError / assertSupported: message, fields; unknown does not throw', () => {
  withKernel(fakeKernel(() => ok, { env: { pmuExists: (n) => n !== 'kprobe' } }), () => {
    try {
      assertSupported({ attach: 'kprobe' });
      assert.unreachable('should throw');
    } catch (e) {
      assert.instance(e, NotSupportedError);
      const err = e as NotSupportedError;
      assert.is(err.message, 'kprobe attach is not supported by this kernel (requires Linux 4.17 with CONFIG_KPROBE_EVENTS): no kprobe PMU (/sys/bus/event_source/devices/kprobe/type is missing)');
      assert.is(err.feature, 'kprobe attach');
      assert.is(err.minimumKernel, '4.17');
      assert.is(err.config, 'CONFIG_KPROBE_EVENTS');
    }
    assertSupported({ attach: 'uprobe' });
    assert.throws(() => assertSupported({ mapType: 'nope' as 'hash' }), /unknown map type 'nope'/);
  });
  withKernel(fakeKernel(() => ({ ret: -Errno.EPERM }), { env: { privileged: () => false } }), () => {
    assertSupported({ programType: 'xdp' });
  });
  assert.is(new NotSupportedError('foo', { version: '5.8' }).message, 'foo is not supported by this kernel (requires Linux 5.8)');
});

test('environment helpers: version codes and capability sets', () => {
  assert.is(versionCode('6.18.44-fc-v782'), (6 << 16) + (18 << 8) + 44);
  assert.is(versionCode('4.9.300'), (4 << 16) + (9 << 8) + 255);
  assert.ok(capabilitiesSuffice(0x000001ffffffffffn));
  assert.ok(capabilitiesSuffice(1n << 21n));
  assert.ok(capabilitiesSuffice((1n << 39n) | (1n << 38n) | (1n << 12n)));
  assert.not.ok(capabilitiesSuffice(1n << 39n));
  assert.not.ok(capabilitiesSuffice(0n));
});

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { writeOut: (d: string | Uint8Array) => void out.push(String(d)), writeErr: (t: string) => void err.push(t), readStdin: async () => new Uint8Array() } };
}

test('tsbpf probe without privileges: nothing decided → exit 2 and one line; partial → exit 0 and the list of probes that needed privileges', async () => {
  const none = fakeKernel(() => ({ ret: -Errno.EPERM }), { env: { privileged: () => false }, onMap: () => -Errno.EPERM, onOther: () => -Errno.EPERM });
  try {
    const c = captureIo();
    assert.is(await probe.run([], c.io), 2);
    assert.equal(c.out, []);
    assert.is(c.err.join(''), 'tsbpf probe: no probe could run: needs privileges (run as root, or with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)\n');
  } finally {
    none.restore();
  }
  const some = fakeKernel(() => ({ ret: -Errno.EPERM }), { env: { privileged: () => false, pmuExists: (n) => n !== 'kprobe' }, onMap: () => -Errno.EPERM, onOther: () => -Errno.EPERM });
  try {
    const c = captureIo();
    assert.is(await probe.run(['--json'], c.io), 0);
    const j = JSON.parse(c.out.join('')) as { attachKinds: Record<string, { status: string }>; needPrivileges: string[]; privileged: boolean };
    assert.is(j.attachKinds.kprobe.status, 'unsupported');
    assert.is(j.attachKinds.uprobe.status, 'unknown');
    assert.is(j.privileged, false);
    assert.ok(j.needPrivileges.includes('xdp program type'));
    const h = captureIo();
    assert.is(await probe.run([], h.io), 0);
    assert.match(h.out.join(''), 'These probes needed privileges');
  } finally {
    some.restore();
  }
});

test('probeKernel: helpers are probed only for supported program types', () => {
  withKernel(fakeKernel((l) => (l.progType === ProgramTypes.xdp || l.progType === ProgramTypes.socket_filter ? (l.helper === undefined || l.helper === 5 ? ok : { ret: -Errno.EINVAL, log: 'unknown func x#1\n' }) : einvalNoLog)), () => {
    const r = probeKernel();
    assert.equal(r.helpers.xdp?.supported, ['bpf_ktime_get_ns']);
    assert.is(r.helpers.kprobe?.probed, false);
    assert.is(r.programTypes.kprobe?.status, 'unsupported');
    assert.is(r.programTypes.kprobe?.minimumKernel, '4.1');
    assert.is(r.mapTypes.ringbuf?.minimumKernel, '5.8');
    assert.ok(r.anyProbeRan);
  });
});

test.run();
