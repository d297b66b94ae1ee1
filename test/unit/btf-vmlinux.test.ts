/**
 * The decoder on the running kernel's BTF (`/sys/kernel/btf/vmlinux`, ~127k types): every type
 * against `bpftool -j btf dump` (an independent reader), laziness of lookups, member offsets,
 * and module (split) BTF when the kernel has any. Skips with a reason when there is no vmlinux
 * BTF or no bpftool.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { decodeBtf, encodeBtf, memberOffset, sizeOfType, type Btf, type Type } from '../../asm/src/btf/index.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const noVmlinux = existsSync(VMLINUX) ? null : `${VMLINUX} does not exist`;

function bpftool(): string | null {
  for (const p of ['/usr/sbin/bpftool', '/usr/bin/bpftool', '/usr/local/sbin/bpftool']) if (existsSync(p)) return p;
  return null;
}

const maybe = (reason: string | null, name: string, fn: () => void): void => {
  if (reason === null) test(name, fn);
  else {
    console.log(`skip: ${name}: ${reason}`);
    test.skip(name, fn);
  }
};

let cached: Btf | undefined;
const vmlinux = (): Btf => (cached ??= decodeBtf(readFileSync(VMLINUX)));

maybe(noVmlinux, 'a lookup walk builds a handful of types, not 127k', () => {
  const btf = decodeBtf(readFileSync(VMLINUX));
  assert.ok(btf.typeCount > 1000);
  const task = btf.get('struct', 'task_struct');
  const tgid = memberOffset(task, ['real_parent', 'tgid']);
  assert.ok(tgid.bitOffset > 0 && tgid.bitOffset % 32 === 0);
  assert.is(sizeOfType(tgid.type), 4);
  assert.ok(btf.materialized < 20, `built ${btf.materialized} types`);
  // The first lookups search the blob, later ones use the hash table: same answers.
  const names = ['task_struct', 'sk_buff', 'u32', 'list_head', 'bpf_attr', 'tgid', 'pid_t', 'no_such_name'];
  const first = names.map((n) => btf.idsByName(n));
  for (let i = 0; i < 40; i++) btf.idsByName('warm_up');
  assert.equal(names.map((n) => btf.idsByName(n)), first);
  assert.is(first[7].length, 0);
  assert.ok(first[0].every((id) => btf.nameOf(id) === 'task_struct'));
});

const tool = bpftool();
maybe(noVmlinux ?? (tool === null ? 'bpftool is not installed (apt-get install bpftool)' : null), 'every vmlinux type matches bpftool -j btf dump', () => {
  interface J { id: number; kind: string; name: string; size?: number; type_id?: number; ret_type_id?: number; nr_elems?: number; index_type_id?: number;
    bits_offset?: number; nr_bits?: number; encoding?: string; vlen?: number; fwd_kind?: string; linkage?: string; component_idx?: number;
    members?: { name: string; type_id: number; bits_offset: number; bitfield_size?: number }[];
    values?: { name: string; val: number }[]; params?: { name: string; type_id: number }[]; vars?: { type_id: number; offset: number; size: number }[] }
  const json = JSON.parse(execFileSync(tool!, ['-j', 'btf', 'dump', 'file', VMLINUX], { maxBuffer: 1 << 30 }).toString()) as { types: J[] };
  const btf = vmlinux();
  assert.is(btf.typeCount - 1, json.types.length);
  const name = (s: string): string => (s === '(anon)' ? '' : s);
  const id = (t: Type): number => btf.idOf(t)!;
  for (const j of json.types) {
    const t = btf.typeById(j.id);
    const where = `[${j.id}] ${j.kind} ${j.name}`;
    assert.is(t.kind, j.kind.toLowerCase(), where);
    switch (t.kind) {
      case 'int':
        assert.equal([t.name, t.size, t.bitOffset, t.bits], [j.name, j.size, j.bits_offset, j.nr_bits], where);
        break;
      case 'ptr': case 'const': case 'volatile': case 'restrict': case 'typedef':
        assert.is(id(t.target), j.type_id, where);
        if (t.kind === 'typedef') assert.is(t.name, j.name, where);
        break;
      case 'type_tag': case 'decl_tag':
        assert.equal([t.value, id(t.target)], [j.name, j.type_id], where);
        if (t.kind === 'decl_tag') assert.is(t.componentIndex, j.component_idx, where);
        break;
      case 'array':
        assert.equal([id(t.element), id(t.index), t.length], [j.type_id, j.index_type_id, j.nr_elems], where);
        break;
      case 'struct': case 'union':
        assert.equal([t.name, t.size], [name(j.name), j.size], where);
        assert.equal(t.members.map((m) => [m.name, id(m.type), m.bitOffset, m.bitfieldSize]),
          j.members!.map((m) => [name(m.name), m.type_id, m.bits_offset, m.bitfield_size ?? 0]), where);
        break;
      case 'enum': case 'enum64':
        assert.equal([t.name, t.size, t.signed], [name(j.name), j.size, j.encoding === 'SIGNED'], where);
        // JSON numbers lose precision past 2^53, so compare doubles; bpftool prints an unsigned
        // 32-bit value of bit 31 set sign-extended to 64 bits.
        assert.equal(t.values.map((v) => {
          const n = BigInt(v.value);
          return [v.name, Number(t.kind === 'enum' && n >= 0x80000000n ? BigInt.asUintN(64, BigInt.asIntN(32, n)) : n)];
        }), j.values!.map((v) => [v.name, v.val]), where);
        break;
      case 'fwd':
        assert.equal([t.name, t.fwdKind], [j.name, j.fwd_kind], where);
        break;
      case 'func':
        assert.equal([t.name, id(t.proto), ['static', 'global', 'extern'][t.linkage]], [j.name, j.type_id, j.linkage], where);
        break;
      case 'func_proto':
        assert.is(id(t.returns), j.ret_type_id, where);
        assert.equal(t.params.map((p) => [p.name, id(p.type)]), j.params!.map((p) => [name(p.name), p.type_id]), where);
        break;
      case 'var':
        assert.equal([t.name, id(t.type)], [j.name, j.type_id], where);
        break;
      case 'datasec':
        assert.equal([t.name, t.size], [j.name, j.size], where);
        assert.equal(t.vars.map((v) => [id(v.type), v.offset, v.size]), j.vars!.map((v) => [v.type_id, v.offset, v.size]), where);
        break;
      case 'float':
        assert.equal([t.name, t.size], [j.name, j.size], where);
        break;
      default:
        assert.unreachable(where);
    }
  }
});

maybe(noVmlinux, 'task_struct.real_parent->tgid against a C compiler-free reading of the records', () => {
  // Independent check: walk the raw records by hand for the same answer.
  const btf = vmlinux();
  const task = btf.get('struct', 'task_struct');
  const rp = task.members.find((m) => m.name === 'real_parent')!;
  const ptr = rp.type;
  assert.is(ptr.kind, 'ptr');
  const raw = new DataView(btf.bytes.buffer, btf.bytes.byteOffset);
  const p = btf.recordOffset(btf.idOf(ptr)!);
  assert.is(raw.getUint32(p + 8, true), btf.idOf(task), 'real_parent points to task_struct');
  assert.is(memberOffset(task, ['real_parent']).bitOffset, rp.bitOffset);
});

maybe(noVmlinux, 'vmlinux re-encodes to an equivalent blob that decodes to the same records', () => {
  const btf = vmlinux();
  const enc = encodeBtf(btf.types());
  assert.is(enc.types.length, btf.typeCount);
  const again = decodeBtf(enc.bytes);
  for (const id of [1, 2, 100, btf.idOf(btf.get('struct', 'task_struct'))!, btf.typeCount - 1]) {
    assert.is(again.kindOf(id), btf.kindOf(id));
    assert.is(again.nameOf(id), btf.nameOf(id));
  }
  // The type sections are the same bytes except the name offsets (the string order differs).
  assert.is(again.header.typeLen, btf.header.typeLen);
  assert.ok(again.header.strLen <= btf.header.strLen);
});

const modules = existsSync('/sys/kernel/btf') ? readdirSync('/sys/kernel/btf').filter((f) => f !== 'vmlinux') : [];
maybe(noVmlinux ?? (modules.length === 0 ? 'this kernel has no module BTF in /sys/kernel/btf (split BTF is covered by btf.test.ts)' : null), 'module BTF decodes as split BTF over vmlinux', () => {
  for (const m of modules.slice(0, 5)) {
    const split = decodeBtf(readFileSync(`/sys/kernel/btf/${m}`), { base: vmlinux() });
    assert.is(split.firstId, vmlinux().typeCount);
    for (const t of split.types()) void t.kind;
  }
});

test.run();
