/**
 * opensnoop's prebuilt programs (src/tools/opensnoop-prebuilt.generated.ts) against their source
 * of truth, the eDSL: the committed file equals what the generator builds now; for random filter
 * values, every variant patched with the values (and map fds) is byte for byte what the eDSL
 * compiles with those values; the hand-written record decoder agrees with `OpenEvent.decode`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { encode, resolve } from 'ebpf-bytecode-utils';
import { compile } from '../../src/dsl/compile.js';
import { OpenEvent, opensnoopPrograms } from '../../src/tools/opensnoop.js';
import { decodeOpenEvent, OPEN_EVENT_BYTES } from '../../src/tools/opensnoop-live.js';
import { buildOpensnoopPrebuilt, opensnoopPrebuiltSource } from '../../src/tools/opensnoop-prebuilt-build.js';
import { OPENSNOOP_ENTER, OPENSNOOP_EXIT } from '../../src/tools/opensnoop-prebuilt.generated.js';
import { enterVariantKey, enterVariantValues, exitVariantKey } from '../../src/tools/opensnoop-variants.js';
import { patchPrebuilt } from '../../src/tools/prebuilt-program.js';
import { SYS_ENTER_OPENAT_FORMAT, SYS_EXIT_OPENAT_FORMAT } from '../../src/tools/syscall-tracepoint-formats.js';
import { possibleCpuCount } from '../../src/system/possible-cpus.js';
import { numRuns } from '../support/num-runs.js';

const formats = { enter: SYS_ENTER_OPENAT_FORMAT, exit: SYS_EXIT_OPENAT_FORMAT };

test('the committed prebuilt file is what the generator builds from the eDSL now', () => {
  const committed = readFileSync(new URL('../../src/tools/opensnoop-prebuilt.generated.ts', import.meta.url), 'utf8');
  assert.ok(committed === opensnoopPrebuiltSource(buildOpensnoopPrebuilt()), 'stale: run node --import tsx src/tools/gen-opensnoop-prebuilt.ts');
  assert.equal(Object.keys(OPENSNOOP_ENTER).length, 8);
  assert.equal(Object.keys(OPENSNOOP_EXIT).length, 4);
});

const id = fc.option(fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff })), { nil: undefined });

test('patched prebuilt bytes equal the eDSL compiled with the same filters (property)', () => {
  fc.assert(fc.property(id, id, id, fc.boolean(), fc.constantFrom('perf' as const, 'ring' as const), (pid, tid, uid, failed, transport) => {
    const options = { ...(pid === undefined ? {} : { pid }), ...(tid === undefined ? {} : { tid }), ...(uid === undefined ? {} : { uid }), failed, transport };
    const progs = opensnoopPrograms({ ...options, formats });
    const cases = [[compile(progs.enter), OPENSNOOP_ENTER[enterVariantKey(options)]], [compile(progs.exit), OPENSNOOP_EXIT[exitVariantKey(options)]]] as const;
    for (const [compiled, prebuilt] of cases) {
      const fds = Object.fromEntries(compiled.maps.map((m, i) => [m.name, 3 + i]));
      const want = encode(resolve(compiled.insns, { maps: fds }).instructions);
      const got = patchPrebuilt(prebuilt, fds, enterVariantValues(options));
      assert.equal(Buffer.from(got).toString('hex'), Buffer.from(want).toString('hex'), `${prebuilt.name} ${JSON.stringify(options)}`);
      assert.equal(prebuilt.maps.map((m) => ({ ...m, maxEntries: m.maxEntries === 0 ? possibleCpuCount() : m.maxEntries })).map((m) => [m.name, m.keySize, m.valueSize, m.maxEntries, m.flags]),
        compiled.maps.map((m) => [m.name, m.keySize, m.valueSize, m.maxEntries, m.flags]));
    }
  }), { numRuns: numRuns(60) });
});

test('patchPrebuilt: a missing or out-of-range filter value, or a missing map fd, is a RangeError', () => {
  const pid = OPENSNOOP_ENTER.pid;
  assert.throws(() => patchPrebuilt(pid, { infotmp: 3 }, {}), (e: unknown) => e instanceof RangeError && /pid undefined/.test(e.message));
  assert.throws(() => patchPrebuilt(pid, { infotmp: 3 }, { pid: 2 ** 32 }), (e: unknown) => e instanceof RangeError && /32-bit unsigned/.test(e.message));
  assert.throws(() => patchPrebuilt(pid, {}, { pid: 1 }), (e: unknown) => e instanceof RangeError && /no fd for map 'infotmp'/.test(e.message));
});

test('decodeOpenEvent agrees with OpenEvent.decode (property)', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: OPEN_EVENT_BYTES, maxLength: OPEN_EVENT_BYTES }), fc.nat(40), fc.nat(300), (bytes, commNul, pathNul) => {
    if (commNul < 16) bytes[32 + commNul] = 0;
    if (pathNul < 256) bytes[48 + pathNul] = 0;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    assert.equal(decodeOpenEvent(dv), OpenEvent.decode(dv));
  }), { numRuns: numRuns(200) });
  assert.throws(() => decodeOpenEvent(new DataView(new ArrayBuffer(10))), /shorter than open_event/);
});

test.run();
