// bench/btf: the BTF decoder, encoder and C dump on this kernel's vmlinux BTF, side by side with
// libbpf. Prints a table.
//   node --import tsx bench/btf.ts [--runs N]
// Targets (issue 3, "Performance"):
//   - parse /sys/kernel/btf/vmlinux and look up 10 named structs: ≤ 15 ms and ≤ 15 MB extra
//     memory, next to libbpf's btf__load_vmlinux_btf() (bench/btf-libbpf.c; 9–11 ms cold and
//     13 MB peak on an idle machine);
//   - C dump of vmlinux (decode + dumpC): ≤ 1 s; also the whole `tsbpf btf dump` process (the
//     compiled CLI, Node start-up included), CPU, alternated with bpftool's `format c`.
// "cold" figures come from fresh processes, the C program and a Node process run alternately
// (the machine may be loaded: both sides see the same load). Each Node process times only its
// own work after start-up (read + decode + 10 lookups, like the C program's load + lookups);
// Node's start-up and the import of the decoder are reported on their own rows. Memory is the
// growth of the process's peak RSS (VmHWM, reset through /proc/self/clear_refs first) over the
// measured work, and of its RSS. Every figure
// is min / median over the runs, wall time and CPU time (user + system, all threads: GC and
// JIT threads included).
// bench/btf-libbpf.c is built with gcc against libbpf (Debian: apt-get install libbpf-dev); when
// gcc or libbpf is missing, the libbpf column says so and the rest still runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const NAMES = ['task_struct', 'mm_struct', 'file', 'inode', 'sk_buff', 'sock', 'net_device', 'cred', 'pt_regs', 'bpf_prog'];
const SELF = fileURLToPath(import.meta.url);

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** A field of /proc/self/status in kB (VmHWM, VmRSS). */
function statusKb(key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m === null ? NaN : Number(m[1]);
}

/** One cold measurement as its own process: what the C program does, in TypeScript. */
interface ColdTs {
  /** Node start-up: ms since the process started, and CPU ms used, when this module begins. */
  startWall: number;
  startCpu: number;
  /** Importing the decoder (tsx compiles it on a cold cache). */
  importWall: number;
  read: number;
  decode: number;
  lookup: number;
  /** read + decode + lookups: wall and CPU ms. */
  wall: number;
  cpu: number;
  hwmKb: number;
  rssKb: number;
  found: number;
  built: number;
  types: number;
}

async function coldTs(): Promise<void> {
  const startWall = performance.now();
  const startCpu = cpuMs();
  const { decodeBtf } = await import('../asm/src/btf/index.js');
  const importWall = performance.now() - startWall;
  // Reset the peak RSS to the current RSS (Linux ≥ 4.0), so that start-up's peak does not hide
  // the work's; without it, the peak growth may read low.
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // not fatal
  }
  const hwm0 = statusKb('VmHWM');
  const rss0 = statusKb('VmRSS');
  const c0 = cpuMs();
  const t0 = performance.now();
  const bytes = readFileSync(VMLINUX);
  const t1 = performance.now();
  const btf = decodeBtf(bytes);
  const t2 = performance.now();
  let found = 0;
  for (const name of NAMES) if (btf.find('struct', name) !== undefined) found++;
  const t3 = performance.now();
  const cpu = cpuMs() - c0;
  const r: ColdTs = {
    startWall, startCpu, importWall, read: t1 - t0, decode: t2 - t1, lookup: t3 - t2, wall: t3 - t0, cpu,
    hwmKb: statusKb('VmHWM') - hwm0, rssKb: statusKb('VmRSS') - rss0, found, built: btf.materialized, types: btf.typeCount - 1,
  };
  console.log(JSON.stringify(r));
}

/** One cold C dump as its own process: decode + dumpC, wall and CPU ms. */
async function coldDump(): Promise<void> {
  const { decodeBtf, dumpC } = await import('../asm/src/btf/index.js');
  const bytes = readFileSync(VMLINUX);
  const c0 = cpuMs();
  const t0 = performance.now();
  const text = dumpC(decodeBtf(bytes), { vmlinuxHeader: true });
  console.log(JSON.stringify({ wall: performance.now() - t0, cpu: cpuMs() - c0, bytes: text.length }));
}

/** What bench/btf-libbpf.c prints. */
interface ColdC {
  ns: number;
  /** Reading the file alone (timed after the rest). */
  readNs: number;
  loadNs: number;
  lookupNs: number;
  cpuUs: number;
  hwmDeltaKb: number;
  rssDeltaKb: number;
  found: number;
  types: number;
}

/** Builds bench/btf-libbpf.c; the binary's path, or why it could not be built. */
function buildLibbpf(dir: string): { exe: string } | { why: string } {
  if (!existsSync('/usr/include/bpf/btf.h')) return { why: 'libbpf headers missing (apt-get install libbpf-dev)' };
  const exe = join(dir, 'btf-libbpf');
  const r = spawnSync('gcc', ['-O2', '-o', exe, join(SELF, '../btf-libbpf.c'), '-lbpf'], { encoding: 'utf8' });
  if (r.error !== undefined) return { why: `gcc not runnable (${r.error.message})` };
  if (r.status !== 0) return { why: `gcc failed: ${r.stderr.trim().split('\n')[0]}` };
  return { exe };
}

function runJson<T>(cmd: string, args: string[]): T {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

/** CPU ms (user + system) of running `argv` with its output discarded, from /usr/bin/time. */
function timedCpu(argv: string[]): number {
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', ...argv], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  const [user, sys] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return (user + sys) * 1000;
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const median = (xs: number[]): number => sorted(xs)[Math.floor(xs.length / 2)];
const minmed = (xs: number[], digits = 1, unit = ''): string => `${Math.min(...xs).toFixed(digits)} / ${median(xs).toFixed(digits)}${unit}`;

async function main(): Promise<void> {
  if (!existsSync(VMLINUX)) {
    console.log(`bench/btf: ${VMLINUX} does not exist; nothing to measure`);
    return;
  }
  const at = process.argv.indexOf('--runs');
  const runs = at > 0 ? Number(process.argv[at + 1]) : 7;
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-btf-bench-'));
  try {
    const lib = buildLibbpf(dir);
    const ts: ColdTs[] = [];
    const c: ColdC[] = [];
    const bare: number[] = [];
    const bareCpu: number[] = [];
    // Interleaved: C, TypeScript, bare Node, so that both sides see the same load.
    for (let i = 0; i < runs; i++) {
      if ('exe' in lib) c.push(runJson<ColdC>(lib.exe, []));
      ts.push(runJson<ColdTs>(process.execPath, ['--import', 'tsx', SELF, '--cold']));
      const t0 = performance.now();
      const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(process.cpuUsage()))'], { encoding: 'utf8' });
      bare.push(performance.now() - t0);
      const u = JSON.parse(r.stdout) as { user: number; system: number };
      bareCpu.push((u.user + u.system) / 1000);
    }
    const dumps = Array.from({ length: Math.max(3, Math.ceil(runs / 2)) }, () =>
      runJson<{ wall: number; cpu: number; bytes: number }>(process.execPath, ['--import', 'tsx', SELF, '--dump']));

    // Warm figures, in this process.
    const { decodeBtf, dumpC } = await import('../asm/src/btf/index.js');
    const bytes = readFileSync(VMLINUX);
    const warm = (fn: () => void, n: number): { wall: number[]; cpu: number[] } => {
      const wall: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < n; i++) {
        const c0 = cpuMs();
        const t0 = performance.now();
        fn();
        wall.push(performance.now() - t0);
        cpu.push(cpuMs() - c0);
      }
      return { wall, cpu };
    };
    const parseWarm = warm(() => {
      const b = decodeBtf(bytes);
      for (const name of NAMES) b.find('struct', name);
    }, 15);
    const fullWarm = warm(() => {
      const b = decodeBtf(bytes);
      for (let id = 1; id < b.typeCount; id++) b.typeById(id);
    }, 3);
    const dumpWarm = warm(() => void dumpC(decodeBtf(bytes), { vmlinuxHeader: true }), 3);

    let bpftool = 'bpftool not installed';
    const tool = ['/usr/sbin/bpftool', '/usr/bin/bpftool'].find(existsSync);
    // The CLI (`tsbpf btf dump`, a fresh process) and bpftool, alternately, CPU from /usr/bin/time.
    const cliCpu: number[] = [];
    const toolCpu: number[] = [];
    let cliNote = '/usr/bin/time missing';
    if (tool !== undefined) {
      const wall: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        spawnSync(tool, ['btf', 'dump', 'file', VMLINUX, 'format', 'c'], { stdio: ['ignore', 'ignore', 'ignore'] });
        wall.push(performance.now() - t0);
      }
      bpftool = `bpftool format c (whole process): ${minmed(wall, 0, ' ms')}`;
    }
    if (existsSync('/usr/bin/time')) {
      const cli = join(SELF, '../../bin/tsbpf.js');
      const how = spawnSync(process.execPath, [cli, 'btf', 'dump'], { env: { ...process.env, TSBPF_EXPLAIN_LOAD: '1' }, encoding: 'utf8', maxBuffer: 1 << 26 });
      cliNote = how.stderr.includes('running compiled') ? 'compiled JS (dist/)' : 'NOT compiled JS: run npm run build';
      for (let i = 0; i < runs; i++) {
        cliCpu.push(timedCpu([process.execPath, cli, 'btf', 'dump']));
        if (tool !== undefined) toolCpu.push(timedCpu([tool, 'btf', 'dump', 'file', VMLINUX, 'format', 'c']));
      }
    }

    const libCol = (f: (r: ColdC) => number, digits = 1, unit = ' ms'): string => ('exe' in lib ? minmed(c.map(f), digits, unit) : '(libbpf missing)');
    const t0 = ts[0];
    const rows: [string, string, string, string][] = [
      [`read + decode + ${NAMES.length} lookups, wall (cold)`, minmed(ts.map((r) => r.wall), 1, ' ms'), libCol((r) => r.ns / 1e6), '≤ 15 ms'],
      ['  the same, CPU (cold)', minmed(ts.map((r) => r.cpu), 1, ' ms'), libCol((r) => r.cpuUs / 1e3), ''],
      ['  of which: read the file', minmed(ts.map((r) => r.read), 1, ' ms'), libCol((r) => r.readNs / 1e6), 'libbpf: read alone, after'],
      [`  of which: decode (index ${t0.types} types)`, minmed(ts.map((r) => r.decode), 1, ' ms'), libCol((r) => r.loadNs / 1e6), 'libbpf: read + parse'],
      [`  of which: ${NAMES.length} lookups (builds ${t0.built} types, found ${t0.found})`, minmed(ts.map((r) => r.lookup), 2, ' ms'), libCol((r) => r.lookupNs / 1e6, 2), ''],
      ['peak RSS growth (VmHWM)', minmed(ts.map((r) => r.hwmKb / 1024), 1, ' MB'), libCol((r) => r.hwmDeltaKb / 1024, 1, ' MB'), '≤ 15 MB'],
      ['RSS growth (VmRSS)', minmed(ts.map((r) => r.rssKb / 1024), 1, ' MB'), libCol((r) => r.rssDeltaKb / 1024, 1, ' MB'), ''],
      ['Node start-up: `node -e` process, wall', minmed(bare, 1, ' ms'), '', 'not in the figures above'],
      ['Node start-up: `node -e` process, CPU', minmed(bareCpu, 1, ' ms'), '', ''],
      ['Node + tsx start-up before the bench module runs, wall', minmed(ts.map((r) => r.startWall), 0, ' ms'), '', ''],
      ['Node + tsx start-up, CPU', minmed(ts.map((r) => r.startCpu), 0, ' ms'), '', ''],
      ['import of the decoder (tsx)', minmed(ts.map((r) => r.importWall), 1, ' ms'), '', ''],
      [`decode + ${NAMES.length} lookups, wall (warm, in one process)`, minmed(parseWarm.wall, 2, ' ms'), '', ''],
      ['build every vmlinux type (warm)', minmed(fullWarm.wall, 0, ' ms'), '', ''],
      ['C dump of vmlinux: decode + dumpC, wall (cold)', minmed(dumps.map((d) => d.wall), 0, ' ms'), bpftool, '≤ 1 s'],
      ['  the same, CPU (cold)', minmed(dumps.map((d) => d.cpu), 0, ' ms'), '', ''],
      [`\`tsbpf btf dump\` process, CPU (cold; ${cliNote})`, cliCpu.length > 0 ? minmed(cliCpu, 0, ' ms') : '-', toolCpu.length > 0 ? `bpftool process CPU: ${minmed(toolCpu, 0, ' ms')}` : bpftool, '≤ 1 s'],
      ['C dump of vmlinux, wall (warm)', minmed(dumpWarm.wall, 0, ' ms'), '', ''],
      ['C dump of vmlinux, CPU (warm)', minmed(dumpWarm.cpu, 0, ' ms'), '', ''],
    ];
    console.log(`bench/btf: ${runs} cold runs each; cells are min / median`);
    const header: [string, string, string, string] = ['measure', 'tsbpf', 'libbpf', 'target'];
    const w = [0, 1, 2].map((i) => Math.max(...[header, ...rows].map((r) => r[i].length)));
    for (const r of [header, ...rows]) console.log(`${r[0].padEnd(w[0])}  ${r[1].padStart(w[1])}  ${r[2].padEnd(w[2])}  ${r[3]}`.trimEnd());
    if (!('exe' in lib)) console.log(`\nlibbpf side not measured: ${lib.why}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--cold')) await coldTs();
else if (process.argv.includes('--dump')) await coldDump();
else await main();
