/**
 * eDSL tracepoint programs offline: the context built from a tracefs format (field offsets,
 * widths, signedness; pointers as u64), the probe-read string helpers, perf and ring buffer
 * output of a struct, the offline verifier's verdict and the interpreter's events; type errors
 * for misspelt fields of known tracepoints; declared types checked against the format.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'ebpf-bytecode-utils';
import { parseTracepointFormat } from '../../src/tracefs/index.js';
import { char, s64, struct } from '../../src/types/index.js';
import {
  compile, dump, knownTracepoints, loadProgramSet, program, sharedMapSpecs, simulate, tracepointFieldType, tracepointProgram, u32, u64, u8,
  type CompiledProgram,
} from '../../src/dsl/index.js';
import { verify, type PerfEventArrayMap, type RingbufMap } from '../../verifier-sim/index.js';
import { buildOpensnoop, Data, fallbackFormats } from '../../examples/opensnoop.js';
import { opensnoopPrograms } from '../../src/tools/opensnoop.js';

const enterFormat = parseTracepointFormat(readFileSync(new URL('../../fixtures/tracefs/syscalls_sys_enter_openat.format', import.meta.url), 'utf8'));
const exitFormat = parseTracepointFormat(`name: sys_exit_openat
ID: 781
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:long ret;	offset:16;	size:8;	signed:1;

print fmt: "0x%lx", REC->ret
`);

const Event = struct('event', { pid: u32, flags: u32, ret: s64, comm: char(16), fname: char(64) });

function openatProgram(output: 'perf' | 'ring') {
  return tracepointProgram('syscalls', 'sys_enter_openat', ($, ctx) => {
    const pidTgid = $.let(u64, $.getCurrentPidTgid());
    $.if(pidTgid.shr(32n).ne(4242n), () => $.return(0));
    const ev = $.struct(Event, { pid: pidTgid.shr(32n).cast(u32), flags: ctx.args.flags.cast(u32) });
    $.getCurrentComm(ev.field('comm'));
    $.probeReadUserStr(ev.field('fname'), ctx.args.filename);
    if (output === 'perf') $.perfEventArray('events').output(ev);
    else $.ringbuf('events', { size: 4096 }).output(ev);
    return 0;
  }, { format: enterFormat, name: `openat_${output}` });
}

/** A sys_enter_openat record with `filename` pointing at `address`. */
function enterRecord(address: bigint, flags: number): Uint8Array {
  const rec = new Uint8Array(enterFormat.size);
  const dv = new DataView(rec.buffer);
  dv.setUint16(0, enterFormat.id, true);
  dv.setInt32(4, 4242, true);
  dv.setBigUint64(16, BigInt.asUintN(64, -100n), true);
  dv.setBigUint64(24, address, true);
  dv.setBigUint64(32, BigInt(flags), true);
  return rec;
}

function offlineVerdict(c: CompiledProgram): string {
  const index = Object.fromEntries(c.maps.map((m, i) => [m.name, i]));
  const insns = resolve(c.insns, { maps: index }).instructions;
  const r = verify(insns, { progType: c.progType, license: c.license, maps: c.maps.map((m) => ({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags })) });
  return `${r.verdict}${r.error === null ? '' : `: ${r.error}`}`;
}

test('field types come from the format: pointers u64, syscall arguments 8 unsigned bytes, ret s64', () => {
  const byName = (f: typeof enterFormat, n: string) => f.fields.find((x) => x.name === n)!;
  assert.is(tracepointFieldType(byName(enterFormat, 'filename')), u64);
  assert.is(tracepointFieldType(byName(enterFormat, 'flags')), u64);
  assert.is(tracepointFieldType(byName(exitFormat, 'ret')), s64);
  assert.is(tracepointFieldType(byName(enterFormat, 'common_flags')), u8);
  assert.is(knownTracepoints['syscalls:sys_exit_openat'].ret, s64);
});

test('ctx.args.<field> loads at the format offset with the field width', () => {
  const prog = tracepointProgram('syscalls', 'sys_exit_openat', ($, ctx) => ctx.args.ret.lt(0n).cast(u32), { format: exitFormat });
  const text = dump(compile(prog));
  assert.match(text, /r\d = \*\(u64 \*\)\(r\d \+16\)/);
  assert.match(text, /if r\d s>= 0x0 goto/);
});

for (const output of ['perf', 'ring'] as const) {
  test(`openat → probe_read_user_str + comm + ${output} output: interpreter event and offline verdict`, () => {
    const compiled = compile(openatProgram(output));
    assert.is(offlineVerdict(compiled), 'accept');
    const path = '/tmp/unique-name';
    const address = 0x7fff0000n;
    const sim = simulate(compiled, { env: { pidTgid: (4242n << 32n) | 4243n, comm: 'cat', memory: [{ address, bytes: new TextEncoder().encode(`${path}\0junk`) }] } });
    assert.is(sim.run({ ctx: enterRecord(address, 0o101) }).retval, 0n);
    const recs = output === 'perf' ? (sim.maps.events as PerfEventArrayMap).records().map((r) => r.data) : (sim.maps.events as RingbufMap).records();
    assert.is(recs.length, 1);
    const ev = Event.decode(recs[0]);
    assert.equal({ pid: ev.pid, flags: ev.flags, comm: ev.comm, fname: ev.fname }, { pid: 4242, flags: 0o101, comm: 'cat', fname: path });
    // Another process: filtered out in the program.
    const other = simulate(compiled, { env: { pidTgid: (7n << 32n) | 7n } });
    other.run({ ctx: enterRecord(address, 0) });
    const none = output === 'perf' ? (other.maps.events as PerfEventArrayMap).records() : (other.maps.events as RingbufMap).records();
    assert.is(none.length, 0);
  });
}

test('probe_read_kernel_str and get_current_uid_gid compile for tracepoints', () => {
  const prog = tracepointProgram('syscalls', 'sys_enter_openat', ($, ctx) => {
    const ev = $.struct(Event, { pid: $.getCurrentUidGid().cast(u32) });
    $.probeReadKernelStr(ev.field('fname'), ctx.args.filename);
    $.perfEventArray('events').output(ev);
  }, { format: enterFormat });
  const text = dump(compile(prog));
  assert.match(text, /call bpf_probe_read_kernel_str#115/);
  assert.match(text, /call bpf_get_current_uid_gid#15/);
});

test('misspelt fields: a compile error for known tracepoints, a DslError listing the fields otherwise', () => {
  tracepointProgram('syscalls', 'sys_enter_openat', (_$, ctx) => {
    // @ts-expect-error: sys_enter_openat has no field 'fname'
    assert.throws(() => ctx.args.fname, /no field 'fname' \(fields: __syscall_nr, dfd, filename, flags, mode\)/);
  }, { format: enterFormat });
  tracepointProgram('syscalls', 'sys_enter_openat', ($, ctx) => {
    // @ts-expect-error: tracepoint programs have no packet
    assert.throws(() => $.ifPacket(ctx, 0, 4, () => {}), /no direct packet access/);
  }, { format: enterFormat });
  const unknown = { ...exitFormat, name: 'sys_exit_whatever' };
  tracepointProgram('syscalls', 'sys_exit_whatever', (_$, ctx) => {
    assert.throws(() => ctx.args.nope, /tracepoint sys_exit_whatever has no field 'nope'/);
    assert.is(ctx.args.ret.type.name, 's64');
  }, { format: unknown });
});

test('declared types of known tracepoints are checked against the kernel format', () => {
  const changed = { ...enterFormat, fields: enterFormat.fields.map((f) => (f.name === 'flags' ? { ...f, size: 4 } : f)) };
  assert.throws(() => tracepointProgram('syscalls', 'sys_enter_openat', () => 0, { format: changed }), /field 'flags' of sys_enter_openat is u32 .* declared u64/);
});

test("program(name, 'tracepoint', …) needs a format; narrow signed fields are sign-extended", () => {
  assert.throws(() => program('tp', 'tracepoint', () => 0), /needs options.tracepointFormat/);
  const fmt = parseTracepointFormat(`name: t
ID: 1
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:short delta;	offset:8;	size:2;	signed:1;
`);
  const prog = program('tp', 'tracepoint', ($, ctx) => ctx.args.delta.cast(s64).lt(0n).cast(u32), { tracepointFormat: fmt });
  const sim = simulate(compile(prog));
  const rec = new Uint8Array(16);
  new DataView(rec.buffer).setInt16(8, -5, true);
  assert.is(sim.run({ ctx: rec }).retval, 1n);
  new DataView(rec.buffer).setInt16(8, 5, true);
  assert.is(sim.run({ ctx: rec }).retval, 0n);
});

test('programs sharing maps: specs merged by name, conflicts refused', () => {
  const a = compile(openatProgram('perf'));
  const b = compile(tracepointProgram('syscalls', 'sys_exit_openat', ($) => { $.perfEventArray('events').output($.getCurrentPidTgid()); }, { format: exitFormat }));
  assert.equal(sharedMapSpecs([a, b]).map((m) => m.name), ['events']);
  const c = compile(openatProgram('ring'));
  assert.throws(() => sharedMapSpecs([a, c]), /map 'events' is declared differently/);
  assert.throws(() => loadProgramSet([a, a]), /two programs are named/);
});

test('examples/opensnoop.ts offline: the verifier accepts both programs; enter then exit gives the event', () => {
  const { enter, exit } = buildOpensnoop(fallbackFormats());
  const e = compile(enter);
  const x = compile(exit);
  assert.is(offlineVerdict(e), 'accept');
  assert.is(offlineVerdict(x), 'accept');
  const address = 0x7fff1000n;
  const env = { pidTgid: (77n << 32n) | 78n, comm: 'cat', memory: [{ address, bytes: new TextEncoder().encode('/etc/hostname\0') }] };
  const se = simulate(e, { env });
  se.run({ ctx: enterRecord(address, 0) });
  const sx = simulate(x, { env });
  for (const [k, v] of se.maps.infotmp.entries()) sx.maps.infotmp.set(k, v);
  const ret = new Uint8Array(24);
  new DataView(ret.buffer).setBigInt64(16, -2n, true);
  sx.run({ ctx: ret });
  const recs = (sx.maps.open_events as PerfEventArrayMap).records().map((r) => Data.decode(r.data));
  assert.equal(recs, [{ pid: 77, ret: -2, comm: 'cat', fname: '/etc/hostname' }]);
  assert.is(sx.maps.infotmp.entries().length, 0, 'exit deletes the entry');
});

test('tools/opensnoop programs offline: accepted with every filter; --failed drops successful opens', () => {
  const formats = fallbackFormats();
  for (const filter of [{}, { pid: 77, tid: 78, uid: 0, failed: true }, { transport: 'ring' as const }]) {
    const p = opensnoopPrograms({ ...filter, formats });
    assert.is(offlineVerdict(compile(p.enter)), 'accept');
    assert.is(offlineVerdict(compile(p.exit)), 'accept');
  }
  const p = opensnoopPrograms({ failed: true, formats });
  const address = 0x7fff1000n;
  const env = { pidTgid: (77n << 32n) | 78n, memory: [{ address, bytes: new TextEncoder().encode('/x\0') }] };
  for (const [rv, expected] of [[3n, 0], [-13n, 1]] as const) {
    const se = simulate(compile(p.enter), { env });
    se.run({ ctx: enterRecord(address, 0) });
    const sx = simulate(compile(p.exit), { env });
    for (const [k, v] of se.maps.infotmp.entries()) sx.maps.infotmp.set(k, v);
    const ret = new Uint8Array(24);
    new DataView(ret.buffer).setBigInt64(16, rv, true);
    sx.run({ ctx: ret });
    assert.is((sx.maps.events as PerfEventArrayMap).records().length, expected, `ret ${rv}`);
    assert.is(sx.maps.infotmp.entries().length, 0);
  }
  assert.throws(() => opensnoopPrograms({ pid: -1, formats }), /pid -1 is not a 32-bit unsigned integer/);
});

test.run();
