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

/** The members of the kernel structure a layout describes. */
function kernelMembers(layout: Layout): FlatMember[] {
  const btf = vmlinuxBtf();
  if (layout.kernelType === 'union bpf_attr') {
    const attr = btf.find('bpf_attr', BtfKind.UNION);
    const wanted = Object.keys(layout.fields);
    const candidates = attr.members
      .filter((m) => m.name === layout.member)
      .map((m) => btf.flatMembers(btf.resolve(m.type).id, m.bitOffset))
      .filter((members) => wanted.every((w) => members.some((k) => k.name === w)));
    if (candidates.length !== 1) throw new Error(`${layout.what}: ${candidates.length} members of union bpf_attr named '${layout.member}' have all of ${wanted.join(', ')}`);
    return candidates[0];
  }
  const name = layout.kernelType.replace(/^struct /, '');
  return btf.flatMembers(btf.find(name, BtfKind.STRUCT).id);
}

for (const layout of layouts) {
  register(`${layout.what}: every field at the kernel's offset and size`, () => {
    const members = kernelMembers(layout);
    for (const [name, field] of Object.entries(layout.fields)) {
      const k = members.find((m) => m.name === name);
      if (k === undefined) throw new Error(`${layout.what}: the kernel has no field ${name}`);
      const bitOffset = field.offset * 8 + (field.bit ?? 0);
      const bits = field.type === 'bit' ? 1 : field.size * 8;
      assert.is(`${name} @bit ${bitOffset}, ${bits} bits`, `${name} @bit ${k.bitOffset}, ${k.bits} bits`, `${layout.what}.${name}`);
    }
  });
}

register('attr sizes fit in union bpf_attr; info sizes equal the kernel structs', () => {
  const btf = vmlinuxBtf();
  const attrSize = btf.find('bpf_attr', BtfKind.UNION).sizeOrType;
  for (const l of layouts) {
    if (l.kernelType === 'union bpf_attr') assert.ok(l.size <= attrSize, `${l.what}: ${l.size} <= sizeof(union bpf_attr) ${attrSize}`);
  }
  assert.is(progInfoLayout.size, btf.find('bpf_prog_info', BtfKind.STRUCT).sizeOrType);
  assert.is(mapInfoLayout.size, btf.find('bpf_map_info', BtfKind.STRUCT).sizeOrType);
});

register('BpfCmd has every enum bpf_cmd value of this kernel, with the same number', () => {
  const values = vmlinuxBtf().find('bpf_cmd', BtfKind.ENUM).values.filter((v) => !v.name.startsWith('__'));
  const ours = Object.entries(BpfCmd).map(([k, v]) => [`BPF_${k}`, v] as const);
  for (const v of values) {
    assert.is((BpfCmd as Record<string, number>)[v.name.replace(/^BPF_/, '')], Number(v.value), v.name);
  }
  for (const [name, value] of ours) {
    assert.ok(values.some((v) => v.name === name && Number(v.value) === value), `${name} = ${value} is in the kernel's enum bpf_cmd`);
  }
});

test.run();
