// Struct layout against a C compiler: random struct/union declarations (fast-check) are written
// as C, compiled, and the compiler's sizeof/_Alignof/offsetof must equal ours. Bitfields are
// checked with a memory pattern: a union of the struct and its bytes, initialised with one
// bitfield all ones, must hold the bytes our encoder writes for that value. The oracle is
// `clang-14 -target bpf` (the object's symbols are read from the ELF file, since a BPF object
// cannot run here), and gcc for x86_64 (same rules for these types) where present. Skipped, with
// the reason printed, only when neither compiler exists.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dumpC } from '../../asm/src/btf/index.js';
import {
  array, bits, bool, char, cDeclarations, INT_TYPES, pad, ptr, struct, union,
  type CompositeType, type FieldSpec, type IntName, type SomeType,
} from '../../src/types/index.js';

// ---- random declarations, as plain data (names are given when the types are built) ----

type Decl =
  | { k: 'int'; name: IntName } | { k: 'bool' } | { k: 'char'; n: number } | { k: 'ptr' }
  | { k: 'array'; el: Decl; n: number }
  | { k: 'struct' | 'union'; packed: boolean; fields: FieldDecl[] };
type FieldDecl = { k: 'type'; t: Decl } | { k: 'bits'; base: IntName | 'bool'; w: number } | { k: 'pad'; n: number };

const intNames = Object.keys(INT_TYPES) as IntName[];
const widthOf = (base: IntName | 'bool'): number => (base === 'bool' ? 1 : INT_TYPES[base].bits);

const arbBits: fc.Arbitrary<FieldDecl> = fc.constantFrom<IntName | 'bool'>(...intNames, 'bool').chain((base) =>
  fc.integer({ min: 1, max: widthOf(base) }).map((w): FieldDecl => ({ k: 'bits', base, w })));

const { decl } = fc.letrec<{ decl: Decl; leaf: Decl; composite: Decl; field: FieldDecl }>((tie) => ({
  leaf: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...intNames).map((name): Decl => ({ k: 'int', name })) },
    { weight: 1, arbitrary: fc.constant<Decl>({ k: 'bool' }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 12 }).map((n): Decl => ({ k: 'char', n })) },
    { weight: 1, arbitrary: fc.constant<Decl>({ k: 'ptr' }) },
  ),
  decl: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 6, arbitrary: tie('leaf') },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('array' as const), el: tie('decl'), n: fc.integer({ min: 0, max: 4 }) }) },
    { weight: 2, arbitrary: tie('composite') },
  ),
  composite: fc.record({
    k: fc.constantFrom('struct' as const, 'struct' as const, 'union' as const),
    packed: fc.boolean(),
    fields: fc.array(tie('field'), { minLength: 1, maxLength: 7 }),
  }),
  field: fc.oneof(
    { weight: 5, arbitrary: tie('decl').map((t): FieldDecl => ({ k: 'type', t })) },
    { weight: 3, arbitrary: arbBits },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }).map((n): FieldDecl => ({ k: 'pad', n })) },
  ),
}));

const topLevel: fc.Arbitrary<Decl> = fc.record({
  k: fc.constantFrom('struct' as const, 'struct' as const, 'struct' as const, 'union' as const),
  packed: fc.boolean(),
  fields: fc.array(fc.oneof(
    { weight: 4, arbitrary: decl.map((t): FieldDecl => ({ k: 'type', t })) },
    { weight: 3, arbitrary: arbBits },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }).map((n): FieldDecl => ({ k: 'pad', n })) },
  ), { minLength: 1, maxLength: 10 }),
});

/** Builds types from declarations, naming structs `t<i>_<j>` and fields `f<j>`. */
function build(d: Decl, prefix: string, counter: { n: number }): SomeType {
  switch (d.k) {
    case 'int': return INT_TYPES[d.name];
    case 'bool': return bool;
    case 'char': return char(d.n);
    case 'ptr': return ptr();
    case 'array': return array(build(d.el, prefix, counter), d.n);
    case 'struct': case 'union': {
      const name = `${prefix}_${counter.n++}`;
      const fields: Record<string, FieldSpec> = {};
      d.fields.forEach((f, i) => {
        fields[`f${i}`] = f.k === 'type' ? build(f.t, prefix, counter)
          : f.k === 'pad' ? pad(f.n)
          : bits(f.base === 'bool' ? bool : INT_TYPES[f.base], f.w);
      });
      return (d.k === 'struct' ? struct : union)(name, fields, { packed: d.packed });
    }
  }
}

/** Every struct/union reachable from `t` (itself included). */
function composites(t: SomeType, out: Set<CompositeType>): Set<CompositeType> {
  if (t.kind === 'struct' || t.kind === 'union') {
    const c = t as CompositeType;
    if (!out.has(c)) {
      out.add(c);
      for (const f of c.fields) composites(f.type, out);
    }
  } else if (t.kind === 'array') {
    composites((t as unknown as { element: SomeType }).element, out);
  }
  return out;
}

/** A value of `t` with every byte zero. */
function zero(t: SomeType): unknown {
  switch (t.kind) {
    case 'int': return (t as unknown as { bits: number }).bits === 64 ? 0n : 0;
    case 'bool': return false;
    case 'chars': return '';
    case 'ptr': return 0n;
    case 'array': {
      const a = t as unknown as { element: SomeType; length: number };
      return Array.from({ length: a.length }, () => zero(a.element));
    }
    case 'union': return {};
    default: {
      const o: Record<string, unknown> = {};
      for (const f of (t as CompositeType).fields) {
        if (f.kind === 'value') o[f.name] = zero(f.type);
        else if (f.kind === 'bits') o[f.name] = f.type.kind === 'bool' ? false : f.bitSize > 32 ? 0n : 0;
      }
      return o;
    }
  }
}

// ---- compilers ----

const PRELUDE = `typedef unsigned char __u8; typedef unsigned short __u16; typedef unsigned int __u32;
typedef unsigned long long __u64; typedef signed char __s8; typedef short __s16; typedef int __s32; typedef long long __s64;
`;

interface Oracle {
  readonly name: string;
  /** Compiles `source` and returns the bytes of each named global. */
  symbols(source: string, names: readonly string[]): Map<string, Uint8Array>;
}

function runTool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr.slice(0, 3000)}`);
  return r.stdout;
}

function withDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-struct-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bytes of each defined symbol of a relocatable ELF64 little-endian object. */
function elfSymbols(elf: Uint8Array): Map<string, Uint8Array> {
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  const sections = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize;
    return { type: dv.getUint32(o + 4, true), offset: Number(dv.getBigUint64(o + 0x18, true)), size: Number(dv.getBigUint64(o + 0x20, true)), link: dv.getUint32(o + 0x28, true) };
  });
  const out = new Map<string, Uint8Array>();
  const symtab = sections.find((s) => s.type === 2);
  if (symtab === undefined) return out;
  const strtab = sections[symtab.link];
  const decoder = new TextDecoder();
  for (let o = symtab.offset; o < symtab.offset + symtab.size; o += 24) {
    const nameOff = dv.getUint32(o, true);
    const shndx = dv.getUint16(o + 6, true);
    const value = Number(dv.getBigUint64(o + 8, true));
    const size = Number(dv.getBigUint64(o + 16, true));
    if (shndx === 0 || shndx >= 0xff00 || size === 0) continue;
    const sec = sections[shndx];
    if (sec.type !== 1 && sec.type !== 8) continue; // PROGBITS has the data; NOBITS (.bss) is all zeros
    const nameStart = strtab.offset + nameOff;
    const name = decoder.decode(elf.subarray(nameStart, elf.indexOf(0, nameStart)));
    out.set(name, sec.type === 8 ? new Uint8Array(size) : elf.slice(sec.offset + value, sec.offset + value + size));
  }
  return out;
}

function clangBpf(): Oracle | string {
  const r = spawnSync('clang-14', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'clang-14 not found (apt-get install -y clang-14)';
  return {
    name: 'clang-14 -target bpf',
    symbols: (source) => withDir((dir) => {
      writeFileSync(path.join(dir, 'l.c'), source);
      runTool('clang-14', ['-target', 'bpf', '-O0', '-w', '-c', path.join(dir, 'l.c'), '-o', path.join(dir, 'l.o')]);
      return elfSymbols(new Uint8Array(readFileSync(path.join(dir, 'l.o'))));
    }),
  };
}

function gccHost(): Oracle | string {
  if (process.arch !== 'x64') return `gcc oracle needs an x86_64 host (this is ${process.arch})`;
  const r = spawnSync('gcc', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'gcc not found';
  return {
    name: 'gcc (x86_64)',
    symbols: (source, names) => withDir((dir) => {
      const main = `#include <stdio.h>\nstatic void dump(const char *n, const void *p, unsigned long s) { const unsigned char *b = p; printf("%s ", n); for (unsigned long i = 0; i < s; i++) printf("%02x", b[i]); printf("\\n"); }\nint main(void) {\n${names.map((n) => `dump("${n}", &${n}, sizeof ${n});`).join('\n')}\nreturn 0; }\n`;
      writeFileSync(path.join(dir, 'l.c'), source + main);
      runTool('gcc', ['-w', '-O0', path.join(dir, 'l.c'), '-o', path.join(dir, 'l')]);
      const out = new Map<string, Uint8Array>();
      for (const line of runTool(path.join(dir, 'l'), []).trim().split('\n')) {
        const [n, hex = ''] = line.split(' ');
        out.set(n, Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16)));
      }
      return out;
    }),
  };
}

// ---- the check ----

interface Probe {
  /** Global name. */
  readonly sym: string;
  /** What our side says the bytes are. */
  readonly expected: Uint8Array;
  /** For messages. */
  readonly what: string;
}

/** The C source and our expected bytes for the given top-level types. */
function program(types: readonly SomeType[], declarations = cDeclarations(...types), withAlign = true): { source: string; probes: Probe[] } {
  const all = new Set<CompositeType>();
  for (const t of types) composites(t, all);
  const probes: Probe[] = [];
  const lines: string[] = [PRELUDE, declarations];
  let n = 0;
  for (const c of all) {
    // sizeof, _Alignof, and offsetof each non-bitfield member, as u64 little-endian.
    const items = [`sizeof(${c.cName})`, ...(withAlign ? [`_Alignof(${c.cName})`] : [])];
    const ours = [c.size, ...(withAlign ? [c.align] : [])];
    for (const f of c.fields) {
      if (f.kind === 'bits') continue;
      items.push(`__builtin_offsetof(${c.cName}, ${f.name})`);
      ours.push(f.offset);
    }
    const sym = `L${n++}`;
    lines.push(`unsigned long long ${sym}[] = { ${items.join(', ')} };`);
    const bytes = new Uint8Array(8 * ours.length);
    ours.forEach((v, i) => new DataView(bytes.buffer).setBigUint64(8 * i, BigInt(v), true));
    probes.push({ sym, expected: bytes, what: `${c.cName}: [sizeof, _Alignof, offsetof…] = ${ours.join(', ')}` });
    // Each bitfield all ones, through a union with the bytes.
    for (const f of c.fields) {
      if (f.kind !== 'bits') continue;
      const psym = `P${n++}`;
      const isBool = f.type.kind === 'bool';
      const signed = f.type.kind === 'int' && (f.type as unknown as { signed: boolean }).signed;
      lines.push(`union { ${c.cName} s; unsigned char b[sizeof(${c.cName})]; } ${psym} = { .s = { .${f.name} = ${isBool ? 1 : -1} } };`);
      const value = zero(c) as Record<string, unknown>;
      value[f.name] = isBool ? true : signed ? (f.bitSize > 32 ? -1n : -1) : f.bitSize > 32 ? (1n << BigInt(f.bitSize)) - 1n : 2 ** f.bitSize - 1;
      probes.push({ sym: psym, expected: (c as SomeType).encode(value), what: `${c.cName}.${f.name} : ${f.bitSize} all ones (bit offset ${f.bitOffset})` });
    }
  }
  return { source: lines.join('\n') + '\n', probes };
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function check(oracle: Oracle, types: readonly SomeType[], declarations?: string): void {
  // BTF has no alignment: a packed struct whose members happen to sit aligned reads back as
  // not packed, so alignment is compared only for our own C.
  const { source, probes } = program(types, declarations, declarations === undefined);
  const got = oracle.symbols(source, probes.map((p) => p.sym));
  const bad: string[] = [];
  for (const p of probes) {
    const g = got.get(p.sym);
    if (g === undefined) bad.push(`${p.sym} missing from the ${oracle.name} output`);
    else if (hex(g) !== hex(p.expected)) bad.push(`${p.what}\n    ours:     ${hex(p.expected)}\n    ${oracle.name}: ${hex(g)}`);
  }
  if (bad.length > 0) assert.unreachable(`${bad.length} mismatches with ${oracle.name}:\n${bad.slice(0, 10).join('\n')}\n--- source ---\n${source.slice(0, 6000)}`);
}

/** Hand-written cases whose layout is known from the C standard's and the ABI's examples. */
function fixedCases(): SomeType[] {
  const { u8, u16, u32, u64, s8, s32 } = INT_TYPES;
  return [
    struct('event', { pid: INT_TYPES.u32, uid: u32, ts: u64, comm: char(16), fname: char(256) }),
    struct('bf1', { a: bits(u32, 3), b: bits(u32, 30), c: u8, d: bits(u64, 40), e: bits(u64, 40), f: bits(s8, 1) }),
    struct('bf2', { a: u8, b: bits(u16, 9), c: bits(u16, 9), d: bits(bool, 1), e: bits(u64, 64) }, { packed: true }),
    struct('mixed', { a: u8, u: union('un', { x: u64, y: array(u16, 3), z: bits(u32, 17) }), b: s32, p: ptr(), q: pad(3), r: bool }),
    struct('nest', { a: u8, inner: struct('inner', { x: u8, y: u64 }, { packed: true }), b: u16 }),
  ];
}

const SEED = Number(process.env.STRUCT_ORACLE_SEED ?? Date.now() % 2 ** 31);
const RUNS = 300;

for (const found of [clangBpf(), gccHost()]) {
  const oracle = typeof found === 'string' ? undefined : found;
  const label = oracle?.name ?? (found as string);
  if (oracle === undefined) console.log(`struct-layout-oracle: skipped: ${label}`);
  const t = oracle === undefined ? test.skip : test;

  t(`layout of hand-written structs equals ${label}`, () => {
    check(oracle!, fixedCases());
  });

  t(`layout of ${RUNS} random structs/unions equals ${label} (seed ${SEED})`, () => {
    const decls = fc.sample(topLevel, { numRuns: RUNS, seed: SEED });
    const types = decls.map((d, i) => build(d, `t${i}`, { n: 0 }));
    check(oracle!, types);
  });

  // Our BTF, printed as C by asm/src/btf's dumpC, must give the compiler the same layout:
  // member bit offsets, bitfield sizes and sizes in the BTF are right (alignment is not in BTF).
  t(`BTF of ${RUNS / 2} random structs, dumped as C, lays out the same with ${label} (seed ${SEED + 1})`, () => {
    const decls = fc.sample(topLevel, { numRuns: RUNS / 2, seed: SEED + 1 });
    const types = [...fixedCases(), ...decls.map((d, i) => build(d, `b${i}`, { n: 0 }))];
    check(oracle!, types, dumpC(types.map((x) => x.btf())));
  });
}

test.run();
