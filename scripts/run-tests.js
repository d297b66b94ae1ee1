#!/usr/bin/env node
// `npm test`: type check, then every uvu test file under test/ in one process, then one plain
// closing line `N passed, N failed, N skipped` (CI reads it). The type check counts as one test.
//
// Usage: node scripts/run-tests.js [PATTERN]   (PATTERN filters test files, a regular expression)
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const pattern = process.argv[2] ?? '\\.test\\.ts$';
let passed = 0;
let failed = 0;
let skipped = 0;

const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root], {
  cwd: root,
  stdio: 'inherit',
});
if (tsc.status === 0) {
  passed += 1;
  console.log('type check: ok');
} else {
  failed += 1;
  console.log('type check: FAILED');
}

// Stream the runner's output as it comes (a long suite shows progress) and keep it for the summary.
const uvu = spawn(process.execPath, ['--import', 'tsx', '--import', path.join(root, 'test/support/fast-check-seed.ts'), path.join(root, 'node_modules/uvu/bin.js'), 'test', pattern, '-c=false'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: '0' },
});
let out = '';
uvu.stdout.setEncoding('utf8');
uvu.stdout.on('data', (chunk) => {
  out += chunk;
  process.stdout.write(chunk);
});
const status = await new Promise((resolve) => uvu.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? NaN);
const done = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? NaN);
const skips = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
if (Number.isNaN(total) || Number.isNaN(done)) {
  // The runner died before its summary (a crash or a syntax error): count it as a failure.
  failed += 1;
  console.log(`test runner exited with status ${status} and no summary`);
} else {
  passed += done;
  failed += total - done; // uvu's Total excludes skipped tests
  skipped += skips;
  if (status !== 0 && total === done) failed += 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
