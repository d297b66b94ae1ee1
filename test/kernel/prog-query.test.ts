// BPF_PROG_QUERY against the live kernel: a cgroup with one PROG_ATTACH program and one link
// (checked against bpftool's view), the effective set of a child cgroup, and tcx ordering with
// link ids and revisions; netkit hooks rejected on a veth.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { encodeProgram, Exit, Mov, R0, type AttachTypeName, type ProgramTypeName } from 'ebpf-bytecode-utils';
import { progQuery, SyscallError } from '../../syscalls/index.js';
import { attachCgroup, attachedPrograms, attachTcx, forgetRegistered } from '../../src/attach/index.js';
import { Program } from '../../src/programs/index.js';
import { kernelTest } from '../support/kernel.js';
import { attachTypeMissing } from '../support/kernel-lacks.js';
import { createTestCgroup, createVethNs } from '../support/netns.js';

const test = suite('BPF_PROG_QUERY');

function returning(type: ProgramTypeName, retval: number, expectedAttachType?: AttachTypeName): Program {
  return Program.load({ type, insns: encodeProgram([Mov.imm(R0, retval), Exit()]).bytes, ...(expectedAttachType ? { expectedAttachType } : {}) });
}

kernelTest(test, 'cgroup: PROG_ATTACH and link attachments listed in order with their flags; bpftool agrees; the effective set of a child includes them', () => {
  const cg = createTestCgroup();
  const child = join(cg.path, 'child');
  const a = returning('cgroup_skb', 1);
  const b = returning('cgroup_skb', 1);
  try {
    assert.equal(attachedPrograms({ cgroup: cg.path, attachType: 'cgroup_inet_egress' }).programs, []);
    using viaAttach = attachCgroup(a.fd, cg.path, 'cgroup_inet_egress', { method: 'prog_attach' });
    using viaLink = attachCgroup(b.fd, cg.path, 'cgroup_inet_egress', { method: 'link' });
    const got = attachedPrograms({ cgroup: cg.path, attachType: 'cgroup_inet_egress' });
    assert.equal(got.programs.map((p) => p.id), [a.info().id, b.info().id]);
    assert.is(got.programs[0].attachFlags, 2, 'BPF_F_ALLOW_MULTI on the PROG_ATTACH one');
    const tool = JSON.parse(execFileSync('bpftool', ['cgroup', 'show', cg.path, '-j'], { encoding: 'utf8' })) as { id: number; attach_type: string }[];
    assert.equal(tool.filter((t) => t.attach_type === 'cgroup_inet_egress' || t.attach_type === 'egress').map((t) => t.id).sort(), [a.info().id, b.info().id].sort());
    mkdirSync(child);
    assert.equal(attachedPrograms({ cgroup: child, attachType: 'cgroup_inet_egress' }).programs, []);
    assert.equal(attachedPrograms({ cgroup: child, attachType: 'cgroup_inet_egress', effective: true }).programs.map((p) => p.id).sort(), [a.info().id, b.info().id].sort());
    viaAttach.close();
    viaLink.close();
    assert.equal(attachedPrograms({ cgroup: cg.path, attachType: 'cgroup_inet_egress' }).programs, []);
  } finally {
    try {
      rmdirSync(child);
    } catch {
      // not created
    }
    a.close();
    b.close();
    cg.remove();
    forgetRegistered();
  }
});

kernelTest(test, 'tcx: programs in run order with their link ids; the revision counts changes', () => {
  const v = createVethNs();
  const first = returning('sched_cls', -1);
  const second = returning('sched_cls', -1);
  try {
    const before = attachedPrograms({ tcx: v.hostIf, direction: 'ingress' });
    assert.equal(before.programs, []);
    using l1 = attachTcx(first.fd, v.hostIf, 'ingress');
    using l2 = attachTcx(second.fd, v.hostIf, 'ingress', { order: { where: 'before' } });
    const got = attachedPrograms({ tcx: v.hostIf, direction: 'ingress' });
    assert.equal(got.programs.map((p) => p.id), [second.info().id, first.info().id], 'the "before" one runs first');
    assert.equal(got.programs.map((p) => p.linkId), [l2.info()[0].id, l1.info()[0].id]);
    assert.is(got.revision, before.revision + 2n);
    assert.equal(attachedPrograms({ tcx: v.hostIf, direction: 'egress' }).programs, []);
    const ifindex = Number(readFileSync(`/sys/class/net/${v.hostIf}/ifindex`, 'utf8'));
    assert.equal(progQuery({ target: ifindex, attachType: 46 }).progIds, got.programs.map((p) => p.id));
  } finally {
    first.close();
    second.close();
    v.remove();
  }
}, () => attachTypeMissing('tcx_ingress'));

kernelTest(test, 'bad queries are typed errors', () => {
  assert.throws(() => attachedPrograms({ cgroup: '/sys/fs/cgroup', attachType: 'xdp' }), (e: unknown) => e instanceof RangeError && /xdp is not a cgroup attach type/.test(e.message));
  assert.throws(() => attachedPrograms({ tcx: 'no-such-if0', direction: 'ingress' }), /no such interface/);
  assert.throws(() => progQuery({ target: 1, attachType: 0 }), (e: unknown) => e instanceof SyscallError);
});

/** Whether the kernel has the netkit driver: a netkit pair can be created (and is removed again). */
function netkitDriver(): boolean {
  const name = `tsnk${process.pid % 100000}`;
  const made = spawnSync('ip', ['link', 'add', name, 'type', 'netkit'], { stdio: 'ignore' }).status === 0;
  if (made) spawnSync('ip', ['link', 'del', name], { stdio: 'ignore' });
  return made;
}

kernelTest(test, 'netkit hooks on a device that is not netkit: EINVAL without the netkit driver, ENXIO with it', () => {
  // Without CONFIG_NETKIT the query's stub answers EINVAL; the driver answers ENXIO for a device
  // that is not one of its own.
  const code = netkitDriver() ? 'ENXIO' : 'EINVAL';
  const v = createVethNs();
  try {
    assert.throws(() => attachedPrograms({ netkit: v.hostIf }), (e: unknown) => e instanceof SyscallError && e.code === code);
    assert.throws(() => attachedPrograms({ netkit: v.hostIf, peer: true }), (e: unknown) => e instanceof SyscallError && e.code === code);
  } finally {
    v.remove();
  }
}, () => attachTypeMissing('netkit_primary'));

test.run();
