// `tsbpf build MODULE -o FILE.o`, in-process through the CLI dispatcher: the programs a module
// exports become one BPF object (read back with the project's ELF and BTF readers and compared
// with writeObject on the same programs), and bad input exits 2 with one line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeBtf } from 'ebpf-bytecode-utils';
import { commands } from '../../src/cli/commands/index.js';
import { dispatch } from '../../src/cli/dispatch.js';
import { elfSectionBytes, readElfSections } from '../../src/elf/elf-sections.js';
import { writeObject, type ObjectProgram } from '../../src/dsl/index.js';
import { memoryIo } from '../support/cli-io.js';

const dsl = pathToFileURL(path.resolve('src/dsl/index.ts')).href;

const MODULE = `
import { program, u32, u64 } from '${dsl}';
const count = program('count', 'xdp', ($) => {
  const counts = $.hash('counts', u32, u64, { maxEntries: 8 });
  $.ifSome(counts.lookup(1), (n) => n.atomicAdd(1n));
  return 2;
});
const enter = program('on_enter', 'raw_tracepoint', () => 0);
export default () => [count, { program: enter, target: 'sys_enter' }];
export const other = program('other', 'socket_filter', () => 0);
export const notAProgram = 42;
`;

function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-build-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('tsbpf build: the default export (a function returning programs and entries) as one object', async () => {
  await withDir(async (dir) => {
    const mod = path.join(dir, 'progs.mts');
    writeFileSync(mod, MODULE);
    const out = path.join(dir, 'p.o');
    const io = memoryIo();
    assert.is(await dispatch(commands, ['build', mod, '-o', out], io), 0, io.err);
    assert.is(io.err, '');
    const elf = new Uint8Array(readFileSync(out));
    assert.equal(readElfSections(elf).map((s) => s.name).filter((n) => !n.startsWith('.rel') && n !== ''), ['.strtab', 'xdp', 'raw_tracepoint/sys_enter', '.maps', 'license', '.BTF', '.BTF.ext', '.symtab']);
    const btf = decodeBtf(elfSectionBytes(elf, '.BTF')!);
    assert.ok(btf.find('func', 'count') !== undefined && btf.find('func', 'on_enter') !== undefined && btf.find('var', 'counts') !== undefined);
    assert.is(btf.find('func', 'other'), undefined, 'named exports are not taken when the default export has programs');
    // The same bytes as writeObject on the module's own programs.
    const imported = (await import(pathToFileURL(mod).href)) as { default: () => ObjectProgram[] };
    assert.equal(elf, writeObject(imported.default()));
    // --export picks one export.
    const io2 = memoryIo();
    assert.is(await dispatch(commands, ['build', '--export', 'other', mod, '-o', out], io2), 0, io2.err);
    const only = decodeBtf(elfSectionBytes(new Uint8Array(readFileSync(out)), '.BTF')!);
    assert.ok(only.find('func', 'other') !== undefined && only.find('func', 'count') === undefined);
  });
});

test('tsbpf build: bad input exits 2 with one line', async () => {
  await withDir(async (dir) => {
    const mod = path.join(dir, 'progs.mts');
    writeFileSync(mod, MODULE);
    const none = path.join(dir, 'none.mts');
    writeFileSync(none, 'export const x = 1;\n');
    const clash = path.join(dir, 'clash.mts');
    writeFileSync(clash, `import { program } from '${dsl}';\nexport default [program('same', 'xdp', () => 0), program('same', 'socket_filter', () => 0)];\n`);
    const cases: Array<[string[], RegExp]> = [
      [['build'], /^tsbpf build: missing MODULE\n$/],
      [['build', path.join(dir, 'missing.mts')], /^tsbpf build: cannot read '.*missing\.mts': no such file\n$/],
      [['build', none], /^tsbpf build: '.*none\.mts' exports no eDSL programs\n$/],
      [['build', '--export', 'nope', mod], /^tsbpf build: '.*progs\.mts' has no export 'nope'\n$/],
      [['build', '--export', 'notAProgram', mod], /^tsbpf build: '.*progs\.mts' exports no eDSL programs in 'notAProgram'\n$/],
      [['build', clash], /^tsbpf build: object: two programs are named 'same'\n$/],
      [['build', '--bogus', mod], /^tsbpf build: unknown option '--bogus'\n$/],
    ];
    for (const [args, message] of cases) {
      const io = memoryIo();
      assert.is(await dispatch(commands, args, io), 2, args.join(' '));
      assert.match(io.err, message);
      assert.is(io.out, '');
    }
  });
});

test.run();
