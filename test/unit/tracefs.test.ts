// tracefs: format-file parser on captured files (fixtures/tracefs/) and on the live ones, name
// validation, record decoding.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  TracefsError, assertTracepointName, decodeTracepointRecord, isTracepointName, mountPointsOf, parseFieldDeclaration,
  parseTracepoint, parseTracepointFormat,
} from '../../src/tracefs/index.js';

const test = suite('tracefs');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'fixtures/tracefs');

/** A fixture without its first line (`# made with: …`). */
function fixture(name: string): string {
  const text = readFileSync(path.join(fixtures, name), 'utf8');
  assert.match(text.split('\n')[0], /^# made with: /);
  return text.split('\n').slice(1).join('\n');
}

const pick = (f: { name: string; type: string; kind: string; offset: number; size: number; signed: boolean; arrayLength?: number }) => ({
  name: f.name, type: f.type, kind: f.kind, offset: f.offset, size: f.size, signed: f.signed, ...(f.arrayLength === undefined ? {} : { arrayLength: f.arrayLength }),
});

test('syscalls:sys_enter_openat: common fields, pointers, syscall args', () => {
  const f = parseTracepointFormat(fixture('syscalls_sys_enter_openat.format'));
  assert.is(f.name, 'sys_enter_openat');
  assert.ok(f.id > 0);
  assert.equal(f.fields.map(pick), [
    { name: 'common_type', type: 'unsigned short', kind: 'scalar', offset: 0, size: 2, signed: false },
    { name: 'common_flags', type: 'unsigned char', kind: 'scalar', offset: 2, size: 1, signed: false },
    { name: 'common_preempt_count', type: 'unsigned char', kind: 'scalar', offset: 3, size: 1, signed: false },
    { name: 'common_pid', type: 'int', kind: 'scalar', offset: 4, size: 4, signed: true },
    { name: '__syscall_nr', type: 'int', kind: 'scalar', offset: 8, size: 4, signed: true },
    { name: 'dfd', type: 'int', kind: 'scalar', offset: 16, size: 8, signed: false },
    { name: 'filename', type: 'const char *', kind: 'scalar', offset: 24, size: 8, signed: false },
    { name: 'flags', type: 'int', kind: 'scalar', offset: 32, size: 8, signed: false },
    { name: 'mode', type: 'umode_t', kind: 'scalar', offset: 40, size: 8, signed: false },
  ]);
  assert.equal(f.fields.filter((x) => x.common).length, 4);
  assert.is(f.size, 48);
  assert.match(f.printFmt, /^"dfd: 0x%08lx/);
});

test('sched:sched_switch: fixed char arrays', () => {
  const f = parseTracepointFormat(fixture('sched_sched_switch.format'));
  const comm = f.fields.find((x) => x.name === 'prev_comm')!;
  assert.equal(pick(comm), { name: 'prev_comm', type: 'char', kind: 'array', offset: 8, size: 16, signed: false, arrayLength: 16 });
  assert.equal(pick(f.fields.find((x) => x.name === 'prev_state')!), { name: 'prev_state', type: 'long', kind: 'scalar', offset: 32, size: 8, signed: true });
  assert.equal(f.fields.map((x) => x.name).slice(4), ['prev_comm', 'prev_pid', 'prev_prio', 'prev_state', 'next_comm', 'next_pid', 'next_prio']);
});

test('sched:sched_process_exec: __data_loc char[]', () => {
  const f = parseTracepointFormat(fixture('sched_sched_process_exec.format'));
  assert.equal(pick(f.fields[4]), { name: 'filename', type: 'char', kind: 'data_loc', offset: 8, size: 4, signed: false });
});

test('ftrace:print (flexible array), ftrace:kernel_stack (unsigned long[8]), dma:dma_unmap_sg (__data_loc u64[], enum)', () => {
  const p = parseTracepointFormat(fixture('ftrace_print.format'));
  assert.equal(pick(p.fields.find((x) => x.name === 'buf')!), { name: 'buf', type: 'char', kind: 'flexible', offset: 16, size: 0, signed: false });
  const k = parseTracepointFormat(fixture('ftrace_kernel_stack.format'));
  assert.equal(pick(k.fields.find((x) => x.name === 'caller')!), { name: 'caller', type: 'unsigned long', kind: 'array', offset: 16, size: 64, signed: false, arrayLength: 8 });
  const d = parseTracepointFormat(fixture('dma_dma_unmap_sg.format'));
  assert.equal(pick(d.fields.find((x) => x.name === 'addrs')!), { name: 'addrs', type: 'u64', kind: 'data_loc', offset: 12, size: 4, signed: false });
  assert.equal(pick(d.fields.find((x) => x.name === 'dir')!), { name: 'dir', type: 'enum dma_data_direction', kind: 'scalar', offset: 16, size: 4, signed: false });
});

test('every fixture parses, and fields do not overlap', () => {
  const files = readdirSync(fixtures).filter((f) => f.endsWith('.format'));
  assert.ok(files.length >= 5);
  for (const file of files) {
    const f = parseTracepointFormat(fixture(file));
    const sorted = [...f.fields].sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i].offset >= sorted[i - 1].offset + sorted[i - 1].size, `${file}: ${sorted[i].name} overlaps ${sorted[i - 1].name}`);
  }
});

test('__rel_loc and declarations with odd spacing', () => {
  assert.equal(parseFieldDeclaration('__rel_loc char[] msg'), { name: 'msg', type: 'char', kind: 'rel_loc' });
  assert.equal(parseFieldDeclaration('const char *name'), { name: 'name', type: 'const char *', kind: 'scalar' });
  assert.equal(parseFieldDeclaration('u8 mac[ETH_ALEN]'), { name: 'mac', type: 'u8', kind: 'array' });
  assert.throws(() => parseFieldDeclaration('???'), (e: unknown) => e instanceof TracefsError);
});

test('malformed format files throw a TracefsError naming the line', () => {
  assert.throws(() => parseTracepointFormat('name: x\nID: 1\nformat:\n\tfield:int a;\toffset:zero;\n'), /line 4/);
  assert.throws(() => parseTracepointFormat('ID: 1\n'), /no name/);
  assert.throws(() => parseTracepointFormat('name: x\n'), /no valid ID/);
});

test('decodeTracepointRecord: integers, char arrays, __data_loc strings, __rel_loc', () => {
  const f = parseTracepointFormat(fixture('sched_sched_process_exec.format'));
  const rec = new Uint8Array(32);
  const dv = new DataView(rec.buffer);
  dv.setUint16(0, f.id, true);
  dv.setInt32(4, 1234, true);
  const name = new TextEncoder().encode('/bin/true\0');
  dv.setUint32(8, (name.length << 16) | 20, true);
  rec.set(name, 20);
  dv.setInt32(12, 1234, true);
  dv.setInt32(16, 1233, true);
  const out = decodeTracepointRecord(f, new DataView(rec.buffer));
  assert.equal(out, { common_type: f.id, common_flags: 0, common_preempt_count: 0, common_pid: 1234, filename: '/bin/true', pid: 1234, old_pid: 1233 });
  const sw = parseTracepointFormat(fixture('sched_sched_switch.format'));
  const r2 = new Uint8Array(sw.size);
  r2.set(new TextEncoder().encode('swapper/0'), 8);
  new DataView(r2.buffer).setBigInt64(32, -1n, true);
  const o2 = decodeTracepointRecord(sw, new DataView(r2.buffer));
  assert.is(o2.prev_comm, 'swapper/0');
  assert.is(o2.prev_state, -1n);
  const rel = parseTracepointFormat('name: r\nID: 9\nformat:\n\tfield:__rel_loc char[] msg;\toffset:8;\tsize:4;\tsigned:0;\n');
  const r3 = new Uint8Array(20);
  new DataView(r3.buffer).setUint32(8, (3 << 16) | 2, true); // 2 bytes after the field's end (12) → 14
  r3.set([104, 105, 0], 14);
  assert.is(decodeTracepointRecord(rel, new DataView(r3.buffer)).msg, 'hi');
  assert.throws(() => decodeTracepointRecord(sw, new DataView(new ArrayBuffer(8))), (e: unknown) => e instanceof RangeError);
});

test('tracepoint names: [A-Za-z0-9_]+ only', () => {
  assert.ok(isTracepointName('sys_enter_openat'));
  for (const bad of ['', '..', 'a/b', 'a b', 'sched\0', '../../etc', 'a.b', 'x:y']) {
    assert.not.ok(isTracepointName(bad), bad);
    assert.throws(() => assertTracepointName('syscalls', bad), (e: unknown) => e instanceof TracefsError);
    assert.throws(() => assertTracepointName(bad, 'x'), (e: unknown) => e instanceof TracefsError);
  }
  assert.equal(parseTracepoint('syscalls:sys_enter_getpid'), { category: 'syscalls', name: 'sys_enter_getpid' });
  assert.equal(parseTracepoint('sched/sched_switch'), { category: 'sched', name: 'sched_switch' });
  assert.throws(() => parseTracepoint('sched:../x'), (e: unknown) => e instanceof TracefsError);
  assert.throws(() => parseTracepoint('noseparator'), (e: unknown) => e instanceof TracefsError);
});

test('mountPointsOf reads /proc/mounts lines', () => {
  const mounts = 'sysfs /sys sysfs rw 0 0\ntracefs /sys/kernel/tracing tracefs rw 0 0\ntracefs /mnt/my\\040trace tracefs rw 0 0\n';
  assert.equal(mountPointsOf('tracefs', mounts), ['/sys/kernel/tracing', '/mnt/my trace']);
});

// The live format files, when tracefs is readable here (no mounting from a unit test).
const readable = (d: string) => {
  try {
    readdirSync(d);
    return true;
  } catch {
    return false;
  }
};
const live = ['/sys/kernel/tracing/events', '/sys/kernel/debug/tracing/events'].find((d) => existsSync(d) && readable(d));
if (live === undefined) {
  console.log('skip: tracefs live formats: tracefs is not mounted or not readable here');
} else {
  test('every live format file of a few categories parses', () => {
    let n = 0;
    for (const cat of ['syscalls', 'sched', 'raw_syscalls', 'ftrace', 'net', 'block', 'irq', 'timer', 'signal']) {
      const dir = path.join(live, cat);
      if (!existsSync(dir)) continue;
      for (const ev of readdirSync(dir)) {
        const file = path.join(dir, ev, 'format');
        if (!existsSync(file)) continue;
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch {
          continue; // not readable by this user
        }
        const f = parseTracepointFormat(text);
        assert.is(f.name, ev);
        assert.ok(f.fields.length >= 1, file);
        n++;
      }
    }
    if (n === 0) console.log('skip: tracefs live formats: no format file is readable here');
    else assert.ok(n > 10, `only ${n} formats found`);
  });
}

test.run();
