// tracefs discovery against the live system, and mounting it when it is missing: the missing case
// runs in a private mount namespace (unshare -m) where tracefs is unmounted first, so the rest of
// the machine is not affected.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tracefsRoot, tracepointFormat, tracepointId } from '../../src/tracefs/index.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('tracefs (kernel)');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

kernelTest(test, 'tracefsRoot finds (or mounts) tracefs; ids and formats of syscalls:sys_enter_openat', () => {
  const dir = tracefsRoot();
  assert.match(dir, /tracing$/);
  const id = tracepointId('syscalls', 'sys_enter_openat');
  const format = tracepointFormat('syscalls', 'sys_enter_openat');
  assert.is(format.id, id);
  assert.equal(format.fields.map((f) => f.name), ['common_type', 'common_flags', 'common_preempt_count', 'common_pid', '__syscall_nr', 'dfd', 'filename', 'flags', 'mode']);
});

kernelTest(test, 'tracefsRoot mounts tracefs at /sys/kernel/tracing when it is not mounted (private mount namespace)', () => {
  const script = [
    `import { tracefsRoot, mountPointsOf } from ${JSON.stringify(path.join(root, 'src/tracefs/index.ts'))};`,
    `const before = mountPointsOf('tracefs');`,
    `const dir = tracefsRoot();`,
    `console.log(JSON.stringify({ before, dir, after: mountPointsOf('tracefs') }));`,
  ].join('\n');
  // Unmount every tracefs (and debugfs, which may hold the old tracing directory) in the new namespace only.
  const sh = `for m in $(awk '$3=="tracefs"||$3=="debugfs"{print $2}' /proc/self/mounts | sort -r); do umount "$m" || exit 3; done; exec "$0" --import tsx --input-type=module -e "$1"`;
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', sh, process.execPath, script], { cwd: root, encoding: 'utf8' });
  if (r.error !== undefined) throw r.error;
  assert.is(r.status, 0, `exit ${r.status}: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { before: string[]; dir: string; after: string[] };
  assert.equal(out.before, []);
  assert.is(out.dir, '/sys/kernel/tracing');
  assert.equal(out.after, ['/sys/kernel/tracing']);
});

test.run();
