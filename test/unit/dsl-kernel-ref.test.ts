/**
 * Kernel struct reads by field name offline: a BTF blob built here (so offsets are known from
 * the C layout written below), `$.kernel(address, 'task')` navigating members, anonymous
 * structs/unions, pointers (`->`) and arrays; the interpreter reading simulated kernel memory;
 * the CO-RE relocations the compiled program lists (instruction, root type, access string as
 * clang would write it); refusals of bitfields, unknown fields and mistyped reads.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeBtf, encodeBtf, slotCount, type Type } from 'ebpf-bytecode-utils';
import { compile, program, s32, simulate, u16, u64, type Expr, type IntType } from '../../src/dsl/index.js';

const int: Type = { kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 };
const ushort: Type = { kind: 'int', name: 'unsigned short', size: 2, encoding: 0, bitOffset: 0, bits: 16 };
const long: Type = { kind: 'int', name: 'long', size: 8, encoding: 1, bitOffset: 0, bits: 64 };
const uint: Type = { kind: 'int', name: 'unsigned int', size: 4, encoding: 0, bitOffset: 0, bits: 32 };
const m = (name: string, type: Type, bitOffset: number, bitfieldSize = 0) => ({ name, type, bitOffset, bitfieldSize });
/*
 * struct task {                  // offset
 *   int pid;                     // 0
 *   struct {                     // 8
 *     int a;                     // 8
 *     union { long x; unsigned short y; };   // 16
 *   };
 *   struct task *parent;         // 24
 *   unsigned int flags : 3;      // 32 (bitfield)
 *   int ids[4];                  // 36
 * };                             // size 56
 */
const task: Type & { kind: 'struct' } = { kind: 'struct', name: 'task', size: 56, members: [] };
const anonUnion: Type = { kind: 'union', name: '', size: 8, members: [m('x', long, 0), m('y', ushort, 0)] };
const anonStruct: Type = { kind: 'struct', name: '', size: 16, members: [m('a', int, 0), m('', anonUnion, 64)] };
task.members.push(m('pid', int, 0), m('', anonStruct, 64), m('parent', { kind: 'ptr', target: task }, 192), m('flags', uint, 256, 3), m('ids', { kind: 'array', element: int, index: int, length: 4 }, 288));
const btf = decodeBtf(encodeBtf([task]).bytes);

const CHILD = 0xffff000000001000n;
const PARENT = 0xffff000000002000n;
function object(pid: number, parent: bigint, y: number, ids: number[]): Uint8Array {
  const b = new Uint8Array(56);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, pid, true);
  dv.setInt32(8, -77, true);
  dv.setUint16(16, y, true);
  dv.setBigUint64(24, parent, true);
  ids.forEach((v, i) => dv.setInt32(36 + i * 4, v, true));
  return b;
}
const memory = [{ address: CHILD, bytes: object(100, PARENT, 0xbeef, [1, 2, 3, 4]) }, { address: PARENT, bytes: object(-42, 0n, 7, [5, 6, 7, 8]) }];

function run(pick: (t: ReturnType<Parameters<Parameters<typeof program<'kprobe'>>[2]>[0]['kernel']>) => Expr<IntType>) {
  const out = compile(program('kr', 'kprobe', ($) => pick($.kernel(CHILD, 'task', btf)).cast(u64), { arch: 'x86_64' }));
  return { out, r0: simulate(out, { env: { memory } }).run({ ctx: new Uint8Array(168) }).r0 };
}

test('fields, anonymous members, pointers and array elements read the right bytes', () => {
  assert.is(run((t) => t.field('pid').value()).r0, 100n);
  assert.is(BigInt.asIntN(64, run((t) => t.field('a').value()).r0), -77n);
  assert.is(run((t) => t.field('y').value()).r0, 0xbeefn);
  assert.is(BigInt.asIntN(64, run((t) => t.field('parent').field('pid').value()).r0), -42n);
  assert.is(run((t) => t.field('parent').field('ids').index(2).value()).r0, 7n);
  assert.is(run((t) => t.field('parent').value()).r0, PARENT);
  assert.is(run((t) => t.field('y').valueAs(u16)).r0, 0xbeefn);
});

test('CO-RE relocations: each field offset instruction with its root type and access string', () => {
  const { out } = run((t) => t.field('parent').field('y').value());
  const relos = out.coreRelos ?? [];
  assert.equal(relos.map((r) => [r.rootName, r.access, r.kind]), [['task', '0:2', 0], ['task', '0:1:1:1', 0]]);
  for (const [r, off] of relos.map((r, i) => [r, [24, 16][i]] as const)) {
    // insnOff counts 8-byte slots (ld_imm64 takes two); find the instruction at that slot.
    let slot = 0;
    const insn = out.insns.find((i) => { const here = slot; slot += slotCount(i); return here * 8 === r.insnOff; })!;
    assert.is(insn.code, 0x07, 'r += imm'); // ALU64 | ADD | K
    assert.is(insn.imm, off);
  }
  const arr = run((t) => t.field('ids').index(3).value()).out.coreRelos ?? [];
  assert.equal(arr.map((r) => r.access), ['0:4:3']);
});

test('bitfields, unknown fields, non-scalars and mistyped reads are DslErrors', () => {
  assert.throws(() => run((t) => t.field('flags').value()), /bitfield \(3 bits at bit 256\)/);
  assert.throws(() => run((t) => t.field('nope').value()), /struct task has no field 'nope'.*pid, a, x, y, parent/);
  assert.throws(() => run((t) => t.value()), /not a scalar/);
  assert.throws(() => run((t) => t.field('pid').valueAs(u64)), /is int \(s32\).*not u64/);
  assert.throws(() => run((t) => t.field('ids').index(4).value()), /outside task\.ids\[4\]/);
  assert.throws(() => program('kr', 'kprobe', ($) => { $.kernel(0n, 'nothing', btf); }, { arch: 'x86_64' }), /no struct or union 'nothing'/);
  assert.ok(run((t) => t.field('pid').valueAs(s32)).r0 === 100n);
});

test.run();
