// bench/symbols: kernel symbol table load time and lookup rate, user symbol lookups.
//   node --import tsx bench/symbols.ts
// CPU time (process.cpuUsage), so a busy machine inflates wall time but not these figures much.
// Anchor: `cat /proc/kallsyms > /dev/null` — the kernel's cost of producing the text, which any
// reader (BCC, libbpf, perf) pays too.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { KernelSymbols, userSymbols } from '../src/symbols/index.js';

function cpuMs(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

const rounds = 5;
const read: number[] = [];
const parse: number[] = [];
let table: KernelSymbols | undefined;
for (let i = 0; i < rounds; i++) {
  let text = '';
  read.push(cpuMs(() => (text = readFileSync('/proc/kallsyms', 'latin1'))));
  parse.push(cpuMs(() => (table = new KernelSymbols(text))));
}
const ks = table as KernelSymbols;
const catCpu = (() => {
  const out = execFileSync('bash', ['-c', 'TIMEFORMAT=%U+%S; { time cat /proc/kallsyms > /dev/null; } 2>&1'], { encoding: 'utf8' }).trim();
  const [u, s] = out.split('+').map(Number);
  return (u + s) * 1000;
})();
const addrs: bigint[] = [];
for (let i = 0; i < 4096; i++) addrs.push(ks.at((i * 7919) % ks.size).address + BigInt(i % 64));
let hits = 0;
const lookupMs = cpuMs(() => {
  for (let r = 0; r < 250; r++) for (const a of addrs) if (ks.lookup(a) !== undefined) hits++;
});
const nameMs = cpuMs(() => {
  for (let r = 0; r < 250; r++) for (let i = 0; i < 1024; i++) ks.address(ks.at(i * 97 % ks.size).name);
});
const user = userSymbols(process.pid);
const mapText = readFileSync('/proc/self/maps', 'utf8');
const libc = /^([0-9a-f]+)-[0-9a-f]+ r-xp \S+ \S+ \S+\s+(\S*libc\.so\.6)$/m.exec(mapText);
let userHits = 0;
const userFirstMs = libc === null ? NaN : cpuMs(() => void user.lookup(BigInt(`0x${libc[1]}`) + 0x100n));
const userMs = libc === null ? NaN : cpuMs(() => {
  const base = BigInt(`0x${libc[1]}`);
  for (let i = 0; i < 200_000; i++) if (user.lookup(base + BigInt((i * 4099) % 0x100000)) !== undefined) userHits++;
});
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`kallsyms: ${ks.size} symbols`);
console.log(`  read /proc/kallsyms      ${med(read).toFixed(1)} ms CPU (median of ${rounds}); cat alone: ${catCpu.toFixed(1)} ms CPU`);
console.log(`  parse + sort             ${med(parse).toFixed(1)} ms CPU (median of ${rounds})`);
console.log(`  lookup(addr)             ${((addrs.length * 250) / lookupMs / 1000).toFixed(2)} M/s (${hits} hits)`);
console.log(`  address(name)            ${((1024 * 250) / nameMs / 1000).toFixed(2)} M/s (first call builds the name index)`);
console.log(`user symbols (this process, libc): first lookup ${userFirstMs.toFixed(1)} ms CPU (reads the ELF), then ${(200_000 / userMs / 1000).toFixed(2)} M lookups/s (${userHits} hits)`);
