// Where the JS side of a single-element map operation spends its time, variant by variant, in
// one process, alternating rounds (CPU time, median), next to bench/maps-pti.c (the C loop, with
// and without touching K extra pages per system call):
//
//   koffi, no kernel     a koffi call of labs(3): koffi's own cost
//   getppid()            the cheapest system call, through libc's wrapper and through
//                        syscall(2), against the same two in C
//   floor                bpf() with an invalid command (EINVAL), numeric attr address
//   lookup variants      MapElemAccess.lookup (the library path); a direct call of a koffi
//                        function declared with a numeric address; the same declared with int
//                        return/arguments; an attr passed as a Buffer (`void *`); BpfMap.getInto
//                        and HashMap.get for what the typed layers add
//
// On a kernel with PTI and no PCID every system call flushes the TLB; what Node pays beyond C is
// mostly refilling the TLB entries its larger working set needs after each call.
// `extra pages` = (JS − C) / per-page refill cost measured by maps-pti.c.
//
// Usage (root): node [--use-largepages=on] --import tsx bench/maps-variants.ts [N] [ROUNDS] [--process-time]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bpfSyscallNumber, loadKoffi } from '../syscalls/index.js';
import { BpfMap, HashMap, u32, u64, viewOf } from '../src/maps/index.js';

if (process.getuid?.() !== 0) {
  console.log('bench/maps-variants: needs root (bpf() maps); skipped');
  process.exit(0);
}

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const n = Number(args[0] ?? 100_000);
const rounds = Number(args[1] ?? 5);
const here = path.dirname(fileURLToPath(import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const koffi = loadKoffi();
const libc = koffi.load(null);
// CPU time of the main thread only (CLOCK_THREAD_CPUTIME_ID), or of the whole process (Node's GC
// and compiler threads included) with --process-time. The C side is single-threaded: both are
// the same there.
const processTime = process.argv.includes('--process-time');
const clockGettime = libc.func('int clock_gettime(int clk, void *ts)');
const ts = new BigInt64Array(2);
const ns = processTime
  ? () => {
      const u = process.cpuUsage();
      return (u.user + u.system) * 1000;
    }
  : () => {
      clockGettime(3 /* CLOCK_THREAD_CPUTIME_ID */, ts);
      return Number(ts[0]) * 1e9 + Number(ts[1]);
    };

const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-bench-maps-variants-'));
const exe = path.join(dir, 'maps-pti');
execFileSync('gcc', ['-O2', '-o', exe, path.join(here, 'maps-pti.c')], { stdio: 'inherit' });
/** C: the lookup alone and the per-page refill costs (data pages, code pages) at K = 64. */
function runC(): { lookup: number; dataPage: number; codePage: number; getppid: number; syscallGetppid: number } {
  const out = execFileSync(exe, [String(n), '64'], { encoding: 'utf8' }).trim().split('\n').map((l) => l.split(' '));
  const line = (name: string) => out.find((l) => l[0] === name)!;
  const data = line('data');
  const code = line('code');
  return { lookup: Math.min(Number(data[2]), Number(code[2])), dataPage: Number(data[5]), codePage: Number(code[5]), getppid: Number(line('getppid')[1]), syscallGetppid: Number(line('syscall_getppid')[1]) };
}

const nr = bpfSyscallNumber()!;
const syscallAt = libc.func('long syscall(long nr, int cmd, uintptr_t attr, unsigned int size)');
const syscallInt = libc.func('int syscall(int nr, int cmd, uintptr_t attr, int size)');
const syscallBuf = libc.func('long syscall(long nr, int cmd, void *attr, unsigned int size)');
const labs = libc.func('long labs(long x)');
const getppid = libc.func('int getppid(void)');
const syscall1 = libc.func('long syscall(long nr)');
const SYS_getppid = process.arch === 'x64' ? 110 : 173;

const raw = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16, name: 'bench_var' });
const typed = HashMap.create({ key: u32, value: u64, maxEntries: 16, name: 'bench_var_t' });
const key = new Uint8Array(4);
viewOf(key).setUint32(0, 7, true);
raw.set(key, new Uint8Array(8));
typed.set(7, 42n);
const out = new Uint8Array(8);
const acc = raw.access;
acc.key.set(key);
// The access object's lookup attr, found by what it holds: map_fd, then the key pointer.
const attr = new Uint8Array(new ArrayBuffer(32));
const attrView = new DataView(attr.buffer);
attrView.setUint32(0, raw.fd, true);
attrView.setBigUint64(8, koffi.address(acc.key), true);
attrView.setBigUint64(16, koffi.address(acc.value), true);
const attrAt = Number(koffi.address(attr));
const nullAttr = new Uint8Array(new ArrayBuffer(32));
const nullAt = Number(koffi.address(nullAttr));
const LOOKUP = 1;

// The least a typed u32 → u64 lookup can do: a DataView store of the key, the prepared call, a
// BigInt read of the value, all bound in one closure.
const keyView = new DataView(acc.key.buffer, acc.key.byteOffset, 4);
const valueView = new DataView(acc.value.buffer, acc.value.byteOffset, 8);
const prepared = koffi === undefined ? undefined : (() => {
  const f = syscallAt;
  return () => f(nr, LOOKUP, attrAt, 32) as number;
})();
const leanGet = (k: number): bigint | undefined => {
  keyView.setUint32(0, k, true);
  return prepared!() === 0 ? valueView.getBigUint64(0, true) : undefined;
};

const cases: Record<string, () => number> = {
  'koffi, no kernel: labs(3)': () => { const t = ns(); for (let i = 0; i < n; i++) labs(-i); return (ns() - t) / n; },
  'getppid(): libc wrapper': () => { const t = ns(); for (let i = 0; i < n; i++) getppid(); return (ns() - t) / n; },
  'getppid(): syscall(2)': () => { const t = ns(); for (let i = 0; i < n; i++) syscall1(SYS_getppid); return (ns() - t) / n; },
  'floor: bpf(EINVAL), numeric attr': () => { const t = ns(); for (let i = 0; i < n; i++) syscallAt(nr, 9999, nullAt, 32); return (ns() - t) / n; },
  'lookup: MapElemAccess.lookup': () => { const t = ns(); for (let i = 0; i < n; i++) acc.lookup(); return (ns() - t) / n; },
  'lookup: direct, numeric attr': () => { const t = ns(); for (let i = 0; i < n; i++) syscallAt(nr, LOOKUP, attrAt, 32); return (ns() - t) / n; },
  'lookup: direct, int signature': () => { const t = ns(); for (let i = 0; i < n; i++) syscallInt(nr, LOOKUP, attrAt, 32); return (ns() - t) / n; },
  'lookup: direct, Buffer attr': () => { const t = ns(); for (let i = 0; i < n; i++) syscallBuf(nr, LOOKUP, attr, 32); return (ns() - t) / n; },
  'lookup: BpfMap.getInto(key, out)': () => { const t = ns(); for (let i = 0; i < n; i++) raw.getInto(key, out); return (ns() - t) / n; },
  'lookup: lean typed get (one closure)': () => { const t = ns(); for (let i = 0; i < n; i++) leanGet(7); return (ns() - t) / n; },
  'lookup: HashMap<u32,u64>.get': () => { const t = ns(); for (let i = 0; i < n; i++) typed.get(7); return (ns() - t) / n; },
};
// Sanity: the direct forms really look the key up.
if (Number(syscallAt(nr, LOOKUP, attrAt, 32)) !== 0 || syscallInt(nr, LOOKUP, attrAt, 32) !== 0 || Number(syscallBuf(nr, LOOKUP, attr, 32)) !== 0) throw new Error('direct lookup failed');

const js: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
const c: { lookup: number[]; dataPage: number[]; codePage: number[]; getppid: number[]; syscallGetppid: number[] } = { lookup: [], dataPage: [], codePage: [], getppid: [], syscallGetppid: [] };
for (let r = 0; r < rounds; r++) {
  const cr = runC();
  c.lookup.push(cr.lookup);
  c.dataPage.push(cr.dataPage);
  c.codePage.push(cr.codePage);
  c.getppid.push(cr.getppid);
  c.syscallGetppid.push(cr.syscallGetppid);
  for (const [name, run] of Object.entries(cases)) js[name]!.push(run());
}
raw.close();
typed.close();
rmSync(dir, { recursive: true, force: true });

const cLookup = median(c.lookup);
const page = median(c.dataPage);
console.log(`map lookup variants, median of ${rounds} alternating rounds of ${n} calls (CPU ns per call)${processTime ? ', process CPU time' : ', main-thread CPU time'}${process.execArgv.includes('--use-largepages=on') ? ', node --use-largepages=on' : ''}`);
console.log(`C lookup ${cLookup.toFixed(0)} ns; C per-page TLB refill after a syscall: data ${page.toFixed(1)} ns, code ${median(c.codePage).toFixed(1)} ns`);
console.log(`C getppid(): libc wrapper ${median(c.getppid).toFixed(0)} ns, syscall(2) ${median(c.syscallGetppid).toFixed(0)} ns`);
console.log(`${'variant'.padEnd(36)} ${'JS ns'.padStart(7)} ${'JS/C'.padStart(6)} ${'extra pages'.padStart(12)}`);
for (const [name, xs] of Object.entries(js)) {
  const j = median(xs);
  const base = name.startsWith('lookup') ? cLookup : name.startsWith('getppid(): libc') ? median(c.getppid) : name.startsWith('getppid(): syscall') ? median(c.syscallGetppid) : undefined;
  console.log(`${name.padEnd(36)} ${j.toFixed(0).padStart(7)} ${base !== undefined ? (j / base).toFixed(2).padStart(6) : ''.padStart(6)} ${base !== undefined && page > 0 ? ((j - base) / page).toFixed(0).padStart(12) : ''.padStart(12)}`);
}
