// XDP, tcx and cgroup hooks on this kernel, proven by their effect on real traffic: a veth pair
// into a network namespace the test creates (and removes), a child cgroup v2 the test creates (and
// removes), processes (bash) moved into it. Each attachment is shown to act while attached and to
// stop acting after close (or BPF_LINK_DETACH), its bpf_link id leaving the kernel's link list.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createSocket, type Socket } from 'node:dgram';
import { AttachTypes, Atomic, Call, Exit, JEq, Label, LinkTypes, LoadMapPtr, Mov, R0, R1, R10, R2, Size, StoreImm, Add, encodeProgram, type AttachTypeName, type ProgramTypeName } from 'ebpf-bytecode-utils';
import { existsSync } from 'node:fs';
import { linkCreateAttr, linkDetachAttr, linkUpdateAttr, listIds, progAttachAttr, type Layout } from '../../syscalls/index.js';
import { attachCgroup, attachTcx, attachXdp, detachLink, updateLink, type CgroupAttachMethod, type Link } from '../../src/attach/index.js';
import { BpfMap } from '../../src/maps/bpf-map.js';
import { Program } from '../../src/programs/index.js';
import { kernelTest } from '../support/kernel.js';
import { BtfKind, vmlinuxBtf, type FlatMember } from '../support/mini-btf.js';
import { createTestCgroup, createVethNs, type TestCgroup, type VethNs } from '../support/netns.js';
import { attachTypeMissing } from '../support/kernel-lacks.js';

const test = suite('attach-net (kernel: netns, veth, cgroup v2)');

const XDP_DROP = 1;
const XDP_PASS = 2;
const TCX_NEXT = -1;

/** A program of `type` that adds 1 to u64 slot `slot` of array map `counters`, then returns `retval`. */
function counting(type: ProgramTypeName, counters: BpfMap, slot: number, retval: number, expectedAttachType?: AttachTypeName): Program {
  const { bytes } = encodeProgram([
    StoreImm(R10, -4, slot, Size.W),
    LoadMapPtr(R1, counters.fd),
    Mov.reg(R2, R10),
    Add.imm(R2, -4),
    Call.helper(1), // bpf_map_lookup_elem
    JEq.imm(R0, 0, 'out'),
    Mov.imm(R1, 1),
    Atomic.add(R0, 0, R1, Size.DW),
    Label('out'),
    Mov.imm(R0, retval),
    Exit(),
  ]);
  return Program.load({ type, insns: bytes, name: `tsbpf_${slot}`, ...(expectedAttachType ? { expectedAttachType } : {}) });
}

/** A program of `type` that only returns `retval`. */
function returning(type: ProgramTypeName, retval: number, expectedAttachType?: AttachTypeName): Program {
  return Program.load({ type, insns: encodeProgram([Mov.imm(R0, retval), Exit()]).bytes, ...(expectedAttachType ? { expectedAttachType } : {}) });
}

function counterMap(): BpfMap {
  return BpfMap.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 8 });
}

function count(map: BpfMap, slot: number): bigint {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, slot, true);
  const v = map.get(key)!;
  return new DataView(v.buffer, v.byteOffset).getBigUint64(0, true);
}

/** The bpf_link id of `link` (checked to be of `type`). */
function linkId(link: Link, type: number): number {
  const [info] = link.info();
  assert.ok(info !== undefined, `${link.toString()} has a bpf_link`);
  assert.is(info!.type, type, `link type of ${link.toString()}`);
  return info!.id;
}

function assertLinkGone(id: number): void {
  assert.not.ok(listIds('link').includes(id), `link id ${id} is no longer in the kernel's link list`);
}

/** Sends one UDP datagram from inside the namespace to `ip:port`. */
function sendFromNs(v: VethNs, ip: string, port: number): void {
  const r = v.bashInNs(`echo tsbpf > /dev/udp/${ip}/${port}`);
  assert.is(r.status, 0, `send from ${v.ns}: ${r.stderr}`);
}

/** A UDP socket bound to `ip`, collecting datagrams. */
async function receiver(ip: string): Promise<{ sock: Socket; port: number; got: () => number; wait: (n: number, ms: number) => Promise<boolean> }> {
  const sock = createSocket('udp4');
  let n = 0;
  const waiters: (() => void)[] = [];
  sock.on('message', () => {
    n++;
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve, reject) => sock.once('error', reject).bind(0, ip, () => resolve()));
  const wait = (want: number, ms: number) => new Promise<boolean>((resolve) => {
    if (n >= want) return resolve(true);
    const t = setTimeout(() => resolve(n >= want), ms);
    const check = () => {
      if (n >= want) {
        clearTimeout(t);
        resolve(true);
      } else waiters.push(check);
    };
    waiters.push(check);
  });
  return { sock, port: sock.address().port, got: () => n, wait };
}

kernelTest(test, 'XDP generic: a counting program sees the packets arriving on the veth; after close it sees none and its link is gone', () => {
  const v = createVethNs();
  const map = counterMap();
  const prog = counting('xdp', map, 0, XDP_PASS);
  let link: Link | undefined;
  try {
    link = attachXdp(prog.fd, v.hostIf, { mode: 'generic' });
    const id = linkId(link, LinkTypes.xdp);
    assert.ok(listIds('link').includes(id));
    sendFromNs(v, v.hostIp, 9);
    sendFromNs(v, v.hostIp, 9);
    const seen = count(map, 0);
    assert.ok(seen >= 2n, `counted ${seen} packets (ARP and 2 datagrams expected)`);
    link.close();
    assertLinkGone(id);
    sendFromNs(v, v.hostIp, 9);
    assert.is(count(map, 0), seen, 'no packet counted after close');
  } finally {
    link?.close();
    prog.close();
    map.close();
    v.remove();
  }
});

kernelTest(test, 'XDP driver mode on veth: XDP_DROP stops datagrams, BPF_LINK_UPDATE to XDP_PASS lets them through, close keeps them flowing', async () => {
  const v = createVethNs();
  const drop = returning('xdp', XDP_DROP);
  const pass = returning('xdp', XDP_PASS);
  let link: Link | undefined;
  let rx: Awaited<ReturnType<typeof receiver>> | undefined;
  try {
    rx = await receiver(v.hostIp);
    // Warm up ARP so that later sends do not wait on neighbour resolution.
    sendFromNs(v, v.hostIp, rx.port);
    assert.ok(await rx.wait(1, 3000), 'a datagram arrives before anything is attached');
    link = attachXdp(drop.fd, v.hostIf, { mode: 'driver' });
    const id = linkId(link, LinkTypes.xdp);
    sendFromNs(v, v.hostIp, rx.port);
    assert.not.ok(await rx.wait(2, 300), 'dropped while XDP_DROP is attached');
    updateLink(link, pass.fd, drop.fd);
    assert.is(link.info()[0]!.progId, pass.info().id, 'the link now runs the XDP_PASS program');
    sendFromNs(v, v.hostIp, rx.port);
    assert.ok(await rx.wait(2, 3000), 'passes after BPF_LINK_UPDATE');
    link.close();
    assertLinkGone(id);
    sendFromNs(v, v.hostIp, rx.port);
    assert.ok(await rx.wait(3, 3000), 'passes after close');
  } finally {
    rx?.sock.close();
    link?.close();
    drop.close();
    pass.close();
    v.remove();
  }
});

kernelTest(test, 'tcx ingress and egress count on the veth; BPF_LINK_DETACH stops the program while the link stays listed until close', async () => {
  const v = createVethNs();
  const map = counterMap();
  const inProg = counting('sched_cls', map, 1, TCX_NEXT);
  const outProg = counting('sched_cls', map, 2, TCX_NEXT);
  const links: Link[] = [];
  const tx = createSocket('udp4');
  try {
    const ingress = attachTcx(inProg.fd, v.hostIf, 'ingress');
    links.push(ingress);
    const egress = attachTcx(outProg.fd, v.hostIf, 'egress', { order: { where: 'before' } });
    links.push(egress);
    const inId = linkId(ingress, LinkTypes.tcx);
    const outId = linkId(egress, LinkTypes.tcx);
    sendFromNs(v, v.hostIp, 9);
    assert.ok(count(map, 1) >= 1n, `ingress counted ${count(map, 1)}`);
    await new Promise<void>((resolve, reject) => tx.send('tsbpf', 9, v.peerIp, (err) => (err ? reject(err) : resolve())));
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(count(map, 2) >= 1n, `egress counted ${count(map, 2)}`);

    detachLink(ingress);
    const afterDetach = count(map, 1);
    sendFromNs(v, v.hostIp, 9);
    assert.is(count(map, 1), afterDetach, 'nothing counted after BPF_LINK_DETACH');
    assert.ok(listIds('link').includes(inId), 'a detached link stays listed while its fd is open');
    ingress.close();
    egress.close();
    assertLinkGone(inId);
    assertLinkGone(outId);
    const outAfter = count(map, 2);
    await new Promise<void>((resolve, reject) => tx.send('tsbpf', 9, v.peerIp, (err) => (err ? reject(err) : resolve())));
    await new Promise((r) => setTimeout(r, 50));
    assert.is(count(map, 2), outAfter, 'nothing counted on egress after close');
  } finally {
    tx.close();
    for (const l of links) l.close();
    inProg.close();
    outProg.close();
    map.close();
    v.remove();
  }
}, () => attachTypeMissing('tcx_ingress'));

/** One cgroup hook: the program type a rejecting program has, and a bash command it makes fail with EPERM. */
interface CgroupRow {
  readonly attach: AttachTypeName;
  readonly type: ProgramTypeName;
  readonly script: string;
}

const EPERM_TEXT = /operation not permitted/i;

const cgroupRows: readonly CgroupRow[] = [
  { attach: 'cgroup_inet_egress', type: 'cgroup_skb', script: 'echo x > /dev/udp/127.0.0.1/9' },
  { attach: 'cgroup_inet_sock_create', type: 'cgroup_sock', script: 'echo x > /dev/udp/127.0.0.1/9' },
  { attach: 'cgroup_inet4_connect', type: 'cgroup_sock_addr', script: 'exec 3<>/dev/tcp/127.0.0.1/1' },
  { attach: 'cgroup_inet4_bind', type: 'cgroup_sock_addr', script: `exec ${process.execPath} -e "require('net').createServer().listen(0, '127.0.0.1').on('error', (e) => { console.error(e.message); process.exit(1); }).on('listening', () => process.exit(0))"` },
  { attach: 'cgroup_sysctl', type: 'cgroup_sysctl', script: 'cat /proc/sys/kernel/ostype > /dev/null' },
  { attach: 'cgroup_device', type: 'cgroup_device', script: 'exec 3</dev/zero' },
];

/** Runs `script` in the cgroup; returns null on success, else its stderr. */
function outcome(cg: TestCgroup, script: string): string | null {
  const r = cg.bash(script);
  assert.ok(r.status !== 99, `could not enter ${cg.path}: ${r.stderr}`);
  return r.status === 0 ? null : `${r.stderr}${r.stdout}` || `exit ${r.status}`;
}

kernelTest(test, 'cgroup_skb egress counts the packets of a process moved into the test cgroup (link and PROG_ATTACH); nothing after close', () => {
  const cg = createTestCgroup();
  const map = counterMap();
  const progs = [counting('cgroup_skb', map, 3, 1), counting('cgroup_skb', map, 4, 1)];
  const links: Link[] = [];
  try {
    const methods: CgroupAttachMethod[] = ['link', 'prog_attach'];
    methods.forEach((method, i) => links.push(attachCgroup(progs[i]!.fd, cg.path, 'cgroup_inet_egress', { method })));
    const id = linkId(links[0]!, LinkTypes.cgroup);
    assert.equal(links[1]!.linkFds, [], 'PROG_ATTACH makes no bpf_link');
    assert.is(outcome(cg, 'echo x > /dev/udp/127.0.0.1/9; echo y > /dev/udp/127.0.0.1/9'), null);
    const [viaLink, viaAttach] = [count(map, 3), count(map, 4)];
    assert.ok(viaLink >= 2n, `link: counted ${viaLink}`);
    assert.ok(viaAttach >= 2n, `PROG_ATTACH: counted ${viaAttach}`);
    for (const l of links) l.close();
    assertLinkGone(id);
    assert.is(outcome(cg, 'echo x > /dev/udp/127.0.0.1/9'), null);
    assert.equal([count(map, 3), count(map, 4)], [viaLink, viaAttach], 'nothing counted after close');
  } finally {
    for (const l of links) l.close();
    for (const p of progs) p.close();
    map.close();
    cg.remove();
  }
});

kernelTest(test, 'cgroup_skb ingress counts the TCP reset a process in the cgroup receives; packets of this process (outside the cgroup) are not counted', async () => {
  const cg = createTestCgroup();
  const map = counterMap();
  const prog = counting('cgroup_skb', map, 6, 1);
  const tx = createSocket('udp4');
  let link: Link | undefined;
  try {
    link = attachCgroup(prog.fd, cg.path, 'cgroup_inet_ingress');
    await new Promise<void>((resolve, reject) => tx.send('tsbpf', 9, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    await new Promise((r) => setTimeout(r, 50));
    assert.is(count(map, 6), 0n, 'traffic of a process outside the cgroup is not counted');
    assert.match(outcome(cg, 'exec 3<>/dev/tcp/127.0.0.1/1') ?? '', /refused/);
    const seen = count(map, 6);
    assert.ok(seen >= 1n, `the reset was counted (${seen})`);
    link.close();
    assert.match(outcome(cg, 'exec 3<>/dev/tcp/127.0.0.1/1') ?? '', /refused/);
    assert.is(count(map, 6), seen, 'nothing counted after close');
  } finally {
    tx.close();
    link?.close();
    prog.close();
    map.close();
    cg.remove();
  }
});

for (const row of cgroupRows) {
  for (const method of ['link', 'prog_attach'] as const) {
    kernelTest(test, `cgroup ${row.attach} via ${method}: a rejecting ${row.type} program makes the process fail with EPERM; after close it works and the program is freed`, () => {
      const cg = createTestCgroup();
      const script = row.script;
      // connect4: refused (nobody listens on port 1) is success here; EPERM is the hook.
      const ok = (o: string | null) => o === null || (row.attach === 'cgroup_inet4_connect' && /refused/.test(o));
      let prog: Program | undefined = returning(row.type, 0, row.attach);
      const progId = prog.info().id;
      let link: Link | undefined;
      try {
        assert.ok(ok(outcome(cg, script)), `works before attaching: ${outcome(cg, script)}`);
        link = attachCgroup(prog.fd, cg.path, row.attach, { method });
        const id = method === 'link' ? linkId(link, LinkTypes.cgroup) : undefined;
        const blocked = outcome(cg, script);
        assert.ok(blocked !== null && EPERM_TEXT.test(blocked), `fails with EPERM while attached: ${blocked}`);
        link.close();
        if (id !== undefined) assertLinkGone(id);
        assert.ok(ok(outcome(cg, script)), `works after close: ${outcome(cg, script)}`);
        prog.close();
        prog = undefined;
        assert.not.ok(listIds('prog').includes(progId), 'nothing holds the program any more');
      } finally {
        link?.close();
        prog?.close();
        cg.remove();
      }
    });
  }
}

kernelTest(test, 'cgroup_inet4_connect via link: BPF_LINK_UPDATE swaps a rejecting program for an allowing one', () => {
  const cg = createTestCgroup();
  const reject = returning('cgroup_sock_addr', 0, 'cgroup_inet4_connect');
  const allow = returning('cgroup_sock_addr', 1, 'cgroup_inet4_connect');
  let link: Link | undefined;
  try {
    link = attachCgroup(reject.fd, cg.path, AttachTypes.cgroup_inet4_connect);
    assert.match(outcome(cg, 'exec 3<>/dev/tcp/127.0.0.1/1') ?? '', EPERM_TEXT);
    updateLink(link, allow.fd);
    assert.match(outcome(cg, 'exec 3<>/dev/tcp/127.0.0.1/1') ?? '', /refused/);
  } finally {
    link?.close();
    reject.close();
    allow.close();
    cg.remove();
  }
});

/** The members of `union bpf_attr` member `member` (anonymous structs flattened) that have all of `wanted`; `nested` descends into a named member of it. */
function attrMembers(member: string, wanted: readonly string[], nested?: string): FlatMember[] {
  const btf = vmlinuxBtf();
  const attr = btf.find('bpf_attr', BtfKind.UNION);
  let candidates = attr.members.filter((m) => m.name === member).map((m) => btf.flatMembers(btf.resolve(m.type).id, m.bitOffset));
  if (nested !== undefined) {
    candidates = attr.members.filter((m) => m.name === member).flatMap((m) => {
      const found: FlatMember[][] = [];
      const walk = (id: number, base: number): void => {
        for (const k of btf.resolve(id).members) {
          const kt = btf.resolve(k.type);
          if (k.name === nested) found.push(btf.flatMembers(kt.id, base + k.bitOffset));
          else if (k.name === '' && (kt.kind === BtfKind.STRUCT || kt.kind === BtfKind.UNION)) walk(kt.id, base + k.bitOffset);
        }
      };
      walk(btf.resolve(m.type).id, m.bitOffset);
      return found;
    });
  }
  candidates = candidates.filter((ms) => wanted.every((w) => ms.some((k) => k.name === w)));
  if (candidates.length !== 1) throw new Error(`${candidates.length} members of union bpf_attr named '${member}'${nested ? `.${nested}` : ''} have all of ${wanted.join(', ')}`);
  return candidates[0]!;
}

function assertLayout(layout: Layout, fields: readonly string[], members: FlatMember[]): void {
  for (const name of fields) {
    const field = layout.fields[name]!;
    const k = members.find((m) => m.name === name);
    assert.ok(k !== undefined, `${layout.what}: the kernel has a field ${name}`);
    assert.is(`${name} @bit ${field.offset * 8}, ${field.size * 8} bits`, `${name} @bit ${k!.bitOffset}, ${k!.bits} bits`, `${layout.what}.${name}`);
  }
}

const BTF_PATH = '/sys/kernel/btf/vmlinux';
// relative_fd / expected_revision (mprog) arrived with tcx in Linux 6.6.
const noTcx = existsSync(BTF_PATH) ? attachTypeMissing('tcx_ingress') : null;
if (noTcx !== null) {
  console.log(`skip: attach-net attr layouts: ${noTcx}`);
  test.skip('attr layouts of BPF_PROG_ATTACH, BPF_LINK_UPDATE, BPF_LINK_DETACH and link_create.tcx match the kernel BTF');
} else if (existsSync(BTF_PATH)) {
  test('attr layouts of BPF_PROG_ATTACH, BPF_LINK_UPDATE, BPF_LINK_DETACH and link_create.tcx match the kernel BTF', () => {
    for (const layout of [progAttachAttr, linkUpdateAttr, linkDetachAttr] as Layout[]) {
      const fields = Object.keys(layout.fields);
      assertLayout(layout, fields, attrMembers(layout.member!, fields));
    }
    const tcx = ['relative_fd', 'expected_revision'];
    assertLayout(linkCreateAttr as Layout, tcx, attrMembers('link_create', tcx, 'tcx'));
  });
} else {
  console.log(`skip: attach-net attr layouts: ${BTF_PATH} does not exist`);
  test.skip('attr layouts vs kernel BTF');
}

test.run();
