// Loads a fast entry bundle (a CommonJS file, scripts/build.js) the way require() would, but
// through vm.Script with the V8 code cache the build wrote next to it: V8 then skips parsing and
// compiling what the cache holds (Node 20 has no module.enableCompileCache). V8 checks the cache
// itself (its version, its flags) and says so in `cachedDataRejected`; a rejected or missing cache
// only costs the normal compile. Of the source V8 compares only the length, so the build records
// the bundle's size and mtime with its cache, and a bundle changed since is compiled without it.
// Under `--enable-source-maps` the bundle is require()d instead: Node registers source maps for
// modules, not for vm scripts, and stack traces then show .ts positions (the build writes maps).
'use strict';
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const path = require('node:path');

/** Writes `data` to `file` through a temporary file and a rename (a reader never sees half). */
function writeAtomically(file, data) {
  const { renameSync, writeFileSync } = require('node:fs');
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
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
  let source;
  try {
    if (madeFor !== undefined) {
      const { size, mtimeMs } = require('node:fs').statSync(file);
      if (size !== madeFor.size || mtimeMs !== madeFor.mtimeMs) return { exports: require(file), cache: 'stale' };
    }
    source = readFileSync(file, 'utf8');
  } catch {
    // No bundle: require() throws the error callers expect (MODULE_NOT_FOUND).
    return { exports: require(file), cache: 'none' };
  }
  const vm = require('node:vm');
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
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

module.exports = { requireFastEntry };
