// CPU cost of building eDSL programs that read kernel structs by BTF field name: the first build
// (decodes /sys/kernel/btf/vmlinux and finds task_struct) and warm builds. Prints a table.
// Run: node --import tsx bench/dsl-kernel-btf.ts
import { compile, kernelBtf, program, u64 } from '../src/dsl/index.js';

function cpuMs(fn: () => void): number {
  const t = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
}
const build = () => compile(program('ppid', 'raw_tracepoint', ($) => {
  const out = $.array('out', u64, { maxEntries: 1 });
  out.update(0, $.currentTask().field('real_parent').field('tgid').value().cast(u64));
  return 0;
}));
const decode = cpuMs(() => kernelBtf());
const find = cpuMs(() => kernelBtf().find('struct', 'task_struct'));
const first = cpuMs(build);
const warm: number[] = [];
for (let i = 0; i < 50; i++) warm.push(cpuMs(build));
warm.sort((a, b) => a - b);
console.log('| build | CPU ms |');
console.log('|---|---|');
console.log(`| decode vmlinux BTF (kernelBtf) | ${decode.toFixed(2)} |`);
console.log(`| first find('struct', 'task_struct') | ${find.toFixed(2)} |`);
console.log(`| first build after that | ${first.toFixed(2)} |`);
console.log(`| warm median of 50 | ${warm[25].toFixed(3)} |`);
