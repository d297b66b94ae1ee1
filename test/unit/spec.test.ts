// src/spec: the pure program-spec reader (DESIGN.md "Program spec"), map relocation, and the
// verifier-log readers used for verdicts. No kernel needed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SpecError, parseProgramSpec, relocateMaps } from '../../src/spec/index.js';
import { processedInsns, verifierLogFacts } from '../../src/programs/verifier-log.js';

const EXIT0 = 'b700000000000000 9500000000000000';
const Parse = suite('spec: parse and validate');

Parse('the DESIGN.md example', () => {
  const s = parseProgramSpec(`{ "progType": "socket_filter", "expectedAttachType": null, "license": "GPL", "progFlags": 0,
    "insns": "b700000000000000 9500000000000000",
    "maps": [ { "type": "hash", "keySize": 8, "valueSize": 8, "maxEntries": 1, "flags": 0 } ] }`);
  assert.is(s.progType, 1);
  assert.is(s.expectedAttachType, null);
  assert.is(s.license, 'GPL');
  assert.is(s.progFlags, 0);
  assert.equal([...s.insns], [0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(s.maps, [{ type: 1, keySize: 8, valueSize: 8, maxEntries: 1, flags: 0, init: [], progs: [] }]);
  assert.equal(s.mapRefs, []);
});

Parse('types by name or number; defaults', () => {
  const s = parseProgramSpec({ progType: 6, expectedAttachType: 'cgroup_inet_ingress', insns: EXIT0, maps: [{ type: 6, keySize: 4, valueSize: 4, maxEntries: 1 }] });
  assert.is(s.progType, 6);
  assert.is(s.expectedAttachType, 0);
  assert.is(s.license, 'GPL');
  assert.is(s.maps[0].type, 6);
  assert.is(parseProgramSpec({ progType: 'xdp', expectedAttachType: 37, insns: EXIT0 }).expectedAttachType, 37);
});

Parse('map references of ld_imm64 src_reg 1, 2, 5, 6', () => {
  const s = parseProgramSpec({
    progType: 'socket_filter',
    // r1 = map[0]; r2 = map_value(map[1]) + 16; r3 = map_by_idx[1]; r4 = map_idx_value[0] + 4; exit
    insns: '1811000000000000 0000000000000000 1822000001000000 0000000010000000 1853000001000000 0000000000000000 1864000000000000 0000000004000000 9500000000000000',
    maps: [{ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 }, { type: 'array', keySize: 4, valueSize: 32, maxEntries: 1 }],
  });
  assert.equal(s.mapRefs, [
    { slot: 0, srcReg: 1, map: 0, offset: 0 },
    { slot: 2, srcReg: 2, map: 1, offset: 16 },
    { slot: 4, srcReg: 5, map: 1, offset: 0 },
    { slot: 6, srcReg: 6, map: 0, offset: 4 },
  ]);
  const r = relocateMaps(s.insns, s.mapRefs, [30, 31]);
  const v = new DataView(r.insns.buffer);
  assert.equal([v.getInt32(4, true), v.getInt32(20, true), v.getInt32(28, true), v.getInt32(36, true), v.getInt32(52, true), v.getInt32(60, true)], [30, 31, 16, 1, 0, 4]);
  assert.equal(r.fdArray, [30, 31]);
  assert.is(s.insns[4], 0, 'the parsed bytes are not modified');
  assert.is(relocateMaps(s.insns, s.mapRefs.slice(0, 2), [30, 31]).fdArray, undefined);
});

Parse('init, innerMap, progs, mapExtra', () => {
  const s = parseProgramSpec({
    progType: 'socket_filter',
    insns: EXIT0,
    maps: [
      { type: 'hash', keySize: 4, valueSize: 2, maxEntries: 4, init: [{ key: '01000000', value: 'ff 00' }], name: 'h' },
      { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 2, progs: [{ key: 1, insns: EXIT0 }] },
      { type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, innerMap: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 } },
      { type: 'bloom_filter', keySize: 0, valueSize: 4, maxEntries: 8, mapExtra: 3 },
      { type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 1, init: [{ key: '00000000', value: '0100000000000000 0200000000000000' }] },
    ],
  });
  assert.equal([...s.maps[0].init[0].value], [0xff, 0]);
  assert.is(s.maps[0].name, 'h');
  assert.is(s.maps[1].progs[0].key, 1);
  assert.is(s.maps[2].innerMap?.valueSize, 4);
  assert.is(s.maps[3].mapExtra, 3n);
  assert.is(s.maps[4].init[0].value.length, 16);
});

const bad: [string, unknown, string][] = [
  ['invalid JSON', '{', 'invalid JSON: '],
  ['not an object', '[]', 'expected an object, got an array'],
  ['missing progType', { insns: EXIT0 }, 'progType: missing'],
  ['unknown program type', { progType: 'foo', insns: EXIT0 }, "progType: unknown program type 'foo'"],
  ['unknown attach type', { progType: 1, expectedAttachType: 'nope', insns: EXIT0 }, "expectedAttachType: unknown attach type 'nope'"],
  ['unknown field', { progType: 1, insns: EXIT0, mapz: [] }, 'mapz: unknown field'],
  ['missing insns', { progType: 1 }, 'insns: missing'],
  ['empty insns', { progType: 1, insns: '' }, 'insns: no instructions'],
  ['odd hex', { progType: 1, insns: 'b70' }, 'insns: hex: odd number of digits (3)'],
  ['bad hex digit', { progType: 1, insns: 'zz00000000000000' }, "insns: hex: 'z' at digit 0 is not a hex digit"],
  ['partial instruction', { progType: 1, insns: 'b7000000' }, 'insns: 4 bytes is not a whole number of 8-byte instructions'],
  ['map index out of range', { progType: 1, insns: '1811000002000000 0000000000000000 9500000000000000', maps: [{ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 }] },
    'insns: slot 0: ld_imm64 with src_reg 1 refers to maps[2], but the spec has 1 map'],
  ['negative keySize', { progType: 1, insns: EXIT0, maps: [{ type: 'hash', keySize: -1, valueSize: 8, maxEntries: 1 }] }, 'maps[0].keySize: expected a non-negative integer, got -1'],
  ['string maxEntries', { progType: 1, insns: EXIT0, maps: [{ type: 'hash', keySize: 4, valueSize: 8, maxEntries: '1' }] }, 'maps[0].maxEntries: expected a non-negative integer, got "1"'],
  ['missing valueSize', { progType: 1, insns: EXIT0, maps: [{ type: 'hash', keySize: 4, maxEntries: 1 }] }, 'maps[0].valueSize: missing'],
  ['unknown map type', { progType: 1, insns: EXIT0, maps: [{ type: 'hashh', keySize: 4, valueSize: 8, maxEntries: 1 }] }, "maps[0].type: unknown map type 'hashh'"],
  ['maps not an array', { progType: 1, insns: EXIT0, maps: {} }, 'maps: expected an array, got an object'],
  ['init key size', { progType: 1, insns: EXIT0, maps: [{ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1, init: [{ key: '00', value: '0000000000000000' }] }] }, 'maps[0].init[0].key: 1 bytes, expected keySize 4'],
  ['init value size', { progType: 1, insns: EXIT0, maps: [{ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1, init: [{ key: '00000000', value: '00' }] }] }, 'maps[0].init[0].value: 1 bytes, expected valueSize 8'],
  ['progs on a hash', { progType: 1, insns: EXIT0, maps: [{ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1, progs: [] }] }, 'maps[0].progs: only a prog_array map takes progs'],
  ['progs slot beyond maxEntries', { progType: 1, insns: EXIT0, maps: [{ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 1, progs: [{ key: 1, insns: EXIT0 }] }] }, 'maps[0].progs[0].key: slot 1 is beyond maxEntries 1'],
  ['map-in-map without inner', { progType: 1, insns: EXIT0, maps: [{ type: 'hash_of_maps', keySize: 4, valueSize: 4, maxEntries: 1 }] }, 'maps[0].innerMap: missing (a map-in-map needs its inner map)'],
  ['inner map error path', { progType: 1, insns: EXIT0, maps: [{ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, innerMap: { type: 'array', keySize: 4, valueSize: 1.5, maxEntries: 1 } }] }, 'maps[0].innerMap.valueSize: expected a non-negative integer, got 1.5'],
  ['bad mapExtra', { progType: 1, insns: EXIT0, maps: [{ type: 'bloom_filter', keySize: 0, valueSize: 4, maxEntries: 1, mapExtra: -2 }] }, 'maps[0].mapExtra: expected a u64'],
];
for (const [name, input, message] of bad) {
  Parse(`SpecError: ${name}`, () => {
    try {
      parseProgramSpec(typeof input === 'string' ? input : JSON.stringify(input));
      assert.unreachable('should have thrown');
    } catch (e) {
      assert.instance(e, SpecError);
      assert.ok((e as Error).message.startsWith(message), `${(e as Error).message} starts with ${message}`);
    }
  });
}

Parse('annotations are ignored', () => {
  assert.is(parseProgramSpec({ progType: 1, insns: EXIT0, comment: 'x', _source: 'y' }).progType, 1);
});

const Log = suite('spec: verifier log facts');

const logs: [string, string, { error: string | undefined; insn: number | undefined; processed: number | undefined }][] = [
  ['R0 !read_ok', '0: R1=ctx() R10=fp0\n0: (95) exit\nR0 !read_ok\nprocessed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n', { error: 'R0 !read_ok', insn: 0, processed: 1 }],
  ['two-line error: the first line is the error',
    '0: R1=ctx() R10=fp0\n0: (b7) r1 = 0\n1: R1_w=0\n1: (79) r0 = *(u64 *)(r1 +8)\nR1 invalid mem access \'scalar\'\nsome second line\nprocessed 2 insns (limit 1000000)\n',
    { error: "R1 invalid mem access 'scalar'", insn: 1, processed: 2 }],
  ['error before the walk names its insn', 'back-edge from insn 1 to 0\nprocessed 0 insns (limit 1000000)\n', { error: 'back-edge from insn 1 to 0', insn: 1, processed: 0 }],
  ['no instruction', 'unknown opcode 00\n', { error: 'unknown opcode 00', insn: undefined, processed: undefined }],
  ['empty log', '', { error: undefined, insn: undefined, processed: undefined }],
];
for (const [name, log, want] of logs) {
  Log(name, () => {
    assert.equal(verifierLogFacts(log), want);
  });
}

Log('processedInsns', () => {
  assert.is(processedInsns('processed 207123 insns (limit 1000000)'), 207123);
  assert.is(processedInsns('nothing'), undefined);
});

Parse.run();
Log.run();
