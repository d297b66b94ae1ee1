// bench/struct: decode/encode throughput of struct types on one core. Prints a table.
//   node --import tsx bench/struct.ts [NAME-SUBSTRING]   (only the rows whose name contains it)
// Targets: ≥ 5 M events/s decoding a numeric-only struct, ≥ 1 M/s for the 288-byte event with
// two strings (src/types brief), ≥ 10 M/s for the 5-field struct (u32, u32, u64, char[16], u64)
// of issue 3. Each type is decoded three ways from one buffer of 4096 records: the generated
// codec (`decode`), the closure plan (the fallback without `new Function`), and a hand-written
// DataView decoder (the anchor: what one would write by hand, strings through TextDecoder).
// Strings that repeat (comm, file names) hit the string cache of readCString; the rows marked
// "every string distinct" show the worst case. Rates are per CPU second, best of 3 rounds.
import { char, s32, s64, struct, u32, u64, type SomeType } from '../src/types/index.js';
import { compilePlan } from '../src/types/plan.js';
import type { AnyType } from '../src/types/codegen.js';

const N = 4096;

/**
 * Runs `fn` (which handles `units` units) for about `seconds` of CPU time, returns units per
 * CPU second (best of 3 rounds). CPU time (`process.cpuUsage`, all threads of the process, GC
 * helpers included) rather than wall time, so a loaded machine slows the clock less.
 */
function measure(fn: () => unknown, units: number, seconds = 0.4): number {
  for (let i = 0; i < 30; i++) fn();
  const cpu = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let calls = 0;
    const start = cpu();
    let now = start;
    while (now - start < seconds) {
      fn();
      calls++;
      now = cpu();
    }
    best = Math.max(best, (calls * units) / (now - start));
  }
  return best;
}

const utf8 = new TextDecoder();
function handString(u8: Uint8Array, o: number, n: number): string {
  let end = o;
  while (end < o + n && u8[end] !== 0) end++;
  return utf8.decode(u8.subarray(o, end));
}

interface Case {
  readonly name: string;
  readonly type: SomeType;
  readonly sample: (i: number) => unknown;
  readonly hand: (dv: DataView, u8: Uint8Array, o: number) => unknown;
  readonly target: number;
}

const Numeric = struct('numeric', { pid: u32, tid: u32, uid: u32, gid: u32, ts: u64, lat: u64, cpu: u32, ret: s32, bytes: s64 });
const Five = struct('five', { pid: u32, tid: u32, ts: u64, comm: char(16), cookie: u64 });
const Event = struct('event', { pid: u32, uid: u32, ts: u64, comm: char(16), fname: char(256) });

const cases: Case[] = [
  {
    name: `numeric-only (9 fields, ${Numeric.size} B)`,
    type: Numeric,
    sample: (i) => ({ pid: i, tid: i + 1, uid: 1000, gid: 1000, ts: BigInt(i) * 1000n, lat: 12345n, cpu: i & 7, ret: -i, bytes: BigInt(i) }),
    hand: (dv, _u8, o) => ({
      pid: dv.getUint32(o, true), tid: dv.getUint32(o + 4, true), uid: dv.getUint32(o + 8, true), gid: dv.getUint32(o + 12, true),
      ts: dv.getBigUint64(o + 16, true), lat: dv.getBigUint64(o + 24, true), cpu: dv.getUint32(o + 32, true), ret: dv.getInt32(o + 36, true),
      bytes: dv.getBigInt64(o + 40, true),
    }),
    target: 5e6,
  },
  {
    name: `u32, u32, u64, char[16], u64 (${Five.size} B)`,
    type: Five,
    sample: (i) => ({ pid: i, tid: i, ts: BigInt(i), comm: ['bash', 'systemd-journal', 'node'][i % 3], cookie: 7n }),
    hand: (dv, u8, o) => ({
      pid: dv.getUint32(o, true), tid: dv.getUint32(o + 4, true), ts: dv.getBigUint64(o + 8, true),
      comm: handString(u8, o + 16, 16), cookie: dv.getBigUint64(o + 32, true),
    }),
    target: 10e6,
  },
  {
    name: `event: 2 strings (${Event.size} B)`,
    type: Event,
    sample: (i) => ({ pid: i, uid: 0, ts: BigInt(i), comm: ['bash', 'systemd-journal', 'node'][i % 3], fname: `/usr/lib/x86_64-linux-gnu/libc.so.${i % 10}` }),
    hand: (dv, u8, o) => ({
      pid: dv.getUint32(o, true), uid: dv.getUint32(o + 4, true), ts: dv.getBigUint64(o + 8, true),
      comm: handString(u8, o + 16, 16), fname: handString(u8, o + 32, 256),
    }),
    target: 1e6,
  },
  {
    // Every string different: the string cache of readCString never hits (worst case).
    name: `event, every string distinct (${Event.size} B)`,
    type: Event,
    sample: (i) => ({ pid: i, uid: 0, ts: BigInt(i), comm: `worker-${i}`, fname: `/var/lib/app/data/segment-${i}.log` }),
    hand: (dv, u8, o) => ({
      pid: dv.getUint32(o, true), uid: dv.getUint32(o + 4, true), ts: dv.getBigUint64(o + 8, true),
      comm: handString(u8, o + 16, 16), fname: handString(u8, o + 32, 256),
    }),
    target: 1e6,
  },
  {
    name: `u32, u32, u64, char[16], u64, every comm distinct (${Five.size} B)`,
    type: Five,
    sample: (i) => ({ pid: i, tid: i, ts: BigInt(i), comm: `worker-${i}`, cookie: 7n }),
    hand: (dv, u8, o) => ({
      pid: dv.getUint32(o, true), tid: dv.getUint32(o + 4, true), ts: dv.getBigUint64(o + 8, true),
      comm: handString(u8, o + 16, 16), cookie: dv.getBigUint64(o + 32, true),
    }),
    target: 10e6,
  },
];

const fmt = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(0)} k/s`);

console.log(`${N} records per buffer, node ${process.version}, single thread, rates per CPU second\n`);
console.log('| struct | decode (generated) | decode (closure plan) | hand-written DataView | encode (generated) | target (decode) | met |');
console.log('|---|---:|---:|---:|---:|---:|:-:|');
const only = process.argv[2];
for (const c of cases) {
  if (only !== undefined && !c.name.includes(only)) continue;
  const size = c.type.size;
  const buf = new Uint8Array(N * size);
  const values = Array.from({ length: N }, (_, i) => c.sample(i));
  values.forEach((v, i) => c.type.encode(v, buf, i * size));
  const dv = new DataView(buf.buffer);
  const plan = compilePlan(c.type as AnyType);
  let sink = 0;
  const use = (r: unknown): void => {
    if (r === null) sink++;
  };
  const gen = measure(() => {
    for (let i = 0; i < N; i++) use(c.type.decode(buf, i * size));
  }, N);
  const closure = measure(() => {
    for (let i = 0; i < N; i++) use(plan.read(dv, buf, i * size));
  }, N);
  const hand = measure(() => {
    for (let i = 0; i < N; i++) use(c.hand(dv, buf, i * size));
  }, N);
  const out = new Uint8Array(N * size);
  const enc = measure(() => {
    for (let i = 0; i < N; i++) c.type.encode(values[i], out, i * size);
  }, N);
  console.log(`| ${c.name} | ${fmt(gen)} | ${fmt(closure)} | ${fmt(hand)} | ${fmt(enc)} | ${fmt(c.target)} | ${gen >= c.target ? 'yes' : 'NO'} |`);
  if (sink !== 0) console.log(sink);
}
