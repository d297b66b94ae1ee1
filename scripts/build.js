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
// Then esbuild (a devDependency; it only joins files, the code is tsc's output) bundles the two
// entry points, src/cli/main and src/main, into dist/bundle/ with code splitting: each command's
// lazy import stays a separate chunk, and a command loads a few chunks instead of ~125 modules
// (module loading was most of the start-up time). koffi stays external (a native addon).
// `tsbpf opensnoop` goes further: src/cli/opensnoop-main is bundled a second time on its own, into
// one CommonJS file (dist/bundle/src/cli/opensnoop-main.cjs) that bin/tsbpf.js loads for that
// command; build-info.json lists it under `fastEntries`.
//
// dist/build-info.json, written last, lists every compiled source with the build's start time:
// bin/tsbpf.js runs dist/ only when no listed source changed since (see bin/compiled.js).
//
// Type errors are printed but do not fail the build (tsc still emits; `npm test` type-checks);
// a tsc crash or missing output does (exit 1).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
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
    logLevel: 'warning',
  });
  // Fast entry points, each bundled with everything it runs into one CommonJS file (no shared
  // chunks; `.cjs`): bin/ require()s it, so neither the bundle nor the Node built-ins it uses go
  // through the ESM loader (an ESM import of node:fs alone costs ~10 ms of start-up).
  await esbuild.build({
    entryPoints: FAST_ENTRIES.map((e) => path.join(dist, e)),
    bundle: true,
    splitting: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outdir: path.join(dist, 'bundle'),
    outbase: dist,
    outExtension: { '.js': '.cjs' },
    define: { 'import.meta.url': '__tsbpfModuleUrl' },
    banner: { js: 'const __tsbpfModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
    external: ['koffi'],
    logLevel: 'warning',
  });
  bundled = true;
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') {
    console.error(`build: bundling failed: ${e?.message ?? e}`);
    process.exit(1);
  }
  console.error('build: esbuild is not installed; dist/ is not bundled (start-up is slower)');
}
writeFileSync(path.join(dist, 'build-info.json'), `${JSON.stringify({ builtAt, bundled, ...(bundled ? { fastEntries: Object.fromEntries(FAST_ENTRIES.map((e) => [e.replace(/\.js$/, '.ts'), `dist/bundle/${e.replace(/\.js$/, '.cjs')}`])) } : {}), sources }, null, 1)}\n`);
console.log(`build: ${sources.length} files compiled to dist/${bundled ? ', entry points bundled in dist/bundle/' : ''}`);
