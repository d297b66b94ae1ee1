#!/usr/bin/env node
// Runs inside the test VM (test/vm/run.js starts it through run-in-vm.sh): uvu over the test
// files below test/ that match PATTERN, like `uvu test PATTERN -c=false`, and then EXITS with
// uvu's status even when a test left a handle open (a child process, a timer, a socket). The
// guest powers off only when its command ends; without this, one leaked handle would keep the
// VM up until the stage's timeout. The handles still open are listed on stderr.
//
// Usage (in the guest): node --import tsx [--import PRELOAD]... test/vm/guest-uvu.js PATTERN
import { parse } from 'uvu/parse';
import { run } from 'uvu/run';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pattern = process.argv[2];
if (pattern === undefined) {
  console.error('guest-uvu: usage: guest-uvu.js PATTERN');
  process.exit(2);
}
try {
  const ctx = await parse('test', pattern, { cwd: root });
  await run(ctx.suites, {});
} catch (err) {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
}
// Let streams flush and short-lived handles close, then report what is left and exit.
setTimeout(() => {
  const open = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout' && r !== 'TTYWrap');
  if (open.length > 0) console.error(`guest-uvu: still open after the tests: ${open.join(', ')} (exiting anyway)`);
  process.exit(process.exitCode ?? 0);
}, 2000).unref();
