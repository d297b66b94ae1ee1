// How bin/tsbpf.js and bin/start.js load tsbpf: the compiled JavaScript in dist/ (scripts/build.js)
// when it is there and up to date, else the TypeScript sources through tsx's loader. Up to date
// means no source listed in dist/build-info.json is missing or was modified after the build
// started; checking costs one stat per source file (~400: ~5 ms; a fast entry checks only the ~60
// its bundle holds, listed in the slim dist/fast-entries.json). The fallback runs the same
// code, only slower to start, so a stale build is never run; set TSBPF_EXPLAIN_LOAD=1 to have the
// choice explained on stderr. TSBPF_LOAD=compiled or TSBPF_LOAD=source forces one form (benchmarks
// use the first while other work changes the sources).
//
// bin/ is CommonJS (bin/package.json): Node's ESM loader costs ~9 ms of start-up even for an empty
// entry file, and require() of node: built-ins is free. A fast entry (dist/fast-entries.json,
// scripts/build.js) is a CommonJS bundle loaded with require() for the same reason,
// through its V8 code cache when the build made one (requireFastEntry below; in this file, not a
// module of its own: each module loaded costs ~0.5-1 ms of start-up here). The fast path uses paths,
// not URLs: the first pathToFileURL() of a process costs ~0.8 ms.
'use strict';
const Module = require('node:module');
const { readFileSync, statSync } = require('node:fs');
const path = require('node:path');

/** The repository root (a directory path). */
const root = path.dirname(__dirname);

/** `base` (a directory URL, as tests pass it, or a path) as a path. */
function dirOf(base) {
  return typeof base === 'string' ? base : require('node:url').fileURLToPath(base);
}

/** The file URL of `file` (a path), for import(). */
function urlOf(file) {
  return require('node:url').pathToFileURL(file).href;
}

/** The build's record (scripts/build.js) under `base` (a directory URL or path), or undefined when there is no build. */
function buildInfo(base = root) {
  try {
    return JSON.parse(readFileSync(path.join(dirOf(base), 'dist/build-info.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

const STAT_OPTIONS = { throwIfNoEntry: false };

/**
 * Why the build `info` of the tree at `base` cannot be used, or undefined when it can: a source
 * it lists (`sources`, default all of them) is missing or newer than the build.
 */
function staleReason(info, base = root, sources = info?.sources) {
  if (info === undefined) return 'no build in dist/';
  const dir = dirOf(base);
  for (const source of sources) {
    // A path, not a URL, and no exception for a missing file: ~3× cheaper per source. Joined
    // without path.join (sources are plain relative paths): ~1 KB less garbage per source, which
    // with the rest of start-up decides whether a young-generation GC runs before the first event.
    const stat = statSync(`${dir}/${source}`, STAT_OPTIONS);
    if (stat === undefined) return `${source} was removed since the build`;
    if (stat.mtimeMs > info.builtAt) return `${source} changed since the build`;
  }
  return undefined;
}

/**
 * A function that loads koffi's native module from `native.file` (relative to the repository
 * root; the build's `koffiNative` record) with process.dlopen — no module resolution, which costs
 * ~2 ms — and returns it when it is koffi `native.version`, else undefined (the caller then
 * requires koffi by name). A fast entry bundle gets it through its `useKoffiLoader` export.
 */
function nativeKoffiLoader(native, base = root) {
  return () => {
    const mod = { exports: {} };
    process.dlopen(mod, path.join(dirOf(base), native.file));
    return mod.exports.version === native.version ? mod.exports : undefined;
  };
}

// ---- fast entries ----
// A fast entry bundle is loaded (a CommonJS file, scripts/build.js) the way require() would, but
// through vm.Script with the V8 code cache the build wrote next to it: V8 then skips parsing and
// compiling what the cache holds (Node 20 has no module.enableCompileCache). V8 checks the cache
// itself (its version, its flags) and says so in `cachedDataRejected`; a rejected or missing cache
// only costs the normal compile. Of the source V8 compares only the length, so the build records
// the bundle's size and mtime with its cache, and a bundle changed since is compiled without it.
// Under `--enable-source-maps` the bundle is require()d instead: Node registers source maps for
// modules, not for vm scripts, and stack traces then show .ts positions (the build writes maps).

/** Writes `data` to `file` through a temporary file and a rename (a reader never sees half). */
function writeAtomically(file, data) {
  const { renameSync, writeFileSync } = require('node:fs');
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/**
 * `Module.wrap()` of the UTF-8 text of `file`, decoded in one piece from a buffer that holds the
 * wrapper around the file's bytes: V8 compiles only flat strings, and the concatenation
 * Module.wrap() makes would be copied once more (~90 KB of young-generation garbage for the
 * opensnoop bundle) before compiling.
 */
function readWrapped(file) {
  const { closeSync, fstatSync, openSync, readSync } = require('node:fs');
  const [head, tail] = Module.wrapper;
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafeSlow(Buffer.byteLength(head) + size + Buffer.byteLength(tail));
    let at = buf.write(head, 0);
    const end = at + size;
    while (at < end) {
      const n = readSync(fd, buf, at, end - at, null);
      if (n === 0) break;
      at += n;
    }
    at += buf.write(tail, at);
    return buf.toString('utf8', 0, at);
  } finally {
    closeSync(fd);
  }
}

/**
 * The exports of CommonJS file `file`, compiled with the V8 code cache in `cacheFile` when there
 * is one and `file` still has the `size` and `mtimeMs` of `madeFor` (when given); `cache` tells
 * what happened: 'accepted', 'rejected', 'missing' (no such file), 'stale' or 'none'.
 */
function requireFastEntry(file, cacheFile, madeFor) {
  let cachedData;
  try {
    if (cacheFile !== undefined) cachedData = readFileSync(cacheFile);
  } catch {
    return { exports: require(file), cache: 'missing' };
  }
  if (cachedData === undefined || process.sourceMapsEnabled === true) return { exports: require(file), cache: 'none' };
  let wrapped;
  try {
    if (madeFor !== undefined) {
      const { size, mtimeMs } = statSync(file);
      if (size !== madeFor.size || mtimeMs !== madeFor.mtimeMs) return { exports: require(file), cache: 'stale' };
    }
    wrapped = readWrapped(file);
  } catch {
    // No bundle: require() throws the error callers expect (MODULE_NOT_FOUND).
    return { exports: require(file), cache: 'none' };
  }
  const vm = require('node:vm');
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  Module._cache[file] = mod;
  try {
    script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  } catch (e) {
    delete Module._cache[file];
    throw e;
  }
  mod.loaded = true;
  // scripts/build.js warms the cache: it runs the command once with this set, and the cache then
  // holds every function that run compiled, not only the top level.
  const warm = process.env.TSBPF_WRITE_CODE_CACHE;
  if (warm !== undefined && warm !== '') process.on('exit', () => writeAtomically(warm, script.createCachedData()));
  return { exports: mod.exports, cache: script.cachedDataRejected ? 'rejected' : 'accepted' };
}

/**
 * The build's slim record of the fast entries (dist/fast-entries.json, scripts/build.js) under
 * `base`, or undefined when there is none: `{builtAt, koffiNative?, entries: {SOURCE: {bundle,
 * sources, codeCache?}}}`, what the fast path needs and no more (~2 KB to read and parse instead of
 * build-info.json's ~16 KB with every source of the tree).
 */
function fastEntriesRecord(base = root) {
  try {
    return JSON.parse(readFileSync(path.join(dirOf(base), 'dist/fast-entries.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The exports of the fast entry bundle for `source` when dist/fast-entries.json has one that is
 * up to date (or `forced` is 'compiled'), else undefined (loadEntry then reads build-info.json).
 */
function loadFastEntry(source, forced, explain) {
  const record = fastEntriesRecord();
  const entry = record?.entries?.[source];
  if (entry === undefined) return undefined;
  if (forced !== 'compiled' && staleReason(record, root, entry.sources) !== undefined) return undefined;
  const cache = entry.codeCache;
  const loaded = requireFastEntry(path.join(root, entry.bundle), cache === undefined ? undefined : path.join(root, cache.file), cache?.madeFor);
  const byPath = record.koffiNative !== undefined && typeof loaded.exports.useKoffiLoader === 'function';
  if (byPath) loaded.exports.useKoffiLoader(nativeKoffiLoader(record.koffiNative));
  if (explain) process.stderr.write(`tsbpf: running compiled ${entry.bundle} (code cache: ${loaded.cache}${byPath ? '; koffi by path' : ''})\n`);
  return loaded.exports;
}

/**
 * Imports the module at `source` (a path from the repository root, e.g. `src/cli/main.ts`): its
 * compiled form from dist/ when that is up to date, otherwise the source through tsx.
 */
async function loadEntry(source) {
  const forced = process.env.TSBPF_LOAD;
  if (forced !== undefined && forced !== 'compiled' && forced !== 'source') throw new Error(`TSBPF_LOAD must be 'compiled' or 'source', not '${forced}'`);
  const explain = process.env.TSBPF_EXPLAIN_LOAD === '1';
  if (forced !== 'source') {
    const fastExports = loadFastEntry(source, forced, explain);
    if (fastExports !== undefined) return fastExports;
  }
  const info = forced === 'source' ? undefined : buildInfo();
  const reason = forced === 'source' ? 'TSBPF_LOAD=source' : forced === 'compiled' ? undefined : staleReason(info, root);
  if (reason === undefined) {
    // The bundle (one file per entry plus shared chunks) when the build made one.
    const compiled = `dist/${info?.bundled === true ? 'bundle/' : ''}${source.replace(/\.ts$/, '.js')}`;
    if (explain) process.stderr.write(`tsbpf: running compiled ${compiled}\n`);
    return import(urlOf(path.join(root, compiled)));
  }
  if (explain) process.stderr.write(`tsbpf: ${reason}; running ${source} through tsx (npm run build makes start-up fast)\n`);
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    throw new Error(`${reason} and tsx is not installed: run 'npm run build'`);
  }
  register();
  return import(urlOf(path.join(root, source)));
}

module.exports = { buildInfo, fastEntriesRecord, staleReason, loadEntry, nativeKoffiLoader, requireFastEntry };
