// The generated helper table and kernel type constants (asm/src/*.generated.ts), their lookups,
// and the generator (scripts/gen-kernel-tables.ts) on a small made-up kernel tree.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { helperByName, helperById, helpers } from '../../asm/src/helpers.js';
import {
  AttachTypes,
  LinkTypes,
  MapTypes,
  ProgramTypes,
  attachType,
  attachTypeName,
  linkType,
  linkTypeName,
  mapType,
  mapTypeName,
  programType,
  programTypeName,
} from '../../asm/src/kernel-types.js';
import { readKernelTables, renderHelperTable, renderKernelTypes } from '../../scripts/gen-kernel-tables.js';

const root = path.dirname(path.dirname(path.dirname(fileURLToPath(import.meta.url))));

// ---- helper table -------------------------------------------------------------------------

test('helper ids are dense, names unique and as func_id_str prints them', () => {
  assert.is(helpers.length, 212, 'Linux 6.18 has helpers 0…211');
  const names = new Set<string>();
  helpers.forEach((h, i) => {
    assert.is(h.id, i, `helpers[${i}].id`);
    assert.match(h.name, /^bpf_[a-z0-9_]+$/);
    assert.not.ok(names.has(h.name), `duplicate ${h.name}`);
    names.add(h.name);
  });
  assert.is(helpers[0]!.name, 'bpf_unspec');
  assert.is(helpers[211]!.name, 'bpf_cgrp_storage_delete');
  assert.is(helperById(212), undefined);
  assert.is(helperById(-1), undefined);
});

test('every helper but unspec has a prototype and at least one program type', () => {
  const known = new Set(Object.keys(ProgramTypes));
  for (const h of helpers.slice(1)) {
    assert.ok(h.ret !== null && /^RET_\w+(\|\w+)*$/.test(h.ret), `${h.name} ret ${h.ret}`);
    assert.ok(h.args.length <= 5, `${h.name} has ${h.args.length} args`);
    for (const a of h.args) assert.match(a, /^ARG_\w+(\|\w+)*$/, `${h.name} arg ${a}`);
    assert.ok(h.programTypes.length > 0, `${h.name} offered nowhere`);
    let last = -1;
    for (const t of h.programTypes) {
      assert.ok(known.has(t), `${h.name}: unknown program type ${t}`);
      const n = ProgramTypes[t as keyof typeof ProgramTypes];
      assert.ok(n > last, `${h.name}: program types sorted by number and unique`);
      last = n;
    }
    assert.ok(h.proto !== undefined, `${h.name} names its proto`);
  }
  assert.is(helpers[0]!.ret, null);
  assert.equal(helpers[0]!.programTypes, []);
});

test('known prototypes', () => {
  const rows: [string, string, string[], boolean][] = [
    ['bpf_map_lookup_elem', 'RET_PTR_TO_MAP_VALUE_OR_NULL', ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY'], false],
    ['bpf_map_update_elem', 'RET_INTEGER', ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY', 'ARG_PTR_TO_MAP_VALUE', 'ARG_ANYTHING'], false],
    ['bpf_ktime_get_ns', 'RET_INTEGER', [], false],
    ['bpf_tail_call', 'RET_VOID', ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING'], false],
    ['bpf_trace_printk', 'RET_INTEGER', ['ARG_PTR_TO_MEM|MEM_RDONLY', 'ARG_CONST_SIZE'], true],
    ['bpf_probe_read_kernel', 'RET_INTEGER', ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], true],
    ['bpf_get_stackid', 'RET_INTEGER', ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING'], true],
    ['bpf_ringbuf_reserve', 'RET_PTR_TO_RINGBUF_MEM_OR_NULL', ['ARG_CONST_MAP_PTR', 'ARG_CONST_ALLOC_SIZE_OR_ZERO', 'ARG_ANYTHING'], false],
  ];
  for (const [name, ret, args, gpl] of rows) {
    const h = helperByName(name);
    assert.ok(h, name);
    assert.is(h!.ret, ret, `${name} ret`);
    assert.equal(h!.args, args, `${name} args`);
    assert.is(h!.gplOnly, gpl, `${name} gplOnly`);
  }
  assert.is(helperByName('map_lookup_elem')?.id, 1, 'lookup without the bpf_ prefix');
});

test('several protos for one id: the bpf_<name>_proto one is kept, the others noted', () => {
  const h = helperByName('bpf_get_stackid')!;
  assert.is(h.proto, 'bpf_get_stackid_proto');
  assert.ok(h.otherProtos?.includes('bpf_get_stackid_proto_tp'));
  assert.is(helperByName('bpf_map_lookup_elem')!.otherProtos, undefined);
});

test('program types offering a helper', () => {
  const offered = (helper: string, type: string): boolean => helperByName(helper)!.programTypes.includes(type);
  assert.ok(offered('bpf_skb_load_bytes', 'sched_cls'));
  assert.ok(offered('bpf_skb_load_bytes', 'socket_filter'));
  assert.not.ok(offered('bpf_skb_load_bytes', 'kprobe'));
  assert.ok(offered('bpf_probe_read_kernel', 'kprobe'));
  assert.ok(offered('bpf_probe_read_kernel', 'tracing'));
  assert.ok(offered('bpf_xdp_adjust_head', 'xdp'));
  assert.not.ok(offered('bpf_xdp_adjust_head', 'sched_cls'));
  assert.ok(offered('bpf_map_lookup_elem', 'cgroup_device'), 'through bpf_base_func_proto');
  assert.ok(offered('bpf_sysctl_get_name', 'cgroup_sysctl'));
  assert.ok(offered('bpf_seq_printf', 'tracing'), 'through bpf_iter_get_func_proto');
  assert.ok(offered('bpf_tcp_send_ack', 'struct_ops'), 'through bpf_tcp_ca verifier ops');
  assert.not.ok(offered('bpf_map_lookup_elem', 'ext'), 'ext programs use their target\'s helpers');
  assert.not.ok(offered('bpf_map_lookup_elem', 'unspec'));
});

// ---- kernel type constants ----------------------------------------------------------------

test('type constants', () => {
  assert.is(ProgramTypes.unspec, 0);
  assert.is(ProgramTypes.socket_filter, 1);
  assert.is(ProgramTypes.xdp, 6);
  assert.is(ProgramTypes.netfilter, 32);
  assert.equal(Object.values(ProgramTypes), [...Array(33).keys()], 'program types dense 0…32');
  assert.is(MapTypes.hash, 1);
  assert.is(MapTypes.cgroup_storage_deprecated, 19);
  assert.is(MapTypes.cgroup_storage, 19);
  assert.is(MapTypes.arena, 33);
  assert.is(AttachTypes.cgroup_inet_ingress, 0);
  assert.is(AttachTypes.trace_uprobe_session, 57);
  assert.is(LinkTypes.tcx, 11);
  assert.is(LinkTypes.sockmap, 14);
  for (const obj of [ProgramTypes, MapTypes, AttachTypes, LinkTypes]) {
    for (const k of Object.keys(obj)) assert.match(k, /^[a-z0-9_]+$/);
  }
});

test('lookups by name and by number', () => {
  assert.is(programType('xdp'), 6);
  assert.is(programType(6), 6);
  assert.is(programType('socket_filter'), 1);
  assert.is(programTypeName(6), 'xdp');
  assert.is(mapType('percpu_array'), 6);
  assert.is(mapType(19), 19);
  assert.is(mapTypeName(19), 'cgroup_storage', 'the current name of an aliased number');
  assert.is(mapTypeName(21), 'percpu_cgroup_storage');
  assert.is(attachType('cgroup_inet_ingress'), 0);
  assert.is(attachType('tcx_ingress'), AttachTypes.tcx_ingress);
  assert.is(attachTypeName(0), 'cgroup_inet_ingress');
  assert.is(linkType('tcx'), 11);
  assert.is(linkTypeName(11), 'tcx');
  for (const name of Object.keys(ProgramTypes)) assert.is(programTypeName(programType(name)), name, 'round trip');
});

test('unknown names and numbers are RangeErrors that say what was asked', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => programType('foo'), /^unknown program type 'foo'$/],
    [() => programType('XDP'), /^unknown program type 'XDP'$/],
    [() => programType('constructor'), /unknown program type 'constructor'/],
    [() => programType(33), /^unknown program type 33$/],
    [() => programType(1.5), /^unknown program type 1.5$/],
    [() => programType(-1), /^unknown program type -1$/],
    [() => programTypeName(99), /^unknown program type 99$/],
    [() => mapType('foo'), /^unknown map type 'foo'$/],
    [() => mapTypeName(34), /^unknown map type 34$/],
    [() => attachType('foo'), /^unknown attach type 'foo'$/],
    [() => attachTypeName(58), /^unknown attach type 58$/],
    [() => linkType('foo'), /^unknown link type 'foo'$/],
    [() => linkTypeName(15), /^unknown link type 15$/],
  ];
  for (const [f, re] of cases) {
    try {
      f();
      assert.unreachable(`no error for ${re}`);
    } catch (e) {
      assert.instance(e, RangeError);
      assert.match((e as Error).message, re);
    }
  }
});

test('generated files say how they were made', () => {
  for (const f of ['helper-table.generated.ts', 'kernel-types.generated.ts']) {
    const text = readFileSync(path.join(root, 'asm/src', f), 'utf8');
    assert.match(text, /^\/\/ Generated by `node --import tsx scripts\/gen-kernel-tables\.ts LINUX_SRC` from a Linux 6\.18\.\d+/);
  }
});

// ---- the generator on a made-up tree ------------------------------------------------------

const fakeUapi = `
/* comment with enum bpf_prog_type { BOGUS } inside */
enum bpf_map_type {
\tBPF_MAP_TYPE_UNSPEC,
\tBPF_MAP_TYPE_HASH,
\tBPF_MAP_TYPE_OLD_DEPRECATED,
\tBPF_MAP_TYPE_OLD = BPF_MAP_TYPE_OLD_DEPRECATED, // alias
\tBPF_MAP_TYPE_NEXT,
\t__MAX_BPF_MAP_TYPE
};
enum bpf_prog_type {
\tBPF_PROG_TYPE_UNSPEC,
\tBPF_PROG_TYPE_SOCKET_FILTER,
\tBPF_PROG_TYPE_KPROBE,
\tBPF_PROG_TYPE_STRUCT_OPS,
\tBPF_PROG_TYPE_EXT,
\t__MAX_BPF_PROG_TYPE
};
enum bpf_attach_type {
\tBPF_CGROUP_INET_INGRESS,
\tBPF_TRACE_ITER = 5,
\t__MAX_BPF_ATTACH_TYPE
};
enum bpf_link_type {
\tBPF_LINK_TYPE_UNSPEC = 0,
\tBPF_LINK_TYPE_TCX = 11,
\t__MAX_BPF_LINK_TYPE,
};
#define ___BPF_FUNC_MAPPER(FN, ctx...)\t\\
\tFN(unspec, 0, ##ctx)\t\t\t\\
\tFN(map_lookup_elem, 1, ##ctx)\t\t\\
\tFN(probe_read, 2, ##ctx)\t\t\\
\tFN(skb_load_bytes, 3, ##ctx)\t\t\\
\tFN(get_stackid, 4, ##ctx)\t\t\\
\tFN(only_struct_ops, 5, ##ctx)\t\t\\
\tFN(weak_one, 6, ##ctx)\t\t\t\\
\t/* */
`;

const fakeTypes = `
BPF_PROG_TYPE(BPF_PROG_TYPE_SOCKET_FILTER, sk_filter,
\t      struct __sk_buff, struct sk_buff)
#ifdef CONFIG_KPROBES
BPF_PROG_TYPE(BPF_PROG_TYPE_KPROBE, kprobe, bpf_user_pt_regs_t, struct pt_regs)
#endif
BPF_PROG_TYPE(BPF_PROG_TYPE_STRUCT_OPS, bpf_struct_ops, void *, void *)
BPF_PROG_TYPE(BPF_PROG_TYPE_EXT, bpf_extension, void *, void *)
`;

const fakeCore = `
const struct bpf_func_proto bpf_map_lookup_elem_proto = {
\t.func\t\t= bpf_map_lookup_elem,
\t.gpl_only\t= false,
\t.ret_type\t= RET_PTR_TO_MAP_VALUE_OR_NULL,
\t.arg1_type\t= ARG_CONST_MAP_PTR,
\t.arg2_type\t= ARG_PTR_TO_MAP_KEY,
};
static const struct bpf_func_proto bpf_probe_read_compat_proto = {
\t.func = bpf_probe_read_compat, .gpl_only = true, .ret_type = RET_INTEGER,
\t.arg1_type = ARG_PTR_TO_MEM |
\t\t     MEM_UNINIT, .arg3_type = ARG_ANYTHING,
};
const struct bpf_func_proto bpf_get_stackid_proto_tp = { .func = x, .ret_type = RET_INTEGER, .arg1_type = ARG_PTR_TO_CTX };
const struct bpf_func_proto bpf_get_stackid_proto_tp2 = { .func = x, .ret_type = RET_INTEGER, .arg1_type = ARG_ANYTHING };
const struct bpf_func_proto bpf_weak_one_proto __weak;
const struct bpf_func_proto bpf_only_struct_ops_proto = { .func = y, .ret_type = RET_VOID };

const struct bpf_func_proto *
bpf_base_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
\tswitch (func_id) {
\tcase BPF_FUNC_map_lookup_elem:
\t\treturn &bpf_map_lookup_elem_proto;
\tdefault:
\t\tbreak;
\t}
\tif (!capable(CAP_PERFMON))
\t\treturn NULL;
\tswitch (func_id) {
\tcase BPF_FUNC_probe_read:
\t\treturn locked_down() ? NULL : &bpf_probe_read_compat_proto;
\tcase BPF_FUNC_weak_one:
\t\treturn bpf_get_weak_proto();
\tdefault:
\t\treturn NULL;
\t}
}

const struct bpf_func_proto * __weak bpf_get_weak_proto(void)
{
\treturn NULL;
}

const struct bpf_func_proto * __weak
kprobe_prog_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
\treturn NULL;
}

static const struct bpf_func_proto *
tc_func_proto(enum bpf_func_id id, const struct bpf_prog *prog)
{
\tswitch (id) {
\tcase BPF_FUNC_skb_load_bytes:
\t\treturn &bpf_skb_load_bytes_proto;
\tcase BPF_FUNC_probe_read:   /* hidden from the fallback below */
\t\treturn NULL;
\tcase BPF_FUNC_get_stackid:
\t\tswitch (prog->expected_attach_type) {
\t\tcase BPF_TRACE_ITER:
\t\t\treturn NULL;
\t\tdefault:
\t\t\treturn &bpf_get_stackid_proto_tp2;
\t\t}
\tdefault:
\t\treturn bpf_base_func_proto(id, prog);
\t}
}

const struct bpf_verifier_ops sk_filter_verifier_ops = {
\t.get_func_proto\t= tc_func_proto,
};
const struct bpf_verifier_ops kprobe_verifier_ops = {
\t.get_func_proto = kprobe_prog_func_proto,
};
const struct bpf_verifier_ops bpf_struct_ops_verifier_ops = {
};
const struct bpf_verifier_ops bpf_extension_verifier_ops = {
};
`;

const fakeTrace = `
static const struct bpf_func_proto bpf_skb_load_bytes_proto = {
\t.func = bpf_skb_load_bytes, .ret_type = RET_INTEGER, .arg1_type = ARG_PTR_TO_CTX,
\t.arg2_type = ARG_ANYTHING, .arg4_type = ARG_CONST_SIZE,
};
const struct bpf_func_proto bpf_weak_one_proto = { .func = w, .ret_type = RET_INTEGER, .gpl_only = true };
const struct bpf_func_proto *bpf_get_weak_proto(void)
{
\treturn &bpf_weak_one_proto;
}
// strong definition wins over the __weak one
const struct bpf_func_proto *
kprobe_prog_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
\tswitch (func_id) {
\tcase BPF_FUNC_get_stackid:
\tcase BPF_FUNC_skb_load_bytes:
\t\treturn &bpf_get_stackid_proto_tp;
\tdefault:
\t\treturn bpf_base_func_proto(func_id, prog);
\t}
}
static const struct bpf_func_proto *
ops_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
\tif (func_id == BPF_FUNC_only_struct_ops)
\t\treturn &bpf_only_struct_ops_proto;
\tswitch (func_id) {
\tcase BPF_FUNC_only_struct_ops:
\t\treturn &bpf_only_struct_ops_proto;
\t}
\treturn NULL;
}
static const struct bpf_verifier_ops my_ops_verifier_ops = { .get_func_proto = ops_func_proto };
static struct bpf_struct_ops bpf_my_ops = { .verifier_ops = &my_ops_verifier_ops, .name = "my_ops" };
`;

test('generator: a made-up tree', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-kernel-tree-'));
  try {
    const put = (rel: string, text: string): void => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    };
    put('Makefile', 'VERSION = 9\nPATCHLEVEL = 1\nSUBLEVEL = 0\nEXTRAVERSION = -rc1\nNAME = Test\n');
    put('include/uapi/linux/bpf.h', fakeUapi);
    put('include/linux/bpf_types.h', fakeTypes);
    put('kernel/bpf/core.c', fakeCore);
    put('kernel/trace/bpf_trace.c', fakeTrace);
    put('tools/testing/bogus.c', 'const struct bpf_func_proto bpf_map_lookup_elem_proto = { .func = f, .ret_type = RET_VOID };\n');

    const t = readKernelTables(dir);
    assert.is(t.version, '9.1.0-rc1');
    assert.equal(t.programTypes, [['unspec', 0], ['socket_filter', 1], ['kprobe', 2], ['struct_ops', 3], ['ext', 4]]);
    assert.equal(t.mapTypes, [['unspec', 0], ['hash', 1], ['old_deprecated', 2], ['old', 2], ['next', 3]]);
    assert.equal(t.attachTypes, [['cgroup_inet_ingress', 0], ['trace_iter', 5]]);
    assert.equal(t.linkTypes, [['unspec', 0], ['tcx', 11]]);
    assert.equal(t.warnings, []);

    const h = Object.fromEntries(t.helpers.map((r) => [r.name, r]));
    assert.equal(t.helpers.map((r) => r.id), [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(h.map_lookup_elem!.programTypes, ['socket_filter', 'kprobe'], 'fallback to the base function, strong kprobe def');
    assert.is(h.map_lookup_elem!.ret, 'RET_PTR_TO_MAP_VALUE_OR_NULL');
    assert.equal(h.probe_read!.programTypes, ['kprobe'], 'case … return NULL hides it from sk_filter\'s fallback');
    assert.equal(h.probe_read!.args, ['ARG_PTR_TO_MEM|MEM_UNINIT', 'ARG_DONTCARE', 'ARG_ANYTHING']);
    assert.is(h.probe_read!.gplOnly, true);
    assert.equal(h.skb_load_bytes!.programTypes, ['socket_filter', 'kprobe']);
    assert.is(h.skb_load_bytes!.proto, 'bpf_skb_load_bytes_proto', 'the bpf_<name>_proto one wins');
    assert.equal(h.skb_load_bytes!.args, ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_DONTCARE', 'ARG_CONST_SIZE']);
    assert.equal(h.get_stackid!.programTypes, ['socket_filter', 'kprobe'], 'conditional return counts');
    assert.is(h.get_stackid!.proto, 'bpf_get_stackid_proto_tp', 'most returned, then shortest name');
    assert.equal(h.get_stackid!.otherProtos, ['bpf_get_stackid_proto_tp2']);
    assert.equal(h.only_struct_ops!.programTypes, ['struct_ops']);
    assert.is(h.weak_one!.proto, 'bpf_weak_one_proto', 'through the strong getter');
    assert.is(h.weak_one!.gplOnly, true);
    assert.equal(h.unspec!.programTypes, []);
    assert.is(h.unspec!.ret, null);

    const a = renderHelperTable(t);
    assert.is(renderHelperTable(readKernelTables(dir)), a, 'deterministic');
    assert.match(a, /from a Linux 9\.1\.0-rc1/);
    assert.match(a, /\{ id: 1, name: 'bpf_map_lookup_elem', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: \['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY'\], gplOnly: false, programTypes: \['socket_filter', 'kprobe'\], proto: 'bpf_map_lookup_elem_proto' \},/);
    const k = renderKernelTypes(t);
    assert.match(k, /export const MapTypes = \{\n {2}unspec: 0,\n {2}hash: 1,\n {2}old_deprecated: 2,\n {2}old: 2,\n {2}next: 3,\n\} as const;/);
    assert.match(k, /export type LinkTypeName = keyof typeof LinkTypes;/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('generator: a directory that is not a kernel tree', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-kernel-tree-'));
  try {
    assert.throws(() => readKernelTables(dir), /Makefile: missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
