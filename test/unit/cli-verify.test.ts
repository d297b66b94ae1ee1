// `tsbpf verify` (offline verifier) against `tsbpf kload` (the kernel, when root): same JSON Lines.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assemble, bytesToHex, encode } from 'ebpf-bytecode-utils';
import { kernelTest } from '../support/kernel.js';
import { runCli } from '../support/cli-io.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-cli-verify-'));
const test = suite('tsbpf verify');

function spec(name: string, text: string, extra: object = {}): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify({ progType: 'socket_filter', license: 'GPL', insns: bytesToHex(encode(assemble(text).instructions)), maps: [], ...extra }));
  return file;
}

const tsbpf = runCli;

const specs = [
  spec('accept.json', 'r0 = *(u32 *)(r1 +0)\nexit'),
  spec('uninit.json', 'exit'),
  spec('bad-ctx.json', 'r0 = *(u32 *)(r1 +1000)\nexit'),
  spec('map-bounds.json', 'r1 = 0\n*(u32 *)(r10 -4) = r1\nr2 = r10\nr2 += -4\nr1 = map[fd:0]\ncall bpf_map_lookup_elem#1\nif r0 == 0 goto +1\nr0 = *(u64 *)(r0 +4)\nr0 = 0\nexit', {
    maps: [{ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 }],
  }),
];

test('verify: a verdict per spec in order, kernel wording, exit 1 when any is rejected', async () => {
  const r = await tsbpf(['verify', '--json', ...specs]);
  assert.is(r.status, 1, r.err);
  const results = r.out.trim().split('\n').map((l) => JSON.parse(l) as { verdict: string; error: string | null; insn: number | null });
  assert.equal(results.map((x) => [x.verdict, x.error, x.insn]), [
    ['accept', null, null],
    ['reject', 'R0 !read_ok', 0],
    ['reject', 'invalid bpf_context access off=1000 size=4', 0],
    ['reject', 'invalid access to map value, value_size=8 off=4 size=8', 8],
  ]);
});

test('verify: bad input is one line, exit 2', async () => {
  const r = await tsbpf(['verify', '--log-level', '7', specs[0]]);
  assert.is(r.status, 2);
  assert.is(r.err, 'tsbpf verify: --log-level must be 0, 1 or 2, not 7\n');
});

kernelTest(test, 'kload prints the same result objects', async () => {
  const ours = await tsbpf(['verify', '--json', ...specs]);
  const kernel = await tsbpf(['kload', '--json', ...specs]);
  assert.is(kernel.status, ours.status, kernel.err);
  // The kernel prints a map's kernel address (and pads the state tail after it) where we cannot
  // know it: compare ld_imm64 lines with the value masked.
  const mask = (s: string) => s.replace(/\(18\) (r\d+) = 0x[0-9a-f]+ +;/g, '(18) $1 = ADDR ;');
  assert.equal(mask(ours.out).split('\n'), mask(kernel.out).split('\n'));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
