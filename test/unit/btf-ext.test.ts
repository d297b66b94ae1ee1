/**
 * `.BTF.ext`: encode/decode round trips (fast-check), corrupt input gives a BtfExtError with an
 * offset (fuzzing), and the .BTF/.BTF.ext of an object clang-14 compiles here (`-target bpf -g
 * -O2`), checked against the source file, the ELF section table and the object's BTF funcs
 * (skipped, with the reason, without clang-14).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {
  BtfExtError, CoreReloKind, decodeBtf, decodeBtfExt, encodeBtfExt, type BtfExt, type BtfExtSection, type CoreRelo, type FuncInfo, type LineInfo,
} from '../../asm/src/btf/index.js';
import { elfSectionBytes, readElfSections } from '../../src/elf/elf-sections.js';

const u32 = fc.nat(0xffffffff);
const block = <R>(record: fc.Arbitrary<R>): fc.Arbitrary<BtfExtSection<R>> => fc.record({ sectionNameOff: u32, records: fc.array(record, { minLength: 1, maxLength: 6 }) });
const funcArb: fc.Arbitrary<FuncInfo> = fc.record({ insnOff: u32, typeId: u32 });
const lineArb: fc.Arbitrary<LineInfo> = fc.record({ insnOff: u32, fileNameOff: u32, lineOff: u32, lineCol: u32 });
const coreArb: fc.Arbitrary<CoreRelo> = fc.record({ insnOff: fc.nat(0x1fffffff).map((n) => n * 8), typeId: u32, accessStrOff: u32, kind: fc.nat(12) });
const extArb: fc.Arbitrary<BtfExt> = fc.record({
  funcInfo: fc.array(block(funcArb), { maxLength: 4 }),
  lineInfo: fc.array(block(lineArb), { maxLength: 4 }),
  coreRelo: fc.array(block(coreArb), { maxLength: 4 }),
});
const orderArb = fc.constantFrom<'little' | 'big'>('little', 'big');

test('.BTF.ext round trip: decode(encode(x)) is x, in both byte orders', () => {
  fc.assert(
    fc.property(extArb, orderArb, fc.boolean(), (ext, byteOrder, coreReloHeader) => {
      const bytes = encodeBtfExt(ext, { byteOrder, coreReloHeader });
      const d = decodeBtfExt(bytes);
      assert.equal({ funcInfo: d.funcInfo, lineInfo: d.lineInfo, coreRelo: d.coreRelo }, structuredClone(ext));
      assert.is(d.header.byteOrder, byteOrder);
      assert.is(d.header.hdrLen, ext.coreRelo.length > 0 || coreReloHeader ? 32 : 24);
      // Encoding is canonical: re-encoding the decoded form gives the same bytes.
      assert.equal(encodeBtfExt(d, { byteOrder, coreReloHeader }), bytes);
    }),
    { numRuns: 300 },
  );
});

test('.BTF.ext records larger than known (a newer producer) are read by their known fields', () => {
  // func_info with 12-byte records: the extra word is skipped.
  const words = [0x0001eb9f, 24, 0, 4 + 8 + 24, 0, 0, 12, 7, 2, 0, 5, 0xaaaa, 16, 6, 0xbbbb];
  const bytes = new Uint8Array(new Uint32Array(words).buffer);
  const d = decodeBtfExt(bytes);
  assert.is(d.recordSizes.funcInfo, 12);
  assert.equal(d.funcInfo, [{ sectionNameOff: 7, records: [{ insnOff: 0, typeId: 5 }, { insnOff: 16, typeId: 6 }] }]);
});

test('.BTF.ext: malformed input gives BtfExtError naming the offset', () => {
  const good = encodeBtfExt({ funcInfo: [{ sectionNameOff: 1, records: [{ insnOff: 0, typeId: 2 }] }], lineInfo: [], coreRelo: [] });
  const patch = (at: number, value: number, bytes = good) => {
    const b = bytes.slice();
    new DataView(b.buffer).setUint32(at, value, true);
    return b;
  };
  const cases: [Uint8Array, number, RegExp][] = [
    [good.subarray(0, 5), 0, /truncated header/],
    [patch(0, 0x0001beef), 0, /bad magic 0xbeef/],
    [patch(0, 0x0002eb9f), 2, /unsupported version 2/],
    [patch(4, 16), 4, /hdr_len 16 is smaller than 24/],
    [patch(4, 4096), 4, /hdr_len 4096 is past the end/],
    [patch(12, 400), 8, /func_info subsection \[24, 424\) is past the end/],
    [patch(24, 4), 24, /func_info record size 4/],
    [patch(32, 0), 32, /func_info block has no records/],
    [patch(32, 3), 32, /block of 3 records of 8 bytes runs past/],
  ];
  for (const [bytes, offset, message] of cases) {
    assert.throws(() => decodeBtfExt(bytes), (e: unknown) => e instanceof BtfExtError && e.offset === offset && message.test(e.message) && e.message.startsWith(`.BTF.ext offset ${offset}: `));
  }
  assert.throws(() => decodeBtfExt(good, { strings: () => { throw new RangeError('no string at 1'); } }), (e: unknown) => e instanceof BtfExtError && /string offset 1/.test(e.message));
});

test('.BTF.ext fuzzing: corrupted and truncated sections decode or throw BtfExtError, nothing else', () => {
  fc.assert(
    fc.property(extArb, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }), fc.nat(), fc.boolean(), (ext, flips, cut, truncate) => {
      const bytes = encodeBtfExt(ext).slice();
      for (const [at, value] of flips) bytes[at % bytes.length] = value;
      const input = truncate ? bytes.subarray(0, cut % (bytes.length + 1)) : bytes;
      try {
        decodeBtfExt(input);
      } catch (e) {
        if (!(e instanceof BtfExtError)) throw e;
        assert.ok(e.offset !== undefined && e.offset >= 0 && e.offset <= input.length, `offset ${e.offset} of ${input.length}`);
      }
    }),
    { numRuns: 1000 },
  );
});

const source = `struct task {
	int pid;
	int tgid;
	struct task *parent;
} __attribute__((preserve_access_index));

static __attribute__((noinline)) int helper(struct task *t)
{
	return t->tgid + 1;
}

__attribute__((section("tp/sched/one"), used)) int first(struct task *t)
{
	int x = t->pid;
	return helper(t) + x;
}

__attribute__((section("tp/sched/two"), used)) int second(struct task *t)
{
	return t->parent->tgid;
}
`;

function missingTool(): string | undefined {
  try {
    execFileSync('clang-14', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'clang-14 is not installed';
  }
}

test('.BTF.ext of a clang-14 object: func_info, line_info and CO-RE relocations', () => {
  const missing = missingTool();
  if (missing !== undefined) {
    console.log(`skip: clang .BTF.ext: ${missing}`);
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-btf-ext-'));
  try {
    const c = path.join(dir, 'core.c');
    const o = path.join(dir, 'core.o');
    writeFileSync(c, source);
    execFileSync('clang-14', ['-target', 'bpf', '-g', '-O2', '-c', c, '-o', o]);
    const elf = readFileSync(o);
    const btf = decodeBtf(elfSectionBytes(elf, '.BTF')!);
    const ext = decodeBtfExt(elfSectionBytes(elf, '.BTF.ext')!, { strings: (off) => btf.string(off) });
    const sizes = new Map(readElfSections(elf).map((s) => [s.name, s.size]));

    // func_info: one function per section, at its start, naming the BTF func of that name.
    const funcs = ext.funcInfo.flatMap((b) => b.records.map((r) => [b.sectionName, r.insnOff, btf.typeById(r.typeId)] as const));
    assert.equal(funcs.map(([s, off, t]) => [s, off, t.kind, t.kind === 'func' ? t.name : '']).sort(), [
      ['.text', 0, 'func', 'helper'], ['tp/sched/one', 0, 'func', 'first'], ['tp/sched/two', 0, 'func', 'second'],
    ]);
    // bpftool's reading of the same object: its FUNC ids and names are the func_info records'.
    let bpftool: string | undefined;
    try {
      bpftool = execFileSync('bpftool', ['btf', 'dump', 'file', o], { encoding: 'utf8' });
    } catch {
      console.log('skip: bpftool oracle for func_info: bpftool is not installed');
    }
    if (bpftool !== undefined) {
      const listed = [...bpftool.matchAll(/^\[(\d+)\] FUNC '([^']+)'/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
      const ours = ext.funcInfo.flatMap((b) => b.records.map((r) => `${r.typeId} ${(btf.typeById(r.typeId) as { name: string }).name}`)).sort();
      assert.equal(ours, listed);
    }

    // line_info: the file is core.c, and each record's text is the source line it names.
    const lines = source.split('\n');
    let count = 0;
    for (const b of ext.lineInfo) {
      const size = sizes.get(b.sectionName!);
      assert.ok(size !== undefined, `section ${b.sectionName} exists`);
      for (const r of b.records) {
        count++;
        assert.ok(r.insnOff % 8 === 0 && r.insnOff < size, `insn offset ${r.insnOff} inside ${b.sectionName} (${size} bytes)`);
        assert.is(btf.string(r.fileNameOff), c);
        const line = r.lineCol >>> 10;
        assert.is(btf.string(r.lineOff), lines[line - 1], `line ${line}`);
      }
    }
    assert.ok(count >= 3, `${count} line_info records`);

    // core_relo: byte offsets of field accesses of struct task, with their access strings.
    const task = btf.get('struct', 'task');
    const relos = ext.coreRelo.flatMap((b) => b.records.map((r) => {
      assert.ok(r.insnOff % 8 === 0 && r.insnOff < sizes.get(b.sectionName!)!);
      assert.is(btf.typeById(r.typeId), task);
      assert.is(r.kind, CoreReloKind.FIELD_BYTE_OFFSET);
      return `${b.sectionName} ${btf.string(r.accessStrOff)}`;
    }));
    // pid is member 0, tgid 1, parent 2.
    assert.equal(relos.sort(), ['.text 0:1', 'tp/sched/one 0:0', 'tp/sched/two 0:1', 'tp/sched/two 0:2']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
