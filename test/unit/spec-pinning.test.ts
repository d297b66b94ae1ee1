// The spec reader's `"pinning"` map field (libbpf's pin-by-name): accepted forms, and a SpecError
// naming the JSON path for every way it can be wrong.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SpecError, parseProgramSpec } from '../../src/spec/index.js';

const test = suite('spec pinning');

const withMap = (map: Record<string, unknown>) => ({ progType: 'socket_filter', insns: 'b700000000000000 9500000000000000', maps: [map] });
const base = { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 8 };

test('"by_name" and libbpf\'s 1 pin by name; "none", 0 and absence do not', () => {
  for (const pinning of ['by_name', 1]) assert.is(parseProgramSpec(withMap({ ...base, name: 'counts', pinning })).maps[0]!.pinning, 'by_name');
  for (const pinning of ['none', 0, undefined]) {
    const map = parseProgramSpec(withMap({ ...base, pinning })).maps[0]!;
    assert.is(map.pinning, undefined);
    assert.not.ok('pinning' in map, 'the field is left out, so existing specs parse to the same object');
  }
});

const bad: [string, Record<string, unknown>, string][] = [
  ['an unknown value', { ...base, name: 'x', pinning: 'by_path' }, 'maps[0].pinning: expected "none" or "by_name", got "by_path"'],
  ['a boolean', { ...base, name: 'x', pinning: true }, 'maps[0].pinning: expected "none" or "by_name", got true'],
  ['no name', { ...base, pinning: 'by_name' }, 'maps[0].name: missing (pinning "by_name" pins the map at <pin root>/<name>)'],
  ['an empty name', { ...base, name: '', pinning: 'by_name' }, 'maps[0].name: empty (pinning "by_name" pins the map at <pin root>/<name>)'],
  ['a name with a slash', { ...base, name: '../etc', pinning: 'by_name' }, `maps[0].name: name "../etc" may hold only letters, digits, '_' and '.'`],
  ['a name too long', { ...base, name: 'a_very_long_map_name', pinning: 'by_name' }, 'maps[0].name: name "a_very_long_map_name" is longer than 15 bytes'],
  [
    'a pinned inner map',
    { type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, innerMap: { ...base, name: 'inner', pinning: 'by_name' } },
    'maps[0].innerMap.pinning: an inner map is a template and cannot be pinned',
  ],
];
for (const [what, map, message] of bad) {
  test(`${what} is a SpecError naming the path`, () => {
    assert.throws(() => parseProgramSpec(withMap(map)), (e: unknown) => e instanceof SpecError && e.message === message);
  });
}

test.run();
