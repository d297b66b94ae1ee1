#!/usr/bin/env node
// `npm run build` (also run by `npm ci` / `npm install` through the "prepare" script): compiles the
// TypeScript of asm/src, syscalls/, verifier-sim/ and src/ to JavaScript in dist/ (git-ignored),
// so `tsbpf` and `npm start` run without transpiling at run time.
//
// dist/ mirrors the tree (dist/src/cli/main.js, dist/asm/src/index.js, …). Compiled code imports
// the workspace package `ebpf-bytecode-utils` by name; dist/node_modules/ebpf-bytecode-utils is a
// small package whose entry re-exports dist/asm/src/index.js, so Node's lookup (which walks up
// from the importing file) finds the compiled asm before the workspace link to the sources.
//
// Source maps: tsc writes FILE.js.map next to each file, and esbuild maps its bundles through them
// back to the .ts sources (FILE.js.map, no sources content: the sources are in the package). Node
// reads none of them at start-up (no --enable-source-maps, which would parse every map of every
// module loaded); the eDSL reads the maps itself when it works out a statement's line
// (src/dsl/source-location.ts), and `node --enable-source-maps bin/tsbpf.js …` shows .ts positions
// in a stack trace.
//
// Then esbuild (a devDependency; it only joins files, the code is tsc's output) bundles the two
// entry points, src/cli/main and src/main, into dist/bundle/ with code splitting: each command's
// lazy import stays a separate chunk, and a command loads a few chunks instead of ~125 modules
// (module loading was most of the start-up time). koffi stays external (a native addon).
// `tsbpf opensnoop` goes further: src/cli/opensnoop-main is bundled a second time on its own, into
// one CommonJS file (dist/bundle/src/cli/opensnoop-main.cjs) that bin/tsbpf.js loads for that
// command; build-info.json lists it under `fastEntries`.
//
// Start-up of the fast entries (issue #6): dist/node_modules/koffi is a shim that loads koffi's
// native module directly (writeKoffiShim), and build-info.json `koffiNative` records that module's
// path, which bin/ hands to a fast entry bundle (its `useKoffiLoader` export) so that it
// dlopen()s it by path, without module resolution; the bundle computes import.meta.url only when
// read. Each fast entry gets a V8 code cache (FILE.v8cache, loaded by requireFastEntry in
// bin/compiled.js), warmed as root by one short run of the command (0.3 s of tracing this build's
// own pid; TSBPF_BUILD_WARM_UP=0 skips it).
//
// dist/build-info.json, written after everything but the warm-up run (which runs bin/), lists every
// compiled source with the build's start time:
// bin/tsbpf.js runs dist/ only when no listed source changed since (see bin/compiled.js).
// dist/fast-entries.json is the fast path's slim copy of the same facts for the fast entries only
// (bundle, the sources it holds, code cache, koffi's native module): what bin/ reads for them.
//
// Type errors are printed but do not fail the build (tsc still emits; `npm test` type-checks);
// a tsc crash or missing output does (exit 1).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.join(root, 'dist');
/** The folders tsconfig.build.json compiles. */
const SOURCE_DIRS = ['asm/src', 'syscalls', 'verifier-sim', 'src'];

function sourcesUnder(rel) {
  const out = [];
  for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const child = `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourcesUnder(child));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(child);
  }
  return out;
}

const builtAt = Date.now();
const sources = SOURCE_DIRS.flatMap(sourcesUnder).sort();
rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (tsc.error !== undefined || tsc.signal !== null) {
  console.error(`build: tsc did not run: ${tsc.error?.message ?? tsc.signal}`);
  process.exit(1);
}
const missing = sources.filter((s) => !existsSync(path.join(dist, s.replace(/\.ts$/, '.js'))));
if (missing.length > 0) {
  console.error(`build: tsc exited with ${tsc.status} and did not emit ${missing.length} file(s), e.g. ${missing[0]}`);
  process.exit(1);
}
if (tsc.status !== 0) console.error('build: type errors above (JavaScript emitted anyway; `npm test` reports them)');

const shim = path.join(dist, 'node_modules/ebpf-bytecode-utils');
mkdirSync(shim, { recursive: true });
writeFileSync(path.join(shim, 'package.json'), `${JSON.stringify({ name: 'ebpf-bytecode-utils', private: true, type: 'module', sideEffects: false, exports: { '.': './index.js' } }, null, 2)}\n`);
writeFileSync(path.join(shim, 'index.js'), "// The compiled asm package (scripts/build.js).\nexport * from '../../asm/src/index.js';\n");
/** The entry points bin/ loads, bundled when esbuild is installed. */
const ENTRIES = ['src/cli/main.js', 'src/main.js'];
/** Entry points bin/ loads for one command (bin/tsbpf.js), each bundled alone into a `.cjs` file. */
const FAST_ENTRIES = ['src/cli/opensnoop-main.js'];
let bundled = false;
/** Per fast entry source, the sources its bundle holds. */
const fastEntrySources = {};
try {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: ENTRIES.map((e) => path.join(dist, e)),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: path.join(dist, 'bundle'),
    outbase: dist,
    external: ['koffi'],
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
  });
  // Fast entry points, each bundled with everything it runs into one CommonJS file (no shared
  // chunks; `.cjs`): bin/ require()s it, so neither the bundle nor the Node built-ins it uses go
  // through the ESM loader (an ESM import of node:fs alone costs ~10 ms of start-up).
  const fast = await esbuild.build({
    entryPoints: FAST_ENTRIES.map((e) => path.join(dist, e)),
    absWorkingDir: root,
    metafile: true,
    bundle: true,
    splitting: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outdir: path.join(dist, 'bundle'),
    outbase: dist,
    outExtension: { '.js': '.cjs' },
    // Without white space and with shorter syntax (names kept: stack traces and the source maps
    // stay readable): a smaller source to read, hold as a string and hash for the code cache, and
    // fewer young-generation bytes before the first event (issue #6).
    minifyWhitespace: true,
    minifySyntax: true,
    // import.meta.url, computed when first read: the first pathToFileURL() of a process costs ~0.8 ms,
    // and the fast path never reads it.
    define: { 'import.meta.url': '__tsbpfModule.url' },
    banner: { js: 'const __tsbpfModule = { get url() { return require("node:url").pathToFileURL(__filename).href; } };' },
    external: ['koffi'],
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
  });
  // Which sources went into each fast bundle: bin/ checks only those for staleness (a few dozen
  // stats instead of one per source of the tree).
  const compiledSource = new Map(sources.map((s) => [path.join(dist, s.replace(/\.ts$/, '.js')), s]));
  for (const meta of Object.values(fast.metafile.outputs)) {
    if (meta.entryPoint === undefined) continue;
    const entry = path.relative(dist, path.resolve(root, meta.entryPoint)).split(path.sep).join('/').replace(/\.js$/, '.ts');
    fastEntrySources[entry] = Object.keys(meta.inputs).map((i) => compiledSource.get(path.resolve(root, i))).filter((s) => s !== undefined).sort();
  }
  bundled = true;
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') {
    console.error(`build: bundling failed: ${e?.message ?? e}`);
    process.exit(1);
  }
  console.error('build: esbuild is not installed; dist/ is not bundled (start-up is slower)');
}
/**
 * dist/node_modules/koffi: a shim that loads koffi's native module (the `.node` file koffi's own
 * loader picks on this machine, found by loading koffi here) directly, falling back to koffi's
 * JavaScript entry. Compiled code resolves `koffi` to it (Node looks in dist/node_modules first).
 * koffi's entry costs ~10 ms of start-up: it resolves a platform package through `exports`,
 * reads ELF headers to tell glibc from musl, and wraps deprecated aliases tsbpf never calls.
 * Returns the native module's path and koffi's version, or undefined when koffi cannot be loaded here.
 */
function writeKoffiShim() {
  const req = createRequire(path.join(root, 'package.json'));
  let koffi;
  try {
    koffi = req('koffi');
  } catch {
    return undefined;
  }
  const native = Object.keys(req.cache).find((f) => f.endsWith('.node') && req.cache[f].exports === koffi.default);
  if (native === undefined || typeof koffi.version !== 'string') return undefined;
  const dir = path.join(dist, 'node_modules/koffi');
  const rel = (to) => JSON.stringify(`./${path.relative(dir, to).split(path.sep).join('/')}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'koffi', private: true, main: 'index.cjs' }, null, 2)}\n`);
  writeFileSync(path.join(dir, 'index.cjs'), `// Written by scripts/build.js: koffi ${koffi.version}'s native module, loaded directly (start-up time);
// koffi's own entry when that fails or is another version.
'use strict';
let native;
try {
  native = require(${rel(native)});
} catch {}
module.exports = native !== undefined && native.version === ${JSON.stringify(koffi.version)} ? native : require(${rel(req.resolve('koffi'))});
`);
  return { file: native, version: koffi.version };
}

/**
 * How to warm each fast entry's code cache: the command bin/tsbpf.js runs once (as root, for at
 * most a fraction of a second) so that the cache also holds the functions a real run compiles.
 */
const WARM_UP = {
  'src/cli/opensnoop-main.js': (pid) => ['opensnoop', '--pid', String(pid), '--duration', '0.3'],
};

/**
 * A V8 code cache for each fast entry bundle (`FILE.cjs` → `FILE.v8cache`), made from the same
 * wrapped source requireFastEntry (bin/compiled.js) compiles: first of the top level only, then — as root, where
 * the command can trace — written again at the end of one warm-up run of the command
 * ({@link WARM_UP}), while this process opens a file it traces. Produced by this Node (V8
 * rejects it under another version or other V8 flags, and bin/ then compiles normally).
 * Returns, per source, the cache's path and the bundle's size and mtime it was made for.
 */
function writeCodeCaches() {
  const out = {};
  for (const e of FAST_ENTRIES) {
    const file = path.join(dist, 'bundle', e.replace(/\.js$/, '.cjs'));
    const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file });
    const cacheFile = file.replace(/\.cjs$/, '.v8cache');
    writeFileSync(cacheFile, script.createCachedData());
    const { size, mtimeMs } = statSync(file);
    out[e.replace(/\.js$/, '.ts')] = { file: path.relative(root, cacheFile).split(path.sep).join('/'), madeFor: { size, mtimeMs } };
  }
  return out;
}

/** Runs each fast entry's warm-up command with TSBPF_WRITE_CODE_CACHE; resolves to what happened. */
async function warmCodeCaches(codeCaches) {
  if (process.getuid?.() !== 0) return 'top level only (not root: no warm-up run)';
  if (process.env.TSBPF_BUILD_WARM_UP === '0') return 'top level only (TSBPF_BUILD_WARM_UP=0)';
  const results = [];
  for (const e of FAST_ENTRIES) {
    const cacheFile = path.join(root, codeCaches[e.replace(/\.js$/, '.ts')].file);
    const args = WARM_UP[e]?.(process.pid);
    if (args === undefined) continue;
    const opened = path.join(dist, 'warm-up-opened');
    writeFileSync(opened, '');
    const child = spawn(process.execPath, [path.join(root, 'bin/tsbpf.js'), ...args], { stdio: 'ignore', env: { ...process.env, TSBPF_LOAD: 'compiled', TSBPF_WRITE_CODE_CACHE: cacheFile } });
    const opener = setInterval(() => closeSync(openSync(opened, 'r')), 5);
    const status = await new Promise((resolve) => child.on('close', (code) => resolve(code)));
    clearInterval(opener);
    rmSync(opened, { force: true });
    // The child writes the cache at exit whatever its status: a failed run still warmed part of it.
    results.push(`${e}: ${status === 0 ? 'warmed by one run' : `warm-up exited ${status}; the cache holds what that run compiled`}`);
  }
  return results.join('; ');
}

const koffiNative = writeKoffiShim();
if (koffiNative === undefined) console.error('build: koffi cannot be loaded here; compiled code loads it through its own entry');
const codeCaches = bundled ? writeCodeCaches() : undefined;
// The fast entries' bin/ loader dlopen()s koffi's native module by this path (no module resolution).
const koffiNativeRecord = koffiNative === undefined ? undefined : { file: path.relative(root, koffiNative.file).split(path.sep).join('/'), version: koffiNative.version };
writeFileSync(path.join(dist, 'build-info.json'), `${JSON.stringify({ builtAt, bundled, ...(bundled ? { fastEntries: Object.fromEntries(FAST_ENTRIES.map((e) => [e.replace(/\.js$/, '.ts'), `dist/bundle/${e.replace(/\.js$/, '.cjs')}`])), fastEntrySources, codeCaches, ...(koffiNativeRecord === undefined ? {} : { koffiNative: koffiNativeRecord }) } : {}), sources }, null, 1)}\n`);
// The fast path's own record (bin/compiled.js loadFastEntry): only what a fast entry needs, so
// bin/ reads and parses ~2 KB instead of build-info.json's list of every source.
if (bundled) {
  const entries = Object.fromEntries(FAST_ENTRIES.map((e) => {
    const source = e.replace(/\.js$/, '.ts');
    return [source, { bundle: `dist/bundle/${e.replace(/\.js$/, '.cjs')}`, sources: fastEntrySources[source] ?? sources, ...(codeCaches?.[source] === undefined ? {} : { codeCache: codeCaches[source] }) }];
  }));
  writeFileSync(path.join(dist, 'fast-entries.json'), `${JSON.stringify({ builtAt, ...(koffiNativeRecord === undefined ? {} : { koffiNative: koffiNativeRecord }), entries })}\n`);
}
// After build-info.json and fast-entries.json: the warm-up runs the build through bin/.
if (codeCaches !== undefined) console.log(`build: code cache: ${await warmCodeCaches(codeCaches)}`);
console.log(`build: ${sources.length} files compiled to dist/${bundled ? ', entry points bundled in dist/bundle/' : ''}`);
