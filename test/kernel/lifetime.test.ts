// Kernel object lifetime: 10,000 maps and programs (raw, typed, and through loadSpec) created,
// loaded and closed; afterwards /proc/self/fd and the kernel's id lists (BPF_MAP_GET_NEXT_ID,
// BPF_PROG_GET_NEXT_ID) hold none of them. Skips when not root.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { listIds } from '../../syscalls/index.js';
import { BpfMap, HashMap, u32, u64 } from '../../src/maps/index.js';
import { Program } from '../../src/programs/index.js';
import { parseProgramSpec } from '../../src/spec/index.js';
import { loadSpec } from '../../src/spec/load-spec.js';
import { kernelTest } from '../support/kernel.js';
import { numRuns } from '../support/num-runs.js';

const test = suite('lifetime (kernel)');

const openFds = () => readdirSync('/proc/self/fd').length;
const RET0 = Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

const OBJECTS = numRuns(10_000); // a tenth inside the test VM

kernelTest(test, `${OBJECTS.toLocaleString('en')} objects created, loaded and closed leave no fd and no kernel object behind`, async () => {
  const baseline = openFds();
  const mapIds = new Set<number>();
  const progIds = new Set<number>();
  const spec = parseProgramSpec({
    progType: 'socket_filter',
    insns: '1821000000000000 0000000000000000 7910000000000000 9500000000000000',
    maps: [{ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1, init: [{ key: '00000000', value: '0100000000000000' }] }],
  });
  const started = Date.now();
  let objects = 0;
  const held: { close(): void }[] = [];
  for (let round = 0; objects < OBJECTS; round++) {
    // Hold up to 64 objects at a time so fd numbers are reused in different orders.
    const kind = round % 4;
    if (kind === 0) {
      const m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 });
      mapIds.add(m.info().id);
      held.push(m);
      objects += 1;
    } else if (kind === 1) {
      const h = HashMap.create({ key: u32, value: u64, maxEntries: 2 });
      h.set(1, 2n);
      mapIds.add(h.map.info().id);
      held.push(h);
      objects += 1;
    } else if (kind === 2) {
      const p = Program.load({ type: 'socket_filter', insns: RET0 });
      progIds.add(p.info().id);
      held.push(p);
      objects += 1;
    } else {
      const l = loadSpec(spec);
      mapIds.add(l.maps[0].info().id);
      progIds.add(l.program.info().id);
      held.push(l);
      objects += 2;
    }
    if (held.length >= 64) for (const o of held.splice(0)) o.close();
  }
  for (const o of held.splice(0)) o.close();
  assert.is(openFds(), baseline, '/proc/self/fd is back to its baseline');
  assert.ok(mapIds.size >= OBJECTS * 0.4 && progIds.size >= OBJECTS * 0.4, `${mapIds.size} maps, ${progIds.size} programs`);
  // The kernel frees maps and programs after an RCU grace period / in a work queue: poll.
  let leftMaps: number[] = [];
  let leftProgs: number[] = [];
  for (let i = 0; i < 100; i++) {
    leftMaps = listIds('map').filter((id) => mapIds.has(id));
    leftProgs = listIds('prog').filter((id) => progIds.has(id));
    if (leftMaps.length === 0 && leftProgs.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(leftMaps, [], 'no map of ours is alive');
  assert.equal(leftProgs, [], 'no program of ours is alive');
  console.log(`lifetime: ${objects} objects in ${Date.now() - started} ms`);
});

test.run();
