// `tsbpf run` (interpreter) against the same specs as `tsbpf krun` (kernel, when root).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assemble, bytesToHex, encode } from 'ebpf-bytecode-utils';
import { kernelTest } from '../support/kernel.js';
import { runCli } from '../support/cli-io.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-cli-run-'));
const test = suite('tsbpf run');

function specFile(name: string, spec: object): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

const tsbpf = runCli;

const lookup = bytesToHex(
  encode(assemble('r1 = 0\n*(u32 *)(r10 -4) = r1\nr2 = r10\nr2 += -4\nr1 = map[fd:0]\ncall bpf_map_lookup_elem#1\nif r0 == 0 goto +1\nr0 = *(u32 *)(r0 +0)\nexit').instructions),
);
const specs = [
  specFile('xdp-pass.json', { progType: 'xdp', license: 'GPL', insns: 'b700000002000000 9500000000000000', maps: [] }),
  specFile('map-value.json', {
    progType: 'socket_filter', expectedAttachType: null, license: 'GPL', progFlags: 0, insns: lookup,
    maps: [{ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1, flags: 0, init: [{ key: '00000000', value: '2a000000' }] }],
  }),
];
const data = '00'.repeat(64);
const expected = [`{"retval":"0x2","dataOut":"${data}"}`, `{"retval":"0x2a","dataOut":"${data}"}`];

test('run: JSON Lines, one result per spec, maps filled from init', async () => {
  const r = await tsbpf(['run', '--json', '--data', data, ...specs]);
  assert.is(r.status, 0, r.err);
  assert.equal(r.out.trim().split('\n'), expected);
});

test('run: bad input is one line, exit 2', async () => {
  const r = await tsbpf(['run', path.join(dir, 'missing.json')]);
  assert.is(r.status, 2);
  assert.match(r.err, /^tsbpf run: cannot read '.*missing.json': no such file or directory\n$/);
  const bad = specFile('bad.json', { progType: 'xdp', insns: 'b7000000020000', maps: [] });
  const r2 = await tsbpf(['run', bad]);
  assert.is(r2.status, 2);
  assert.is(r2.err.split('\n').length, 2, r2.err);
});

kernelTest(test, 'krun gives what run gives', async () => {
  const r = await tsbpf(['krun', '--json', '--data', data, ...specs]);
  assert.is(r.status, 0, r.err);
  assert.equal(r.out.trim().split('\n'), expected);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
