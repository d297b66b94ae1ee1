/**
 * opensnoop's `infotmp` allocation choice (src/tools/opensnoop-live.ts): run-time allocated
 * (`BPF_F_NO_PREALLOC`, cheaper to create) only on kernels from 6.1, where tracing programs may
 * use such hashes without a verifier WARN_ONCE; every other map and every other field unchanged.
 * The kernel half (the variants load with it and the map has the flag) is in
 * test/kernel/opensnoop-infotmp-allocation.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OPENSNOOP_ENTER, OPENSNOOP_EXIT } from '../../src/tools/opensnoop-prebuilt.generated.js';
import { runtimeAllocatedHashOk, withInfotmpAllocation } from '../../src/tools/opensnoop-live.js';

const RELEASES: readonly (readonly [string, boolean])[] = [
  ['6.18.0-1-cloud-amd64', true],
  ['6.1.0-28-amd64', true],
  ['6.12.9', true],
  ['7.0.0', true],
  ['10.2', true],
  ['6.0.19', false],
  ['5.15.0-91-generic', false],
  ['5.10.0-33-amd64', false],
  ['4.19.0', false],
  ['', false],
  ['linux', false],
];

test('runtime-allocated infotmp only from Linux 6.1 (uname -r)', () => {
  for (const [release, ok] of RELEASES) assert.is(runtimeAllocatedHashOk(release), ok, release);
});

test('withInfotmpAllocation sets BPF_F_NO_PREALLOC on infotmp only, in every variant, and changes nothing else', () => {
  for (const program of [...Object.values(OPENSNOOP_ENTER), ...Object.values(OPENSNOOP_EXIT)]) {
    assert.is(withInfotmpAllocation(program, false), program);
    const changed = withInfotmpAllocation(program, true);
    assert.ok(program.maps.some((m) => m.name === 'infotmp'), `${program.name} uses infotmp`);
    assert.equal({ ...changed, maps: [] }, { ...program, maps: [] });
    assert.is(changed.maps.length, program.maps.length);
    for (const [i, m] of program.maps.entries()) {
      const expected = m.name === 'infotmp' ? { ...m, flags: m.flags | 1 } : m;
      assert.equal(changed.maps[i], expected, `${program.name} ${m.name}`);
    }
    // The generated (shared, frozen-by-convention) object is not modified.
    assert.ok(program.maps.every((m) => m.name !== 'infotmp' || (m.flags & 1) === 0));
  }
});

test.run();
