// CPU cost of building the opensnoop programs (eDSL → instructions + BTF with line_info):
// building the statement trees (which capture each statement's call site), compiling without
// line info, and compiling with line info (source-map lookups + the program BTF). Warm medians
// of 50 interleaved builds after 20 warm-ups; the tracepoint formats are read from tracefs once up front.
// Run: node --import tsx bench/dsl-build.ts
import { compile } from '../src/dsl/index.js';
import { tracepointFormat } from '../src/tracefs/index.js';
import { opensnoopPrograms } from '../src/tools/opensnoop.js';

function cpuMs(fn: () => void): number {
  const t = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
}

const formats = { enter: tracepointFormat('syscalls', 'sys_enter_openat'), exit: tracepointFormat('syscalls', 'sys_exit_openat') };
const build = () => opensnoopPrograms({ formats });
const rows: [string, () => void][] = [
  ['build the two programs (statement trees + call sites)', () => void build()],
  ['build + compile, lineInfo: false', () => { const p = build(); compile(p.enter, { lineInfo: false }); compile(p.exit, { lineInfo: false }); }],
  ['build + compile with line info and BTF (default)', () => { const p = build(); compile(p.enter); compile(p.exit); }],
];
const first = cpuMs(rows[2][1]);
console.log('| opensnoop (enter + exit) | warm median CPU ms |');
console.log('|---|---|');
for (let i = 0; i < 20; i++) for (const [, fn] of rows) fn();
// Interleaved, so that JIT warm-up and GC fall on every row alike.
const times: number[][] = rows.map(() => []);
for (let i = 0; i < 50; i++) rows.forEach(([, fn], r) => times[r].push(cpuMs(fn)));
rows.forEach(([name], r) => {
  const t = times[r].sort((a, b) => a - b);
  console.log(`| ${name} | ${t[25].toFixed(3)} |`);
});
console.log(`| first build with line info, cold (first in the process) | ${first.toFixed(2)} |`);
const p = build();
const c = compile(p.exit);
console.log(`\nexit program: ${c.insns.length} insns, ${c.lineInfo?.length ?? 0} line_info records, BTF ${c.btf?.bytes.byteLength ?? 0} bytes`);
