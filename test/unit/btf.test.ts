/**
 * BTF model, encoder and decoder: round trips (decode(encode(graph)) ≅ graph and
 * encode(decode(blob)) = blob), the byte layout of records, lookups, layout helpers, ext info,
 * split BTF, and typed errors (never a crash) for corrupt or truncated blobs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  BtfError, BtfEncodeError, decodeBtf, decodeFuncInfo, decodeLineInfo, dumpC, encodeBtf, encodeFuncInfo,
  encodeLineInfo, findMember, isPacked, KIND_NAMES, lineCol, memberOffset, alignOfType, sizeOfType, skipQualifiers, VOID,
  type Btf, type KindName, type Type,
} from '../../asm/src/btf/index.js';
import { allKinds } from '../../fixtures/btf/all-kinds.js';

/** Scalar fields of a type (everything but references), for comparing graphs. */
function scalars(t: Type): unknown {
  switch (t.kind) {
    case 'void': return [];
    case 'int': return [t.name, t.size, t.encoding, t.bitOffset, t.bits];
    case 'ptr': case 'volatile': case 'const': case 'restrict': return [];
    case 'typedef': return [t.name];
    case 'type_tag': return [t.value, t.attribute];
    case 'decl_tag': return [t.value, t.attribute, t.componentIndex];
    case 'array': return [t.length];
    case 'struct': case 'union': return [t.name, t.size, t.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize])];
    case 'enum': return [t.name, t.size, t.signed, t.values.map((v) => [v.name, v.value])];
    case 'enum64': return [t.name, t.size, t.signed, t.values.map((v) => [v.name, String(v.value)])];
    case 'fwd': return [t.name, t.fwdKind];
    case 'func': return [t.name, t.linkage];
    case 'func_proto': return [t.params.map((p) => p.name)];
    case 'var': return [t.name, t.linkage];
    case 'datasec': return [t.name, t.size, t.vars.map((v) => [v.offset, v.size])];
    case 'float': return [t.name, t.size];
  }
}

function refs(t: Type): Type[] {
  switch (t.kind) {
    case 'ptr': case 'volatile': case 'const': case 'restrict': case 'typedef': case 'type_tag': case 'decl_tag': return [t.target];
    case 'array': return [t.element, t.index];
    case 'struct': case 'union': return t.members.map((m) => m.type);
    case 'func': return [t.proto];
    case 'func_proto': return [t.returns, ...t.params.map((p) => p.type)];
    case 'var': return [t.type];
    case 'datasec': return t.vars.map((v) => v.type);
    default: return [];
  }
}

/** Whether two graphs are isomorphic from the given roots (same shape, same scalars). */
function assertEquivalent(a: readonly Type[], b: readonly Type[]): void {
  assert.is(b.length, a.length, 'root count');
  const map = new Map<Type, Type>();
  const work: [Type, Type][] = a.map((t, i) => [t, b[i]]);
  while (work.length > 0) {
    const [x, y] = work.pop()!;
    const seen = map.get(x);
    if (seen !== undefined) {
      assert.ok(seen === y, `${x.kind} maps to two different types`);
      continue;
    }
    map.set(x, y);
    assert.is(y.kind, x.kind);
    assert.equal(scalars(y), scalars(x), `scalars of ${x.kind}`);
    const rx = refs(x);
    const ry = refs(y);
    assert.is(ry.length, rx.length);
    for (let i = 0; i < rx.length; i++) work.push([rx[i], ry[i]]);
  }
}

// ---- arbitrary graphs --------------------------------------------------------------------

const NAMES = ['', 'a', 'foo', 'bar_t', 'ñame', 'task_struct', 'x'];
const kindArb = fc.constantFrom(...KIND_NAMES.slice(1));
const nodeArb = fc.record({
  kind: kindArb,
  name: fc.constantFrom(...NAMES),
  size: fc.nat(0xffffffff),
  flag: fc.boolean(),
  small: fc.integer({ min: -1, max: 2 }),
  refs: fc.array(fc.nat(), { minLength: 2, maxLength: 5 }),
  bitfields: fc.array(fc.record({ size: fc.nat(255), off: fc.nat(0xffffff) }), { maxLength: 5 }),
  ints: fc.array(fc.integer({ min: -0x80000000, max: 0x7fffffff }), { maxLength: 5 }),
  bigs: fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { maxLength: 4 }),
});

/** Random graphs: any kind may refer to any node (cycles included) or to void. */
const graphArb = fc.array(nodeArb, { minLength: 1, maxLength: 25 }).map((nodes) => {
  const ts: Type[] = [];
  const at = (i: number): Type => (i % (nodes.length + 1) === nodes.length ? VOID : ts[i % (nodes.length + 1)]);
  for (const n of nodes) {
    const name = n.name;
    switch (n.kind) {
      case 'int': ts.push({ kind: 'int', name, size: n.size, encoding: n.refs[0] % 16, bitOffset: n.refs[1] % 256, bits: n.refs[0] % 129 }); break;
      case 'ptr': case 'volatile': case 'const': case 'restrict': ts.push({ kind: n.kind, target: VOID } as Type); break;
      case 'typedef': ts.push({ kind: 'typedef', name, target: VOID }); break;
      case 'type_tag': ts.push({ kind: 'type_tag', value: name, target: VOID, attribute: n.flag }); break;
      case 'decl_tag': ts.push({ kind: 'decl_tag', value: name, target: VOID, componentIndex: n.small, attribute: n.flag }); break;
      case 'array': ts.push({ kind: 'array', element: VOID, index: VOID, length: n.size }); break;
      case 'struct': case 'union':
        ts.push({ kind: n.kind, name, size: n.size, members: n.bitfields.map((b, i) => ({
          name: NAMES[(i + n.refs[0]) % NAMES.length], type: VOID, bitOffset: n.flag ? b.off : b.off * 3, bitfieldSize: n.flag ? b.size : 0,
        })) });
        break;
      case 'enum': ts.push({ kind: 'enum', name, size: n.size, signed: n.flag, values: n.ints.map((v, i) => ({ name: NAMES[i % NAMES.length], value: n.flag ? v : v >>> 0 })) }); break;
      case 'enum64': ts.push({ kind: 'enum64', name, size: n.size, signed: n.flag, values: n.bigs.map((v, i) => ({ name: NAMES[i % NAMES.length], value: n.flag ? BigInt.asIntN(64, v) : v })) }); break;
      case 'fwd': ts.push({ kind: 'fwd', name, fwdKind: n.flag ? 'union' : 'struct' }); break;
      case 'func': ts.push({ kind: 'func', name, proto: VOID as never, linkage: (n.refs[0] % 3) as 0 }); break;
      case 'func_proto': ts.push({ kind: 'func_proto', returns: VOID, params: n.refs.slice(1).map((_, i) => ({ name: NAMES[i % NAMES.length], type: VOID })) }); break;
      case 'var': ts.push({ kind: 'var', name, type: VOID, linkage: (n.refs[0] % 3) as 0 }); break;
      case 'datasec': ts.push({ kind: 'datasec', name, size: n.size, vars: n.ints.map((v) => ({ type: VOID, offset: v >>> 0, size: (v >>> 0) % 100 })) }); break;
      case 'float': ts.push({ kind: 'float', name, size: n.size }); break;
    }
  }
  // Tie references now that every node exists.
  ts.forEach((t, i) => {
    const r = nodes[i].refs;
    switch (t.kind) {
      case 'ptr': case 'volatile': case 'const': case 'restrict': case 'typedef': case 'type_tag': case 'decl_tag': t.target = at(r[0]); break;
      case 'array': t.element = at(r[0]); t.index = at(r[1]); break;
      case 'struct': case 'union': t.members.forEach((m, j) => { m.type = at(r[j % r.length] + j); }); break;
      case 'func': t.proto = at(r[0]) as never; break;
      case 'func_proto': t.returns = at(r[0]); t.params.forEach((p, j) => { p.type = at(r[j + 1]); }); break;
      case 'var': t.type = at(r[0]); break;
      case 'datasec': t.vars.forEach((v, j) => { v.type = at(r[j % r.length]); }); break;
      default: break;
    }
  });
  return ts;
});

// ---- round trips -------------------------------------------------------------------------

test('decode(encode(graph)) is an equivalent graph, and encode(decode(blob)) = blob', () => {
  fc.assert(
    fc.property(graphArb, fc.constantFrom<'little' | 'big'>('little', 'big'), (graph, byteOrder) => {
      const enc = encodeBtf(graph, { byteOrder });
      const btf = decodeBtf(enc.bytes);
      assert.is(btf.header.byteOrder, byteOrder);
      assert.is(btf.typeCount, enc.types.length);
      assertEquivalent(enc.types, Array.from({ length: btf.typeCount }, (_, id) => btf.typeById(id)));
      assertEquivalent(graph, graph.map((t) => btf.typeById(enc.typeId(t))));
      assert.equal(encodeBtf(btf.types(), { byteOrder }).bytes, enc.bytes);
    }),
    { numRuns: 500 },
  );
});

test('the all-kinds graph round-trips; ids are in the order given, void is 0', () => {
  const g = allKinds();
  const enc = encodeBtf(g.types);
  assert.is(enc.typeId(g.types[0]), 1);
  assert.is(enc.typeId(VOID), 0);
  assert.is(enc.types.length, g.types.length + 2); // + void + the log_fn pointer reached from a typedef
  const btf = decodeBtf(enc.bytes);
  assertEquivalent(g.types, g.types.map((t) => btf.typeById(enc.typeId(t))));
  assert.equal(encodeBtf(btf.types()).bytes, enc.bytes);
  assert.throws(() => enc.typeId({ kind: 'float', name: 'x', size: 4 }), /not in this BTF/);
});

test('record layout: header, an int, a bitfield struct (kind_flag), the string table', () => {
  const int: Type = { kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 };
  const s: Type = { kind: 'struct', name: 's', size: 4, members: [{ name: 'a', type: int, bitOffset: 3, bitfieldSize: 5 }] };
  const hex = Buffer.from(encodeBtf([int, s]).bytes).toString('hex');
  assert.is(hex, [
    '9feb0100', '18000000', '00000000', '28000000', '28000000', '09000000', // header: types 40 bytes, strings 9
    '01000000', '00000001', '04000000', '20000001', // [1] INT 'int' size 4, SIGNED bits 32
    '05000000', '01000084', '04000000', // [2] STRUCT 's' vlen 1 kind_flag
    '07000000', '01000000', '03000005', // member 'a' type 1, bitfield 5 at bit 3
    '00', '696e7400', '7300', '6100', // '', 'int', 's', 'a'
  ].join(''));
});

test('strings are deduplicated and extra strings are added for line_info', () => {
  const a: Type = { kind: 'float', name: 'same', size: 4 };
  const b: Type = { kind: 'typedef', name: 'same', target: a };
  const enc = encodeBtf([b], { strings: ['prog.ts', 'same'] });
  const btf = decodeBtf(enc.bytes);
  assert.is(btf.header.strLen, 1 + 5 + 8);
  assert.is(enc.stringOffset('same'), 1);
  assert.is(btf.string(enc.stringOffset('prog.ts')), 'prog.ts');
  assert.throws(() => enc.stringOffset('nope'), /not in this BTF/);
});

test('encoding rejects what the format cannot hold, naming the type', () => {
  const bad: [Type, RegExp][] = [
    [{ kind: 'struct', name: 'a\0b', size: 0, members: [] }, /struct a\0b: name .* holds a NUL/],
    [{ kind: 'enum', name: 'e', size: 4, signed: false, values: [{ name: 'X', value: 2 ** 33 }] }, /enum e: value 8589934592 of X does not fit in 32 bits/],
    [{ kind: 'struct', name: 's', size: 4, members: [{ name: 'x', type: VOID, bitOffset: 0, bitfieldSize: 256 }] }, /struct s: member x: bitfield size 256/],
    [{ kind: 'float', name: 'f', size: -1 }, /float f: size -1 does not fit in u32/],
    [{ kind: 'func_proto', returns: VOID, params: Array.from({ length: 70000 }, () => ({ name: '', type: VOID })) }, /70000 entries do not fit in vlen/],
  ];
  for (const [t, re] of bad) {
    try {
      encodeBtf([t]);
      assert.unreachable('encoded');
    } catch (e) {
      assert.instance(e, BtfEncodeError);
      assert.match((e as Error).message, re);
    }
  }
});

// ---- lookups and laziness ---------------------------------------------------------------

test('lookups by name and kind; nameOf/kindOf do not build types', () => {
  const g = allKinds();
  const btf = decodeBtf(encodeBtf(g.types).bytes);
  assert.is(btf.materialized, 0);
  assert.is(btf.kindOf(7), 'struct');
  assert.is(btf.nameOf(7), 'node');
  assert.is(btf.materialized, 0);
  const node = btf.get('struct', 'node');
  assert.is(btf.materialized, 1, 'a struct lookup builds the struct only');
  assert.is(node.members[0].name, 'next');
  assert.is(btf.materialized, 1);
  const next = node.members[0].type;
  assert.is(next.kind, 'ptr');
  assert.ok(next.kind === 'ptr' && next.target === node, 'the cycle closes on the same object');
  assert.is(btf.idOf(node), 7);
  assert.is(btf.find('union', 'node'), undefined);
  assert.throws(() => btf.get('struct', 'nope'), /no struct named 'nope'/);
  assert.equal(btf.byName('node').map((t) => t.kind), ['struct', 'decl_tag'].slice(0, 1));
  assert.equal(btf.idsByName('hot'), [btf.idsByName('hot')[0]]);
  // Past the first few scans the lookup switches to a hash table; results stay the same.
  for (let i = 0; i < 40; i++) assert.is(btf.find('typedef', 'u32')?.name, 'u32');
  assert.is(btf.find('typedef', 'u32'), btf.find('typedef', 'u32'));
});

test('non-ASCII names decode as UTF-8 and can be looked up', () => {
  const t: Type = { kind: 'float', name: 'größe', size: 4 };
  const btf = decodeBtf(encodeBtf([t]).bytes);
  assert.is(btf.typeById(1).kind === 'float' && (btf.typeById(1) as { name: string }).name, 'größe');
  for (let i = 0; i < 40; i++) assert.is(btf.find('float', 'größe')?.size, 4);
});

test('split BTF: ids and string offsets continue after the base', () => {
  const g = allKinds();
  const base = decodeBtf(encodeBtf(g.types).bytes);
  const node = base.get('struct', 'node');
  const wrapper: Type = { kind: 'struct', name: 'wrapper', size: 48, members: [{ name: 'inner', type: node, bitOffset: 0, bitfieldSize: 0 }] };
  const ptr: Type = { kind: 'ptr', target: wrapper };
  const enc = encodeBtf([wrapper, ptr], { base });
  assert.is(enc.typeId(wrapper), base.typeCount);
  assert.is(enc.typeId(node), base.idOf(node));
  const split = decodeBtf(enc.bytes, { base });
  assert.is(split.firstId, base.typeCount);
  const w = split.get('struct', 'wrapper');
  assert.ok(w.members[0].type === node, 'a member refers to the base object');
  assert.is(split.get('struct', 'node'), node);
  assert.is(split.idOf(w), base.typeCount);
  assert.is(split.idOf(node), base.idOf(node));
  assert.equal(encodeBtf(split.types(), { base }).bytes, enc.bytes);
  for (let i = 0; i < 40; i++) assert.equal(split.idsByName('node'), base.idsByName('node'));
});

// ---- layout ------------------------------------------------------------------------------

test('sizes, alignments, qualifiers and member offsets', () => {
  const g = allKinds();
  const btf = decodeBtf(encodeBtf(g.types).bytes);
  const node = btf.get('struct', 'node');
  assert.is(sizeOfType(node), 48);
  assert.is(alignOfType(node), 8);
  assert.not.ok(isPacked(node));
  const count = findMember(node, 'count')!;
  assert.is(count.bitOffset, 128);
  assert.is(sizeOfType(count.member.type), 4);
  assert.is(skipQualifiers(count.member.type).kind, 'int');
  assert.is(findMember(node, 'flags')!.member.bitfieldSize, 3);
  assert.is(sizeOfType(btf.get('typedef', 'u32')), 4);
  assert.is(sizeOfType(findMember(node, 'tag')!.member.type), 4);
  assert.equal(memberOffset(node, ['next', 'val']).bitOffset, 192);
  assert.throws(() => memberOffset(node, ['next', 'nope']), /struct node has no member 'nope' \(path next.nope\)/);
  assert.throws(() => sizeOfType(VOID), (e: unknown) => e instanceof BtfError && /void has no size/.test((e as Error).message));
  const packed: Type = { kind: 'struct', name: 'p', size: 5, members: [
    { name: 'c', type: btf.get('int', 'char'), bitOffset: 0, bitfieldSize: 0 },
    { name: 'i', type: btf.get('int', 'int'), bitOffset: 8, bitfieldSize: 0 },
  ] };
  assert.ok(packed.kind === 'struct' && isPacked(packed));
  assert.is(alignOfType(packed), 1);
  // Anonymous members are looked through.
  const anon: Type = { kind: 'struct', name: 'o', size: 8, members: [{ name: '', type: { kind: 'union', name: '', size: 4, members: [{ name: 'deep', type: btf.get('int', 'int'), bitOffset: 0, bitfieldSize: 0 }] }, bitOffset: 32, bitfieldSize: 0 }] };
  assert.is(findMember(anon, 'deep')!.bitOffset, 32);
  const loop: Type = { kind: 'typedef', name: 'loop', target: VOID };
  loop.target = loop;
  assert.throws(() => skipQualifiers(loop), (e: unknown) => e instanceof BtfError);
});

// ---- ext info ----------------------------------------------------------------------------

test('func_info and line_info records', () => {
  const fi = encodeFuncInfo([{ insnOff: 0, typeId: 5 }, { insnOff: 10, typeId: 7 }]);
  assert.is(Buffer.from(fi).toString('hex'), '00000000050000000a00000007000000');
  assert.equal(decodeFuncInfo(fi), [{ insnOff: 0, typeId: 5 }, { insnOff: 10, typeId: 7 }]);
  const lc = lineCol(12, 5);
  assert.is(lc, (12 << 10) | 5);
  const li = encodeLineInfo([{ insnOff: 3, fileNameOff: 1, lineOff: 9, lineCol: lc }]);
  assert.is(Buffer.from(li).toString('hex'), '03000000010000000900000005300000');
  assert.equal(decodeLineInfo(li), [{ insnOff: 3, fileNameOff: 1, lineOff: 9, lineCol: lc }]);
  assert.throws(() => lineCol(1 << 22, 0), /line 4194304 does not fit in 22 bits/);
  assert.throws(() => encodeFuncInfo([{ insnOff: -1, typeId: 1 }]), /insnOff -1 does not fit in u32/);
});

// ---- corrupt input -----------------------------------------------------------------------

/** Decodes and touches everything: builds every type, follows every reference, sizes, dumps C. */
function exercise(bytes: Uint8Array): void {
  const btf: Btf = decodeBtf(bytes);
  for (let id = 0; id < btf.typeCount; id++) {
    btf.kindOf(id);
    btf.nameOf(id);
    const t = btf.typeById(id);
    for (const r of refs(t)) void r.kind;
    try {
      sizeOfType(t);
    } catch (e) {
      if (!(e instanceof BtfError)) throw e;
    }
  }
  for (const name of ['node', 'int', 'x']) btf.byName(name);
  dumpC(btf);
}

function assertTypedError(bytes: Uint8Array): void {
  try {
    exercise(bytes);
  } catch (e) {
    if (!(e instanceof BtfError)) throw e;
    assert.ok(e.offset === undefined || (e.offset >= 0 && e.offset <= bytes.length), `offset ${e.offset} outside the blob`);
  }
}

const realBlobs = [encodeBtf(allKinds().types).bytes, encodeBtf(allKinds().types, { byteOrder: 'big' }).bytes];

test('truncated blobs give a BtfError with the offset, never a crash', () => {
  for (const blob of realBlobs) {
    for (let n = 0; n < blob.length; n++) assertTypedError(blob.subarray(0, n));
  }
  try {
    decodeBtf(realBlobs[0].subarray(0, 10));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, BtfError);
    assert.is((e as BtfError).offset, 0);
    assert.match((e as Error).message, /btf offset 0: truncated header: 10 bytes, need 24/);
  }
});

test('mutated blobs give a BtfError or decode, never a crash (fuzz)', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...realBlobs),
      fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }),
      fc.nat(),
      (blob, edits, cut) => {
        const b = blob.slice();
        for (const e of edits) b[e.at % b.length] = e.value;
        assertTypedError(b);
        assertTypedError(b.subarray(0, cut % (b.length + 1)));
      },
    ),
    { numRuns: 3000 },
  );
});

test('random graphs encode, decode and dump without crashing', () => {
  fc.assert(
    fc.property(graphArb, (graph) => assertTypedError(encodeBtf(graph).bytes)),
    { numRuns: 300 },
  );
});

test('specific corruptions name the byte', () => {
  const blob = realBlobs[0];
  const cases: [(v: DataView) => void, number, RegExp][] = [
    [(v) => v.setUint16(0, 0x1234, true), 0, /bad magic 0x1234/],
    [(v) => v.setUint8(2, 2), 2, /unsupported version 2/],
    [(v) => v.setUint32(12, 0xfffffff0, true), 8, /type section/],
    [(v) => v.setUint32(24 + 4, 0x1f000000, true), 28, /unknown kind 31 \(type id 1\)/],
    [(v) => v.setUint32(24, 0xffffff, true), 24, /string offset 16777215 out of range/],
  ];
  for (const [edit, offset, re] of cases) {
    const b = blob.slice();
    edit(new DataView(b.buffer));
    try {
      exercise(b);
      assert.unreachable('decoded');
    } catch (e) {
      assert.instance(e, BtfError);
      assert.is((e as BtfError).offset, offset, (e as Error).message);
      assert.match((e as Error).message, re);
    }
  }
});

test('KIND_NAMES covers every BTF kind of Linux 6.18', () => {
  const want: KindName[] = ['int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile', 'const', 'restrict', 'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag', 'enum64'];
  assert.equal(KIND_NAMES.slice(1), want);
});

test.run();
