// XDP, tcx and cgroup attachment without a kernel: the fake backend records every bpf() call, so
// each row checks the attr bytes of BPF_LINK_CREATE / BPF_PROG_ATTACH / BPF_PROG_DETACH /
// BPF_LINK_UPDATE / BPF_LINK_DETACH, the order of release on close, and input validation.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachFlags, BpfCmd, Errno, SyscallError, installBackend, linkDetachAttrOf, linkUpdateAttrOf, progAttachAttrOf,
} from '../../syscalls/index.js';
import {
  Link, NetdevError, XdpFlags, attachCgroup, attachTcx, attachXdp, cgroup2MountIn, detachLink, ifindexOf, ifnameProblem, ownedFd,
  tcxLinkAttrOf, updateLink, xdpLinkFlags,
} from '../../src/attach/index.js';
import { FakeBackend } from '../support/fake-backend.js';

const test = suite('attach-net (fake backend)');
/** Whether /sys shows the loopback interface (Linux): the rows that resolve 'lo' need it. */
const hasLo = existsSync('/sys/class/net/lo/ifindex');

/** The u32 words of `bytes`. */
function words(bytes: Uint8Array): number[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 4 <= bytes.byteLength; i += 4) out.push(dv.getUint32(i, true));
  return out;
}

/** Runs `fn` with a fake backend whose fds count up from 100. */
function withFake(fn: (fake: FakeBackend) => void, handler?: (cmd: number, attr: Uint8Array, fake: FakeBackend) => number | undefined): FakeBackend {
  let next = 100;
  const fake = new FakeBackend((cmd, attr, f) => handler?.(cmd, attr, f) ?? next++);
  const restore = installBackend(fake);
  try {
    fn(fake);
  } finally {
    restore();
  }
  return fake;
}

test('BPF_PROG_ATTACH attr: target_fd, attach_bpf_fd, attach_type, attach_flags, replace, relative, revision', () => {
  const rows: [Parameters<typeof progAttachAttrOf>[0], number[]][] = [
    [{ targetFd: 7, progFd: 9, attachType: 1 }, [7, 9, 1, 0, 0, 0, 0, 0]],
    [{ targetFd: 7, progFd: 9, attachType: 10, flags: AttachFlags.ALLOW_MULTI }, [7, 9, 10, 2, 0, 0, 0, 0]],
    [{ targetFd: 7, progFd: 9, attachType: 0, flags: AttachFlags.ALLOW_MULTI | AttachFlags.REPLACE, replaceProgFd: 11 }, [7, 9, 0, 6, 11, 0, 0, 0]],
    [{ targetFd: 3, progFd: 4, attachType: 46, flags: AttachFlags.BEFORE, relativeFd: 5, expectedRevision: 0x1_0000_0002n }, [3, 4, 46, 8, 0, 5, 2, 1]],
  ];
  for (const [options, expected] of rows) {
    const a = progAttachAttrOf(options);
    assert.is(a.bytes.byteLength, 32);
    assert.equal(words(a.bytes), expected, JSON.stringify(options, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
  }
});

test('BPF_LINK_UPDATE and BPF_LINK_DETACH attrs', () => {
  assert.equal(words(linkUpdateAttrOf(5, 6).bytes), [5, 6, 0, 0]);
  assert.equal(words(linkUpdateAttrOf(5, 6, 7).bytes), [5, 6, 4, 7], 'BPF_F_REPLACE with old_prog_fd');
  assert.equal(words(linkDetachAttrOf(12).bytes), [12]);
});

test('attachXdp: BPF_LINK_CREATE with BPF_XDP (37), target_ifindex and the mode flag; close closes the link fd', () => {
  assert.is(xdpLinkFlags({}), 0);
  assert.is(xdpLinkFlags({ mode: 'generic' }), XdpFlags.SKB_MODE);
  assert.is(xdpLinkFlags({ mode: 'driver' }), XdpFlags.DRV_MODE);
  assert.is(xdpLinkFlags({ mode: 'offload' }), XdpFlags.HW_MODE);
  assert.throws(() => xdpLinkFlags({ mode: 'native' as never }), /mode "native" is not generic, driver or offload/);
  const fake = withFake(() => {
    const link = attachXdp(9, 7, { mode: 'generic' });
    assert.is(link.kind, 'xdp');
    assert.is(link.target, 'ifindex 7, generic');
    assert.equal(link.linkFds, [100]);
    link.close();
    link.close();
    const l2 = attachXdp(9, hasLo ? 'lo' : 1, { mode: 'driver' });
    assert.is(l2.target, hasLo ? 'lo (ifindex 1), driver' : 'ifindex 1, driver');
    l2[Symbol.dispose]();
  });
  assert.equal(fake.calls.map((c) => c.cmd), [BpfCmd.LINK_CREATE, BpfCmd.LINK_CREATE]);
  assert.equal(words(fake.calls[0]!.attr).slice(0, 4), [9, 7, 37, 2]);
  assert.equal(words(fake.calls[1]!.attr).slice(0, 4), [9, 1, 37, 4]);
  assert.equal(fake.closed, [100, 101], 'each link fd closed exactly once');
});

test('attachXdp: a refused attach leaks nothing and throws the SyscallError', () => {
  const fake = withFake(() => {
    assert.throws(() => attachXdp(9, 7), (err: unknown) => err instanceof SyscallError && err.errno === Errno.EBUSY);
  }, () => -Errno.EBUSY);
  assert.equal(fake.closed, []);
});

test('attachTcx: BPF_TCX_INGRESS (46) / EGRESS (47), ordering flags and relative_fd, expected_revision', () => {
  assert.equal(words(tcxLinkAttrOf(9, 3, 'ingress').bytes).slice(0, 8), [9, 3, 46, 0, 0, 0, 0, 0]);
  assert.equal(words(tcxLinkAttrOf(9, 3, 'egress').bytes).slice(0, 8), [9, 3, 47, 0, 0, 0, 0, 0]);
  assert.equal(words(tcxLinkAttrOf(9, 3, 'ingress', { order: { where: 'before' } }).bytes).slice(0, 5), [9, 3, 46, AttachFlags.BEFORE, 0]);
  assert.equal(words(tcxLinkAttrOf(9, 3, 'egress', { order: { where: 'after', relativeTo: 11 } }).bytes).slice(0, 5), [9, 3, 47, AttachFlags.AFTER, 11]);
  const other = new Link('tcx', 'x', 'bpf_link', [ownedFd(21, true)]);
  assert.equal(words(tcxLinkAttrOf(9, 3, 'ingress', { order: { where: 'before', relativeTo: other }, expectedRevision: 4n }).bytes).slice(0, 8), [9, 3, 46, AttachFlags.BEFORE | AttachFlags.LINK, 21, 0, 4, 0]);
  assert.throws(() => tcxLinkAttrOf(9, 3, 'sideways' as never), /direction "sideways" is not ingress or egress/);
  const fake = withFake(() => {
    using link = attachTcx(9, hasLo ? 'lo' : 1, 'egress');
    assert.is(link.toString(), hasLo ? 'Link(tcx lo (ifindex 1) egress, bpf_link)' : 'Link(tcx ifindex 1 egress, bpf_link)');
  });
  assert.equal(words(fake.calls[0]!.attr).slice(0, 4), [9, 1, 47, 0]);
  assert.equal(fake.closed, [100]);
});

test('ifindexOf: names validated before touching /sys; numbers checked; a missing interface named', () => {
  if (hasLo) assert.is(ifindexOf('lo'), 1);
  assert.is(ifindexOf(42), 42);
  for (const bad of ['', '.', '..', '../x', 'a/b', 'eth0:1', 'a b', 'abcdefghijklmnop']) {
    assert.ok(ifnameProblem(bad) !== undefined, bad);
    assert.throws(() => ifindexOf(bad), (err: unknown) => err instanceof NetdevError && err.iface === bad);
  }
  assert.throws(() => ifindexOf(0), /not an ifindex/);
  assert.throws(() => ifindexOf(1.5), /not an ifindex/);
  assert.throws(() => ifindexOf('tsbpf-nope0'), /network interface "tsbpf-nope0": no such interface/);
});

test('cgroup2MountIn: finds the cgroup2 mount (hybrid layout, octal escapes)', () => {
  const mounts = [
    'tmpfs /sys/fs/cgroup tmpfs rw 0 0',
    'cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0',
    'cgroup2 /sys/fs/cgroup/uni\\040fied cgroup2 rw 0 0',
  ].join('\n');
  assert.is(cgroup2MountIn(mounts), '/sys/fs/cgroup/uni fied');
  assert.is(cgroup2MountIn('proc /proc proc rw 0 0\n'), undefined);
});

/** Answers OBJ_GET_INFO_BY_FD with prog id 42, everything else with a new fd. */
function progInfoHandler(cmd: number, attr: Uint8Array, fake: FakeBackend): number | undefined {
  if (cmd !== BpfCmd.OBJ_GET_INFO_BY_FD) return undefined;
  const info = fake.buffer(new DataView(attr.buffer, attr.byteOffset).getBigUint64(8, true));
  if (info !== undefined) new DataView(info.buffer, info.byteOffset).setUint32(4, 42, true);
  return 0;
}

test('attachCgroup via link: BPF_LINK_CREATE with the cgroup fd as target; the cgroup fd is not kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-cg-'));
  try {
    let cgFd = -1;
    const fake = withFake(() => {
      const link = attachCgroup(9, dir, 'cgroup_inet_egress');
      assert.is(link.mode, 'bpf_link');
      assert.is(link.target, `${dir} cgroup_inet_egress`);
      link.close();
    }, (cmd, attr) => {
      if (cmd === BpfCmd.LINK_CREATE) cgFd = words(attr)[1]!;
      return undefined;
    });
    assert.equal(fake.calls.map((c) => c.cmd), [BpfCmd.LINK_CREATE]);
    assert.equal(words(fake.calls[0]!.attr).slice(0, 4), [9, cgFd, 1, 0]);
    assert.ok(cgFd > 2, 'a real fd of the directory');
    assert.equal(fake.closed, [100], 'only the link fd goes through close(); the cgroup fd was closed right away');
    assert.throws(() => attachCgroup(9, dir, 'xdp'), /xdp is not a cgroup attach type/);
    assert.throws(() => attachCgroup(9, dir, 'cgroup_sysctl', { method: 'netlink' as never }), /method "netlink"/);
  } finally {
    rmdirSync(dir);
  }
});

test('attachCgroup via BPF_PROG_ATTACH: own program fd by id, ALLOW_MULTI, detach then close on close', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-cg-'));
  try {
    const fake = withFake(() => {
      const link = attachCgroup(9, dir, 'cgroup_inet4_connect', { method: 'prog_attach' });
      assert.is(link.mode, 'prog_attach');
      assert.equal(link.linkFds, []);
      link.close();
      link.close();
    }, progInfoHandler);
    const cmds = fake.calls.map((c) => c.cmd);
    assert.equal(cmds, [BpfCmd.OBJ_GET_INFO_BY_FD, BpfCmd.PROG_GET_FD_BY_ID, BpfCmd.PROG_ATTACH, BpfCmd.PROG_DETACH]);
    assert.is(words(fake.calls[1]!.attr)[0], 42, 'PROG_GET_FD_BY_ID of the program id');
    const attach = words(fake.calls[2]!.attr);
    const detach = words(fake.calls[3]!.attr);
    assert.equal(attach.slice(1, 4), [100, 10, AttachFlags.ALLOW_MULTI], 'our program fd, BPF_CGROUP_INET4_CONNECT, ALLOW_MULTI');
    assert.equal(detach.slice(0, 4), [attach[0], 100, 10, 0], 'same cgroup fd, program and type');
    assert.equal(fake.closed, [100], 'our program fd closed after the detach');
  } finally {
    rmdirSync(dir);
  }
});

test('attachCgroup via BPF_PROG_ATTACH: a refused attach releases the program fd', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-cg-'));
  try {
    const fake = withFake(() => {
      assert.throws(() => attachCgroup(9, dir, 'cgroup_device', { method: 'prog_attach', flags: 0 }), (err: unknown) => err instanceof SyscallError && err.errno === Errno.EINVAL);
    }, (cmd, attr, f) => (cmd === BpfCmd.PROG_ATTACH ? -Errno.EINVAL : progInfoHandler(cmd, attr, f)));
    assert.equal(words(fake.calls[2]!.attr)[3], 0, 'flags as given');
    assert.equal(fake.closed, [100]);
  } finally {
    rmdirSync(dir);
  }
});

test('updateLink / detachLink: BPF_LINK_UPDATE and BPF_LINK_DETACH on the link fd; refused on closed or non-bpf_link links', () => {
  const fake = withFake(() => {
    const link = attachXdp(9, 7);
    updateLink(link, 10);
    updateLink(link, 11, 10);
    detachLink(link);
    link.close();
    assert.throws(() => updateLink(link, 12), /is closed/);
    const sock = new Link('socket_filter', 'socket fd 5', 'sockopt', [{ fd: 5, isBpfLink: false, release: () => {} }]);
    assert.throws(() => detachLink(sock), /not held by one bpf_link/);
  });
  assert.equal(fake.calls.map((c) => c.cmd), [BpfCmd.LINK_CREATE, BpfCmd.LINK_UPDATE, BpfCmd.LINK_UPDATE, BpfCmd.LINK_DETACH]);
  assert.equal(words(fake.calls[1]!.attr), [100, 10, 0, 0]);
  assert.equal(words(fake.calls[2]!.attr), [100, 11, 4, 10]);
  assert.equal(words(fake.calls[3]!.attr), [100]);
});

test.run();
