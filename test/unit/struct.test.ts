// Struct types: layouts of known declarations, C spellings, BTF nodes (and that they encode and
// decode through asm/src/btf), codec details (strings, bitfields, arrays, unions, pointers), and
// typed errors with their messages for bad declarations, bad values and short buffers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeBtf, dumpC, encodeBtf, type Struct as BtfStruct, type Typedef } from '../../asm/src/btf/index.js';
import {
  array, bits, bool, char, cDeclarations, DecodeRangeError, EncodeError, pad, ptr, s16, s32, s64, s8, struct,
  TypeDeclarationError, u16, u32, u64, u8, union, type SomeType,
} from '../../src/types/index.js';

const Event = struct('event', { pid: u32, uid: u32, ts: u64, comm: char(16), fname: char(256) });

test('struct event: size, alignment, offsets, fields', () => {
  assert.is(Event.size, 288);
  assert.is(Event.align, 8);
  assert.equal(['pid', 'uid', 'ts', 'comm', 'fname'].map((f) => Event.offsetOf(f as 'pid')), [0, 4, 8, 16, 32]);
  assert.equal(Event.fields.map((f) => [f.name, f.kind, f.offset, f.bitOffset, f.bitSize, f.type.cName]), [
    ['pid', 'value', 0, 0, 0, '__u32'], ['uid', 'value', 4, 32, 0, '__u32'], ['ts', 'value', 8, 64, 0, '__u64'],
    ['comm', 'value', 16, 128, 0, 'char[16]'], ['fname', 'value', 32, 256, 0, 'char[256]'],
  ]);
  assert.is(Event.field('ts').type, u64);
  assert.is(Event.cName, 'struct event');
  assert.is(Event.kind, 'struct');
  assert.is(Event.fitsRegister, false);
});

// One row: the type, sizeof, _Alignof, C name, declaration of `x`, fits a register.
const typeRows: [SomeType, number, number, string, string, boolean][] = [
  [u8, 1, 1, '__u8', '__u8 x', true],
  [s16, 2, 2, '__s16', '__s16 x', true],
  [u32, 4, 4, '__u32', '__u32 x', true],
  [s64, 8, 8, '__s64', '__s64 x', true],
  [bool, 1, 1, '_Bool', '_Bool x', true],
  [char(16), 16, 1, 'char[16]', 'char x[16]', false],
  [array(u64, 3), 24, 8, '__u64[3]', '__u64 x[3]', false],
  [array(array(u16, 3), 2), 12, 2, '__u16[2][3]', '__u16 x[2][3]', false],
  [array(char(4), 2), 8, 1, 'char[2][4]', 'char x[2][4]', false],
  [ptr(), 8, 8, 'void *', 'void *x', true],
  [ptr(Event), 8, 8, 'struct event *', 'struct event *x', true],
  [ptr(array(u32, 4)), 8, 8, '__u32 (*)[4]', '__u32 (*x)[4]', true],
  [array(ptr(u8), 2), 16, 8, '__u8 *[2]', '__u8 *x[2]', false],
  [Event, 288, 8, 'struct event', 'struct event x', false],
];

test('scalar, array, pointer and struct types: size, alignment, C spelling', () => {
  for (const [t, size, align, cName, decl, reg] of typeRows) {
    assert.equal([t.size, t.align, t.cName, t.cDecl('x'), t.fitsRegister], [size, align, cName, decl, reg], t.cName);
  }
});

test('padding, nesting, packing and trailing padding', () => {
  const Inner = struct('inner', { a: u8, b: u64 }, { packed: true });
  assert.equal([Inner.size, Inner.align, Inner.offsetOf('b')], [9, 1, 1]);
  const Outer = struct('outer', { x: u8, in: Inner, y: u16, z: pad(3), w: u32, t: u8 });
  assert.equal(Outer.fields.map((f) => f.offset), [0, 1, 10, 12, 16, 20]);
  assert.equal([Outer.size, Outer.align], [24, 4]);
  const v = { x: 1, in: { a: 2, b: 3n }, y: 4, w: 5, t: 6 };
  assert.equal(Outer.decode(Outer.encode(v)), v);
  assert.not.ok('z' in Outer.decode(Outer.encode(v)));
  assert.is(Outer.field('z').type.cName, '__u8[3]');
});

test('unions: every member at 0, size of the largest rounded to the largest alignment', () => {
  const U = union('val', { a: u8, b: array(u16, 3), c: u32 });
  assert.equal([U.size, U.align, U.offsetOf('b'), U.offsetOf('c')], [8, 4, 0, 0]);
  const bytes = U.encode({ c: 0x04030201 });
  assert.equal([...bytes], [1, 2, 3, 4, 0, 0, 0, 0]);
  assert.equal(U.decode(bytes), { a: 1, b: Uint16Array.of(0x201, 0x403, 0), c: 0x04030201 });
  assert.equal([...U.encode({})], [0, 0, 0, 0, 0, 0, 0, 0]);
  // Members given are written in declaration order: a later member wins.
  assert.equal([...U.encode({ c: 0xffffffff, a: 7 })], [255, 255, 255, 255, 0, 0, 0, 0]);
});

test('bitfields: SysV placement, values, signed and bool, wide fields as bigint', () => {
  const B = struct('flags', { a: bits(u32, 3), b: bits(u32, 30), c: bits(s8, 4), d: bits(bool, 1), e: bits(u64, 40), f: bits(s64, 33) });
  // b does not fit in the rest of a's 4-byte unit: it starts at bit 32; c would cross a byte: bit 64.
  assert.equal(B.fields.map((f) => [f.bitOffset, f.bitSize]), [[0, 3], [32, 30], [64, 4], [68, 1], [69, 40], [128, 33]]);
  assert.equal([B.size, B.align], [24, 8]);
  const v = { a: 5, b: 0x3fffffff, c: -8, d: true, e: (1n << 40n) - 1n, f: -(1n << 32n) };
  assert.equal(B.decode(B.encode(v)), v);
  const P = struct('packed_bits', { a: bits(u8, 3), b: bits(u16, 15) }, { packed: true });
  assert.equal(P.fields.map((f) => f.bitOffset), [0, 3]);
  assert.equal([P.size, P.align], [3, 1]);
  const bytes = P.encode({ a: 0, b: 0x7fff });
  assert.equal([...bytes], [0xf8, 0xff, 0x03]);
  assert.throws(() => B.offsetOf('a'), /bitfield; offsetof does not apply/);
});

test('char arrays: up to the first NUL, UTF-8, NUL-padded, exactly n bytes without a terminator', () => {
  const C = char(8);
  assert.equal([...C.encode('ab')], [97, 98, 0, 0, 0, 0, 0, 0]);
  assert.is(C.decode(Uint8Array.of(97, 98, 0, 99, 100, 0, 0, 0)), 'ab');
  assert.is(C.decode(C.encode('abcdefgh')), 'abcdefgh');
  assert.is(C.decode(C.encode('héllo')), 'héllo');
  assert.is(C.decode(C.encode('')), '');
  assert.is(char(300).decode(char(300).encode('x'.repeat(299))), 'x'.repeat(299));
  assert.is(char(300).decode(char(300).encode('é'.repeat(150))), 'é'.repeat(150));
  const target = new Uint8Array(8).fill(0xff);
  C.encode('a', target);
  assert.equal([...target], [97, 0, 0, 0, 0, 0, 0, 0]);
});

test('arrays: integer arrays are typed arrays (copies), others JS arrays', () => {
  const A = struct('arrs', { a: array(u8, 3), b: array(s32, 2), c: array(u64, 2), d: array(bool, 2), e: array(struct('pt', { x: s16, y: s16 }), 2) });
  const v = A.decode(A.encode({ a: [1, 2, 3], b: [-1, 2], c: [1n, 2n], d: [true, false], e: [{ x: 1, y: -1 }, { x: 2, y: -2 }] }));
  assert.ok(v.a instanceof Uint8Array && v.b instanceof Int32Array && v.c instanceof BigUint64Array);
  assert.equal(v, { a: Uint8Array.of(1, 2, 3), b: Int32Array.of(-1, 2), c: BigUint64Array.of(1n, 2n), d: [true, false], e: [{ x: 1, y: -1 }, { x: 2, y: -2 }] });
  const bytes = A.encode(v);
  const again = A.decode(bytes);
  again.a[0] = 99;
  assert.is(A.decode(bytes).a[0], 1, 'a decoded typed array is a copy');
});

test('pointers and bool', () => {
  const P = struct('p', { next: ptr(), ok: bool });
  assert.equal(P.decode(P.encode({ next: 0xffff888000001000n, ok: true })), { next: 0xffff888000001000n, ok: true });
  assert.is(P.decode(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0)).ok, true);
});

test('sources and targets: Uint8Array, DataView, ArrayBuffer, offsets; read/write for map codecs', () => {
  const v = { pid: 7, uid: 0, ts: 1n, comm: 'sh', fname: '/bin/sh' };
  const buf = new ArrayBuffer(Event.size * 2 + 3);
  Event.encode(v, new Uint8Array(buf, 3), Event.size);
  assert.equal(Event.decode(new Uint8Array(buf, 3), Event.size), v);
  assert.equal(Event.decode(new DataView(buf, 3 + Event.size)), v);
  assert.equal(Event.decode(buf, 3 + Event.size), v);
  assert.equal(Event.read(new DataView(buf), 3 + Event.size), v);
  const dv = new DataView(new ArrayBuffer(Event.size));
  Event.write(dv, 0, v);
  assert.equal(Event.decode(dv), v);
});

test('encode zeroes the bytes it owns (padding included) and nothing else', () => {
  const S = struct('gap', { a: u8, b: u32 });
  const target = new Uint8Array(10).fill(0xee);
  const out = S.encode({ a: 1, b: 2 }, target, 1);
  assert.equal([...target], [0xee, 1, 0, 0, 0, 2, 0, 0, 0, 0xee]);
  assert.is(out.byteOffset, 1);
  assert.is(out.length, 8);
});

// One row: the type, the value, the message of the EncodeError.
const badValues: [SomeType, unknown, string][] = [
  [u8, 256, 'encode __u8: 256 is not a u8 (an integer in [0, 255])'],
  [s8, -129, 'encode __s8: -129 is not a s8 (an integer in [-128, 127])'],
  [u16, 1.5, 'encode __u16: 1.5 is not a u16 (an integer in [0, 65535])'],
  [u32, -1, 'encode __u32: -1 is not a u32 (an integer in [0, 4294967295])'],
  [s32, '1', 'encode __s32: "1" is not a s32 (an integer in [-2147483648, 2147483647])'],
  [u32, NaN, 'encode __u32: NaN is not a u32 (an integer in [0, 4294967295])'],
  [u64, 1, 'encode __u64: 1 is not a u64 (a bigint in [0, 18446744073709551615])'],
  [s64, 1n << 63n, 'encode __s64: 9223372036854775808n is not a s64 (a bigint in [-9223372036854775808, 9223372036854775807])'],
  [bool, 1, 'encode _Bool: 1 is not a boolean'],
  [ptr(), -1n, 'encode void *: -1n is not a pointer (a bigint in [0, 2^64))'],
  [char(4), 'abcde', 'encode char[4]: "abcde" (5 bytes) does not fit char[4]'],
  [char(4), 'a\0b', 'encode char[4]: "a\\u0000b" contains a NUL character (a char[4] string ends at the first NUL)'],
  [char(4), 4, 'encode char[4]: 4 is not a string'],
  [array(u8, 2), [1], 'encode __u8[2]: an array of length 1 is not an array-like of length 2 (__u8[2])'],
  [array(u8, 2), [1, 300], 'encode __u8[2]: [1]: 300 is not a u8 (an integer in [0, 255])'],
  [Event, null, 'encode struct event: null is not an object (struct event)'],
  [Event, { pid: 1, uid: 2, ts: 3n, comm: 'x'.repeat(17), fname: '' }, 'encode struct event: .comm: "xxxxxxxxxxxxxxxxx" (17 bytes) does not fit char[16]'],
  [Event, { pid: 1, uid: 2, comm: '', fname: '' }, 'encode struct event: .ts: undefined is not a u64 (a bigint in [0, 18446744073709551615])'],
  [struct('o', { in: array(struct('i', { f: bits(u32, 3) }), 2) }), { in: [{ f: 1 }, { f: 8 }] }, 'encode struct o: .in[1].f: 8 is not a 3-bit unsigned bitfield value (an integer in [0, 7])'],
  [struct('sb', { f: bits(s16, 4) }), { f: -9 }, 'encode struct sb: .f: -9 is not a 4-bit signed bitfield value (an integer in [-8, 7])'],
];

test('bad values: EncodeError naming the type, the path and the value', () => {
  for (const [t, v, message] of badValues) {
    try {
      t.encode(v);
      assert.unreachable(`${t.cName} accepted ${String(v)}`);
    } catch (e) {
      assert.instance(e, EncodeError);
      assert.instance(e, RangeError);
      assert.is((e as Error).message, message);
      assert.is((e as EncodeError).type, t.cName);
    }
  }
  try {
    Event.encode({ pid: 1, uid: 2, ts: 3n, comm: 'toolong-toolong-x', fname: '' });
  } catch (e) {
    assert.is((e as EncodeError).path, '.comm');
    assert.is((e as EncodeError).value, 'toolong-toolong-x');
  }
});

test('short buffers and bad offsets: DecodeRangeError saying where', () => {
  const cases: [() => unknown, string][] = [
    [() => Event.decode(new Uint8Array(100), 4), 'decode struct event at offset 4: needs 288 bytes, 96 available (byteLength 100)'],
    [() => Event.decode(new Uint8Array(300), 13), 'decode struct event at offset 13: needs 288 bytes, 287 available (byteLength 300)'],
    [() => u32.decode(new Uint8Array(8), -1), 'decode __u32 at offset -1: offset is not a non-negative integer'],
    [() => u32.decode(new Uint8Array(8), 1.5), 'decode __u32 at offset 1.5: offset is not a non-negative integer'],
    [() => u64.encode(1n, new Uint8Array(4)), 'encode __u64 at offset 0: needs 8 bytes, 4 available (byteLength 4)'],
    [() => Event.read(new DataView(new ArrayBuffer(288), 8), 0), 'decode struct event at offset 0: needs 288 bytes, 280 available (byteLength 280)'],
  ];
  for (const [fn, message] of cases) {
    try {
      fn();
      assert.unreachable(message);
    } catch (e) {
      assert.instance(e, DecodeRangeError);
      assert.instance(e, RangeError);
      assert.is((e as Error).message, message);
    }
  }
  const e = (() => { try { Event.decode(new Uint8Array(100), 4); } catch (x) { return x as DecodeRangeError; } })();
  assert.equal([e?.offset, e?.size, e?.available, e?.type], [4, 288, 96, 'struct event']);
  assert.throws(() => Event.decode('x' as unknown as Uint8Array), /expected a Uint8Array, DataView or ArrayBuffer, got string/);
});

// One row: the declaration and the message of its TypeDeclarationError.
const badDecls: [() => unknown, string][] = [
  [() => struct('1x', { a: u8 }), 'struct 1x: name is not a C identifier'],
  [() => struct('s', { 'a-b': u8 }), "struct s: field 'a-b': not a C identifier (or a reserved word)"],
  [() => struct('s', { int: u8 }), "struct s: field 'int': not a C identifier (or a reserved word)"],
  [() => struct('s', { a: 3 as unknown as SomeType }), "struct s: field 'a': not a type, bits(…) or pad(…)"],
  [() => union('u', { a: {} as SomeType }), "union u: field 'a': not a type, bits(…) or pad(…)"],
  [() => bits(u32, 33), '__u32 : 33: bitfield width must be an integer in [1, 32]'],
  [() => bits(bool, 2), '_Bool : 2: bitfield width must be an integer in [1, 1]'],
  [() => bits(u8, 0), '__u8 : 0: bitfield width must be an integer in [1, 8]'],
  [() => bits(char(4) as never, 3), 'bits(?, 3): a bitfield is declared with an integer type or bool'],
  [() => char(0), 'char[0]: length must be an integer in [1, 2^31)'],
  [() => pad(-1), 'pad(-1): size must be an integer in [1, 2^31)'],
  [() => array(u32, 1.5), '__u32[1.5]: length must be an integer in [0, 2^31 / element size)'],
  [() => array(bits(u8, 1) as never, 2), 'array(?, 2): element is not a type (bits() and pad() are only fields)'],
  [() => ptr(pad(2) as never), 'ptr(?): target is not a type (bits() and pad() are only fields)'],
  [() => Event.field('nope' as 'pid'), "struct event: field 'nope': no such field"],
  [() => cDeclarations(struct('a', { x: struct('b', { y: u8 }), z: struct('b', { y: u16 }) })), 'struct b: two different types have this name'],
];

test('bad declarations: TypeDeclarationError naming the type and field', () => {
  for (const [fn, message] of badDecls) {
    try {
      fn();
      assert.unreachable(message);
    } catch (e) {
      assert.instance(e, TypeDeclarationError);
      assert.is((e as Error).message, message);
    }
  }
});

test('C definitions', () => {
  const Inner = struct('inner', { a: u8, b: u64 }, { packed: true });
  const S = struct('outer', { in: Inner, f: bits(u32, 3), p: ptr(Event), pad0: pad(2), u: union('un', { x: u32, y: array(char(2), 2) }) });
  assert.is(cDeclarations(S), [
    'struct inner {\n\t__u8 a;\n\t__u64 b;\n} __attribute__((packed));',
    'struct event {\n\t__u32 pid;\n\t__u32 uid;\n\t__u64 ts;\n\tchar comm[16];\n\tchar fname[256];\n};',
    'union un {\n\t__u32 x;\n\tchar y[2][4];\n};'.replace('[2][4]', '[2][2]'),
    'struct outer {\n\tstruct inner in;\n\t__u32 f : 3;\n\tstruct event *p;\n\t__u8 pad0[2];\n\tunion un u;\n};',
  ].join('\n\n') + '\n');
});

test('BTF: struct with members, bit offsets and bitfield sizes; typedefs for __u32 & co; one node per type', () => {
  const S = struct('btf_demo', { pid: u32, f: bits(u32, 3), g: bits(s8, 2), comm: char(4), p: ptr(Event), xs: array(u64, 2) });
  const node = S.btf() as BtfStruct;
  assert.is(S.btf(), node);
  assert.equal([node.kind, node.name, node.size], ['struct', 'btf_demo', S.size]);
  assert.equal(node.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize, m.type.kind]), [
    ['pid', 0, 0, 'typedef'], ['f', 32, 3, 'typedef'], ['g', 35, 2, 'typedef'], ['comm', 40, 0, 'array'], ['p', 128, 0, 'ptr'], ['xs', 192, 0, 'array'],
  ]);
  const pid = node.members[0].type as Typedef;
  assert.equal([pid.name, pid.target.kind, 'name' in pid.target ? pid.target.name : ''], ['__u32', 'int', 'unsigned int']);
  assert.is(node.members[1].type, u32.btf());
  // Encodes, decodes back with the same layout, and dumps as C.
  const blob = encodeBtf([node]);
  const btf = decodeBtf(blob.bytes);
  const [id] = btf.idsByName('btf_demo');
  const back = btf.typeById(id) as BtfStruct;
  assert.equal(back.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize]), node.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize]));
  assert.is(back.size, S.size);
  const c = dumpC([node]);
  assert.match(c, 'struct btf_demo {');
  assert.match(c, '__u32 f: 3;');
});

test('empty structs and zero-length arrays (GNU C): size 0', () => {
  const E = struct('empty', {});
  assert.equal([E.size, E.align, E.cDefinition()], [0, 1, 'struct empty {};']);
  assert.equal(E.decode(new Uint8Array(0)), {});
  const F = struct('flex', { len: u32, data: array(u8, 0) });
  assert.equal([F.size, F.offsetOf('data')], [4, 4]);
  assert.equal(F.decode(F.encode({ len: 3, data: [] })), { len: 3, data: new Uint8Array(0) });
});

test('codecs are compiled once per type, lazily', () => {
  const S = struct('lazy', { a: u32 });
  const b = S.encode({ a: 1 });
  assert.equal(S.decode(b), { a: 1 });
  assert.equal(S.decode(b, 0), { a: 1 });
});

test.run();
