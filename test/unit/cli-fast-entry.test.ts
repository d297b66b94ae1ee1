/**
 * requireFastEntry (bin/compiled.js), which loads a fast entry bundle through its V8 code cache: a cache made for
 * the file is accepted and the module behaves as under require(); a cache for other source, a
 * corrupt one, a bundle changed since the cache was made, or none at all falls back to a normal compile with the same result; under
 * --enable-source-maps the file is require()d so Node maps stack traces. And the koffi shim the
 * build writes (dist/node_modules/koffi) is koffi's own native module, and so is what the
 * build's `koffiNative` record loads by path (bin/compiled.js nativeKoffiLoader); the fast bundle
 * computes import.meta.url only when read. Each case runs in a fresh plain `node` (V8 rejects
 * caches made under other flags).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { staleReason, type BuildInfo } from '../../bin/compiled.js';

const compiledJs = fileURLToPath(new URL('../../bin/compiled.js', import.meta.url));

const root = fileURLToPath(new URL('../../', import.meta.url));
const fastEntry = path.join(root, 'bin/compiled.js');

function node(args: string[], script: string): string {
  const r = spawnSync(process.execPath, [...args, '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  assert.is(r.status, 0, r.stderr);
  return r.stdout.trim();
}

const MODULE = `'use strict';
const path = require('node:path');
exports.value = [path.basename(__filename), path.basename(__dirname), typeof module.require, 6 * 7];
exports.where = () => new Error('here').stack.split('\\n')[1];
`;

function withModule(run: (file: string, cache: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-fast-entry-'));
  try {
    const file = path.join(dir, 'entry.cjs');
    writeFileSync(file, MODULE);
    run(file, path.join(dir, 'entry.v8cache'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Makes the cache of `source` (wrapped as requireFastEntry wraps it, and named `file`, as
 * scripts/build.js names it: V8 keeps the producer's name for stack frames) into `cache`.
 */
function makeCache(source: string, file: string, cache: string): void {
  node([], `const M = require('node:module'); const vm = require('node:vm'); require('node:fs').writeFileSync(${JSON.stringify(cache)}, new vm.Script(M.wrap(${JSON.stringify(source)}), { filename: ${JSON.stringify(file)} }).createCachedData());`);
}

function load(file: string, cache: string | undefined, args: string[] = [], madeFor?: { size: number; mtimeMs: number }): { cache: string; value: unknown[]; where: string } {
  return JSON.parse(node(args, `const r = require(${JSON.stringify(fastEntry)}).requireFastEntry(${JSON.stringify(file)}, ${JSON.stringify(cache)}, ${JSON.stringify(madeFor)}); console.log(JSON.stringify({ cache: r.cache, value: r.exports.value, where: r.exports.where() }));`));
}

const expected = ['entry.cjs', undefined, 'function', 42];

test('a cache made for the file is accepted; the module sees its own __filename, __dirname and require', () => {
  withModule((file, cache) => {
    makeCache(MODULE, file, cache);
    const r = load(file, cache);
    assert.is(r.cache, 'accepted');
    assert.equal(r.value, [expected[0], path.basename(path.dirname(file)), ...expected.slice(2)]);
    assert.match(r.where, file, 'stack frames name the file');
  });
});

test('a cache of other source, a corrupt cache, a missing one or none: rejected or skipped, same module', () => {
  withModule((file, cache) => {
    const same = [expected[0], path.basename(path.dirname(file)), ...expected.slice(2)];
    makeCache(`${MODULE}// another version\n`, file, cache);
    assert.equal(load(file, cache), { ...load(file, undefined), cache: 'rejected' });
    writeFileSync(cache, Buffer.alloc(4096, 7));
    const corrupt = load(file, cache);
    assert.is(corrupt.cache, 'rejected');
    assert.equal(corrupt.value, same);
    assert.is(load(file, `${cache}.absent`).cache, 'missing');
    assert.is(load(file, undefined).cache, 'none');
  });
});

test('a bundle whose size or mtime differs from what the cache was made for is compiled without it', () => {
  withModule((file, cache) => {
    makeCache(MODULE, file, cache);
    const { size, mtimeMs } = statSync(file);
    assert.is(load(file, cache, [], { size, mtimeMs }).cache, 'accepted');
    // Same length, other text: V8 alone would take the cache (it compares lengths only).
    writeFileSync(file, MODULE.replace('6 * 7', '7 * 6'));
    utimesSync(file, new Date(), new Date(mtimeMs + 5000));
    const r = load(file, cache, [], { size, mtimeMs });
    assert.is(r.cache, 'stale');
    assert.is(r.value[3], 42);
  });
});

test('a missing bundle is require()\'s MODULE_NOT_FOUND (bin/tsbpf.js then runs the full CLI), cache or not', () => {
  withModule((file, cache) => {
    makeCache(MODULE, file, cache);
    const missing = path.join(path.dirname(file), 'absent.cjs');
    const code = node([], `try { require(${JSON.stringify(fastEntry)}).requireFastEntry(${JSON.stringify(missing)}, ${JSON.stringify(cache)}, { size: 1, mtimeMs: 1 }); console.log('loaded'); } catch (e) { console.log(e.code); }`);
    assert.is(code, 'MODULE_NOT_FOUND');
  });
});

test('under --enable-source-maps the file is require()d (Node maps only modules), cache or not', () => {
  withModule((file, cache) => {
    makeCache(MODULE, file, cache);
    assert.is(load(file, cache, ['--enable-source-maps']).cache, 'none');
  });
});

test('the koffi shim in dist/ (when built) is koffi\'s native module, of the installed version', () => {
  const shim = path.join(root, 'dist/node_modules/koffi/index.cjs');
  if (!existsSync(shim)) {
    console.log('  skipped: dist/ has no koffi shim (npm run build writes it where koffi loads)');
    return;
  }
  const out = JSON.parse(node([], `const k = require(${JSON.stringify(shim)}); const real = require(require.resolve('koffi', { paths: [${JSON.stringify(root)}] })); console.log(JSON.stringify({ version: k.version, real: real.version, same: k === real.default, load: typeof k.load, errno: typeof k.errno }));`));
  assert.equal(out, { version: out.real, real: out.real, same: true, load: 'function', errno: 'function' });
});

test('nativeKoffiLoader: the build\'s koffiNative record loads koffi\'s native module by path; another version gives undefined', () => {
  const infoFile = path.join(root, 'dist/build-info.json');
  const built = existsSync(infoFile) ? (JSON.parse(readFileSync(infoFile, 'utf8')) as BuildInfo) : undefined;
  if (built?.koffiNative === undefined) {
    console.log('  skipped: dist/ has no koffiNative record (npm run build writes it where koffi loads)');
    return;
  }
  const native = built.koffiNative;
  const out = JSON.parse(node([], `const { nativeKoffiLoader } = require(${JSON.stringify(compiledJs)}); const k = nativeKoffiLoader(${JSON.stringify(native)})(); const real = require(require.resolve('koffi', { paths: [${JSON.stringify(root)}] })); const other = nativeKoffiLoader(${JSON.stringify({ ...native, version: '0.0.0-other' })})(); console.log(JSON.stringify({ version: k.version, real: real.version, pid: k.load(null).func('int getpid()')() === process.pid, other: other === undefined }));`));
  assert.equal(out, { version: native.version, real: native.version, pid: true, other: true });
  const missing = node([], `const { nativeKoffiLoader } = require(${JSON.stringify(compiledJs)}); try { nativeKoffiLoader({ file: 'dist/absent/koffi.node', version: 'x' })(); console.log('loaded'); } catch (e) { console.log('threw'); }`);
  assert.is(missing, 'threw', 'a missing file throws (loadKoffi then requires koffi by name)');
});

test('the fast bundle (when built) computes import.meta.url only when read, as the file\'s URL', () => {
  const infoFile = path.join(root, 'dist/build-info.json');
  const built = existsSync(infoFile) ? (JSON.parse(readFileSync(infoFile, 'utf8')) as BuildInfo) : undefined;
  const bundle = built?.fastEntries?.['src/cli/opensnoop-main.ts'];
  if (bundle === undefined || !existsSync(path.join(root, bundle))) {
    console.log('  skipped: dist/ has no fast opensnoop bundle (npm run build makes it)');
    return;
  }
  const banner = readFileSync(path.join(root, bundle), 'utf8').split('\n')[0];
  assert.match(banner, /get url\(\)/, 'a getter, not a value computed at load');
  const url = node([], `const __filename = ${JSON.stringify(path.join(root, bundle))}; ${banner} console.log(__tsbpfModule.url);`);
  assert.is(url, pathToFileURL(path.join(root, bundle)).href);
});

test('a fast entry is stale only when a source its bundle holds changed; the build lists them', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-fast-stale-'));
  try {
    mkdirSync(path.join(dir, 'src'));
    const builtAt = Date.now();
    for (const f of ['src/entry.ts', 'src/used.ts', 'src/other.ts']) {
      writeFileSync(path.join(dir, f), 'export {};\n');
      utimesSync(path.join(dir, f), new Date(builtAt - 5000), new Date(builtAt - 5000));
    }
    const info: BuildInfo = { builtAt, bundled: true, sources: ['src/entry.ts', 'src/other.ts', 'src/used.ts'] };
    const base = pathToFileURL(`${dir}/`);
    // Explicit times: the kernel's file clock is coarse, a fresh write may look older than Date.now().
    writeFileSync(path.join(dir, 'src/other.ts'), 'export const changed = 1;\n');
    utimesSync(path.join(dir, 'src/other.ts'), new Date(builtAt + 5000), new Date(builtAt + 5000));
    assert.is(staleReason(info, base), 'src/other.ts changed since the build');
    assert.is(staleReason(info, base, ['src/entry.ts', 'src/used.ts']), undefined);
    rmSync(path.join(dir, 'src/used.ts'));
    assert.is(staleReason(info, base, ['src/entry.ts', 'src/used.ts']), 'src/used.ts was removed since the build');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const infoFile = path.join(root, 'dist/build-info.json');
  const built = existsSync(infoFile) ? (JSON.parse(readFileSync(infoFile, 'utf8')) as BuildInfo) : undefined;
  const listed = built?.fastEntrySources?.['src/cli/opensnoop-main.ts'];
  if (listed === undefined) {
    console.log('  skipped (build-info part): dist/ lists no fast entry sources (npm run build)');
    return;
  }
  assert.ok(listed.includes('src/cli/opensnoop-main.ts') && listed.includes('src/tools/opensnoop-live.ts') && listed.includes('syscalls/backend.ts'), 'the entry and what it runs');
  assert.equal(listed.filter((s) => /^src\/(dsl|btf)\/|^verifier-sim\//.test(s)), [], 'not what it does not bundle');
  assert.ok(listed.every((s) => built!.sources.includes(s)), 'all of them compiled sources');
});

test.run();
