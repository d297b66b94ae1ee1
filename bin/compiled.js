// How bin/tsbpf.js and bin/start.js load tsbpf: the compiled JavaScript in dist/ (scripts/build.js)
// when it is there and up to date, else the TypeScript sources through tsx's loader. Up to date
// means no source listed in dist/build-info.json is missing or was modified after the build
// started; checking costs one stat per source file (~300, about 1 ms). The fallback runs the same
// code, only slower to start, so a stale build is never run; set TSBPF_EXPLAIN_LOAD=1 to have the
// choice explained on stderr. TSBPF_LOAD=compiled or TSBPF_LOAD=source forces one form (benchmarks
// use the first while other work changes the sources).
//
// Node built-ins come from process.getBuiltinModule (Node 20.16) where it exists: an ESM import of
// node:fs costs ~10 ms of start-up. A fast entry (build-info.json `fastEntries`, scripts/build.js)
// is a CommonJS bundle loaded with require(), for the same reason.
const { readFileSync, statSync } = typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule('node:fs') : await import('node:fs');

const root = new URL('../', import.meta.url);

/** The build's record (scripts/build.js) under `base` (a directory URL), or undefined when there is no build. */
export function buildInfo(base = root) {
  try {
    return JSON.parse(readFileSync(new URL('dist/build-info.json', base), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Why the build `info` of the tree at `base` cannot be used, or undefined when it can. */
export function staleReason(info, base = root) {
  if (info === undefined) return 'no build in dist/';
  for (const source of info.sources) {
    let mtime;
    try {
      mtime = statSync(new URL(source, base)).mtimeMs;
    } catch {
      return `${source} was removed since the build`;
    }
    if (mtime > info.builtAt) return `${source} changed since the build`;
  }
  return undefined;
}

/**
 * Imports the module at `source` (a path from the repository root, e.g. `src/cli/main.ts`): its
 * compiled form from dist/ when that is up to date, otherwise the source through tsx.
 */
export async function loadEntry(source) {
  const forced = process.env.TSBPF_LOAD;
  if (forced !== undefined && forced !== 'compiled' && forced !== 'source') throw new Error(`TSBPF_LOAD must be 'compiled' or 'source', not '${forced}'`);
  const info = forced === 'source' ? undefined : buildInfo();
  const reason = forced === 'source' ? 'TSBPF_LOAD=source' : forced === 'compiled' ? undefined : staleReason(info);
  const explain = process.env.TSBPF_EXPLAIN_LOAD === '1';
  if (reason === undefined) {
    const fast = info?.bundled === true ? info.fastEntries?.[source] : undefined;
    if (fast !== undefined) {
      if (explain) process.stderr.write(`tsbpf: running compiled ${fast}\n`);
      const builtin = (name) => (typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule(name) : import(name));
      const [{ createRequire }, { fileURLToPath }] = await Promise.all([builtin('node:module'), builtin('node:url')]);
      return createRequire(import.meta.url)(fileURLToPath(new URL(fast, root)));
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
