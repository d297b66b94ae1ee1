// Symbol tables without a kernel: kallsyms text (property test against a linear-scan oracle),
// ELF function symbols against `nm` (binutils) on system binaries, perf maps, /proc/PID/maps.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { ElfError } from '../../src/elf/elf-sections.js';
import { ElfSymbolTable, formatSymbol, KernelSymbols, parseProcessMaps, PerfMap } from '../../src/symbols/index.js';

const test = suite('symbol tables');

const hex16 = (a: bigint): string => a.toString(16).padStart(16, '0');

test('kallsyms: lookup equals a linear scan for random tables and addresses', () => {
  const entry = fc.record({ address: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).filter((a) => a !== 0n), name: fc.stringMatching(/^[a-z_][a-z0-9_.]{0,12}$/), module: fc.option(fc.constantFrom('bpf', 'xfs', 'veth'), { nil: undefined }) });
  fc.assert(
    fc.property(fc.array(entry, { minLength: 1, maxLength: 60 }), fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { maxLength: 20 }), (entries, probes) => {
      const text = entries.map((e) => `${hex16(e.address)} t ${e.name}${e.module !== undefined ? `\t[${e.module}]` : ''}`).join('\n') + '\n';
      const table = new KernelSymbols(text);
      assert.is(table.size, entries.length);
      for (const p of [...probes, ...entries.map((e) => e.address), ...entries.map((e) => e.address + 7n).filter((a) => a < 1n << 64n)]) {
        // Oracle: the first listed entry with the greatest address <= p.
        let best: (typeof entries)[number] | undefined;
        for (const e of entries) if (e.address <= p && (best === undefined || e.address > best.address)) best = e;
        const got = table.lookup(p);
        if (best === undefined) assert.is(got, undefined);
        else {
          assert.ok(got !== undefined);
          assert.is(got.name, best.name);
          assert.is(got.offset, p - best.address);
          assert.is(got.module, best.module);
        }
      }
      for (const e of entries) assert.is(table.address(e.name), entries.filter((x) => x.name === e.name).sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))[0].address);
    }),
  );
});

test('kallsyms: zero addresses (hidden) are left out; formatting', () => {
  const t = new KernelSymbols('0000000000000000 A fixed_percpu_data\nffffffff81000000 T _stext\nffffffffc0026c00 t bpf_dispatcher_xdp\t[bpf]\n');
  assert.is(t.size, 2);
  assert.is(formatSymbol(t.lookup(0xffffffffc0026c10n), 0xffffffffc0026c10n), 'bpf_dispatcher_xdp+0x10 [bpf]');
  assert.is(formatSymbol(t.lookup(0x10n), 0x10n), '0x10');
  assert.equal(t.at(0), { name: '_stext', address: 0xffffffff81000000n, type: 'T' });
  assert.throws(() => t.at(2), (e: unknown) => e instanceof RangeError);
});

/** Function symbols (FUNC, IFUNC) that `readelf -sW` lists in both tables of `path`: address → names. */
function readelfFunctions(path: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const text = execFileSync('readelf', ['-sW', path], { encoding: 'utf8', maxBuffer: 1 << 28 });
  for (const line of text.split('\n')) {
    const m = /^\s*\d+: ([0-9a-f]+)\s+\d+ (FUNC|IFUNC)\s+\S+\s+\S+\s+(\S+) (\S+)/.exec(line);
    if (m === null || m[3] === 'UND') continue;
    const a = parseInt(m[1], 16);
    if (a === 0) continue;
    const name = m[4].replace(/@.*$/, '');
    out.set(a, [...(out.get(a) ?? []), name]);
  }
  return out;
}

for (const path of ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libstdc++.so.6', '/usr/lib/x86_64-linux-gnu/libz.so.1']) {
  test(`ELF function symbols of ${path} agree with readelf -s`, () => {
    if (!existsSync(path)) {
      console.log(`skip: ${path} is missing on this machine`);
      return;
    }
    const table = ElfSymbolTable.read(path);
    const oracle = readelfFunctions(path);
    assert.ok(oracle.size > 10, `readelf listed ${oracle.size} functions`);
    assert.is(table.size, oracle.size);
    for (const [address, names] of oracle) {
      const got = table.lookup(address);
      assert.ok(got !== undefined, `0x${address.toString(16)} (${names.join(', ')}) not found`);
      assert.is(got.offset, 0n);
      assert.ok(names.includes(got.name.replace(/@.*$/, '')), `0x${address.toString(16)}: ${got.name} not among ${names.join(', ')}`);
    }
  });
}

test('ELF: text segments map file offsets to virtual addresses; non-ELF input is an ElfError', () => {
  const table = ElfSymbolTable.read('/usr/bin/nm');
  const text = execFileSync('readelf', ['-lW', '/usr/bin/nm'], { encoding: 'utf8' });
  const loads = [...text.matchAll(/^\s+LOAD\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x[0-9a-f]+ 0x([0-9a-f]+)/gm)].map((m) => ({ offset: parseInt(m[1], 16), vaddr: parseInt(m[2], 16), fileSize: parseInt(m[3], 16) }));
  assert.equal(table.segments.map((s) => ({ offset: s.offset, vaddr: s.vaddr, fileSize: s.fileSize })), loads);
  for (const s of loads) assert.is(table.vaddrOfFileOffset(s.offset + 1), s.vaddr + 1);
  assert.throws(() => ElfSymbolTable.read('/proc/self/status'), (e: unknown) => e instanceof ElfError && /not an ELF/.test(e.message));
  assert.throws(() => ElfSymbolTable.read('/nonexistent'), (e: unknown) => e instanceof ElfError && /cannot read \(ENOENT\)/.test(e.message));
});

test('perf map: range lookups, later lines win, malformed lines skipped', () => {
  const m = new PerfMap('1000 10 first\n2000 8 LazyCompile:~f /tmp/a.js:1\nnonsense\n1000 20 second\n', '/tmp/perf-1.map');
  assert.is(m.size, 2);
  assert.equal(m.lookup(0x1015), { name: 'second', offset: 0x15n, module: '/tmp/perf-1.map' });
  assert.is(m.lookup(0x1020), undefined);
  assert.equal(m.lookup(0x2007)?.name, 'LazyCompile:~f /tmp/a.js:1');
  assert.is(m.lookup(0xfff), undefined);
});

test('/proc/self/maps parses: the node binary is mapped executable', () => {
  const maps = parseProcessMaps(readFileSync('/proc/self/maps', 'utf8'));
  assert.ok(maps.some((m) => m.perms[2] === 'x' && m.path === process.execPath), 'node is mapped executable');
  assert.ok(maps.some((m) => m.inode === 0 && m.path === ''), 'anonymous mappings have an empty path');
  for (let i = 1; i < maps.length; i++) assert.ok(maps[i].start >= maps[i - 1].end, 'sorted, disjoint');
});

test.run();
