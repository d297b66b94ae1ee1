// Pin-by-name in program specs (`"pinning": "by_name"`) against the live kernel, in a private
// bpffs: the first load pins the map, a second load (in this process, or `tsbpf krun`/`kload`
// with --pin-root) reuses the same kernel map and keeps its contents, an incompatible spec is a
// clear error (exit 2), and a load that fails removes the pin it made.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfMap, isBpffs } from '../../src/maps/index.js';
import { KernelObjectError } from '../../src/errors.js';
import { parseProgramSpec } from '../../src/spec/index.js';
import { loadSpec } from '../../src/spec/load-spec.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('spec pin by name (kernel)');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * r1 = &maps[0][0]; r0 = *(u64 *)r1; *(u64 *)r1 = r0 + 1; exit: returns the counter in the map's
 * only value and increments it, so a reused map shows the runs before.
 */
const COUNTER_INSNS = '1821000000000000 0000000000000000 7910000000000000 bf02000000000000 0702000001000000 7b21000000000000 9500000000000000';

function counterSpec(name: string, maxEntries = 1): Record<string, unknown> {
  return {
    progType: 'socket_filter',
    insns: COUNTER_INSNS,
    maps: [{ type: 'array', keySize: 4, valueSize: 8, maxEntries, name, pinning: 'by_name', init: [{ key: '00000000', value: '2a00000000000000' }] }],
  };
}

/** Runs `fn` with a fresh directory (not bpffs until the loader mounts it); unmounts and removes it afterwards. */
function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-spec-pin-'));
  try {
    fn(dir);
  } finally {
    if (isBpffs(dir)) execFileSync('umount', ['-l', dir]);
    rmdirSync(dir);
  }
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/tsbpf.js'), ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

kernelTest(test, 'loadSpec: a second load reuses the pinned map (same id, contents kept, init not reapplied); an incompatible spec is refused', () => {
  withDir((dir) => {
    const spec = parseProgramSpec(counterSpec('tsbpf_t_spin'));
    const data = new Uint8Array(32);
    let firstId: number;
    {
      using first = loadSpec(spec, { pinRoot: dir });
      assert.ok(isBpffs(dir), 'the pin root was mounted');
      assert.is(first.maps[0].pinnedPath, path.join(dir, 'tsbpf_t_spin'));
      assert.not.ok(first.maps[0].reusedPin);
      firstId = first.maps[0].info().id;
      assert.equal(first.program.info().mapIds, [firstId]);
      assert.is(first.program.testRun({ data }).retval, 42);
      assert.is(first.program.testRun({ data }).retval, 43);
    }
    using second = loadSpec(spec, { pinRoot: dir });
    assert.ok(second.maps[0].reusedPin);
    assert.is(second.maps[0].info().id, firstId, 'the same kernel map');
    assert.equal(second.program.info().mapIds, [firstId], 'the program uses the pinned map');
    assert.is(second.program.testRun({ data }).retval, 44, 'contents kept, init not applied again');
    assert.throws(
      () => loadSpec(parseProgramSpec(counterSpec('tsbpf_t_spin', 4)), { pinRoot: dir }),
      (e: unknown) => e instanceof KernelObjectError && e.message.includes(`the map pinned at '${path.join(dir, 'tsbpf_t_spin')}' is incompatible: max_entries 4 (pinned: 1)`),
    );
    second.close();
    rmSync(path.join(dir, 'tsbpf_t_spin'));
  });
});

kernelTest(test, 'a load that fails removes the pins it made and keeps the ones it reused', () => {
  withDir((dir) => {
    const reused = parseProgramSpec(counterSpec('tsbpf_t_keep'));
    loadSpec(reused, { pinRoot: dir }).close();
    const rejected = parseProgramSpec({
      progType: 'socket_filter',
      insns: '9500000000000000', // R0 !read_ok
      maps: [
        { type: 'array', keySize: 4, valueSize: 8, maxEntries: 1, name: 'tsbpf_t_keep', pinning: 'by_name' },
        { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 8, name: 'tsbpf_t_new', pinning: 'by_name' },
      ],
    });
    assert.throws(() => loadSpec(rejected, { pinRoot: dir }), /R0 !read_ok/);
    assert.ok(existsSync(path.join(dir, 'tsbpf_t_keep')), 'the reused pin stays');
    assert.not.ok(existsSync(path.join(dir, 'tsbpf_t_new')), 'the new pin is removed');
    rmSync(path.join(dir, 'tsbpf_t_keep'));
  });
});

kernelTest(test, 'tsbpf krun / kload --pin-root: the second process reuses the map; an incompatible spec exits 2 with the reason', () => {
  withDir((dir) => {
    const files = mkdtempSync(path.join(tmpdir(), 'tsbpf-spec-pin-files-'));
    try {
      const counter = path.join(files, 'counter.json');
      const wider = path.join(files, 'wider.json');
      writeFileSync(counter, JSON.stringify(counterSpec('tsbpf_t_cli')));
      writeFileSync(wider, JSON.stringify(counterSpec('tsbpf_t_cli', 2)));
      const first = cli(['krun', '--json', '--data', '00'.repeat(16), '--pin-root', dir, counter]);
      assert.is(first.status, 0, first.stderr);
      const pinned = BpfMap.fromPin(path.join(dir, 'tsbpf_t_cli'));
      try {
        const id = pinned.info().id;
        const second = cli(['krun', '--json', '--data', '00'.repeat(16), '--pin-root', dir, counter, counter]);
        assert.is(second.status, 0, second.stderr);
        assert.equal([first.stdout, ...second.stdout.trim().split('\n')].map((l) => JSON.parse(l).retval), ['0x2a', '0x2b', '0x2c']);
        const loaded = cli(['kload', '--json', '--pin-root', dir, counter]);
        assert.is(loaded.status, 0, loaded.stderr);
        assert.is(pinned.info().id, id, 'still the map the first process pinned');
        const value = pinned.get(new Uint8Array(4))!;
        assert.is(new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0, true), 45n, 'three runs counted in the one map');
        const bad = cli(['kload', '--json', '--pin-root', dir, wider]);
        assert.is(bad.status, 2);
        assert.is(bad.stdout, '');
        assert.is(bad.stderr, `tsbpf kload: ${wider}: create map "tsbpf_t_cli": the map pinned at '${path.join(dir, 'tsbpf_t_cli')}' is incompatible: max_entries 2 (pinned: 1); unpin it (rm ${path.join(dir, 'tsbpf_t_cli')}) or change the spec\n`);
      } finally {
        pinned.close();
        rmSync(path.join(dir, 'tsbpf_t_cli'), { force: true });
      }
    } finally {
      rmSync(files, { recursive: true, force: true });
    }
  });
});

test.run();
