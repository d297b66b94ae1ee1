// The one ELF symbol-entry iterator (src/elf/elf-symbol-entries.ts) that the uprobe symbol finder
// and the symboliser's table share, row by row against `readelf -W -s` (binutils) on binaries of
// this machine; and the two readers agree with each other on every function of libc.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readElfSections } from '../../src/elf/elf-sections.js';
import { elfSymbolNameEnd, forEachElfSymbolEntry, SHT_DYNSYM, SHT_SYMTAB, STT_FUNC } from '../../src/elf/elf-symbol-entries.js';
import { findElfSymbols } from '../../src/attach/index.js';
import { ElfSymbolTable } from '../../src/symbols/index.js';

const test = suite('elf symbol entries');

const libc = ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/aarch64-linux-gnu/libc.so.6', '/lib64/libc.so.6'].find((p) => existsSync(p));
const binaries = [libc, '/usr/bin/readelf', '/usr/bin/ls'].filter((p): p is string => p !== undefined && existsSync(p));
const readelf = spawnSync('readelf', ['--version']).status === 0;
const TYPES: Record<string, number> = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4, COMMON: 5, TLS: 6, IFUNC: 10 };
const NDX: Record<string, number> = { UND: 0, ABS: 0xfff1, COM: 0xfff2 };

/** readelf's rows per table: `value size type ndx name` with the version suffix dropped. */
function readelfRows(file: string): Map<string, string[]> {
  const out = spawnSync('readelf', ['-W', '-s', file], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout;
  const tables = new Map<string, string[]>();
  let rows: string[] = [];
  for (const line of out.split('\n')) {
    const head = /^Symbol table '([^']+)'/.exec(line);
    if (head !== null) tables.set(head[1], (rows = []));
    const m = /^\s*\d+: ([0-9a-f]+)\s+(\d+|0x[0-9a-f]+)\s+(\w+)\s+\w+\s+\w+\s+(?:\[[^\]]*\]\s+)?(\w+)\s?(.*)$/.exec(line);
    if (m === null) continue;
    const ndx = NDX[m[4]] ?? Number(m[4]);
    rows.push(`${BigInt(`0x${m[1]}`)} ${BigInt(m[2])} ${TYPES[m[3]] ?? m[3]} ${ndx} ${m[5].replace(/@.*$/, '').replace(/ \(\d+\)$/, '')}`);
  }
  return tables;
}

if (!readelf || binaries.length === 0) {
  console.log(`skip: elf symbol entries vs readelf: ${readelf ? 'no binaries found' : 'readelf is not installed'}`);
} else {
  test('every row of .symtab and .dynsym, .symtab first, as readelf -W -s prints it', () => {
    const latin1 = new TextDecoder('latin1');
    for (const file of binaries) {
      const elf = readFileSync(file);
      const sections = readElfSections(elf, file);
      const ours = new Map<number, string[]>([[SHT_SYMTAB, []], [SHT_DYNSYM, []]]);
      const order: number[] = [];
      forEachElfSymbolEntry(elf, sections, (e) => {
        if (order.at(-1) !== e.table) order.push(e.table);
        ours.get(e.table)!.push(`${e.value} ${e.size} ${e.type} ${e.shndx} ${latin1.decode(elf.subarray(e.nameStart, elfSymbolNameEnd(elf, e)))}`);
      });
      const theirs = readelfRows(file);
      assert.ok((theirs.get('.dynsym')?.length ?? 0) > 0, `${file}: readelf lists a .dynsym`);
      assert.equal(ours.get(SHT_DYNSYM), theirs.get('.dynsym'), `${file} .dynsym`);
      assert.equal(ours.get(SHT_SYMTAB), theirs.get('.symtab') ?? [], `${file} .symtab`);
      assert.equal(order, ours.get(SHT_SYMTAB)!.length > 0 ? [SHT_SYMTAB, SHT_DYNSYM] : [SHT_DYNSYM]);
    }
  });
}

if (libc !== undefined) {
  test('the uprobe finder and the symboliser agree on every defined function of libc', () => {
    const elf = readFileSync(libc);
    const table = new ElfSymbolTable(elf, libc);
    const names = new Set<string>();
    forEachElfSymbolEntry(elf, readElfSections(elf, libc), (e) => {
      if (e.type === STT_FUNC && e.shndx !== 0 && e.shndx < 0xff00 && e.value !== 0n) names.add(new TextDecoder().decode(elf.subarray(e.nameStart, elfSymbolNameEnd(elf, e))));
    });
    assert.ok(names.size > 1000, `${names.size} functions`);
    let checked = 0;
    for (const name of names) {
      if (checked++ % 7 !== 0) continue;
      for (const s of findElfSymbols(elf, name, libc)) {
        const hit = table.lookup(Number(s.address));
        assert.ok(hit !== undefined && hit.offset === 0n, `${name} at 0x${s.address.toString(16)}: the table says ${JSON.stringify(hit, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
      }
    }
  });
}

test('early stop: visit returning false ends the walk', () => {
  if (libc === undefined) return;
  const elf = readFileSync(libc);
  let n = 0;
  forEachElfSymbolEntry(elf, readElfSections(elf, libc), () => ++n < 5);
  assert.is(n, 5);
});

test.run();
