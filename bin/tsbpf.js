#!/usr/bin/env node
// The `tsbpf` command (package.json "bin"): runs the compiled CLI in dist/ (built by `npm ci` /
// `npm run build`), or the TypeScript sources through tsx when the build is missing or stale
// (bin/compiled.js), so it never runs out-of-date code.
import { loadEntry } from './compiled.js';

try {
  const { main } = await loadEntry('src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  // Only a broken installation gets here (main() reports every error itself).
  process.stderr.write(`tsbpf: ${String(e instanceof Error ? e.message : e).split('\n')[0]}\n`);
  process.exitCode = 2;
}
