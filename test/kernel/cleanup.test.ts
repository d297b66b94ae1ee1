// Clean-up on the way out: a child attaches a cgroup program with PROG_ATTACH (which outlives
// processes) and one with a bpf_link, then is interrupted, terminated, throws or exits. The
// kernel's lists (PROG_QUERY on the cgroup, prog and link ids) must show nothing left, and the
// exit status must still tell what happened. A child that opts out shows the oracle can fail.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { listIds } from '../../syscalls/index.js';
import { attachedPrograms, detachAllRegistered, detachOnExit, forgetRegistered, registeredCount } from '../../src/attach/index.js';
import { kernelTest } from '../support/kernel.js';
import { createTestCgroup } from '../support/netns.js';

const test = suite('clean-up on exit');

interface Outcome {
  readonly ids: { progs: number[]; link: number };
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

async function runChild(cgroup: string, mode: string, signal?: NodeJS.Signals): Promise<Outcome> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/cleanup-child.ts', cgroup, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, sig) => resolve([code, sig])));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    void exited.then(([code, sig]) => reject(new Error(`child exited early (${code ?? sig}): ${stderr}`)));
  });
  if (signal !== undefined) child.kill(signal);
  const [code, sig] = await exited;
  return { ids: JSON.parse(line) as Outcome['ids'], code, signal: sig, stderr };
}

/** Waits (up to 2 s) until none of `ids` is listed as `kind` (freeing is deferred past RCU). */
async function gone(kind: 'prog' | 'link', ids: number[]): Promise<number[]> {
  let left = ids;
  for (let i = 0; i < 40 && left.length > 0; i++) {
    const now = new Set(listIds(kind));
    left = ids.filter((id) => now.has(id));
    if (left.length > 0) await new Promise((r) => setTimeout(r, 50));
  }
  return left;
}

const cases: [string, string, NodeJS.Signals | undefined, (o: Outcome) => void][] = [
  ['SIGINT', 'wait', 'SIGINT', (o) => assert.is(o.signal, 'SIGINT', 'the signal is re-raised: the parent sees death by SIGINT')],
  ['SIGTERM', 'wait', 'SIGTERM', (o) => assert.is(o.signal, 'SIGTERM')],
  ['an uncaught exception', 'throw', undefined, (o) => {
    assert.is(o.code, 1);
    assert.match(o.stderr, /deliberate uncaught exception/);
  }],
  ['process.exit(3)', 'exit', undefined, (o) => assert.is(o.code, 3)],
];

for (const [what, mode, signal, status] of cases) {
  kernelTest(test, `after ${what}: no program left on the cgroup, programs and link freed, exit status kept`, async () => {
    const cg = createTestCgroup();
    try {
      const o = await runChild(cg.path, mode, signal);
      status(o);
      assert.equal(attachedPrograms({ cgroup: cg.path, attachType: 'cgroup_inet_ingress' }).programs, []);
      assert.equal(await gone('prog', o.ids.progs), []);
      assert.equal(await gone('link', [o.ids.link]), []);
    } finally {
      cg.remove();
    }
  });
}

kernelTest(test, 'control: a PROG_ATTACH taken out of the registry survives SIGTERM (so the checks above can fail)', async () => {
  const cg = createTestCgroup();
  try {
    const o = await runChild(cg.path, 'keep', 'SIGTERM');
    assert.is(o.signal, 'SIGTERM');
    const left = attachedPrograms({ cgroup: cg.path, attachType: 'cgroup_inet_ingress' }).programs.map((p) => p.id);
    assert.equal(left, [o.ids.progs[0]], 'the PROG_ATTACH program is still attached; the link one is gone');
    assert.equal(await gone('link', [o.ids.link]), []);
  } finally {
    // Removing the cgroup releases its programs.
    cg.remove();
  }
});

kernelTest(test, 'registry: closed attachments are skipped; detachAllRegistered detaches the rest once', () => {
  let closes = 0;
  const make = () => {
    let closed = false;
    return { get isClosed() { return closed; }, close() { closed = true; closes++; } };
  };
  forgetRegistered();
  const base = process.listenerCount('SIGINT');
  try {
    const x = detachOnExit(make());
    assert.is(process.listenerCount('SIGINT'), base + 1, 'the first registration installs a SIGINT handler');
    detachOnExit(make());
    x.close();
    assert.is(registeredCount(), 1);
    assert.is(detachAllRegistered(), 1);
    assert.is(closes, 2);
    assert.is(detachAllRegistered(), 0);
  } finally {
    forgetRegistered();
  }
  assert.is(process.listenerCount('SIGINT'), base, 'forgetRegistered removes the handlers');
});

test.run();
