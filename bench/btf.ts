// bench/btf: the BTF decoder, encoder and C dump on this kernel's vmlinux BTF. Prints a table.
//   node --import tsx bench/btf.ts
// Targets (issue "BTF and struct types"): index vmlinux and look up task_struct →
// real_parent → tgid within 2–3× of libbpf's parse (9–11 ms cold, KERNEL.md). "cold" rows are
// the median of fresh processes (first call, JIT cold), "warm" rows the median of repetitions
// in one process. bpftool, when installed, is timed as a whole process (start-up included).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeBtf, dumpC, encodeBtf, IntEncoding, memberOffset, type Int, type Struct, type Type } from '../asm/src/btf/index.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const ms = (t0: number): number => performance.now() - t0;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One cold run: index, then the lookup walk. Printed as JSON for the parent. */
function coldRun(): void {
  const bytes = readFileSync(VMLINUX);
  let t0 = performance.now();
  const btf = decodeBtf(bytes);
  const index = ms(t0);
  t0 = performance.now();
  const off = memberOffset(btf.get('struct', 'task_struct'), ['real_parent', 'tgid']).bitOffset / 8;
  const lookup = ms(t0);
  console.log(JSON.stringify({ index, lookup, off, built: btf.materialized, types: btf.typeCount - 1 }));
}

/** About 1000 types: 250 structs of 4 members (ints, pointers to each other, arrays, typedefs). */
function graph1k(): Type[] {
  const ints: Int[] = [1, 2, 4, 8].map((size) => ({ kind: 'int', name: `u${size * 8}`, size, encoding: 0, bitOffset: 0, bits: size * 8 }));
  ints.push({ kind: 'int', name: 'int', size: 4, encoding: IntEncoding.SIGNED, bitOffset: 0, bits: 32 });
  const structs: Struct[] = Array.from({ length: 250 }, (_, i) => ({ kind: 'struct', name: `s${i}`, size: 32, members: [] }));
  const out: Type[] = [...ints];
  structs.forEach((s, i) => {
    const ptr: Type = { kind: 'ptr', target: structs[(i * 7 + 3) % structs.length] };
    const arr: Type = { kind: 'array', element: ints[i % 4], index: ints[4], length: 4 };
    const td: Type = { kind: 'typedef', name: `s${i}_t`, target: s };
    s.members.push(
      { name: 'a', type: ints[4], bitOffset: 0, bitfieldSize: 0 },
      { name: 'next', type: ptr, bitOffset: 64, bitfieldSize: 0 },
      { name: 'arr', type: arr, bitOffset: 128, bitfieldSize: 0 },
      { name: 'flags', type: ints[2], bitOffset: 192, bitfieldSize: 3 },
    );
    out.push(s, ptr, arr, td);
  });
  return out;
}

function main(): void {
  if (!existsSync(VMLINUX)) {
    console.log(`bench/btf: ${VMLINUX} does not exist; nothing to measure`);
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const colds = Array.from({ length: 7 }, () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--cold'], { encoding: 'utf8' });
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { index: number; lookup: number; off: number; built: number; types: number };
  });
  const bytes = readFileSync(VMLINUX);
  // Median time of `fn`, or of what it returns when it times a part of itself.
  const warm = (fn: () => number | void, n = 9): number => median(Array.from({ length: n }, () => {
    const t0 = performance.now();
    const part = fn();
    return typeof part === 'number' ? part : ms(t0);
  }));
  const indexWarm = warm(() => void decodeBtf(bytes));
  const lookupWarm = warm(() => {
    const b = decodeBtf(bytes);
    const t0 = performance.now();
    memberOffset(b.get('struct', 'task_struct'), ['real_parent', 'tgid']);
    return ms(t0);
  });
  const full = warm(() => {
    const b = decodeBtf(bytes);
    for (let id = 1; id < b.typeCount; id++) b.typeById(id);
  }, 3);
  const g = graph1k();
  const encodeMs = warm(() => void encodeBtf(g), 21);
  const dump = warm(() => void dumpC(decodeBtf(bytes)), 3);
  let bpftoolDump = 'not installed (apt-get install bpftool)';
  let bpftoolStart = '';
  const tool = ['/usr/sbin/bpftool', '/usr/bin/bpftool'].find(existsSync);
  if (tool !== undefined) {
    const time = (args: string[]): number => median(Array.from({ length: 5 }, () => {
      const t0 = performance.now();
      spawnSync(tool, args, { stdio: ['ignore', 'ignore', 'ignore'] });
      return ms(t0);
    }));
    bpftoolDump = `${time(['btf', 'dump', 'file', VMLINUX, 'format', 'c']).toFixed(0)} ms`;
    bpftoolStart = `${time(['version']).toFixed(1)} ms`;
  }
  const c0 = colds[0];
  const rows: [string, string, string][] = [
    [`vmlinux: index ${c0.types} types (cold)`, `${median(colds.map((c) => c.index)).toFixed(1)} ms`, 'libbpf parse: 9–11 ms'],
    ['vmlinux: index (warm)', `${indexWarm.toFixed(1)} ms`, ''],
    [`lookup task_struct→real_parent→tgid (cold; builds ${c0.built} types; tgid @${c0.off})`, `${median(colds.map((c) => c.lookup)).toFixed(1)} ms`, ''],
    ['index + lookup (cold)', `${median(colds.map((c) => c.index + c.lookup)).toFixed(1)} ms`, 'target ≤ 2–3× libbpf'],
    ['lookup (warm, first lookup of a fresh decode)', `${lookupWarm.toFixed(2)} ms`, ''],
    ['build every vmlinux type (warm)', `${full.toFixed(0)} ms`, ''],
    [`encode a ${encodeBtf(g).types.length - 1}-type graph (warm)`, `${encodeMs.toFixed(2)} ms`, ''],
    ['C dump of vmlinux (decode + dumpC, warm)', `${dump.toFixed(0)} ms`, `bpftool format c: ${bpftoolDump}`],
  ];
  if (bpftoolStart !== '') rows.push(['bpftool process start (`bpftool version`)', bpftoolStart, 'included in the bpftool figure']);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log(`${'measure'.padEnd(w0)}  ${'tsbpf'.padStart(w1)}  reference`);
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
}

if (process.argv.includes('--cold')) coldRun();
else main();
