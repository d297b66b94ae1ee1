// eDSL programs written as BPF ELF objects (writeObject), loaded by libbpf through
// `bpftool prog loadall` into the running kernel, in a private bpffs: the programs load with
// their func_info and TypeScript line_info, the BTF-defined maps get their key/value types (bpftool
// prints typed entries), and CO-RE relocations are applied by libbpf — the program is built
// against a stand-in BTF with wrong task_struct offsets, libbpf rewrites them to the running
// kernel's (read with the independent test/support/mini-btf.ts reader), and BPF_PROG_TEST_RUN of
// the loaded program reads our own pid and parent pid. Skips with the reason when bpftool is
// missing; needs root and bpf() (kernelTest).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decode, type Instruction } from 'ebpf-bytecode-utils';
import { buildOpensnoop } from '../../examples/opensnoop.js';
import { compile, kfuncDecl, loadCompiled, program, s32, u32, u64, writeObject } from '../../src/dsl/index.js';
import { ensureBpffs, isBpffs } from '../../src/maps/index.js';
import { closeFd } from '../../syscalls/close-fd.js';
import { mapInfo } from '../../syscalls/map-info.js';
import { objGet } from '../../syscalls/obj-pin.js';
import { progTestRun } from '../../syscalls/prog-test-run.js';
import { kernelTest } from '../support/kernel.js';
import { kfuncMissing } from '../support/kernel-lacks.js';
import { BtfKind, vmlinuxBtf } from '../support/mini-btf.js';
import { relocatedTaskBtf } from '../support/relocated-task-btf.js';

const test = suite('object-file');

function bpftoolMissing(): string | null {
  const r = spawnSync('bpftool', ['version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? 'bpftool is not installed (apt-get install bpftool)' : null;
}

function bpftool(...args: string[]): string {
  const r = spawnSync('bpftool', args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.is(r.status, 0, `bpftool ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function bpftoolJson<T>(...args: string[]): T {
  return JSON.parse(bpftool('-j', ...args)) as T;
}

/** Runs `fn` with a private bpffs (mounted on a fresh directory), an object file path in it and pin directories; cleans everything up. */
function withBpffs(fn: (dirs: { fs: string; progs: string; maps: string; object: string }) => void): void {
  const work = mkdtempSync(path.join(tmpdir(), 'tsbpf-obj-'));
  const fs = path.join(work, 'bpffs');
  mkdirSync(fs);
  try {
    ensureBpffs(fs);
    fn({ fs, progs: path.join(fs, 'progs'), maps: path.join(fs, 'maps'), object: path.join(work, 'prog.o') });
  } finally {
    // Unmounting drops the pins, so the programs and maps go with them.
    if (isBpffs(fs)) execFileSync('umount', [fs]);
    rmSync(work, { recursive: true, force: true });
  }
}

interface ProgShow { id: number; type: string; name: string; btf_id?: number; map_ids?: number[] }
interface MapShow { id: number; type: string; name: string; bytes_key: number; bytes_value: number; max_entries: number; btf_id?: number }

kernelTest(test, 'libbpf (bpftool prog loadall) loads opensnoop written as an object: typed BTF maps, func_info, TypeScript line_info', () => {
  const { enter, exit } = buildOpensnoop();
  withBpffs(({ progs, maps, object }) => {
    writeFileSync(object, writeObject([{ program: enter, target: 'syscalls:sys_enter_openat' }, { program: exit, target: 'syscalls:sys_exit_openat' }]));
    bpftool('prog', 'loadall', object, progs, 'pinmaps', maps);
    const shown = ['trace_entry', 'trace_return'].map((name) => bpftoolJson<ProgShow>('prog', 'show', 'pinned', path.join(progs, name)));
    assert.equal(shown.map((p) => [p.type, p.name]), [['tracepoint', 'trace_entry'], ['tracepoint', 'trace_return']]);
    for (const p of shown) assert.ok((p.btf_id ?? 0) > 0, `${p.name} has BTF`);
    const infotmp = bpftoolJson<MapShow>('map', 'show', 'pinned', path.join(maps, 'infotmp'));
    assert.equal([infotmp.type, infotmp.name, infotmp.bytes_key, infotmp.bytes_value, infotmp.max_entries], ['hash', 'infotmp', 8, 16, 10240]);
    const events = bpftoolJson<MapShow>('map', 'show', 'pinned', path.join(maps, 'open_events'));
    assert.equal([events.type, events.name], ['perf_event_array', 'open_events']);
    // Both programs use the one infotmp map.
    assert.ok(shown.every((p) => p.map_ids?.includes(infotmp.id)), JSON.stringify(shown));
    // The map's BTF has the value struct, and bpftool prints an entry through it.
    assert.ok((infotmp.btf_id ?? 0) > 0);
    assert.match(bpftool('btf', 'dump', 'id', String(infotmp.btf_id)), /STRUCT 'val_t' size=16 vlen=2\n\t'id' type_id=\d+ bits_offset=0\n\t'fname' type_id=\d+ bits_offset=64/);
    bpftool('map', 'update', 'pinned', path.join(maps, 'infotmp'), 'key', 'hex', '2a', '00', '00', '00', '00', '00', '00', '00', 'value', 'hex', '07', '00', '00', '00', '00', '00', '00', '00', '10', '00', '00', '00', '00', '00', '00', '00');
    const dumped = bpftoolJson<Array<{ formatted?: { key: unknown; value: unknown } }>>('map', 'dump', 'pinned', path.join(maps, 'infotmp'));
    assert.equal(dumped.map((e) => e.formatted), [{ key: 42, value: { id: 7, fname: 16 } }]);
    // func_info names the program; line_info carries the TypeScript source lines.
    const xlated = bpftool('prog', 'dump', 'xlated', 'pinned', path.join(progs, 'trace_entry'));
    assert.match(xlated, /^int trace_entry\(void \* ctx\):/);
    assert.match(xlated, /; const id = \$\.let\(u64, \$\.getCurrentPidTgid\(\)\);/);
  });
}, bpftoolMissing);

kernelTest(test, 'CO-RE: libbpf rewrites field offsets built against another BTF to the running kernel\'s; the loaded program reads our pid and parent pid', () => {
  const fake = relocatedTaskBtf();
  const compiled = compile(program('parent', 'raw_tracepoint', ($) => {
    const seen = $.array('seen', u64, { maxEntries: 2 });
    const task = $.currentTask(fake);
    const tgid = $.let(u64, task.field('tgid').value().cast(u64));
    const ptgid = $.let(u64, task.field('real_parent').field('tgid').value().cast(u64));
    $.ifSome(seen.lookup(0), (v) => { v.set(tgid); });
    $.ifSome(seen.lookup(1), (v) => { v.set(ptgid); });
    return 0;
  }));
  // The running kernel's offsets, from the independent BTF reader.
  const vmlinux = vmlinuxBtf();
  const taskId = vmlinux.find('task_struct', BtfKind.STRUCT).id;
  const member = (name: string) => vmlinux.flatMembers(taskId).find((m) => m.name === name)!.bitOffset / 8;
  const real = { '0:1': member('real_parent'), '0:2': member('tgid') } as Record<string, number>;
  const built = { '0:1': 16, '0:2': 24 } as Record<string, number>;
  assert.not.equal(real, built);
  const slots = (insns: readonly Instruction[]): Map<number, Instruction> => {
    const out = new Map<number, Instruction>();
    let slot = 0;
    for (const i of insns) { out.set(slot, i); slot += typeof i.imm === 'bigint' ? 2 : 1; }
    return out;
  };
  const ours = slots(compiled.insns);
  const relos = compiled.coreRelos!;
  assert.equal(relos.map((r) => ours.get(r.insnOff / 8)!.imm), relos.map((r) => built[r.access]), 'the object holds the offsets of the BTF it was built with');
  withBpffs(({ fs, progs, maps, object }) => {
    writeFileSync(object, writeObject([{ program: compiled, target: 'sys_enter' }], { btf: fake }));
    bpftool('prog', 'loadall', object, progs, 'pinmaps', maps);
    const xlatedFile = path.join(path.dirname(fs), 'xlated.bin');
    bpftool('prog', 'dump', 'xlated', 'pinned', path.join(progs, 'parent'), 'file', xlatedFile);
    const loaded = slots(decode(new Uint8Array(readFileSync(xlatedFile))));
    assert.equal(relos.map((r) => { const i = loaded.get(r.insnOff / 8)!; return [i.code, i.imm]; }), relos.map((r) => [0x07, real[r.access]]), 'libbpf patched every relocated ADD to the running kernel\'s offset');
    const fd = objGet(path.join(progs, 'parent'));
    try {
      assert.is(progTestRun({ progFd: fd }).retval, 0);
    } finally {
      closeFd(fd);
    }
    const values = bpftoolJson<Array<{ formatted: { key: number; value: number } }>>('map', 'dump', 'pinned', path.join(maps, 'seen')).map((e) => e.formatted.value);
    assert.equal(values, [process.pid, process.ppid]);
  });
}, bpftoolMissing);

/** The u64 values of array map `id`, from bpftool's hex bytes (so maps with and without BTF read alike). */
function arrayValues(id: number): bigint[] {
  return bpftoolJson<Array<{ key: string[]; value: string[] }>>('map', 'dump', 'id', String(id))
    .map((e) => [Number.parseInt(e.key[0], 16), Buffer.from(e.value.map((b) => Number.parseInt(b, 16))).readBigUInt64LE(0)] as const)
    .sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

kernelTest(test, 'subprograms and a bpf_loop callback: libbpf links them in from .text; the program computes what the project\'s own loader\'s copy does', () => {
  const compiled = compile(program('withsub', 'xdp', ($) => {
    const counts = $.array('cnt', u64, { maxEntries: 4 });
    const scale = $.func('scale', [u64, u64], u64, (_, x, k) => x.mul(k).add(1n));
    const bump = $.func('bump', [u64], u64, ($$, x) => { $$.ifSome(counts.lookup(1), (v) => v.atomicAdd(x)); return scale.call(x, 2n); });
    const y = $.let(u64, scale.call(3n, 5n));
    $.loop(4, () => { $.ifSome(counts.lookup(2), (v) => v.atomicAdd(1n)); });
    $.ifSome(counts.lookup(0), (v) => { v.set(bump.call(y)); });
    return 2;
  }));
  const subNames = compiled.subprograms?.map((f) => f.name) ?? [];
  assert.equal(subNames.slice(0, 2), ['scale', 'bump']);
  assert.ok(subNames.some((n) => n.startsWith('loop_cb')), subNames.join(', '));
  const frame = new Uint8Array(64);
  // The project's own loader: expected retval and map contents.
  const ours = loadCompiled(compiled);
  let expected: { retval: number; values: bigint[] };
  try {
    const retval = progTestRun({ progFd: ours.progFd, dataIn: frame }).retval;
    expected = { retval, values: arrayValues(mapInfo(ours.mapFds.cnt).id) };
  } finally {
    ours.close();
  }
  assert.is(expected.values.filter((v) => v !== 0n).length, 3, 'the program wrote three slots');
  withBpffs(({ progs, maps, object }) => {
    writeFileSync(object, writeObject([compiled]));
    bpftool('prog', 'loadall', object, progs, 'pinmaps', maps);
    // Only the program is an entry point; the subprograms are not loaded on their own.
    assert.equal(spawnSync('ls', [progs], { encoding: 'utf8' }).stdout.trim().split('\n'), ['withsub']);
    const xlated = bpftool('prog', 'dump', 'xlated', 'pinned', path.join(progs, 'withsub'));
    assert.match(xlated, /call pc\+\d+#bpf_prog_\w+_scale/);
    const fd = objGet(path.join(progs, 'withsub'));
    try {
      assert.is(progTestRun({ progFd: fd, dataIn: frame }).retval, expected.retval);
    } finally {
      closeFd(fd);
    }
    const id = bpftoolJson<MapShow>('map', 'show', 'pinned', path.join(maps, 'cnt')).id;
    assert.equal(arrayValues(id), expected.values);
  });
}, bpftoolMissing);

kernelTest(test, 'programs sharing a section, each with its own subprogram in the one .text: each returns what the project\'s own loader\'s copy returns', () => {
  const twice = compile(program('twice_it', 'socket_filter', ($) => { const f = $.func('twice', [u64], u64, (_, x) => x.add(x)); return f.call(21n).cast(u32); }));
  const thrice = compile(program('thrice_it', 'socket_filter', ($) => { const f = $.func('thrice', [u64], u64, (_, x) => x.add(x).add(x)); return f.call(21n).cast(u32); }));
  const frame = new Uint8Array(64);
  const expected = [twice, thrice].map((c) => {
    const loaded = loadCompiled(c);
    try { return progTestRun({ progFd: loaded.progFd, dataIn: frame }).retval; } finally { loaded.close(); }
  });
  assert.not.equal(expected[0], expected[1]);
  withBpffs(({ progs, object }) => {
    writeFileSync(object, writeObject([twice, thrice]));
    bpftool('prog', 'loadall', object, progs);
    const got = ['twice_it', 'thrice_it'].map((name) => {
      const fd = objGet(path.join(progs, name));
      try { return progTestRun({ progFd: fd, dataIn: frame }).retval; } finally { closeFd(fd); }
    });
    assert.equal(got, expected);
  });
}, bpftoolMissing);

kernelTest(test, 'a map of maps: libbpf reads the inner definition from __array(values, …); an inner map put in a slot is the one the program updates', () => {
  const compiled = compile(program('mim', 'socket_filter', ($) => {
    const outer = $.arrayOfMaps('outer', { type: 'hash', key: u32, value: u64, maxEntries: 8 }, { maxEntries: 4 });
    $.ifSomeMap(outer.lookup(1), (inner) => { inner.update(5, 77n); });
    return 0;
  }));
  withBpffs(({ fs, progs, maps, object }) => {
    writeFileSync(object, writeObject([compiled]));
    bpftool('prog', 'loadall', object, progs, 'pinmaps', maps);
    const outer = bpftoolJson<MapShow>('map', 'show', 'pinned', path.join(maps, 'outer'));
    assert.equal([outer.type, outer.bytes_key, outer.bytes_value, outer.max_entries], ['array_of_maps', 4, 4, 4]);
    const innerPin = path.join(fs, 'inner');
    bpftool('map', 'create', innerPin, 'type', 'hash', 'key', '4', 'value', '8', 'entries', '8', 'name', 'inner');
    bpftool('map', 'update', 'pinned', path.join(maps, 'outer'), 'key', '1', '0', '0', '0', 'value', 'pinned', innerPin);
    const fd = objGet(path.join(progs, 'mim'));
    try {
      assert.is(progTestRun({ progFd: fd, dataIn: new Uint8Array(64) }).retval, 0);
    } finally {
      closeFd(fd);
    }
    const entries = bpftoolJson<Array<{ key: string[]; value: string[] }>>('map', 'dump', 'pinned', innerPin);
    assert.equal(entries.map((e) => [Buffer.from(e.key.map((b) => Number.parseInt(b, 16))).readUInt32LE(0), Buffer.from(e.value.map((b) => Number.parseInt(b, 16))).readBigUInt64LE(0)]), [[5, 77n]]);
  });
}, bpftoolMissing);

kernelTest(test, 'kfunc calls as .ksyms externs: libbpf finds them in the kernel BTF (prototypes compatible); the program returns what the project\'s own loader\'s copy returns', () => {
  const taskFromPid = kfuncDecl('bpf_task_from_pid', [s32], 'ptr');
  const taskRelease = kfuncDecl('bpf_task_release', ['ptr'], 'void');
  // 1 when bpf_task_from_pid finds our task, +10 when its tgid (a CO-RE read) is our pid.
  const compiled = compile(program('task', 'sched_cls', ($) => {
    const want = $.let(u32, $.getCurrentPidTgid().shr(32n).cast(u32));
    const out = $.let(u32, 0);
    $.kfunc('bpf_rcu_read_lock');
    $.kfunc('bpf_rcu_read_unlock');
    const task = $.let(u64, $.kfunc(taskFromPid, want.cast(s32)));
    $.if(task.ne(0n), () => {
      out.set(1);
      $.if($.kernel(task, 'task_struct').field('tgid').value().cast(u32).eq(want), () => out.set(out.add(10)));
      $.kfunc(taskRelease, task);
    });
    return out;
  }));
  const frame = new Uint8Array(64);
  const ours = loadCompiled(compiled);
  let expected: number;
  try { expected = progTestRun({ progFd: ours.progFd, dataIn: frame }).retval; } finally { ours.close(); }
  assert.is(expected, 11);
  withBpffs(({ progs, object }) => {
    writeFileSync(object, writeObject([compiled]));
    bpftool('prog', 'loadall', object, progs);
    const fd = objGet(path.join(progs, 'task'));
    try { assert.is(progTestRun({ progFd: fd, dataIn: frame }).retval, expected); } finally { closeFd(fd); }
    // The loaded program calls the kfuncs by the kernel's ids.
    assert.match(bpftool('prog', 'dump', 'xlated', 'pinned', path.join(progs, 'task')), /call bpf_task_from_pid#\d+/);
  });
}, () => bpftoolMissing() ?? kfuncMissing('bpf_task_from_pid') ?? kfuncMissing('bpf_rcu_read_lock'));

test.run();
