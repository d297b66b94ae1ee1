// The attr and info layouts of syscalls/ against the running kernel's BTF: every field we write
// or read must sit at the offset and have the size that `union bpf_attr`, `struct bpf_prog_info`
// and `struct bpf_map_info` have in /sys/kernel/btf/vmlinux. Also enum bpf_cmd against BpfCmd.
// BTF is read with the independent minimal reader of test/support/mini-btf.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import {
  BpfCmd,
  btfLoadAttr,
  enableStatsAttr,
  getIdAttr,
  linkDetachAttr,
  linkUpdateAttr,
  progAttachAttr,
  rawTracepointOpenAttr,
  mapBatchAttr,
  mapElemAttr,
  objPinAttr,
  mapCreateAttr,
  mapInfoLayout,
  objGetInfoByFdAttr,
  progInfoLayout,
  progLoadAttr,
  progTestRunAttr,
  type Layout,
} from '../../syscalls/index.js';
import { BtfKind, vmlinuxBtf, type FlatMember } from '../support/mini-btf.js';
import { olderThanTables } from '../support/kernel-lacks.js';

const BTF_PATH = '/sys/kernel/btf/vmlinux';
const test = suite('attr layout vs kernel BTF');
const register = (name: string, fn: () => void) => {
  if (existsSync(BTF_PATH)) test(name, fn);
  else test.skip(name);
};
if (!existsSync(BTF_PATH)) console.log(`skip: attr layout vs kernel BTF: ${BTF_PATH} does not exist (kernel without CONFIG_DEBUG_INFO_BTF)`);

const layouts: Layout[] = [
  mapCreateAttr, progLoadAttr, progTestRunAttr, objGetInfoByFdAttr, btfLoadAttr, progInfoLayout, mapInfoLayout,
  mapElemAttr, mapBatchAttr, objPinAttr, getIdAttr, enableStatsAttr,
  // BPF_LINK_CREATE's per-kind unions are flattened with our own names (bpf_cookie, tracing_cookie):
  // test/kernel/attach-net.test.ts checks its fields one by one instead.
  linkUpdateAttr, linkDetachAttr, progAttachAttr, rawTracepointOpenAttr,
];

/**
 * Null on a kernel as new as our layouts (6.18); on an older one (probed from its BTF), the
 * reason, and each comparison then covers only the fields that kernel has: a field it lacks
 * must sit where its structure has no named member (padding, or beyond its end), or exactly on
 * one (a union alias added later), since the kernel only ever appends fields, names padding or
 * adds aliases.
 */
const older = existsSync(BTF_PATH) ? olderThanTables() : null;

/** The members of the kernel structure a layout describes. */
function kernelMembers(layout: Layout): FlatMember[] {
  const btf = vmlinuxBtf();
  if (layout.kernelType === 'union bpf_attr') {
    const attr = btf.find('bpf_attr', BtfKind.UNION);
    const wanted = Object.keys(layout.fields);
    const all = attr.members.filter((m) => m.name === layout.member).map((m) => btf.flatMembers(btf.resolve(m.type).id, m.bitOffset));
    const has = (members: FlatMember[]) => wanted.filter((w) => members.some((k) => k.name === w)).length;
    let candidates = all.filter((members) => has(members) === wanted.length);
    if (candidates.length === 0 && older !== null) {
      // An older kernel: the member with the most of our fields, which must include the first.
      const best = Math.max(0, ...all.map(has));
      candidates = all.filter((members) => has(members) === best && best > 0 && members.some((k) => k.name === wanted[0]));
    }
    if (candidates.length !== 1) throw new Error(`${layout.what}: ${candidates.length} members of union bpf_attr named '${layout.member}' have all of ${wanted.join(', ')}`);
    return candidates[0];
  }
  const name = layout.kernelType.replace(/^struct /, '');
  return btf.flatMembers(btf.find(name, BtfKind.STRUCT).id);
}

for (const layout of layouts) {
  register(`${layout.what}: every field at the kernel's offset and size`, () => {
    const members = kernelMembers(layout);
    const lacking: string[] = [];
    for (const [name, field] of Object.entries(layout.fields)) {
      const k = members.find((m) => m.name === name);
      if (k === undefined && older !== null) {
        const from = field.offset * 8 + (field.bit ?? 0);
        const to = from + (field.type === 'bit' ? 1 : field.size * 8);
        // Padding, past the end, or a new union alias of a member (target_ifindex of target_fd: same place, same size).
        const overlap = members.find((m) => m.bitOffset < to && from < m.bitOffset + m.bits && !(m.bitOffset === from && m.bits === to - from));
        assert.is(overlap, undefined, `${layout.what}.${name}: this kernel lacks it, yet has ${overlap?.name} partly overlapping it`);
        lacking.push(name);
        continue;
      }
      if (k === undefined) throw new Error(`${layout.what}: the kernel has no field ${name}`);
      const bitOffset = field.offset * 8 + (field.bit ?? 0);
      const bits = field.type === 'bit' ? 1 : field.size * 8;
      assert.is(`${name} @bit ${bitOffset}, ${bits} bits`, `${name} @bit ${k.bitOffset}, ${k.bits} bits`, `${layout.what}.${name}`);
    }
    if (lacking.length > 0) console.log(`skip: ${layout.what}: ${lacking.join(', ')}: ${older}`);
  });
}

/** Whether the running kernel's structure for `layout` lacks field `name` (only asked on an older kernel). */
const kernelLacks = (layout: Layout, name: string) => !kernelMembers(layout).some((m) => m.name === name);

register('attr sizes fit in union bpf_attr; info sizes equal the kernel structs', () => {
  const btf = vmlinuxBtf();
  const attrSize = btf.find('bpf_attr', BtfKind.UNION).sizeOrType;
  // On an older kernel, our layouts may be longer, by fields that kernel does not have.
  const beyond = (l: Layout, size: number) => Object.entries(l.fields).filter(([, f]) => f.offset + f.size > size).map(([n]) => n);
  for (const l of layouts) {
    if (l.kernelType !== 'union bpf_attr') continue;
    if (older !== null && l.size > attrSize) assert.equal(beyond(l, attrSize).filter((n) => !kernelLacks(l, n)), [], `${l.what}: fields past sizeof(union bpf_attr) ${attrSize} that this kernel has`);
    else assert.ok(l.size <= attrSize, `${l.what}: ${l.size} <= sizeof(union bpf_attr) ${attrSize}`);
  }
  for (const [l, name] of [[progInfoLayout, 'bpf_prog_info'], [mapInfoLayout, 'bpf_map_info']] as const) {
    const size = btf.find(name, BtfKind.STRUCT).sizeOrType;
    if (older !== null && l.size > size) assert.equal(beyond(l, size).filter((n) => !kernelLacks(l, n)), [], `${l.what}: fields past sizeof(struct ${name}) ${size} that this kernel has`);
    else assert.is(l.size, size, `sizeof(struct ${name})`);
  }
});

register('BpfCmd has every enum bpf_cmd value of this kernel, with the same number', () => {
  const values = vmlinuxBtf().find('bpf_cmd', BtfKind.ENUM).values.filter((v) => !v.name.startsWith('__'));
  const ours = Object.entries(BpfCmd).map(([k, v]) => [`BPF_${k}`, v] as const);
  for (const v of values) {
    assert.is((BpfCmd as Record<string, number>)[v.name.replace(/^BPF_/, '')], Number(v.value), v.name);
  }
  // An older kernel lacks our newest commands: those must come after all of its own.
  const kernelMax = Math.max(...values.map((v) => Number(v.value)));
  for (const [name, value] of ours) {
    if (older !== null && value > kernelMax && !values.some((v) => v.name === name)) continue;
    assert.ok(values.some((v) => v.name === name && Number(v.value) === value), `${name} = ${value} is in the kernel's enum bpf_cmd`);
  }
});

test.run();
