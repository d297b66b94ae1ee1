// BCC's histogram text against an oracle: Python's printf-style formatting driven by the format
// strings and star rule of BCC's src/python/bcc/table.py (the facts: "%10d -> %-10d : %-8d |%-*s|",
// a 40-wide bar below slot 33, "%20d -> %-20d" and 20 stars above). Python does the padding, so
// the comparison checks our widths independently. Plus hand-derived literals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { formatLinearHist, formatLog2Hist, log2HistJson, stars } from '../../src/bcc/histogram.js';

const ORACLE = String.raw`
import json, sys
def stars(val, val_max, width):
    i = 0; text = ""
    while True:
        if (i > (width * val / val_max) - 1) or (i > width - 1): break
        text += "*"; i += 1
    if val > val_max: text = text[:-1] + "+"
    return text
def log2(vals, val_type, strip):
    out = []; idx_max = -1; val_max = 0
    for i, v in enumerate(vals):
        if v > 0: idx_max = i
        if v > val_max: val_max = v
    if idx_max <= 32:
        header = "     %-19s : count     distribution"; body = "%10d -> %-10d : %-8d |%-*s|"; w = 40
    else:
        header = "               %-29s : count     distribution"; body = "%20d -> %-20d : %-8d |%-*s|"; w = 20
    if idx_max > 0: out.append(header % val_type)
    for i in range(1, idx_max + 1):
        low = (1 << i) >> 1; high = (1 << i) - 1
        if low == high: low -= 1
        val = vals[i]
        if strip:
            if val:
                out.append(body % (low, high, val, w, stars(val, val_max, w))); strip = False
        else:
            out.append(body % (low, high, val, w, stars(val, val_max, w)))
    return "\n".join(out)
def linear(vals, val_type):
    out = []; idx_max = -1; val_max = 0
    for i, v in enumerate(vals):
        if v > 0: idx_max = i
        if v > val_max: val_max = v
    if idx_max >= 0: out.append("     %-13s : count     distribution" % val_type)
    for i in range(0, idx_max + 1):
        out.append("        %-10d : %-8d |%-*s|" % (i, vals[i], 40, stars(vals[i], val_max, 40)))
    return "\n".join(out)
cases = json.load(sys.stdin)
print(json.dumps([[log2([int(v) for v in c["vals"]], c["type"], c["strip"]), linear([int(v) for v in c["vals"]], c["type"])] for c in cases]))
`;

interface Case { vals: string[]; type: string; strip: boolean }

function python(cases: Case[]): [string, string][] | undefined {
  const r = spawnSync('python3', ['-c', ORACLE], { input: JSON.stringify(cases), encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return JSON.parse(r.stdout) as [string, string][];
}
const pythonMissing = spawnSync('python3', ['-c', '0']).status !== 0;

const fixed: Case[] = [
  { vals: [], type: 'value', strip: false },
  { vals: ['0', '0', '0'], type: 'usecs', strip: false },
  { vals: ['0', '3', '1', '0', '0', '7'], type: 'usecs', strip: false },
  { vals: ['0', '0', '0', '0', '5', '0', '2'], type: 'msecs', strip: true },
  { vals: ['9', '0', '1'], type: 'kbytes', strip: false },
  // Large counts: wider than the 8-column count field.
  { vals: ['0', '123456789012', '1', '98765432109876', '0', '5'], type: 'nsecs', strip: false },
  // Past slot 32: the wide layout with 20 stars.
  { vals: [...Array.from({ length: 40 }, (_, i) => String(i % 7 === 0 ? 0 : i * 1000))], type: 'nsecs', strip: false },
  // Slot 64: the top of the u64 range.
  { vals: [...Array.from({ length: 65 }, (_, i) => (i === 64 ? '18446744073709551615' : i === 3 ? '2' : '0'))], type: 'value', strip: true },
  // A very long column name overflows the header field like printf does.
  { vals: ['0', '1', '1'], type: 'a-rather-long-column-header', strip: false },
];

(pythonMissing ? test.skip : test)('log2 and linear histograms match the Python oracle on fixed data sets (skips without python3)', () => {
  const want = python(fixed);
  assert.ok(want, 'python3 oracle ran');
  fixed.forEach((c, i) => {
    assert.is(formatLog2Hist(c.vals.map(BigInt), c.type, c.strip), want![i][0], `log2 case ${i}`);
    assert.is(formatLinearHist(c.vals.map(BigInt), c.type), want![i][1], `linear case ${i}`);
  });
});

(pythonMissing ? test.skip : test)('log2 and linear histograms match the Python oracle on random data (skips without python3)', () => {
  const arb = fc.record({
    vals: fc.array(fc.oneof(fc.constant(0n), fc.bigInt(0n, 100n), fc.bigInt(0n, (1n << 64n) - 1n)), { maxLength: 65 }).map((a) => a.map(String)),
    type: fc.constantFrom('value', 'usecs', 'x'),
    strip: fc.boolean(),
  });
  const cases = fc.sample(arb, 200);
  const want = python(cases);
  assert.ok(want, 'python3 oracle ran');
  cases.forEach((c, i) => {
    assert.is(formatLog2Hist(c.vals.map(BigInt), c.type, c.strip), want![i][0], `log2 ${JSON.stringify(c)}`);
    assert.is(formatLinearHist(c.vals.map(BigInt), c.type), want![i][1], `linear ${JSON.stringify(c)}`);
  });
});

test('log2 histogram: a hand-derived example (BCC biolatency-like)', () => {
  const expected = [
    '     usecs               : count     distribution',
    '         0 -> 1          : 0        |                                        |',
    '         2 -> 3          : 4        |********************                    |',
    '         4 -> 7          : 8        |****************************************|',
    '         8 -> 15         : 1        |*****                                   |',
  ].join('\n');
  assert.is(formatLog2Hist([0, 0, 4, 8, 1], 'usecs'), expected);
  assert.is(formatLog2Hist([0, 0, 4, 8, 1], 'usecs', true), expected.split('\n').filter((l) => !l.includes(': 0 ')).join('\n'));
  assert.is(formatLog2Hist([5]), '', 'slot 0 alone prints nothing (idx_max 0)');
});

test('linear histogram: a hand-derived example', () => {
  assert.is(formatLinearHist([1, 0, 2], 'slot'), [
    '     slot          : count     distribution',
    '        0          : 1        |********************                    |',
    '        1          : 0        |                                        |',
    '        2          : 2        |****************************************|',
  ].join('\n'));
  assert.is(formatLinearHist([0, 0]), '');
});

test('stars: rounding, width cap, and the + for values above the maximum', () => {
  assert.is(stars(1, 3, 40), '*'.repeat(13)); // x = 13.33: i runs 0..12 (i > 12.33 stops)
  assert.is(stars(3, 3, 40), '*'.repeat(40));
  assert.is(stars(0, 3, 40), '');
  assert.is(stars(5, 3, 4), '***+');
});

test('JSON histogram: BCC intervals, counts and section key', () => {
  const now = new Date(2024, 0, 2, 3, 4, 5);
  const j = log2HistJson([7, 1, 0, 3n], 'usecs', ['disk', 'sda'], now);
  assert.equal(j.data, [
    { 'interval-start': 0, 'interval-end': 1, count: 1 },
    { 'interval-start': 2, 'interval-end': 3, count: 0 },
    { 'interval-start': 4, 'interval-end': 7, count: 3 },
  ]);
  assert.is(j.ts, '2024-01-02 03:04:05');
  assert.is(j.val_type, 'usecs');
  assert.is(j['disk'], 'sda');
  assert.equal(log2HistJson([4], 'v', undefined, now).data, []);
});

test.run();
