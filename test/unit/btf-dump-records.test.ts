/**
 * The C dump's record walk (dump-c-records.ts, used for a whole little-endian blob) against the
 * type-object walk as oracle: the same blob copied to an unaligned buffer (or encoded big-endian)
 * has no word view, so dumpC walks built types. Both must print the same bytes or fail with the
 * same BtfError: for this kernel's vmlinux, for random type graphs (fast-check), for fixtures.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import {
  BtfError, decodeBtf, dumpC, encodeBtf, IntEncoding, VOID,
  type Member, type Param, type Type,
} from '../../asm/src/btf/index.js';
import { allKinds } from '../../fixtures/btf/all-kinds.js';

/** `bytes` at an odd address: the decoder then has no aligned word view. */
function unaligned(bytes: Uint8Array): Uint8Array {
  const buf = new Uint8Array(bytes.length + 1);
  buf.set(bytes, 1);
  return buf.subarray(1);
}

/** dumpC's output, or the error it threw as `Class: message`. */
function outcome(bytes: Uint8Array, typeTags: boolean): string {
  try {
    return dumpC(decodeBtf(bytes), { vmlinuxHeader: true, typeTags });
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

function sameBothWays(bytes: Uint8Array, typeTags = true): string {
  const fast = outcome(bytes, typeTags);
  const oracle = outcome(unaligned(bytes), typeTags);
  assert.is(fast, oracle);
  return fast;
}

test('the unaligned copy really takes the type-object walk', () => {
  const bytes = encodeBtf(allKinds().types).bytes;
  assert.ok(decodeBtf(bytes).recordWords() !== undefined);
  assert.is(decodeBtf(unaligned(bytes)).recordWords(), undefined);
  assert.is(decodeBtf(encodeBtf(allKinds().types, { byteOrder: 'big' }).bytes).recordWords(), undefined);
});

test('fixtures: every kind, and the compiled program BTF, dump the same both ways', () => {
  const bytes = encodeBtf(allKinds().types).bytes;
  const text = sameBothWays(bytes);
  assert.ok(text.includes('struct node {'));
  assert.is(sameBothWays(bytes, false), outcome(encodeBtf(allKinds().types, { byteOrder: 'big' }).bytes, false));
  const prog = new Uint8Array(readFileSync(new URL('../../fixtures/btf/prog.btf', import.meta.url)));
  assert.ok(sameBothWays(prog).length > 100);
});

test('declarator corner cases dump the same both ways', () => {
  const int: Type = { kind: 'int', name: 'int', size: 4, encoding: IntEncoding.SIGNED, bitOffset: 0, bits: 32 };
  const va: Type = { kind: 'func_proto', returns: VOID, params: [{ name: '', type: VOID }] };
  const mixed: Type = { kind: 'func_proto', returns: int, params: [{ name: 'a', type: int }, { name: '', type: VOID }] };
  const arr: Type = { kind: 'array', element: int, index: int, length: 3 };
  const carr: Type = { kind: 'const', target: { kind: 'array', element: { kind: 'const', target: int }, index: int, length: 2 } };
  const text = sameBothWays(encodeBtf([
    { kind: 'typedef', name: 'va_fn', target: { kind: 'ptr', target: va } },
    { kind: 'typedef', name: 'mixed_fn', target: { kind: 'ptr', target: mixed } },
    { kind: 'typedef', name: 'arr_p', target: { kind: 'ptr', target: arr } },
    { kind: 'typedef', name: 'carr', target: carr },
    { kind: 'typedef', name: 'cp', target: { kind: 'const', target: { kind: 'ptr', target: int } } },
  ]).bytes);
  for (const line of ['typedef void (*va_fn)(...);', 'typedef int (*mixed_fn)(int a, ...);', 'typedef int (*arr_p)[3];', 'typedef const int carr[2];', 'typedef int *const cp;']) {
    assert.ok(text.includes(line), `${line} in:\n${text}`);
  }
});

test('a member referring past the last type is the same BtfError both ways', () => {
  const int: Type = { kind: 'int', name: 'int', size: 4, encoding: IntEncoding.SIGNED, bitOffset: 0, bits: 32 };
  const bytes = encodeBtf([{ kind: 'struct', name: 's', size: 4, members: [{ name: 'x', type: int, bitOffset: 0, bitfieldSize: 0 }] }]).bytes.slice();
  const sid = decodeBtf(bytes).idsByName('s')[0];
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  // The member's type word: after the 12-byte record head and the member's name offset.
  const memberType = decodeBtf(bytes).recordOffset(sid) + 12 + 4;
  assert.is(view.getUint32(memberType, true), decodeBtf(bytes).idsByName('int')[0]);
  view.setUint32(memberType, 99, true);
  const r = sameBothWays(bytes);
  assert.match(r, /^BtfError: .*99/);
});

const KINDS = ['int', 'ptr', 'array', 'struct', 'union', 'enum', 'enum64', 'fwd', 'typedef', 'const', 'volatile', 'restrict', 'type_tag', 'func_proto', 'float'] as const;
/** One random node of a graph: its kind, a name from a small pool (clashes wanted), references by index. */
interface GraphNode {
  kind: (typeof KINDS)[number];
  name: string;
  refs: number[];
  size: number;
  offsets: number[];
  bits: number[];
  flag: boolean;
}
const nodeArb: fc.Arbitrary<GraphNode> = fc.record({
  kind: fc.constantFrom(...KINDS),
  name: fc.constantFrom('', '', 'a', 'b', 'c'),
  refs: fc.array(fc.oneof(fc.constant(0), fc.nat(40)), { minLength: 1, maxLength: 5 }),
  size: fc.constantFrom(1, 2, 4, 8, 3, 16),
  offsets: fc.array(fc.nat(200), { minLength: 5, maxLength: 5 }),
  bits: fc.array(fc.constantFrom(0, 0, 1, 5), { minLength: 5, maxLength: 5 }),
  flag: fc.boolean(),
});

/** A random graph (loops, clashing names, odd layouts allowed), as Type objects. */
function buildGraph(nodes: GraphNode[]): Type[] {
  const types: Type[] = nodes.map((n): Type => {
    switch (n.kind) {
      case 'int': return { kind: 'int', name: n.name === '' ? 'int' : n.name, size: n.size <= 8 ? n.size : 4, encoding: n.flag ? IntEncoding.SIGNED : 0, bitOffset: 0, bits: (n.size <= 8 ? n.size : 4) * 8 };
      case 'float': return { kind: 'float', name: n.name === '' ? 'double' : n.name, size: 8 };
      case 'ptr': case 'const': case 'volatile': case 'restrict': return { kind: n.kind, target: VOID };
      case 'typedef': return { kind: 'typedef', name: n.name === '' ? 't' : n.name, target: VOID };
      case 'type_tag': return { kind: 'type_tag', value: n.name === '' ? 'user' : n.name, target: VOID, attribute: false };
      case 'array': return { kind: 'array', element: VOID, index: VOID, length: n.size };
      case 'struct': case 'union': return { kind: n.kind, name: n.name, size: n.size, members: [] };
      case 'enum': return { kind: 'enum', name: n.name, size: n.size <= 8 ? n.size : 4, signed: n.flag, values: n.refs.map((r, i) => ({ name: `E${i}`, value: n.flag ? -r : r })) };
      case 'enum64': return { kind: 'enum64', name: n.name, size: 8, signed: n.flag, values: n.refs.map((r, i) => ({ name: `F${i}`, value: n.flag ? -BigInt(r) << 40n : BigInt(r) << 40n })) };
      case 'fwd': return { kind: 'fwd', name: n.name === '' ? 'f' : n.name, fwdKind: n.flag ? 'union' : 'struct' };
      case 'func_proto': return { kind: 'func_proto', returns: VOID, params: [] };
      default: throw new Error(`unexpected kind ${String(n.kind)}`);
    }
  });
  const at = (r: number): Type => (r === 0 ? VOID : types[(r - 1) % types.length]);
  nodes.forEach((n, i) => {
    const t = types[i] as unknown as Record<string, unknown>;
    switch (n.kind) {
      case 'ptr': case 'const': case 'volatile': case 'restrict': case 'typedef': case 'type_tag':
        t.target = at(n.refs[0]);
        break;
      case 'array':
        t.element = at(n.refs[0]);
        t.index = types.find((x) => x.kind === 'int') ?? at(n.refs[0]);
        break;
      case 'struct': case 'union':
        t.members = n.refs.map((r, j): Member => ({ name: j % 2 === 0 ? `m${j}` : '', type: at(r), bitOffset: n.offsets[j], bitfieldSize: n.bits[j] }));
        break;
      case 'func_proto':
        t.returns = at(n.refs[0]);
        // Unnamed void last: `...`; unnamed others too when flagged.
        t.params = n.refs.slice(1).map((r, j): Param => ({ name: n.flag || r === 0 ? '' : `p${j}`, type: at(r) }));
        break;
      default:
        break;
    }
  });
  return types;
}

test('random type graphs dump the same both ways (fast-check)', () => {
  let printed = 0;
  fc.assert(
    fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 25 }), fc.boolean(), (nodes, typeTags) => {
      let bytes: Uint8Array;
      try {
        bytes = encodeBtf(buildGraph(nodes)).bytes;
      } catch (e) {
        // A graph the encoder refuses is not a dump case.
        if (e instanceof BtfError || e instanceof RangeError) return;
        throw e;
      }
      if (!sameBothWays(bytes, typeTags).startsWith('BtfError')) printed++;
    }),
    { numRuns: 300 },
  );
  // Most graphs must print (not only fail the same way).
  assert.ok(printed > 100, `only ${printed} graphs printed`);
});

const VMLINUX = '/sys/kernel/btf/vmlinux';
if (existsSync(VMLINUX)) {
  test("this kernel's vmlinux dumps the same both ways, with and without type tags", () => {
    const bytes = new Uint8Array(readFileSync(VMLINUX));
    const text = sameBothWays(bytes);
    assert.ok(text.includes('struct task_struct {'));
    sameBothWays(bytes, false);
  });
} else {
  console.log(`skip: vmlinux dump both ways: ${VMLINUX} does not exist`);
}

test.run();
