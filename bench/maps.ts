// Map element costs from JS (tsbpf) against the same loops in C (bench/maps.c, compiled here with
// gcc into a temp dir; raw syscall(SYS_bpf), no libbpf): single-element lookup and update of a
// hash map and of an array map, and batch lookup throughput. Targets: JS within 1.3× of C; batch ≥ 5 M entries/s.
// C and JS rounds alternate so that machine noise hits both; the table shows medians of CPU time
// (user + system, process-wide: process.cpuUsage() here, CLOCK_PROCESS_CPUTIME_ID in C), which,
// unlike wall time, does not count waiting for a CPU on a loaded machine. Other processes still
// disturb both sides (cache and TLB pollution) and the disturbance drifts over seconds, so JS/C
// is the median of each round's own ratio: use many short rounds (e.g. 50000 calls × 31 rounds).
// Where the JS/C gap comes from (PTI without PCID: TLB refills after every system call) is taken
// apart by bench/maps-variants.ts and bench/maps-pti.c.
//
// Usage (root): node --import tsx bench/maps.ts [N_SINGLE] [N_BATCH_ENTRIES] [ROUNDS]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentBackend } from '../syscalls/index.js';
import { ArrayMap, BPF_F_MMAPABLE, BpfMap, HashMap, u32, u64, viewOf, type Codec } from '../src/maps/index.js';
import { char, struct, u32 as u32Type, u64 as u64Type } from '../src/types/index.js';

if (process.getuid?.() !== 0) {
  console.log('bench/maps: needs root (bpf() maps); skipped');
  process.exit(0);
}

const n = Number(process.argv[2] ?? 200_000);
const entries = Number(process.argv[3] ?? 100_000);
const rounds = Number(process.argv[4] ?? 5);
const here = path.dirname(fileURLToPath(import.meta.url));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Process CPU time (user + system) in ns. */
const ns = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

// --- C
const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-bench-maps-'));
const exe = path.join(dir, 'maps');
execFileSync('gcc', ['-O2', '-o', exe, path.join(here, 'maps.c')], { stdio: 'inherit' });
function runC(): Record<string, number> {
  const out = execFileSync(exe, [String(n), String(entries), '1'], { encoding: 'utf8' });
  const r: Record<string, number> = {};
  for (const line of out.trim().split('\n')) {
    const [name, value] = line.split(' ');
    r[name] = Number(value);
  }
  return r;
}

// --- JS
const raw = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1024, name: 'bench_raw' });
const typed = HashMap.create({ key: u32, value: u64, maxEntries: 1024, name: 'bench_typed' });
const key = new Uint8Array(4);
viewOf(key).setUint32(0, 7, true);
const value = new Uint8Array(8);
raw.set(key, value);
typed.set(7, 42n);
const array = ArrayMap.create({ value: u64, maxEntries: 1024, name: 'bench_array' });
array.set(7, 42n);
// An 8-byte struct value: the same sizes as the C loop's u32 → u64 hash map.
const pair = struct('pair', { lo: u32Type, hi: u32Type });
const structured = HashMap.create({ key: u32, value: pair, maxEntries: 1024, name: 'bench_struct' });
structured.set(7, { lo: 1, hi: 2 });
// The same struct through the codec's own write/read (a copy of the codec object, which TypedMap
// does not recognise): the generic path, i.e. what struct maps cost before their bound codecs.
const pairGeneric: Codec<{ lo: number; hi: number }> = { size: pair.size, write: pair.write, read: pair.read };
const structuredGeneric = HashMap.create({ key: u32, value: pairGeneric, maxEntries: 1024, name: 'bench_struct_g' });
structuredGeneric.set(7, { lo: 1, hi: 2 });
// A 40-byte event-like struct (u32, u32, u64, char[16], u64), fast and generic.
const event = struct('bench_event', { pid: u32Type, uid: u32Type, ts: u64Type, comm: char(16), bytes: u64Type });
const eventGeneric: Codec<ReturnType<typeof event.decode>> = { size: event.size, write: event.write, read: event.read };
const events = HashMap.create({ key: u32, value: event, maxEntries: 1024, name: 'bench_event' });
const eventsGeneric = HashMap.create({ key: u32, value: eventGeneric, maxEntries: 1024, name: 'bench_event_g' });
const ev = { pid: 7, uid: 1000, ts: 123456789n, comm: 'node', bytes: 4096n };
events.set(7, ev);
eventsGeneric.set(7, ev);
const out = new Uint8Array(8);
const big = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: entries, name: 'bench_batch' });
{
  const keys = new Uint8Array(entries * 4);
  const values = new Uint8Array(entries * 8);
  for (let i = 0; i < entries; i++) viewOf(keys).setUint32(i * 4, i, true);
  big.updateBatch(keys, values);
}

const mmapEntries = 1 << 20;
const mmapable = ArrayMap.create({ value: u32, maxEntries: mmapEntries, flags: BPF_F_MMAPABLE, name: 'bench_mmap' });
const mapped = mmapable.mmap();
for (let i = 0; i < mmapEntries; i += 4099) mapped.set(i, i);

const js: Record<string, number[]> = { batch: [], mmapGet: [], mmapView: [] };
const c: Record<string, number[]> = { lookup: [], update: [], arrayLookup: [], arrayUpdate: [], batch: [], null: [] };
const valueView = viewOf(value);
// One function per case (no shared timing helper, no loop inside one big function that only
// on-stack replacement optimizes): each call site stays monomorphic, as in user code.
const acc = raw.access;
// The floor: bpf() with a command the kernel rejects at once, through the same koffi call form
// the element operations use (what koffi alone adds per call).
const backend = currentBackend();
const nullAttr = new Uint8Array(new ArrayBuffer(32));
const nullAt = Number(backend.address(nullAttr));
const perCall = (t0: number) => (ns() - t0) / n;
const cases = {
  null: () => {
    const t0 = ns();
    if (backend.bpfAt !== undefined) for (let i = 0; i < n; i++) backend.bpfAt(9999, nullAt, 32);
    else for (let i = 0; i < n; i++) backend.bpf(9999, nullAttr, 32);
    return perCall(t0);
  },
  lookupRaw: () => { const t0 = ns(); for (let i = 0; i < n; i++) acc.lookup(); return perCall(t0); },
  lookupGetInto: () => { const t0 = ns(); for (let i = 0; i < n; i++) raw.getInto(key, out); return perCall(t0); },
  lookupTyped: () => { const t0 = ns(); for (let i = 0; i < n; i++) typed.get(7); return perCall(t0); },
  lookupHas: () => { const t0 = ns(); for (let i = 0; i < n; i++) typed.has(7); return perCall(t0); },
  lookupStruct: () => { const t0 = ns(); for (let i = 0; i < n; i++) structured.get(7); return perCall(t0); },
  lookupStructGeneric: () => { const t0 = ns(); for (let i = 0; i < n; i++) structuredGeneric.get(7); return perCall(t0); },
  lookupStructInto: () => {
    const t0 = ns();
    const into = { lo: 0, hi: 0 };
    for (let i = 0; i < n; i++) structured.getInto(7, into);
    return perCall(t0);
  },
  lookupEvent: () => { const t0 = ns(); for (let i = 0; i < n; i++) events.get(7); return perCall(t0); },
  lookupEventGeneric: () => { const t0 = ns(); for (let i = 0; i < n; i++) eventsGeneric.get(7); return perCall(t0); },
  lookupArray: () => { const t0 = ns(); for (let i = 0; i < n; i++) array.get(7); return perCall(t0); },
  updateSet: () => {
    const t0 = ns();
    for (let i = 0; i < n; i++) {
      valueView.setUint32(0, i, true);
      raw.set(key, value);
    }
    return perCall(t0);
  },
  updateTyped: () => { const t0 = ns(); for (let i = 0; i < n; i++) typed.set(7, BigInt(i)); return perCall(t0); },
  // The same without the loop's own BigInt(i) allocation: what the library adds.
  updateTypedSame: () => {
    const t0 = ns();
    const v = 42n;
    for (let i = 0; i < n; i++) typed.set(7, v);
    return perCall(t0);
  },
  updateStruct: () => {
    const t0 = ns();
    const v = { lo: 0, hi: 2 };
    for (let i = 0; i < n; i++) {
      v.lo = i;
      structured.set(7, v);
    }
    return perCall(t0);
  },
  updateStructGeneric: () => {
    const t0 = ns();
    const v = { lo: 0, hi: 2 };
    for (let i = 0; i < n; i++) {
      v.lo = i;
      structuredGeneric.set(7, v);
    }
    return perCall(t0);
  },
  updateEvent: () => {
    const t0 = ns();
    const v = { ...ev };
    for (let i = 0; i < n; i++) {
      v.pid = i;
      events.set(7, v);
    }
    return perCall(t0);
  },
  updateEventGeneric: () => {
    const t0 = ns();
    const v = { ...ev };
    for (let i = 0; i < n; i++) {
      v.pid = i;
      eventsGeneric.set(7, v);
    }
    return perCall(t0);
  },
  updateArray: () => { const t0 = ns(); for (let i = 0; i < n; i++) array.set(7, BigInt(i)); return perCall(t0); },
};
/** CPU ns per entry of a whole-map batch lookup, 4096 entries per call. */
function batchLookup(): number {
  const t0 = ns();
  let total = 0;
  for (const b of big.batches({ batchSize: 4096 })) total += b.count;
  if (total !== entries) throw new Error(`batch: ${total} of ${entries} entries`);
  return (ns() - t0) / total;
}
/** CPU ns per value of reading every value through MappedArray.get, then through its DataView; and both sums. */
function mmapReads(): [number, number, number, number] {
  let t0 = ns();
  let sum = 0;
  for (let i = 0; i < mmapEntries; i++) sum += mapped.get(i);
  const get = (ns() - t0) / mmapEntries;
  t0 = ns();
  const view = mapped.view;
  const stride = mapped.stride;
  let sum2 = 0;
  for (let i = 0; i < mmapEntries; i++) sum2 += view.getUint32(i * stride, true);
  return [get, (ns() - t0) / mmapEntries, sum, sum2];
}
for (let r = 0; r < rounds; r++) {
  const cr = runC();
  c.lookup.push(cr.lookup);
  c.update.push(cr.update);
  c.arrayLookup.push(cr.array_lookup);
  c.arrayUpdate.push(cr.array_update);
  c.batch.push(cr.batch);
  c.null.push(cr.null);
  for (const [name, run] of Object.entries(cases)) (js[name] ??= []).push(run());
  js.batch.push(batchLookup());
  const [get, viewRead, sum, sum2] = mmapReads();
  js.mmapGet.push(get);
  js.mmapView.push(viewRead);
  if (sum !== sum2) throw new Error(`mmap: sums differ (${sum} vs ${sum2})`);
}
mapped.close();
mmapable.close();
raw.close();
typed.close();
array.close();
structured.close();
structuredGeneric.close();
events.close();
eventsGeneric.close();
big.close();
rmSync(dir, { recursive: true, force: true });

/** Median over rounds of JS/C within the same round: slow drifts of the machine's load cancel out. */
const pairedRatio = (j: number[], cc: number[]) => median(j.map((x, r) => x / cc[r]!));
const rows: [string, string, string][] = [
  ['floor: bpf() with an invalid command (EINVAL)', 'null', 'null'],
  ['lookup: MapElemAccess.lookup (preallocated)', 'lookupRaw', 'lookup'],
  ['lookup: BpfMap.getInto(key, out)', 'lookupGetInto', 'lookup'],
  ['lookup: HashMap<u32,u64>.get', 'lookupTyped', 'lookup'],
  ['lookup: HashMap<u32,u64>.has', 'lookupHas', 'lookup'],
  ['lookup: HashMap<u32,struct{u32,u32}>.get', 'lookupStruct', 'lookup'],
  ['lookup: … same, generic codec path (before)', 'lookupStructGeneric', 'lookup'],
  ['lookup: … same, getInto(k, reused object)', 'lookupStructInto', 'lookup'],
  ['lookup: HashMap<u32,event 40 B>.get', 'lookupEvent', 'lookup'],
  ['lookup: … same, generic codec path (before)', 'lookupEventGeneric', 'lookup'],
  ['lookup: ArrayMap<u64>.get (C: array)', 'lookupArray', 'arrayLookup'],
  ['update: BpfMap.set(key, value)', 'updateSet', 'update'],
  ['update: HashMap<u32,u64>.set(k, BigInt(i))', 'updateTyped', 'update'],
  ['update: HashMap<u32,u64>.set(k, same bigint)', 'updateTypedSame', 'update'],
  ['update: HashMap<u32,struct{u32,u32}>.set', 'updateStruct', 'update'],
  ['update: … same, generic codec path (before)', 'updateStructGeneric', 'update'],
  ['update: HashMap<u32,event 40 B>.set', 'updateEvent', 'update'],
  ['update: … same, generic codec path (before)', 'updateEventGeneric', 'update'],
  ['update: ArrayMap<u64>.set (C: array)', 'updateArray', 'arrayUpdate'],
];
console.log(`map element costs, ${rounds} alternating rounds of ${n} calls (CPU ns per call, medians; JS/C: median of the rounds' ratios)`);
console.log(`${'operation'.padEnd(46)} ${'JS ns'.padStart(8)} ${'C ns'.padStart(8)} ${'JS/C'.padStart(6)}`);
for (const [name, j, cc] of rows) {
  console.log(`${name.padEnd(46)} ${median(js[j]!).toFixed(0).padStart(8)} ${median(c[cc]!).toFixed(0).padStart(8)} ${pairedRatio(js[j]!, c[cc]!).toFixed(2).padStart(6)}`);
}
const jsRate = 1e3 / median(js.batch);
const cRate = 1e3 / median(c.batch);
console.log(`\nbatch lookup of ${entries} entries, 4096 per call (M entries per CPU second): JS ${jsRate.toFixed(2)}  C ${cRate.toFixed(2)}  JS/C time ${(cRate / jsRate).toFixed(2)}`);
console.log(`mmapable array reads of ${mmapEntries} u32 values (M values per CPU second; target 50): MappedArray.get ${(1e3 / median(js.mmapGet)).toFixed(0)}  DataView ${(1e3 / median(js.mmapView)).toFixed(0)}`);
