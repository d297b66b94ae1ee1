// libbpf's pin-by-name semantics for maps against the live kernel, in a private bpffs: the first
// create pins, a compatible second create reuses the pinned map, an incompatible one is a clear
// error; a directory that is not bpffs is mounted (as root) or reported.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BpfMap, BpffsError, ensureBpffs, isBpffs, viewOf } from '../../src/maps/index.js';
import { KernelObjectError } from '../../src/errors.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('maps pin by name (kernel)');

const key = (n: number) => {
  const k = new Uint8Array(4);
  viewOf(k).setUint32(0, n, true);
  return k;
};

/** Runs `fn` with a fresh directory that is not bpffs; unmounts and removes it afterwards. */
function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-pin-'));
  try {
    fn(dir);
  } finally {
    if (isBpffs(dir)) execFileSync('umount', [dir]);
    rmdirSync(dir);
  }
}

kernelTest(test, "pinning 'by_name': pins, reuses a compatible pin, refuses an incompatible one", () => {
  withDir((dir) => {
    assert.not.ok(isBpffs(dir));
    const spec = { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16, name: 'tsbpf_t_pin', pinning: 'by_name', pinRoot: dir } as const;
    const first = BpfMap.create(spec);
    const pinPath = path.join(dir, 'tsbpf_t_pin');
    try {
      assert.ok(isBpffs(dir), 'the pin root was mounted');
      assert.ok(existsSync(pinPath));
      assert.is(first.pinnedPath, pinPath);
      assert.not.ok(first.reusedPin);
      first.set(key(1), key(42));
      using second = BpfMap.create(spec);
      assert.ok(second.reusedPin);
      assert.is(second.info().id, first.info().id);
      assert.equal([...second.get(key(1))!], [...key(42)]);
      assert.throws(
        () => BpfMap.create({ ...spec, maxEntries: 32 }),
        (e: unknown) => e instanceof KernelObjectError && e.message.includes(`the map pinned at '${pinPath}' is incompatible: max_entries 32 (pinned: 16)`),
      );
      assert.throws(
        () => BpfMap.create({ ...spec, type: 'array', flags: 0x400 }),
        (e: unknown) => e instanceof KernelObjectError && /map_type 2 \(pinned: 1\).*map_flags 0x400 \(pinned: 0x0\)/.test(e.message),
      );
      // The pin outlives the objects: after closing both, a third create still finds the data.
      first.close();
      second.close();
      using third = BpfMap.create(spec);
      assert.ok(third.reusedPin);
      assert.equal([...third.get(key(1))!], [...key(42)]);
    } finally {
      first.close();
      if (existsSync(pinPath)) unlinkSync(pinPath);
    }
  });
});

kernelTest(test, "pinning 'by_name' needs a name; bad pin roots give typed errors", () => {
  withDir((dir) => {
    assert.throws(() => BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4, pinning: 'by_name', pinRoot: dir }), (e: unknown) => e instanceof KernelObjectError && /needs a name/.test(e.message));
    assert.throws(() => ensureBpffs(dir, { mount: false }), (e: unknown) => e instanceof BpffsError && e.message.includes(`mount -t bpf bpf ${dir}`));
    assert.throws(
      () => BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4, name: 'x', pinning: 'by_name', pinRoot: path.join(dir, 'missing') }),
      (e: unknown) => e instanceof KernelObjectError && /cannot pin by name: bpffs: .*missing does not exist/.test(e.message),
    );
    assert.throws(() => BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4, name: 'x', pinning: 'sometimes' as 'none' }), (e: unknown) => e instanceof KernelObjectError && /unknown pinning 'sometimes'/.test(e.message));
  });
});

test.run();
