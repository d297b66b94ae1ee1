/**
 * The choice bin/tsbpf.js and bin/start.js make between the compiled build and the sources:
 * a build is used only when every source it lists exists and is not newer than the build, so a
 * stale dist/ never runs. Checked on a temporary tree with real files and mtimes; and the
 * repository's own build record, when there is one, lists exactly the sources tsc compiles.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildInfo, staleReason } from '../../bin/compiled.js';

function tree(): { dir: string; base: URL } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-build-'));
  mkdirSync(path.join(dir, 'src'));
  mkdirSync(path.join(dir, 'dist'));
  return { dir, base: pathToFileURL(`${dir}/`) };
}

test('no build record: not usable', () => {
  const { dir, base } = tree();
  try {
    assert.is(buildInfo(base), undefined);
    assert.is(staleReason(undefined, base), 'no build in dist/');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fresh, then a source modified after the build, then a source removed', () => {
  const { dir, base } = tree();
  try {
    const builtAt = Date.now();
    for (const f of ['src/a.ts', 'src/b.ts']) {
      writeFileSync(path.join(dir, f), 'export {};\n');
      utimesSync(path.join(dir, f), new Date(builtAt - 5000), new Date(builtAt - 5000));
    }
    writeFileSync(path.join(dir, 'dist/build-info.json'), JSON.stringify({ builtAt, bundled: true, sources: ['src/a.ts', 'src/b.ts'] }));
    const info = buildInfo(base);
    assert.equal(info, { builtAt, bundled: true, sources: ['src/a.ts', 'src/b.ts'] });
    assert.is(staleReason(info, base), undefined);
    utimesSync(path.join(dir, 'src/b.ts'), new Date(builtAt + 1000), new Date(builtAt + 1000));
    assert.is(staleReason(info, base), 'src/b.ts changed since the build');
    rmSync(path.join(dir, 'src/a.ts'));
    assert.is(staleReason(info, base), 'src/a.ts was removed since the build');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the repository's build record (when built) lists every source of asm/src, syscalls, verifier-sim and src", () => {
  const info = buildInfo();
  if (info === undefined) {
    console.log('skip: no dist/ build here (npm run build makes one)');
    return;
  }
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
  const walk = (rel: string): string[] => readdirSync(path.join(root, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(`${rel}/${e.name}`) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [`${rel}/${e.name}`] : []));
  const now = new Set(['asm/src', 'syscalls', 'verifier-sim', 'src'].flatMap(walk));
  // Files added since the build are not in it; every listed one that still exists is a source.
  for (const s of info.sources) if (!now.has(s)) assert.ok(staleReason(info) !== undefined, `${s} is gone, so the build must count as stale`);
  assert.ok(info.sources.includes('src/cli/main.ts') && info.sources.includes('asm/src/index.ts'));
});

test.run();
