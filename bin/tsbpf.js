#!/usr/bin/env node
// The `tsbpf` command (package.json "bin"): runs the compiled CLI in dist/ (built by `npm ci` /
// `npm run build`), or the TypeScript sources through tsx when the build is missing or stale
// (bin/compiled.js), so it never runs out-of-date code. CommonJS (bin/package.json): start-up time.
'use strict';
const { loadEntry } = require('./compiled.js');

// `tsbpf opensnoop` has its own entry point, bundled into one file (start-up time, issue #6); a
// build made before that entry existed (TSBPF_LOAD=compiled) runs the full CLI instead.
async function entryMain() {
  if (process.argv[2] === 'opensnoop') {
    try {
      return (await loadEntry('src/cli/opensnoop-main.ts')).main;
    } catch (e) {
      if (e?.code !== 'ERR_MODULE_NOT_FOUND' && e?.code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  return (await loadEntry('src/cli/main.ts')).main;
}

async function run() {
  try {
    const main = await entryMain();
    process.exitCode = await main(process.argv.slice(2));
  } catch (e) {
    // Only a broken installation gets here (main() reports every error itself).
    process.stderr.write(`tsbpf: ${String(e instanceof Error ? e.message : e).split('\n')[0]}\n`);
    process.exitCode = 2;
  }
}
run();
