/**
 * `tsbpf opensnoop`'s fast entry point (src/cli/opensnoop-main.ts, bundled alone into one file by
 * scripts/build.js and loaded by bin/tsbpf.js for that command): it answers exactly like the full
 * CLI for opensnoop's help and usage errors, and its bundle, when dist/ has one, is a single
 * module that loads no eDSL, assembler, BTF or shared chunk.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { main } from '../../src/cli/main.js';
import { main as opensnoopMain } from '../../src/cli/opensnoop-main.js';

type Main = typeof main;

async function run(entry: Main, args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await entry(args, {
    writeOut: (d) => void (out += typeof d === 'string' ? d : Buffer.from(d).toString()),
    writeErr: (t) => void (err += t),
    readStdin: async () => new Uint8Array(0),
  });
  return { status, out, err };
}

for (const args of [['opensnoop', '--help'], ['opensnoop', '-h'], ['opensnoop', '--bogus'], ['opensnoop', '-p', 'x'], ['opensnoop', '--uid', '99999999999'], ['opensnoop', 'extra'], ['opensnoop', '-d', '0']]) {
  test(`fast entry = full CLI: ${args.join(' ')}`, async () => {
    const full = await run(main, args);
    const fast = await run(opensnoopMain, args);
    assert.equal(fast, full);
    assert.ok(full.out !== '' || full.err !== '', 'some output');
  });
}

test('the fast bundle (when built) is one module without eDSL, asm or BTF code', () => {
  const root = new URL('../../', import.meta.url);
  const info = existsSync(new URL('dist/build-info.json', root)) ? JSON.parse(readFileSync(new URL('dist/build-info.json', root), 'utf8')) as { fastEntries?: Record<string, string> } : undefined;
  const file = info?.fastEntries?.['src/cli/opensnoop-main.ts'];
  if (file === undefined || !existsSync(new URL(file, root))) {
    console.log('  skipped: dist/ has no fast opensnoop bundle (npm run build makes it)');
    return;
  }
  const bundle = new URL(file, root);
  const text = readFileSync(bundle, 'utf8');
  const imports = [...text.matchAll(/^\s*import\b[^'"]*['"]([^'"]+)['"]/gm), ...text.matchAll(/\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]);
  assert.ok(imports.length > 0, 'finds the imports');
  assert.equal(imports.filter((s) => !s.startsWith('node:') && s !== 'koffi'), [], 'imports only node: builtins and koffi');
  assert.ok(!imports.includes('node:child_process'), 'node:child_process is not loaded at start-up');
  // What the bundle holds: the build's record of it (esbuild's metafile; the bundle is minified,
  // without esbuild's per-module comments), else those comments.
  const record = existsSync(new URL('dist/fast-entries.json', root)) ? JSON.parse(readFileSync(new URL('dist/fast-entries.json', root), 'utf8')) as { entries?: Record<string, { sources: string[] }> } : undefined;
  const modules = record?.entries?.['src/cli/opensnoop-main.ts']?.sources.map((s) => `dist/${s.replace(/\.ts$/, '.js')}`) ?? [...text.matchAll(/^\/\/ (dist\/\S+)$/gm)].map((m) => m[1]);
  assert.ok(modules.includes('dist/src/tools/opensnoop-live.js'), 'contains the live path');
  assert.equal(modules.filter((m) => /^dist\/src\/(dsl|btf)\/|^dist\/asm\/src\/(?!kernel-types\.generated)|^dist\/verifier-sim\//.test(m)), []);
});

test.run();
