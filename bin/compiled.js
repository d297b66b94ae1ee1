// How bin/tsbpf.js and bin/start.js load tsbpf: the compiled JavaScript in dist/ (scripts/build.js)
// when it is there and up to date, else the TypeScript sources through tsx's loader. Up to date
// means no source listed in dist/build-info.json is missing or was modified after the build
// started; checking costs one stat per source file (~400: ~5 ms; a fast entry checks only the ~60
// its bundle holds, build-info.json `fastEntrySources`). The fallback runs the same
// code, only slower to start, so a stale build is never run; set TSBPF_EXPLAIN_LOAD=1 to have the
// choice explained on stderr. TSBPF_LOAD=compiled or TSBPF_LOAD=source forces one form (benchmarks
// use the first while other work changes the sources).
//
// bin/ is CommonJS (bin/package.json): Node's ESM loader costs ~9 ms of start-up even for an empty
// entry file, and require() of node: built-ins is free. A fast entry (build-info.json
// `fastEntries`, scripts/build.js) is a CommonJS bundle loaded with require() for the same reason,
// through its V8 code cache when the build made one (./fast-entry.js).
'use strict';
const { readFileSync, statSync } = require('node:fs');
const path = require('node:path');
const { fileURLToPath, pathToFileURL } = require('node:url');

const root = pathToFileURL(`${path.dirname(__dirname)}/`);

/** The build's record (scripts/build.js) under `base` (a directory URL), or undefined when there is no build. */
function buildInfo(base = root) {
  try {
    return JSON.parse(readFileSync(new URL('dist/build-info.json', base), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Why the build `info` of the tree at `base` cannot be used, or undefined when it can: a source
 * it lists (`sources`, default all of them) is missing or newer than the build.
 */
function staleReason(info, base = root, sources = info?.sources) {
  if (info === undefined) return 'no build in dist/';
  const dir = fileURLToPath(base);
  for (const source of sources) {
    // A path, not a URL, and no exception for a missing file: ~3× cheaper per source.
    const stat = statSync(path.join(dir, source), { throwIfNoEntry: false });
    if (stat === undefined) return `${source} was removed since the build`;
    if (stat.mtimeMs > info.builtAt) return `${source} changed since the build`;
  }
  return undefined;
}

/**
 * Imports the module at `source` (a path from the repository root, e.g. `src/cli/main.ts`): its
 * compiled form from dist/ when that is up to date, otherwise the source through tsx.
 */
async function loadEntry(source) {
  const forced = process.env.TSBPF_LOAD;
  if (forced !== undefined && forced !== 'compiled' && forced !== 'source') throw new Error(`TSBPF_LOAD must be 'compiled' or 'source', not '${forced}'`);
  const info = forced === 'source' ? undefined : buildInfo();
  // A fast entry is stale only when one of the sources its bundle holds changed.
  const reason = forced === 'source' ? 'TSBPF_LOAD=source' : forced === 'compiled' ? undefined : staleReason(info, root, info?.bundled === true ? (info.fastEntrySources?.[source] ?? info.sources) : info?.sources);
  const explain = process.env.TSBPF_EXPLAIN_LOAD === '1';
  if (reason === undefined) {
    const fast = info?.bundled === true ? info.fastEntries?.[source] : undefined;
    if (fast !== undefined) {
      const { requireFastEntry } = require('./fast-entry.js');
      const codeCache = info.codeCaches?.[source];
      const { exports, cache } = requireFastEntry(fileURLToPath(new URL(fast, root)), codeCache === undefined ? undefined : fileURLToPath(new URL(codeCache.file, root)), codeCache?.madeFor);
      if (explain) process.stderr.write(`tsbpf: running compiled ${fast} (code cache: ${cache})\n`);
      return exports;
    }
    // The bundle (one file per entry plus shared chunks) when the build made one.
    const compiled = `dist/${info?.bundled === true ? 'bundle/' : ''}${source.replace(/\.ts$/, '.js')}`;
    if (explain) process.stderr.write(`tsbpf: running compiled ${compiled}\n`);
    return import(new URL(compiled, root).href);
  }
  if (explain) process.stderr.write(`tsbpf: ${reason}; running ${source} through tsx (npm run build makes start-up fast)\n`);
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    throw new Error(`${reason} and tsx is not installed: run 'npm run build'`);
  }
  register();
  return import(new URL(source, root).href);
}

module.exports = { buildInfo, staleReason, loadEntry };
