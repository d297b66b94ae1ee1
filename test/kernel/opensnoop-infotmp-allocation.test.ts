/**
 * opensnoop's run-time allocated `infotmp` in the live kernel: every prebuilt variant loads with
 * the hash created with `BPF_F_NO_PREALLOC` (the kernel's verifier accepts tracepoint programs
 * using it) and the kernel reports the flag on the map; the preallocated form still loads too.
 * Kernels before 6.1 are skipped (there opensnoop keeps the preallocated hash).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { release } from 'node:os';
import { mapInfo } from '../../syscalls/map-info.js';
import { OPENSNOOP_ENTER, OPENSNOOP_EXIT } from '../../src/tools/opensnoop-prebuilt.generated.js';
import { runtimeAllocatedHashOk, withInfotmpAllocation } from '../../src/tools/opensnoop-live.js';
import { loadPrebuiltSet, type PrebuiltProgram } from '../../src/tools/prebuilt-program.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('opensnoop: infotmp allocation (kernel)');

const before61 = () => (runtimeAllocatedHashOk(release()) ? null : `kernel ${release()} is older than 6.1 (opensnoop keeps infotmp preallocated there)`);

/** Each enter variant with the plain perf exit, and each exit variant with the unfiltered enter. */
function pairs(): [PrebuiltProgram, PrebuiltProgram][] {
  const enterKeys = Object.keys(OPENSNOOP_ENTER);
  const exitKeys = Object.keys(OPENSNOOP_EXIT);
  return [
    ...enterKeys.map((k): [PrebuiltProgram, PrebuiltProgram] => [OPENSNOOP_ENTER[k], OPENSNOOP_EXIT[exitKeys[0]]]),
    ...exitKeys.map((k): [PrebuiltProgram, PrebuiltProgram] => [OPENSNOOP_ENTER[enterKeys[0]], OPENSNOOP_EXIT[k]]),
  ];
}

function loadPair(enter: PrebuiltProgram, exit: PrebuiltProgram, noPrealloc: boolean): number {
  const values = Object.fromEntries(Object.keys(enter.patches).map((name) => [name, 4242]));
  const set = loadPrebuiltSet([withInfotmpAllocation(enter, noPrealloc), withInfotmpAllocation(exit, noPrealloc)], values);
  try {
    assert.ok(set.progFds[enter.name] > 0 && set.progFds[exit.name] > 0);
    return mapInfo(set.mapFds.infotmp).mapFlags;
  } finally {
    set.close();
  }
}

kernelTest(test, 'every variant loads with infotmp run-time allocated, and the kernel reports BPF_F_NO_PREALLOC', () => {
  const all = pairs();
  assert.is(all.length, Object.keys(OPENSNOOP_ENTER).length + Object.keys(OPENSNOOP_EXIT).length);
  for (const [enter, exit] of all) assert.is(loadPair(enter, exit, true) & 1, 1, `${enter.name} + ${exit.name}`);
}, before61);

kernelTest(test, 'the preallocated form (older kernels, BCC) still loads without the flag', () => {
  const [enter, exit] = pairs()[0];
  assert.is(loadPair(enter, exit, false) & 1, 0);
});

test.run();
