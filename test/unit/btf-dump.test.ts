/**
 * C dump: golden output for a graph of every kind, tricky declarators and layouts, and the
 * compiler as oracle: the dump must compile (`gcc -fsyntax-only`, and clang when installed)
 * and reproduce every recorded size and member offset (`_Static_assert` on sizeof/offsetof),
 * for small graphs and for this kernel's whole vmlinux BTF.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { BtfError, decodeBtf, dumpC, encodeBtf, IntEncoding, VOID, type Btf, type Composite, type Int, type Struct, type Type, type Typedef } from '../../asm/src/btf/index.js';
import { allKinds } from '../../fixtures/btf/all-kinds.js';

function has(cmd: string): boolean {
  return spawnSync(cmd, ['--version']).status === 0;
}
const compilers = ['gcc', 'clang-14', 'clang'].filter(has);

const maybe = (reason: string | null, name: string, fn: () => void): void => {
  if (reason === null) test(name, fn);
  else {
    console.log(`skip: ${name}: ${reason}`);
    test.skip(name, fn);
  }
};

/** Runs `cc -fsyntax-only` on `source`; returns the diagnostics, throws on failure. */
function compile(cc: string, source: string, werror = true): string {
  // clang checks for the BPF target, the one vmlinux.h is for (it knows preserve_access_index).
  const target = cc.startsWith('clang') ? ['-target', 'bpf'] : [];
  const r = spawnSync(cc, [...target, '-fsyntax-only', '-Wall', ...(werror ? ['-Werror'] : []), '-x', 'c', '-'], { input: source, maxBuffer: 1 << 28 });
  const out = r.stderr.toString();
  if (r.status !== 0) throw new Error(`${cc} failed:\n${out.split('\n').slice(0, 20).join('\n')}`);
  return out;
}

/** `_Static_assert`s on the size and member offsets of every named struct/union with a unique name. */
function layoutAsserts(types: Iterable<Type>): string {
  const list = [...types];
  const all = list.filter((t): t is Composite => (t.kind === 'struct' || t.kind === 'union') && t.name !== '');
  // Tags share one namespace: a struct and an enum of the same name get renamed too.
  const count = new Map<string, number>();
  for (const t of list) if (t.kind === 'struct' || t.kind === 'union' || t.kind === 'enum' || t.kind === 'enum64') count.set(t.name, (count.get(t.name) ?? 0) + 1);
  const lines: string[] = [];
  for (const t of all) {
    if (count.get(t.name) !== 1 || holdsVaList(t, new Set())) continue;
    lines.push(`_Static_assert(sizeof(${t.kind} ${t.name}) == ${t.size}, "sizeof ${t.name}");`);
    for (const m of t.members) {
      if (m.name !== '' && m.bitfieldSize === 0) lines.push(`_Static_assert(__builtin_offsetof(${t.kind} ${t.name}, ${m.name}) == ${m.bitOffset / 8}, "${t.name}.${m.name}");`);
    }
  }
  return lines.join('\n');
}

/**
 * Whether `t` holds a `__builtin_va_list` by value: its size is the target's (24 bytes on
 * x86_64, 8 on BPF), so layouts holding one are only checked by the compiler they came from.
 */
function holdsVaList(t: Type, seen: Set<Type>): boolean {
  if (seen.has(t)) return false;
  seen.add(t);
  switch (t.kind) {
    case 'typedef': return t.name === '__builtin_va_list' || holdsVaList(t.target, seen);
    case 'const': case 'volatile': case 'restrict': case 'type_tag': return holdsVaList(t.target, seen);
    case 'array': return holdsVaList(t.element, seen);
    case 'struct': case 'union': return t.members.some((m) => holdsVaList(m.type, seen));
    default: return false;
  }
}

const GOLDEN = `typedef unsigned int u32;

union value {
	int i;
	double d;
};

enum color {
	RED = -1,
	GREEN = 2,
};

struct node {
	struct node *next;
	unsigned int flags: 3;
	unsigned int mode: 5;
	char tag[4];
	const u32 count;
	union value val;
	enum color hue;
	_Bool ready;
	char *restrict buf;
};

enum big {
	BIG_ONE = 1ULL,
	BIG_MAX = 18364758544493064720ULL,
};

struct opaque;

union opaque_u;

typedef void (*log_fn)(int, ...);
`;

test('golden dump of a graph of every kind (funcs, vars, datasecs and tags print nothing)', () => {
  assert.fixture(dumpC(allKinds().types, { typeTags: false }), GOLDEN);
  const btf = decodeBtf(encodeBtf(allKinds().types).bytes);
  assert.fixture(dumpC(btf, { typeTags: false }), GOLDEN);
  assert.fixture(dumpC(btf), GOLDEN.replace('char *restrict buf;', 'char __attribute__((btf_type_tag("user"))) *restrict buf;'));
});

test('options.types dumps only those types and what they need', () => {
  const g = allKinds();
  const c = dumpC([], { types: [g.node], typeTags: false });
  assert.is(c, GOLDEN.slice(0, GOLDEN.indexOf('enum big') - 1));
});

test('vmlinuxHeader wraps the dump like bpftool', () => {
  const h = dumpC(allKinds().types, { vmlinuxHeader: true });
  assert.ok(h.startsWith('#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n'));
  assert.match(h, '#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)');
  assert.ok(h.endsWith('#endif /* __VMLINUX_H__ */\n'));
});

const int: Int = { kind: 'int', name: 'int', size: 4, encoding: IntEncoding.SIGNED, bitOffset: 0, bits: 32 };
const char: Int = { kind: 'int', name: 'char', size: 1, encoding: IntEncoding.SIGNED, bitOffset: 0, bits: 8 };
const long: Int = { kind: 'int', name: 'long int', size: 8, encoding: IntEncoding.SIGNED, bitOffset: 0, bits: 64 };
const m = (name: string, type: Type, bitOffset: number, bitfieldSize = 0) => ({ name, type, bitOffset, bitfieldSize });

/** Declarations that need care: each row is a graph and lines its dump must contain. */
function tricky(): [string, Type[], string[]][] {
  // typedef struct tx tx_t; struct tx { tx_t *next; }  (jbd2's transaction_t)
  const tx: Struct = { kind: 'struct', name: 'tx', size: 8, members: [] };
  const txT: Typedef = { kind: 'typedef', name: 'tx_t', target: tx };
  tx.members.push(m('next', { kind: 'ptr', target: txT }, 0));
  // Two different structs named dup.
  const dup1: Struct = { kind: 'struct', name: 'dup', size: 4, members: [m('a', int, 0)] };
  const dup2: Struct = { kind: 'struct', name: 'dup', size: 8, members: [m('b', long, 0)] };
  const holder: Struct = { kind: 'struct', name: 'holder', size: 16, members: [m('x', dup1, 0), m('y', dup2, 64)] };
  // Pointer to array, array of function pointers, function returning a pointer to an array.
  const arr3: Type = { kind: 'array', element: int, index: int, length: 3 };
  const fnRetArr: Type = { kind: 'func_proto', returns: { kind: 'ptr', target: arr3 }, params: [m('', char, 0)].map((p) => ({ name: p.name, type: { kind: 'ptr', target: { kind: 'const', target: p.type } } as Type })) };
  const decl: Struct = { kind: 'struct', name: 'decl', size: 64, members: [
    m('pa', { kind: 'ptr', target: arr3 }, 0),
    m('fa', { kind: 'array', element: { kind: 'ptr', target: { kind: 'func_proto', returns: int, params: [] } }, index: int, length: 2 }, 64),
    m('fr', { kind: 'ptr', target: fnRetArr }, 192),
    m('cp', { kind: 'const', target: { kind: 'ptr', target: char } }, 256),
    m('vv', { kind: 'volatile', target: { kind: 'array', element: { kind: 'volatile', target: int }, index: int, length: 2 } }, 320),
    m('', { kind: 'union', name: '', size: 8, members: [m('u1', long, 0), m('u2', { kind: 'struct', name: '', size: 8, members: [m('lo', int, 0), m('hi', int, 32)] }, 0)] }, 384),
    m('e', { kind: 'enum', name: '', size: 4, signed: false, values: [{ name: 'E_ONE', value: 1 }, { name: 'E_BIG', value: 0xffffffff }] }, 448),
  ] };
  // Packed, padded (an over-aligned member), and bitfields that need explicit gaps.
  const packed: Struct = { kind: 'struct', name: 'packed', size: 5, members: [m('c', char, 0), m('i', int, 8)] };
  const packedGap: Struct = { kind: 'struct', name: 'packed_gap', size: 6, members: [m('c', char, 0), m('i', int, 16)] };
  const padded: Struct = { kind: 'struct', name: 'padded', size: 128, members: [m('c', char, 0), m('l', long, 512)] };
  const bits: Struct = { kind: 'struct', name: 'bits', size: 8, members: [m('a', int, 0, 3), m('b', int, 20, 4), m('c', char, 40)] };
  const anonEnum: Type = { kind: 'enum', name: '', size: 4, signed: false, values: [{ name: 'STANDALONE', value: 7 }] };
  const small: Type = { kind: 'enum', name: 'small', size: 1, signed: false, values: [{ name: 'S1', value: 1 }] };
  const vaList: Typedef = { kind: 'typedef', name: '__builtin_va_list', target: { kind: 'ptr', target: char } };
  const useVa: Struct = { kind: 'struct', name: 'use_va', size: 8, members: [m('ap', { kind: 'ptr', target: vaList }, 0)] };
  const selfFn: Typedef = { kind: 'typedef', name: 'cb_t', target: VOID };
  const cbHolder: Struct = { kind: 'struct', name: 'cb_holder', size: 8, members: [] };
  selfFn.target = { kind: 'ptr', target: { kind: 'func_proto', returns: VOID, params: [{ name: '', type: { kind: 'ptr', target: cbHolder } }] } };
  cbHolder.members.push(m('cb', selfFn, 0));
  return [
    ['a struct holding a pointer to its own typedef', [tx, txT], ['struct tx;', 'typedef struct tx tx_t;', '\ttx_t *next;']],
    ['two structs of the same name', [holder, dup1, dup2], ['struct dup {', 'struct dup___2 {', '\tstruct dup___2 y;']],
    ['pointer, array and function declarators', [decl], ['\tint (*pa)[3];', '\tint (*fa[2])(void);', '\tint (*(*fr)(const char *))[3];', '\tchar *const cp;', '\tvolatile int vv[2];', '\t\tlong int u1;', '\t\t\tint hi;', '\t\tE_BIG = 4294967295,']],
    ['packed, padded and bitfield layouts', [packed, padded, bits, packedGap], ['} __attribute__((packed));', '\tlong: 64;', '\tint b: 4;', '\tint a: 3;', '\tchar c;\n\tshort: 8;\n\tint i;']],
    ['an anonymous enum nothing refers to, and a 1-byte enum', [anonEnum, small], ['enum {\n\tSTANDALONE = 7,\n};', '} __attribute__((mode(QI)));']],
    ['__builtin_va_list is not redefined', [useVa], ['\t__builtin_va_list *ap;']],
    ['a callback typedef taking its holder', [cbHolder], ['struct cb_holder;', 'typedef void (*cb_t)(struct cb_holder *);']],
  ];
}

for (const [name, types, want] of tricky()) {
  test(`dump: ${name}`, () => {
    const c = dumpC(types);
    for (const w of want) assert.ok(c.includes(w), `missing ${JSON.stringify(w)} in:\n${c}`);
    assert.not.ok(c.includes('__builtin_va_list;'));
  });
}

maybe(compilers.length === 0 ? 'no C compiler (gcc/clang) installed' : null, 'dumps of small graphs compile and keep every size and offset', () => {
  const graphs: Type[][] = [allKinds().types, ...tricky().map((r) => r[1])];
  for (const cc of compilers) {
    for (const g of graphs) {
      const c = dumpC(g, { typeTags: cc.startsWith('clang') });
      compile(cc, `${c}\n${layoutAsserts(g)}\n`);
    }
  }
});

/**
 * Random struct layouts as a C compiler would make them (natural alignment, over-aligned gaps,
 * bitfields that stay inside their unit, or packed): the dump must reproduce every offset.
 */
const layoutArb = fc.array(fc.record({
  packed: fc.boolean(),
  members: fc.array(fc.record({ type: fc.constantFrom(0, 1, 2, 3, 4), gapBytes: fc.constantFrom(0, 0, 0, 1, 3, 8, 24, 64), bits: fc.constantFrom(0, 0, 1, 3, 7, 13) }), { minLength: 1, maxLength: 8 }),
  tailBytes: fc.constantFrom(0, 0, 4, 64),
}), { minLength: 1, maxLength: 30 });

function buildLayouts(specs: { packed: boolean; members: { type: number; gapBytes: number; bits: number }[]; tailBytes: number }[]): Struct[] {
  const short: Int = { kind: 'int', name: 'short int', size: 2, encoding: IntEncoding.SIGNED, bitOffset: 0, bits: 16 };
  const types: Type[] = [char, short, int, long, { kind: 'array', element: short, index: int, length: 3 }];
  const sizes = [1, 2, 4, 8, 6];
  const aligns = [1, 2, 4, 8, 2];
  return specs.map((spec, si) => {
    const s: Struct = { kind: 'struct', name: `l${si}`, size: 0, members: [] };
    let cur = 0;
    let maxAlign = 1;
    spec.members.forEach((mem, mi) => {
      const size = sizes[mem.type] * 8;
      const align = spec.packed ? 8 : aligns[mem.type] * 8;
      maxAlign = Math.max(maxAlign, align);
      const isBits = mem.bits > 0 && mem.type < 4 && mem.bits <= size;
      if (isBits) {
        let off = cur + (mem.gapBytes > 0 ? 8 : 0);
        // Outside packed structs a bitfield may not straddle its unit.
        if (!spec.packed && Math.floor(off / size) !== Math.floor((off + mem.bits - 1) / size)) off = Math.ceil(off / size) * size;
        s.members.push(m(`f${mi}`, types[mem.type], off, mem.bits));
        cur = off + mem.bits;
      } else {
        const off = Math.ceil((cur + mem.gapBytes * 8) / align) * align;
        s.members.push(m(`f${mi}`, types[mem.type], off));
        cur = off + size;
      }
    });
    const a = spec.packed ? 8 : maxAlign;
    s.size = Math.ceil((cur + spec.tailBytes * 8) / a) * a / 8;
    return s;
  });
}

maybe(compilers.length === 0 ? 'no C compiler (gcc/clang) installed' : null, 'random struct layouts dump to C that reproduces every size and offset', () => {
  fc.assert(
    fc.property(layoutArb, (specs) => {
      const structs = buildLayouts(specs);
      compile(compilers[0], `${dumpC(structs)}\n${layoutAsserts(structs)}\n`);
    }),
    { numRuns: 15 },
  );
});

test('a loop through anonymous types is a BtfError, not a stack overflow', () => {
  const p: Type = { kind: 'ptr', target: VOID };
  const c: Type = { kind: 'const', target: p };
  (p as { target: Type }).target = c;
  const s: Struct = { kind: 'struct', name: 's', size: 8, members: [m('x', c, 0)] };
  assert.throws(() => dumpC([s]), (e: unknown) => e instanceof BtfError);
});

const VMLINUX = '/sys/kernel/btf/vmlinux';
const vmlinuxReason = !existsSync(VMLINUX) ? `${VMLINUX} does not exist` : compilers.length === 0 ? 'no C compiler (gcc/clang) installed' : null;
let vmlinux: Btf | undefined;
maybe(vmlinuxReason, `this kernel's vmlinux dump compiles with ${compilers.join(', ') || 'a C compiler'} and keeps every layout`, () => {
  vmlinux ??= decodeBtf(readFileSync(VMLINUX));
  const asserts = layoutAsserts(vmlinux.types());
  assert.ok(asserts.split('\n').length > 10000);
  for (const cc of compilers) {
    const c = dumpC(vmlinux, { vmlinuxHeader: true, typeTags: cc.startsWith('clang') });
    const diagnostics = compile(cc, `${c}\n${asserts}\n`, false);
    // gcc warns about the clang-only pragma; nothing else may be reported.
    const other = diagnostics.split('\n').filter((l) => /: (warning|error):/.test(l) && !/#pragma clang attribute/.test(l));
    assert.equal(other, [], `${cc}:\n${other.slice(0, 10).join('\n')}`);
  }
});

test.run();
