/**
 * `bpf_core_relo` records (asm's `encodeCoreRelo`/`decodeCoreRelo`) against LLVM 14: clang
 * compiles field reads of a `preserve_access_index` struct, and the `.BTF.ext` core_relo
 * subsection it writes must decode to the instructions and access strings the disassembly and
 * the C source imply, and re-encode to the same bytes. Plus a fast-check round trip. Skips with
 * the reason when clang-14/llvm-objcopy-14 are missing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORE_RELO_SIZE, CoreReloKind, decodeBtf, decodeCoreRelo, encodeCoreRelo } from 'ebpf-bytecode-utils';

function toolsMissing(): string | null {
  for (const t of ['clang-14', 'llvm-objcopy-14']) {
    try { execFileSync(t, ['--version'], { stdio: 'ignore' }); } catch { return `${t} is not installed`; }
  }
  return null;
}

test('core_relo records: decode(encode(x)) = x; bad insnOff is refused', () => {
  fc.assert(fc.property(fc.array(fc.record({ insnOff: fc.nat(0x1fffffff).map((n) => n * 8), typeId: fc.nat(0xffffffff), accessStrOff: fc.nat(0xffffffff), kind: fc.integer({ min: 0, max: 12 }) })), (generated) => {
    const recs = generated.map((r) => ({ ...r }));
    for (const order of ['little', 'big'] as const) {
      const bytes = encodeCoreRelo(recs, order);
      assert.is(bytes.length, recs.length * CORE_RELO_SIZE);
      assert.equal(decodeCoreRelo(bytes, order), recs);
    }
  }));
  assert.throws(() => encodeCoreRelo([{ insnOff: 4, typeId: 1, accessStrOff: 0, kind: 0 }]), /multiple of 8/);
});

const reason = toolsMissing();
(reason === null ? test : test.skip)('core_relo records clang-14 writes decode to the field reads of the source', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-core-'));
  try {
    writeFileSync(join(dir, 't.c'), [
      'struct inner { int a; long b; };',
      'struct task { int pid; struct inner in; struct task *parent; } __attribute__((preserve_access_index));',
      'int get(struct task *t) { return t->parent->in.a + t->pid; }',
    ].join('\n'));
    execFileSync('clang-14', ['-target', 'bpf', '-O2', '-g', '-c', join(dir, 't.c'), '-o', join(dir, 't.o')]);
    execFileSync('llvm-objcopy-14', ['--dump-section', `.BTF.ext=${join(dir, 'ext')}`, '--dump-section', `.BTF=${join(dir, 'btf')}`, join(dir, 't.o'), join(dir, 'out.o')]);
    const ext = readFileSync(join(dir, 'ext'));
    const btf = decodeBtf(readFileSync(join(dir, 'btf')));
    const dv = new DataView(ext.buffer, ext.byteOffset, ext.byteLength);
    // struct btf_ext_header: magic, version, flags, hdr_len, func_info_off/len, line_info_off/len, core_relo_off/len
    assert.is(dv.getUint16(0, true), 0xeb9f);
    const hdrLen = dv.getUint32(4, true);
    assert.ok(hdrLen >= 32, 'header with core_relo fields');
    const off = hdrLen + dv.getUint32(24, true);
    const len = dv.getUint32(28, true);
    assert.is(dv.getUint32(off, true), CORE_RELO_SIZE, 'core_relo_rec_size');
    // One section (.text): sec_name_off, num_info, records.
    const num = dv.getUint32(off + 8, true);
    assert.is(4 + 8 + num * CORE_RELO_SIZE, len);
    const raw = ext.subarray(off + 12, off + 12 + num * CORE_RELO_SIZE);
    const recs = decodeCoreRelo(raw);
    assert.equal(encodeCoreRelo(recs), Uint8Array.from(raw), 're-encodes to the same bytes');
    const got = recs.map((r) => [r.insnOff / 8, btf.nameOf(r.typeId), btf.string(r.accessStrOff), r.kind]).sort((a, b) => Number(a[0]) - Number(b[0]));
    // llvm-objdump: 0: r2 = *(u64 *)(r1 + 24) (t->parent), 1: r0 = *(u32 *)(r1 + 0) (t->pid),
    // 2: r1 = *(u32 *)(r2 + 8) (->in.a; struct inner is not preserve_access_index, so the
    // access stops at `in`, with a at offset 0 of it).
    assert.equal(got, [[0, 'task', '0:2', CoreReloKind.FIELD_BYTE_OFFSET], [1, 'task', '0:0', 0], [2, 'task', '0:1', 0]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
if (reason !== null) console.log(`skip: core_relo vs clang-14: ${reason}`);

test.run();
