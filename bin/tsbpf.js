#!/usr/bin/env node
// The `tsbpf` command (package.json "bin"). The CLI is TypeScript, run through tsx's loader so
// it works from a fresh clone after `npm ci`: `npx tsbpf asm prog.s`.
import { register } from 'tsx/esm/api';

register();
try {
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  // Only a broken installation gets here (main() reports every error itself).
  process.stderr.write(`tsbpf: ${String(e instanceof Error ? e.message : e).split('\n')[0]}\n`);
  process.exitCode = 2;
}
