// The BPF object writer (asm's writeElfObject/writeBpfObject, the eDSL's writeObject), read back
// three ways: the project's own readers (src/elf section and symbol readers, asm's BTF and
// .BTF.ext decoders), LLVM 14 (llvm-readelf -S -s -r, llvm-objdump -d -r), and side by side
// with the object clang-14 writes for the equivalent C. LLVM tests skip with the reason when the
// tools are missing. Kernel loading (libbpf via bpftool) is in test/kernel/object-file.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  decode, decodeBtf, decodeBtfExt, disassembleLlvm, encode, ElfWriteError, EM_BPF, SHT_PROGBITS, writeBpfObject, writeElfObject,
  type Btf, type Instruction, type Int, type Struct, type Type,
} from 'ebpf-bytecode-utils';
import { readElfSections, elfSectionBytes } from '../../src/elf/elf-sections.js';
import { elfSymbolNameEnd, forEachElfSymbolEntry } from '../../src/elf/elf-symbol-entries.js';
import { compile, objectSectionName, program, u32, u64, writeObject, type CompiledProgram } from '../../src/dsl/index.js';
import { struct } from '../../src/types/index.js';
import { numRuns } from '../support/num-runs.js';
import { relocatedTaskBtf } from '../support/relocated-task-btf.js';

const utf8 = new TextDecoder();

interface Sym { name: string; type: number; binding: number; shndx: number; value: number; size: number }
interface Rel { offset: number; symbol: string; type: number }

/** The rows of `.symtab` (the null symbol first) through the project's symbol-table walker (binding read from `st_info`). */
function symbolsOf(elf: Uint8Array): Sym[] {
  const out: Sym[] = [];
  forEachElfSymbolEntry(elf, readElfSections(elf), (e) => {
    out.push({ name: utf8.decode(elf.subarray(e.nameStart, elfSymbolNameEnd(elf, e))), type: e.type, binding: elf[e.offset + 4] >> 4, shndx: e.shndx, value: Number(e.value), size: Number(e.size) });
  });
  return out;
}

/** The entries of `.rel<section>` with their symbol names. */
function relocationsOf(elf: Uint8Array, section: string): Rel[] {
  const bytes = elfSectionBytes(elf, `.rel${section}`);
  if (bytes === undefined) return [];
  const syms = symbolsOf(elf);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Rel[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const info = v.getBigUint64(at + 8, true);
    out.push({ offset: Number(v.getBigUint64(at, true)), symbol: syms[Number(info >> 32n)].name, type: Number(info & 0xffffffffn) });
  }
  return out;
}

const Val = struct('val_t', { id: u64, count: u32 });

function programs(btf: Btf): CompiledProgram[] {
  const count = program('count', 'xdp', ($) => {
    const counts = $.hash('counts', u32, u64, { maxEntries: 256 });
    $.ifSome(counts.lookup(6), (n) => n.atomicAdd(1n), () => { counts.update(6, 1n); });
    return 2;
  });
  const sock = program('sock', 'socket_filter', ($) => {
    const counts = $.hash('counts', u32, u64, { maxEntries: 256 });
    const vals = $.array('vals', Val, { maxEntries: 4 });
    $.ifSome(counts.lookup(1), (n) => n.atomicAdd(1n));
    $.ifSome(vals.lookup(0), (v) => { v.field('count').set(7); });
    return 0;
  });
  const core = program('parent', 'raw_tracepoint', ($) => {
    const seen = $.array('seen', u64, { maxEntries: 2 });
    const task = $.currentTask(btf);
    const tgid = $.let(u64, task.field('tgid').value().cast(u64));
    const ptgid = $.let(u64, task.field('real_parent').field('tgid').value().cast(u64));
    $.ifSome(seen.lookup(0), (v) => { v.set(tgid); });
    $.ifSome(seen.lookup(1), (v) => { v.set(ptgid); });
    return 0;
  });
  return [compile(count), compile(sock), compile(core)];
}

/** Instructions as the object holds them: map ld_imm64 immediates and source registers zero, as clang leaves them for the loader. */
function asInObject(insns: readonly Instruction[]): Instruction[] {
  return insns.map((i) => (i.ref?.kind === 'map' ? { code: i.code, dst: i.dst, src: 0, off: 0, imm: 0n } : { code: i.code, dst: i.dst, src: i.src, off: i.off, imm: i.imm }));
}

test('writeObject round trip: sections, symbols, relocations, .BTF and .BTF.ext read back with the project readers', () => {
  const btf = relocatedTaskBtf();
  const compiled = programs(btf);
  const elf = writeObject([compiled[0], compiled[1], { program: compiled[2], target: 'sys_enter' }], { btf });
  const sections = readElfSections(elf);
  assert.equal(sections.map((s) => s.name), ['', '.strtab', 'xdp', '.relxdp', 'socket', '.relsocket', 'raw_tracepoint/sys_enter', '.relraw_tracepoint/sys_enter', '.maps', 'license', '.BTF', '.BTF.ext', '.symtab']);
  const sectionNames = ['xdp', 'socket', 'raw_tracepoint/sys_enter'];
  const syms = symbolsOf(elf);
  compiled.forEach((c, i) => {
    const bytes = elfSectionBytes(elf, sectionNames[i])!;
    assert.equal(bytes, encode(asInObject(c.insns)), `${c.name}: section bytes`);
    assert.equal(decode(bytes).length, c.insns.length);
    const fn = syms.find((s) => s.name === c.name)!;
    assert.equal({ type: fn.type, binding: fn.binding, value: fn.value, size: fn.size, section: sections[fn.shndx].name }, { type: 2, binding: 1, value: 0, size: bytes.length, section: sectionNames[i] });
    // One R_BPF_64_64 per map ld_imm64, at its byte offset, against the map's symbol.
    let slot = 0;
    const expected: Rel[] = [];
    for (const insn of c.insns) {
      if (insn.ref?.kind === 'map') expected.push({ offset: slot * 8, symbol: insn.ref.name, type: 1 });
      slot += typeof insn.imm === 'bigint' ? 2 : 1;
    }
    assert.ok(expected.length > 0);
    assert.equal(relocationsOf(elf, sectionNames[i]), expected, `${c.name}: relocations`);
  });
  assert.equal(utf8.decode(elfSectionBytes(elf, 'license')!), 'GPL\0');
  // Maps: one OBJECT symbol each (counts is shared by two programs), offsets matching the DATASEC.
  const mapSyms = syms.filter((s) => s.type === 1 && sections[s.shndx].name === '.maps');
  assert.equal(mapSyms.map((s) => s.name), ['counts', 'vals', 'seen']);
  const objBtf = decodeBtf(elfSectionBytes(elf, '.BTF')!);
  const datasec = objBtf.find('datasec', '.maps')!;
  assert.equal(datasec.vars.map((v) => ({ name: (v.type as { name: string }).name, offset: v.offset, size: v.size })), mapSyms.map((s) => ({ name: s.name, offset: s.value, size: s.size })));
  assert.is(datasec.size, elfSectionBytes(elf, '.maps')!.length);
  // Map definitions as libbpf's __uint/__type spell them.
  const def = (name: string): Record<string, Type> => {
    const v = objBtf.find('var', name)!;
    const s = v.type as Struct;
    return Object.fromEntries(s.members.map((m) => [m.name, (m.type as { target: Type }).target]));
  };
  const counts = def('counts');
  assert.equal(Object.keys(counts), ['type', 'max_entries', 'key', 'value']);
  assert.is((counts.type as { length: number }).length, 1); // BPF_MAP_TYPE_HASH
  assert.is((counts.max_entries as { length: number }).length, 256);
  const strip = (t: Type): Type => (t.kind === 'typedef' ? strip(t.target) : t);
  assert.equal([strip(counts.key).kind, (strip(counts.key) as Int).size, (strip(counts.value) as Int).size], ['int', 4, 8]);
  const vals = def('vals');
  assert.is((vals.type as { length: number }).length, 2); // BPF_MAP_TYPE_ARRAY
  assert.is((strip(vals.value) as Struct).name, 'val_t');
  assert.equal((strip(vals.value) as Struct).members.map((m) => m.name), ['id', 'count']);
  // .BTF.ext: func_info names the FUNC of each program, line_info the TypeScript lines, core_relo the fields.
  const ext = decodeBtfExt(elfSectionBytes(elf, '.BTF.ext')!, { strings: (o) => objBtf.string(o) });
  assert.equal(ext.funcInfo.map((b) => b.sectionName), sectionNames);
  ext.funcInfo.forEach((b, i) => {
    assert.equal(b.records.map((r) => r.insnOff), [0]);
    const f = objBtf.typeById(b.records[0].typeId);
    assert.equal([f.kind, (f as { name: string }).name, (f as { linkage: number }).linkage], ['func', compiled[i].name, 1]);
  });
  assert.equal(ext.lineInfo.map((b) => b.sectionName), sectionNames);
  ext.lineInfo.forEach((b, i) => {
    const lines = compiled[i].lineInfo!;
    assert.equal(b.records.map((r) => ({ insn: r.insnOff / 8, file: objBtf.string(r.fileNameOff), text: objBtf.string(r.lineOff), line: r.lineCol >>> 10 })), lines.map((l) => ({ insn: l.insn, file: l.file, text: l.text, line: l.line })));
    assert.ok(lines[0].file.endsWith('elf-writer.test.ts'));
  });
  assert.equal(ext.coreRelo.map((b) => b.sectionName), ['raw_tracepoint/sys_enter']);
  const relos = ext.coreRelo[0].records;
  assert.equal(relos.map((r) => ({ insnOff: r.insnOff, access: objBtf.string(r.accessStrOff), kind: r.kind })), compiled[2].coreRelos!.map((r) => ({ insnOff: r.insnOff, access: r.access, kind: 0 })));
  // The local task_struct keeps the member indices and offsets the instructions were built with.
  const core = decode(elfSectionBytes(elf, 'raw_tracepoint/sys_enter')!);
  const bySlot = new Map<number, Instruction>();
  let slot = 0;
  for (const insn of core) { bySlot.set(slot, insn); slot += typeof insn.imm === 'bigint' ? 2 : 1; }
  const offsets = { '0:2': 24, '0:1': 16 } as Record<string, number>;
  for (const r of relos) {
    const root = objBtf.typeById(r.typeId) as Struct;
    assert.is(root.name, 'task_struct');
    const access = objBtf.string(r.accessStrOff);
    const member = root.members[Number(access.split(':')[1])];
    assert.is(member.bitOffset / 8, offsets[access], `${access}: local member offset`);
    assert.is(bySlot.get(r.insnOff / 8)!.imm, offsets[access], `${access}: the instruction's immediate`);
  }
  assert.equal(Object.keys(offsets).sort(), [...new Set(relos.map((r) => objBtf.string(r.accessStrOff)))].sort());
});

test('objectSectionName: libbpf SEC() names per program type and target', () => {
  assert.is(objectSectionName('xdp'), 'xdp');
  assert.is(objectSectionName('socket_filter'), 'socket');
  assert.is(objectSectionName('sched_cls'), 'tc');
  assert.is(objectSectionName('perf_event'), 'perf_event');
  assert.is(objectSectionName('tracepoint'), 'tracepoint');
  assert.is(objectSectionName('tracepoint', 'syscalls:sys_enter_openat'), 'tracepoint/syscalls/sys_enter_openat');
  assert.is(objectSectionName('kprobe', 'do_unlinkat'), 'kprobe/do_unlinkat');
  assert.is(objectSectionName('raw_tracepoint', 'sys_enter'), 'raw_tracepoint/sys_enter');
  assert.is(objectSectionName('tracing', undefined, { attachType: 'trace_fentry', target: 'do_unlinkat', btfName: 'do_unlinkat', btfKind: 'func' }), 'fentry/do_unlinkat');
  assert.is(objectSectionName('tracing', undefined, { attachType: 'trace_raw_tp', target: 'sys_enter', btfName: 'btf_trace_sys_enter', btfKind: 'typedef' }), 'tp_btf/sys_enter');
  assert.is(objectSectionName('lsm', undefined, { attachType: 'lsm_mac', target: 'file_open', btfName: 'bpf_lsm_file_open', btfKind: 'func' }), 'lsm/file_open');
  assert.throws(() => objectSectionName('xdp', 'eth0'), (e: unknown) => e instanceof ElfWriteError && /take no attach target/.test(e.message));
  assert.throws(() => objectSectionName('tracing'), (e: unknown) => e instanceof ElfWriteError && /needs its attach target/.test(e.message));
});

test('writeObject refuses bad input with an ElfWriteError that says why', () => {
  const ret = (name: string, type: 'xdp' | 'socket_filter' = 'xdp') => compile(program(name, type, () => 0));
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['no programs', () => writeObject([]), /no programs/],
    ['two programs of one name', () => writeObject([ret('a'), ret('a', 'socket_filter')]), /two programs are named 'a'/],
    ['a program and a map of one name', () => writeObject([compile(program('m', 'xdp', ($) => { const m = $.array('m', u32, { maxEntries: 1 }); $.ifSome(m.lookup(0), () => {}); return 0; }))]), /map name 'm' is also the name of program/],
    ['a section of another program type', () => writeObject([{ program: ret('a'), section: 'socket' }]), /section 'socket' does not load as a xdp program \(libbpf reads it as socket_filter\)/],
    ['an unknown section', () => writeObject([{ program: ret('a'), section: 'bogus/x' }]), /section 'bogus\/x' does not load as a xdp program; use 'xdp'/],
    ['a suffix libbpf does not take', () => writeObject([{ program: ret('a', 'socket_filter'), section: 'socket/x' }]), /section 'socket\/x': libbpf's 'socket' takes no '\/…' suffix/],
    ['a reserved section', () => writeObject([{ program: ret('a', 'socket_filter'), section: 'socket' }, { program: ret('b'), section: '.maps' }]), /does not load as a xdp/],
    ['different maps of one name', () => writeObject([
      compile(program('a', 'xdp', ($) => { const m = $.array('m1', u32, { maxEntries: 1 }); $.ifSome(m.lookup(0), () => {}); return 0; })),
      compile(program('b', 'xdp', ($) => { const m = $.array('m1', u32, { maxEntries: 2 }); $.ifSome(m.lookup(0), () => {}); return 0; })),
    ]), /map 'm1' is declared differently/],
    ['different licenses', () => writeObject([compile(program('a', 'xdp', () => 0, { license: 'MIT' })), ret('b')]), /different licenses/],
  ];
  for (const [what, run, message] of cases) {
    assert.throws(run, (e: unknown) => e instanceof ElfWriteError && message.test(e.message), what);
  }
  // A reference to a map the object does not hold, and a call into code that is not a declared subprogram.
  const insns: Instruction[] = [{ code: 0x18, dst: 1, src: 1, off: 0, imm: 0n, ref: { kind: 'map', name: 'nope' } }, { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
  assert.throws(() => writeObject([{ ...ret('a'), insns }]), (e: unknown) => e instanceof ElfWriteError && /refers to map 'nope', which is not among the object's maps/.test(e.message));
  const call: Instruction[] = [{ code: 0x85, dst: 0, src: 1, off: 0, imm: 1 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }, { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
  assert.throws(() => writeObject([{ ...ret('a'), insns: call }]), (e: unknown) => e instanceof ElfWriteError && /instruction 0: call target 2 is not a subprogram \(they start at 4\)/.test(e.message));
});

test('writeElfObject: random sections, symbols and relocations read back with src/elf (property)', () => {
  const name = fc.stringMatching(/^[a-z_.][a-z0-9_./]{0,12}$/).filter((n) => !['.strtab', '.symtab'].includes(n) && !n.startsWith('.rel'));
  const section = fc.record({ name, align: fc.constantFrom(1, 4, 8), data: fc.uint8Array({ minLength: 8, maxLength: 64 }) });
  fc.assert(fc.property(fc.uniqueArray(section, { minLength: 1, maxLength: 6, selector: (s) => s.name }), fc.nat(), (secs, seed) => {
    const symbols = secs.map((s, i) => ({ name: `sym${i}`, section: s.name, value: seed % s.data.length, size: s.data.length, type: i % 2 === 0 ? 'func' as const : 'object' as const, binding: i % 3 === 0 ? 'local' as const : 'global' as const }));
    const relocations = secs.map((s, i) => ({ section: s.name, offset: (seed >> 3) % s.data.length, symbol: `sym${(i + 1) % secs.length}`, type: 1 }));
    const elf = writeElfObject({ machine: EM_BPF, sections: secs.map((s) => ({ ...s, type: SHT_PROGBITS, flags: 0 })), symbols, relocations });
    const read = readElfSections(elf);
    assert.equal(read.filter((s) => !s.name.startsWith('.rel') && s.name !== '' && s.name !== '.strtab' && s.name !== '.symtab').map((s) => s.name), secs.map((s) => s.name));
    for (const s of secs) {
      assert.equal(elfSectionBytes(elf, s.name), s.data);
      assert.is(read.find((r) => r.name === s.name)!.offset % s.align, 0);
    }
    const syms = symbolsOf(elf);
    // Locals first, then globals, each keeping its section and value.
    const expected = [...symbols.filter((s) => s.binding === 'local'), ...symbols.filter((s) => s.binding === 'global')];
    assert.equal(syms.slice(1).map((s) => ({ name: s.name, section: read[s.shndx].name, value: s.value, binding: s.binding })), expected.map((s) => ({ name: s.name, section: s.section, value: s.value, binding: s.binding === 'local' ? 0 : 1 })));
    for (const r of relocations) assert.equal(relocationsOf(elf, r.section), [{ offset: r.offset, symbol: r.symbol, type: 1 }]);
  }), { numRuns: numRuns(100) });
  assert.throws(() => writeElfObject({ machine: EM_BPF, sections: [{ name: 'a', type: 1, flags: 0, align: 3, data: new Uint8Array(1) }], symbols: [], relocations: [] }), /not a power of two/);
  assert.throws(() => writeElfObject({ machine: EM_BPF, sections: [{ name: 'a', type: 1, flags: 0, align: 1, data: new Uint8Array(1) }], symbols: [], relocations: [{ section: 'a', offset: 0, symbol: 'x', type: 1 }] }), /names symbol 'x', which does not exist/);
});

// ---- LLVM 14 as the oracle ----

function tool(name: string): string | undefined {
  const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? undefined : name;
}
const readelf = tool('llvm-readelf-14') ?? tool('llvm-readelf');
const objdump = tool('llvm-objdump-14') ?? tool('llvm-objdump');
const clang = tool('clang-14');
const llvmMissing = readelf === undefined || objdump === undefined ? 'llvm-readelf/llvm-objdump (LLVM 14) not installed' : null;
if (llvmMissing !== null) console.log(`skip: elf-writer LLVM oracle: ${llvmMissing}`);
if (clang === undefined) console.log('skip: elf-writer clang-14 comparison: clang-14 not installed');

function run(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.is(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function withDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-elf-'));
  try { return fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

/** `llvm-readelf -S` rows: name → [type, flags, link, info, align]. */
function readelfSections(file: string): Map<string, { type: string; flags: string; link: number; info: number; align: number }> {
  const out = new Map<string, { type: string; flags: string; link: number; info: number; align: number }>();
  for (const line of run(readelf!, ['-S', '-W', file]).split('\n')) {
    const m = /^\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+[0-9a-f]{16}\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+([A-Za-z]*)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
    if (m !== null) out.set(m[1], { type: m[2], flags: m[3], link: Number(m[4]), info: Number(m[5]), align: Number(m[6]) });
  }
  return out;
}

/** `llvm-readelf -s` rows: name → `TYPE BIND`. */
function readelfSymbols(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of run(readelf!, ['-s', '-W', file]).split('\n')) {
    const m = /^\s*\d+:\s+[0-9a-f]+\s+\d+\s+(\w+)\s+(\w+)\s+\w+\s+\S+\s+(\S+)\s*$/.exec(line);
    if (m !== null && (m[1] === 'FUNC' || m[1] === 'OBJECT')) out.set(m[3], `${m[1]} ${m[2]}`);
  }
  return out;
}

/** `llvm-readelf -r` rows: `section: offset type symbol`. */
function readelfRelocations(file: string): string[] {
  const out: string[] = [];
  let section = '';
  for (const line of run(readelf!, ['-r', '-W', file]).split('\n')) {
    const s = /^Relocation section '\.rel(.*)' at offset/.exec(line);
    if (s !== null) { section = s[1]; continue; }
    const m = /^([0-9a-f]{16})\s+[0-9a-f]{16}\s+(R_BPF_\w+)\s+[0-9a-f]{16}\s+(\S+)/.exec(line);
    if (m !== null && !section.startsWith('.')) out.push(`${section}: ${Number.parseInt(m[1], 16)} ${m[2]} ${m[3]}`);
  }
  return out;
}

(llvmMissing === null ? test : test.skip)('llvm-readelf and llvm-objdump read the written object as our instructions, sections and relocations', () => {
  const btf = relocatedTaskBtf();
  const compiled = programs(btf);
  withDir((dir) => {
    const file = path.join(dir, 'x.o');
    writeFileSync(file, writeObject([compiled[0], compiled[1], { program: compiled[2], target: 'sys_enter' }], { btf }));
    const secs = readelfSections(file);
    const names = [...secs.keys()];
    assert.equal(names, ['.strtab', 'xdp', '.relxdp', 'socket', '.relsocket', 'raw_tracepoint/sys_enter', '.relraw_tracepoint/sys_enter', '.maps', 'license', '.BTF', '.BTF.ext', '.symtab']);
    const symtabIndex = names.indexOf('.symtab') + 1;
    for (const s of ['xdp', 'socket', 'raw_tracepoint/sys_enter']) {
      assert.equal(secs.get(s), { type: 'PROGBITS', flags: 'AX', link: 0, info: 0, align: 8 });
      assert.equal(secs.get(`.rel${s}`), { type: 'REL', flags: 'I', link: symtabIndex, info: names.indexOf(s) + 1, align: 8 });
    }
    assert.equal(secs.get('.maps'), { type: 'PROGBITS', flags: 'WA', link: 0, info: 0, align: 8 });
    assert.equal(secs.get('license'), { type: 'PROGBITS', flags: 'WA', link: 0, info: 0, align: 1 });
    assert.equal(Object.fromEntries(readelfSymbols(file)), { count: 'FUNC GLOBAL', sock: 'FUNC GLOBAL', parent: 'FUNC GLOBAL', counts: 'OBJECT GLOBAL', vals: 'OBJECT GLOBAL', seen: 'OBJECT GLOBAL', LICENSE: 'OBJECT GLOBAL' });
    const sectionOf = ['xdp', 'socket', 'raw_tracepoint/sys_enter'];
    const expectedRelocs = compiled.flatMap((c, i) => {
      let slot = 0;
      return c.insns.flatMap((insn) => {
        const at = slot;
        slot += typeof insn.imm === 'bigint' ? 2 : 1;
        return insn.ref?.kind === 'map' ? [`${sectionOf[i]}: ${at * 8} R_BPF_64_64 ${insn.ref.name}`] : [];
      });
    });
    assert.equal(readelfRelocations(file), expectedRelocs);
    // llvm-objdump's text of every instruction LLVM 14 knows equals our LLVM-syntax disassembly.
    const listing = run(objdump!, ['-d', '--no-show-raw-insn', file]);
    const bySection = listing.split(/\nDisassembly of section /).slice(1);
    assert.is(bySection.length, 3);
    bySection.forEach((text, i) => {
      assert.ok(text.startsWith(`${sectionOf[i]}:`), text.slice(0, 40));
      const lines = text.split('\n').flatMap((l) => { const m = /^\s*(\d+):\s+(.*?)\s*$/.exec(l); return m === null ? [] : [m[2]]; });
      const ours = disassembleLlvm(asInObject(compiled[i].insns));
      assert.is(lines.length, ours.length, `${sectionOf[i]}: instruction count`);
      let compared = 0;
      lines.forEach((l, j) => {
        if (l === '<unknown>') return; // BPF_ST (store immediate): LLVM 14 does not decode it
        assert.is(l.replace(/\s+<.*>$/, ''), ours[j], `${sectionOf[i]} insn ${j}`);
        compared++;
      });
      assert.ok(compared > lines.length / 2, `${sectionOf[i]}: compared ${compared} of ${lines.length}`);
    });
  });
});

const C_SOURCE = `
typedef unsigned int __u32; typedef unsigned long long __u64;
#define SEC(n) __attribute__((section(n), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
struct { __uint(type, 1); __uint(max_entries, 256); __type(key, __u32); __type(value, __u64); } counts SEC(".maps");
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *) 1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *) 2;
SEC("xdp") int count(void *ctx) {
  __u32 k = 6; __u64 one = 1; __u64 *v = bpf_map_lookup_elem(&counts, &k);
  if (v) __sync_fetch_and_add(v, 1); else bpf_map_update_elem(&counts, &k, &one, 0);
  return 2;
}
char LICENSE[] SEC("license") = "GPL";
`;

(clang === undefined || llvmMissing !== null ? test.skip : test)('the same structure clang-14 -target bpf -O2 -g writes for the equivalent C', () => {
  const ours = compile(program('count', 'xdp', ($) => {
    const counts = $.hash('counts', u32, u64, { maxEntries: 256 });
    $.ifSome(counts.lookup(6), (n) => n.atomicAdd(1n), () => { counts.update(6, 1n); });
    return 2;
  }));
  withDir((dir) => {
    writeFileSync(path.join(dir, 'c.c'), C_SOURCE);
    run(clang!, ['-target', 'bpf', '-O2', '-g', '-c', path.join(dir, 'c.c'), '-o', path.join(dir, 'c.o')]);
    writeFileSync(path.join(dir, 't.o'), writeObject([ours]));
    const pick = (file: string) => {
      const secs = readelfSections(file);
      const keep = ['xdp', '.relxdp', '.maps', 'license', '.BTF', '.BTF.ext'];
      return { sections: Object.fromEntries(keep.map((k) => [k, { ...secs.get(k)!, link: 0, info: 0 }])), symbols: Object.fromEntries(readelfSymbols(file)), relocTypes: readelfRelocations(file).map((r) => r.replace(/: \d+ /, ': ')) };
    };
    assert.equal(pick(path.join(dir, 't.o')), pick(path.join(dir, 'c.o')));
    // The BTF map definition: same members, same shapes (array lengths, key/value sizes).
    const shape = (elf: Uint8Array) => {
      const b = decodeBtf(elfSectionBytes(elf, '.BTF')!);
      const def = b.find('var', 'counts')!.type as Struct;
      const resolve = (t: Type): Type => (t.kind === 'typedef' ? resolve(t.target) : t);
      const fn = b.find('func', 'count')!;
      return {
        members: def.members.map((m) => {
          const target = resolve((m.type as { target: Type }).target);
          return `${m.name}@${m.bitOffset}:${target.kind === 'array' ? `[${target.length}]` : `${target.kind}${(target as Int).size}`}`;
        }),
        datasec: b.find('datasec', '.maps')!.vars.map((v) => (v.type as { name: string }).name),
        func: `${fn.linkage} ${fn.proto.params.map((p) => `${p.name}:${p.type.kind}`).join(',')} -> ${fn.proto.returns.kind}`,
      };
    };
    const read = (f: string) => new Uint8Array(readFileSync(f));
    assert.equal(shape(read(path.join(dir, 't.o'))), shape(read(path.join(dir, 'c.o'))));
    const extSections = (elf: Uint8Array) => {
      const b = decodeBtf(elfSectionBytes(elf, '.BTF')!);
      const ext = decodeBtfExt(elfSectionBytes(elf, '.BTF.ext')!, { strings: (o) => b.string(o) });
      return { func: ext.funcInfo.map((x) => `${x.sectionName}:${x.records.map((r) => r.insnOff).join(',')}`), line: ext.lineInfo.map((x) => x.sectionName) };
    };
    assert.equal(extSections(read(path.join(dir, 't.o'))), extSections(read(path.join(dir, 'c.o'))));
  });
});

const C_SUBPROGRAMS = `
#define SEC(n) __attribute__((section(n), used))
static __attribute__((noinline)) long scale(long x, long k) { return x * k + 1; }
static __attribute__((noinline)) long bump(long x) { return scale(x, 2) + 7; }
SEC("xdp") int withsub(void *ctx) { return scale(3, 5) + bump(4); }
char LICENSE[] SEC("license") = "GPL";
`;

/** Calls through `R_BPF_64_32` relocations: for each, the FUNC symbol of `.text` the call reaches (`imm + 1` slots from the section symbol, as libbpf reads it). */
function relocatedCallTargets(elf: Uint8Array, section: string): string[] {
  const sections = readElfSections(elf);
  const syms = symbolsOf(elf);
  const code = elfSectionBytes(elf, section)!;
  const v = new DataView(code.buffer, code.byteOffset, code.byteLength);
  return relocationsOf(elf, section).filter((r) => r.type === 10).map((r) => {
    assert.is(r.symbol, '', 'calls are relocated against the .text section symbol (no name in .strtab)');
    const target = (v.getInt32(r.offset + 4, true) + 1) * 8;
    const fn = syms.find((s) => s.type === 2 && sections[s.shndx].name === '.text' && s.value === target);
    return fn === undefined ? `<none at ${target}>` : `${fn.name}/${fn.binding}`;
  });
}

(clang === undefined || llvmMissing !== null ? test.skip : test)('subprograms: .text, static FUNCs and R_BPF_64_32 calls as clang-14 writes them for static noinline functions', () => {
  const ours = compile(program('withsub', 'xdp', ($) => {
    const scale = $.func('scale', [u64, u64], u64, (_, x, k) => x.mul(k).add(1n));
    const bump = $.func('bump', [u64], u64, (_, x) => scale.call(x, 2n).add(7n));
    return scale.call(3n, 5n).add(bump.call(4n)).cast(u32);
  }));
  assert.equal(ours.subprograms?.map((f) => f.name), ['scale', 'bump']);
  withDir((dir) => {
    writeFileSync(path.join(dir, 'c.c'), C_SUBPROGRAMS);
    run(clang!, ['-target', 'bpf', '-O2', '-g', '-c', path.join(dir, 'c.c'), '-o', path.join(dir, 'c.o')]);
    writeFileSync(path.join(dir, 't.o'), writeObject([ours]));
    const pick = (file: string) => {
      const secs = readelfSections(file);
      const syms = readelfSymbols(file);
      const elf = new Uint8Array(readFileSync(file));
      const b = decodeBtf(elfSectionBytes(elf, '.BTF')!);
      const ext = decodeBtfExt(elfSectionBytes(elf, '.BTF.ext')!, { strings: (o) => b.string(o) });
      const text = ext.funcInfo.find((x) => x.sectionName === '.text')!;
      return {
        text: { ...secs.get('.text')!, link: 0, info: 0 },
        relxdp: { ...secs.get('.relxdp')!, link: 0, info: 0 },
        symbols: ['scale', 'bump', 'withsub'].map((n) => `${n} ${syms.get(n)}`),
        relocations: readelfRelocations(file),
        calls: relocatedCallTargets(elf, 'xdp'),
        textFuncs: text.records.map((r) => { const f = b.typeById(r.typeId) as { name: string; linkage: number }; return `${f.name}/${f.linkage}`; }),
      };
    };
    const theirs = pick(path.join(dir, 'c.o'));
    const mine = pick(path.join(dir, 't.o'));
    // clang orders .text by its own layout; compare as sets where the order is the compiler's choice.
    assert.equal({ ...mine, textFuncs: [...mine.textFuncs].sort(), relocations: mine.relocations.map((r) => r.replace(/: \d+ /, ': ')) }, { ...theirs, textFuncs: [...theirs.textFuncs].sort(), relocations: theirs.relocations.map((r) => r.replace(/: \d+ /, ': ')) });
    assert.equal(mine.calls, ['scale/0', 'bump/0']);
  });
});

const bpftoolPath = tool('bpftool') ?? (spawnSync('/usr/sbin/bpftool', ['version']).status === 0 ? '/usr/sbin/bpftool' : undefined);
if (bpftoolPath === undefined) console.log('skip: elf-writer bpftool btf dump: bpftool not installed');

(bpftoolPath === undefined ? test.skip : test)('bpftool btf dump file (libbpf\'s BTF parser) prints the maps, FUNCs and DATASECs of the written object', () => {
  const btf = relocatedTaskBtf();
  const [count, sock, core] = programs(btf);
  const withSub = compile(program('withsub', 'socket_filter', ($) => {
    const twice = $.func('twice', [u64], u64, (_, x) => x.add(x));
    return twice.call(21n).cast(u32);
  }));
  withDir((dir) => {
    const file = path.join(dir, 'x.o');
    const elf = writeObject([count, sock, { program: core, target: 'sys_enter' }, { program: withSub, section: 'socket' }], { btf });
    writeFileSync(file, elf);
    const text = run(bpftoolPath!, ['btf', 'dump', 'file', file]);
    const top = text.split('\n').filter((l) => /^\[\d+\] /.test(l));
    const named = (kind: string) => top.flatMap((l) => { const m = new RegExp(`^\\[\\d+\\] ${kind} '([^']*)'(.*)$`).exec(l); return m === null ? [] : [`${m[1]}${m[2].replace(/type_id=\d+,? ?/, '')}`]; });
    assert.equal(named('VAR').sort(), ['LICENSE linkage=global', 'counts linkage=global', 'seen linkage=global', 'vals linkage=global']);
    assert.equal(named('FUNC').sort(), ['count linkage=global', 'parent linkage=global', 'sock linkage=global', 'twice linkage=static', 'withsub linkage=global']);
    // DATASEC .maps: its size is the section's, its entries are the map symbols.
    const maps = /\[\d+\] DATASEC '\.maps' size=(\d+) vlen=(\d+)\n((?:\t.*\n)*)/.exec(text)!;
    assert.is(Number(maps[1]), elfSectionBytes(elf, '.maps')!.length);
    const entries = [...maps[3].matchAll(/offset=(\d+) size=(\d+) \(VAR '(\w+)'\)/g)].map((m) => `${m[3]}@${m[1]}+${m[2]}`);
    const syms = symbolsOf(elf).filter((x) => x.type === 1 && x.name !== 'LICENSE').map((x) => `${x.name}@${x.value}+${x.size}`);
    assert.equal(entries, syms);
    // The CO-RE root is a local task_struct with the members up to the last one accessed.
    assert.match(text, /STRUCT 'task_struct' size=64 vlen=3\n\t'pad' type_id=\d+ bits_offset=0\n\t'real_parent' type_id=\d+ bits_offset=128\n\t'tgid' type_id=\d+ bits_offset=192\n/);
  });
});

const C_MAP_IN_MAP = `
#define SEC(n) __attribute__((section(n), used))
#define __uint(name, val) int (*name)[val]
#define __array(name, val) typeof(val) *name[]
struct inner { __uint(type, 1); __uint(max_entries, 8); __uint(key_size, 4); __uint(value_size, 8); };
struct { __uint(type, 12); __uint(max_entries, 4); __uint(key_size, 4); __uint(value_size, 4); __array(values, struct inner); } outer SEC(".maps");
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *) 1;
SEC("socket") int mim(void *ctx) { int k = 1; return bpf_map_lookup_elem(&outer, &k) != 0; }
char LICENSE[] SEC("license") = "GPL";
`;

/** A BTF map definition as text: `name:[N]` for __uint members, `values:[0]*{…}` for __array, recursively. */
function mapDefShape(t: Type): string {
  const s = t as Struct;
  return `${s.size}{${s.members.map((m) => {
    const mt = m.type;
    if (mt.kind === 'ptr' && mt.target.kind === 'array') return `${m.name}@${m.bitOffset}:[${mt.target.length}]`;
    if (mt.kind === 'array' && mt.element.kind === 'ptr') return `${m.name}@${m.bitOffset}:[${mt.length}]*${mapDefShape(mt.element.target)}`;
    return `${m.name}@${m.bitOffset}:${mt.kind}`;
  }).join(' ')}}`;
}

(clang === undefined ? test.skip : test)('a map of maps: the same __array(values, …) definition clang-14 writes', () => {
  const ours = compile(program('mim', 'socket_filter', ($) => {
    const outer = $.arrayOfMaps('outer', { type: 'hash', key: u32, value: u64, maxEntries: 8 }, { maxEntries: 4 });
    $.ifSomeMap(outer.lookup(1), () => {});
    return 0;
  }));
  withDir((dir) => {
    writeFileSync(path.join(dir, 'c.c'), C_MAP_IN_MAP);
    run(clang!, ['-target', 'bpf', '-O2', '-g', '-c', path.join(dir, 'c.c'), '-o', path.join(dir, 'c.o')]);
    const shape = (elf: Uint8Array) => mapDefShape(decodeBtf(elfSectionBytes(elf, '.BTF')!).find('var', 'outer')!.type);
    const mine = shape(writeObject([ours]));
    assert.is(mine, shape(new Uint8Array(readFileSync(path.join(dir, 'c.o')))));
    assert.is(mine, '32{type@0:[12] max_entries@64:[4] key_size@128:[4] value_size@192:[4] values@256:[0]*32{type@0:[1] max_entries@64:[8] key_size@128:[4] value_size@192:[8]}}');
  });
});

const C_KFUNCS = `
#define SEC(n) __attribute__((section(n), used))
#define __ksym __attribute__((section(".ksyms")))
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
SEC("tp_btf/sys_enter") int prog(void *ctx) { bpf_rcu_read_lock(); bpf_rcu_read_unlock(); return 0; }
char LICENSE[] SEC("license") = "GPL";
`;

(clang === undefined || llvmMissing !== null ? test.skip : test)('kfunc externs: call -1, R_BPF_64_32 against an undefined symbol, extern FUNCs in DATASEC .ksyms, as clang-14 writes them', () => {
  const voidProto = { kind: 'func_proto' as const, returns: { kind: 'void' as const }, params: [] };
  const call = (name: string): Instruction => ({ code: 0x85, dst: 0, src: 2, off: 0, imm: 0, ref: { kind: 'kfunc', name } });
  const elf = writeBpfObject({
    license: 'GPL', maps: [],
    programs: [{ name: 'prog', section: 'tp_btf/sys_enter', insns: [call('bpf_rcu_read_lock'), call('bpf_rcu_read_unlock'), { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }] }],
    externs: [{ name: 'bpf_rcu_read_lock', proto: voidProto }, { name: 'bpf_rcu_read_unlock', proto: voidProto }],
  });
  assert.throws(() => writeBpfObject({ license: 'GPL', maps: [], programs: [{ name: 'p', section: 'xdp', insns: [call('bpf_nope'), { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }] }] }), /calls kfunc 'bpf_nope', which is not among the object's externs/);
  withDir((dir) => {
    writeFileSync(path.join(dir, 'c.c'), C_KFUNCS);
    run(clang!, ['-target', 'bpf', '-O2', '-g', '-c', path.join(dir, 'c.c'), '-o', path.join(dir, 'c.o')]);
    writeFileSync(path.join(dir, 't.o'), elf);
    const pick = (file: string) => {
      const bytes = new Uint8Array(readFileSync(file));
      const b = decodeBtf(elfSectionBytes(bytes, '.BTF')!);
      const ksyms = b.find('datasec', '.ksyms')!;
      const undefinedSyms = run(readelf!, ['-s', '-W', file]).split('\n').flatMap((l) => { const m = /^\s*\d+:\s+0+\s+0\s+(\w+)\s+(\w+)\s+\w+\s+UND\s+(\S+)\s*$/.exec(l); return m === null ? [] : [`${m[3]} ${m[1]} ${m[2]}`]; });
      const code = run(objdump!, ['-d', '--no-show-raw-insn', file]).split('\n').flatMap((l) => { const m = /^\s*\d+:\s+(call .*)$/.exec(l); return m === null ? [] : [m[1].trim()]; });
      return {
        relocations: readelfRelocations(file),
        undefinedSyms,
        code,
        ksyms: ksyms.vars.map((v) => { const f = v.type as { kind: string; name: string; linkage: number; proto: { params: unknown[]; returns: Type } }; return `${f.kind} ${f.name} linkage=${f.linkage} params=${f.proto.params.length} returns=${f.proto.returns.kind}`; }),
      };
    };
    const mine = pick(path.join(dir, 't.o'));
    assert.equal(mine, pick(path.join(dir, 'c.o')));
    assert.equal([mine.relocations.length, mine.undefinedSyms, mine.code, mine.ksyms.length], [2, ['bpf_rcu_read_lock NOTYPE GLOBAL', 'bpf_rcu_read_unlock NOTYPE GLOBAL'], ['call -1', 'call -1'], 2]);
  });
});

test.run();
