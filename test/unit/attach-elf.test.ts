// The ELF symbol reader against `nm -D` (binutils) on this machine's libc, when both exist.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { findElfSymbols } from '../../src/attach/index.js';

const test = suite('elf symbols');

const libc = ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/aarch64-linux-gnu/libc.so.6', '/lib64/libc.so.6'].find((p) => existsSync(p));
const nm = spawnSync('nm', ['--version']).status === 0;

if (libc === undefined || !nm) {
  console.log(`skip: elf symbols vs nm: ${libc === undefined ? 'no glibc found' : 'nm is not installed'}`);
} else {
  test('defined dynamic symbols have the addresses nm -D prints', () => {
    const out = spawnSync('nm', ['-D', '--defined-only', libc], { encoding: 'utf8' }).stdout;
    const elf = readFileSync(libc);
    const rows = out.split('\n').filter((l) => / [TW] /.test(l)).slice(0, 400);
    assert.ok(rows.length > 100);
    for (const row of rows) {
      const [addr, , full] = row.split(' ');
      const name = full.split('@')[0];
      const found = findElfSymbols(elf, name, libc);
      assert.ok(found.some((s) => s.address === BigInt(`0x${addr}`)), `${name}: nm says 0x${addr}, found ${found.map((s) => s.address.toString(16)).join(',')}`);
    }
  });
}

test('non-ELF and 32-bit input is rejected', () => {
  assert.throws(() => findElfSymbols(new Uint8Array(100), 'x'), /not an ELF file/);
  const e32 = new Uint8Array(100);
  e32.set([0x7f, 0x45, 0x4c, 0x46, 1, 1]);
  assert.throws(() => findElfSymbols(e32, 'x'), /64-bit little-endian/);
});

test.run();
