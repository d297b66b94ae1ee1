// Start-up of `tsbpf opensnoop` (issue #6, Performance): time from spawning the process to the
// first event it prints, side by side with a bare node (`node -e 0` that prints one line; spawn to
// that line) and bpftrace's one-liner (spawn to its first printed event), plus each one's peak RSS
// (`/usr/bin/time -f %M`: the kernel's maxrss of the process). Two times per row: wall time, and
// the CPU time the process (all its threads, /proc/PID/task/*/schedstat) had used when its line
// arrived — on a loaded machine wall time mostly measures waiting for a CPU. Runs alternate
// between the rows so machine noise hits all of them; the table shows medians.
// Targets: within 25 ms of `node -e 0`; RSS <= 60 MB.
// Also: building the opensnoop programs warm (eDSL → instruction bytes, plus the BTF of its
// structs), target <= 5 ms.
//
// The event: this process opens a uniquely named file every millisecond from the moment it spawns
// the tracer, and the time is taken when the tracer's output line for that path arrives.
// tsbpf runs the compiled CLI (TSBPF_LOAD=compiled; `npm run build` first when dist/ is missing).
// bpftrace is installed with apt-get when missing (Debian's package); without it, its row says so.
//
// Usage (root): node --import tsx bench/startup.ts [ROUNDS] [OTHER_CHECKOUT]   (default 7)
// OTHER_CHECKOUT: another built copy of tsbpf (e.g. `git archive REV | tar -x -C DIR`, a
// node_modules link, `node scripts/build.js` there) whose bin/tsbpf.js runs as one more row,
// alternating with the others: a before/after comparison that machine load skews less.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeBtf, encodeProgram } from 'ebpf-bytecode-utils';
import { compile } from '../src/dsl/compile.js';
import { OpenEvent, OpenInfo, opensnoopPrograms } from '../src/tools/opensnoop.js';
import { SYS_ENTER_OPENAT_FORMAT, SYS_EXIT_OPENAT_FORMAT } from '../src/tools/syscall-tracepoint-formats.js';

const rounds = Number(process.argv[2] ?? 7);
const other = process.argv[3] === undefined ? undefined : path.resolve(process.argv[3]);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs: number[]) => (xs.length === 0 ? '-' : `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`);

// ---- build time, warm (no root needed) ----
function buildOpensnoop(): number {
  const p = opensnoopPrograms({ formats: { enter: SYS_ENTER_OPENAT_FORMAT, exit: SYS_EXIT_OPENAT_FORMAT } });
  let bytes = 0;
  for (const c of [compile(p.enter), compile(p.exit)]) {
    bytes += encodeProgram(c.insns, { maps: Object.fromEntries(c.maps.map((m, i) => [m.name, i])) }).bytes.length;
  }
  bytes += encodeBtf([OpenInfo.btf(), OpenEvent.btf()]).bytes.length;
  return bytes;
}
for (let i = 0; i < 30; i++) buildOpensnoop();
const buildCpu: number[] = [];
for (let i = 0; i < 50; i++) {
  const c0 = process.cpuUsage();
  buildOpensnoop();
  const c1 = process.cpuUsage(c0);
  buildCpu.push((c1.user + c1.system) / 1000);
}
console.log(`opensnoop build (eDSL → bytes + struct BTF), warm, CPU ms: median ${median(buildCpu).toFixed(2)}, min ${Math.min(...buildCpu).toFixed(2)} (target <= 5)`);

if (process.getuid?.() !== 0) {
  console.log('bench/startup: the start-up part needs root (tracing); skipped');
  process.exit(0);
}

if (!existsSync(path.join(root, 'dist/build-info.json'))) execFileSync(process.execPath, [path.join(root, 'scripts/build.js')], { stdio: 'inherit' });

function bpftracePath(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v bpftrace']);
  if (which.status === 0) return which.stdout.toString().trim();
  console.log('installing bpftrace (apt-get install -y bpftrace) …');
  const r = spawnSync('apt-get', ['install', '-y', '-q', 'bpftrace'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) return undefined;
  const again = spawnSync('sh', ['-c', 'command -v bpftrace']);
  return again.status === 0 ? again.stdout.toString().trim() : undefined;
}
const bpftrace = bpftracePath();

interface Sample { readonly ms: number; readonly cpuMs: number; readonly rssMb: number }

/** CPU time used so far by every thread of the child of process `parent` (the program /usr/bin/time runs). */
function childCpuMs(parent: number): number {
  try {
    const pid = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim().split(' ')[0];
    let ns = 0;
    for (const t of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1e6;
  } catch {
    return NaN;
  }
}

/**
 * Spawns `argv` under /usr/bin/time in its own process group, opens `file` every ms (when `open`),
 * and takes the times when a stdout line contains `file`; then interrupts the group and reads
 * the peak RSS that time prints.
 */
function measure(argv: string[], file: string, env: NodeJS.ProcessEnv = {}, open = true): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', 'maxrss_kb=%M', ...argv], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...env } });
    let ms: number | undefined;
    let cpuMs = NaN;
    let out = '';
    let err = '';
    const opener = !open ? undefined : setInterval(() => closeSync(openSync(file, 'r')), 1);
    const timeout = setTimeout(() => { process.kill(-child.pid!, 'SIGKILL'); reject(new Error(`${argv.join(' ')}: no event within 30 s: ${err}`)); }, 30000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (ms === undefined && out.includes(file)) {
        ms = Number(process.hrtime.bigint() - t0) / 1e6;
        cpuMs = childCpuMs(child.pid!);
        clearInterval(opener);
        process.kill(-child.pid!, 'SIGINT');
      }
    });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('close', () => {
      clearTimeout(timeout);
      clearInterval(opener);
      const rss = /maxrss_kb=(\d+)/.exec(err);
      if (ms === undefined || rss === null) reject(new Error(`${argv.join(' ')}: ${err.trim()}`));
      else resolve({ ms, cpuMs, rssMb: Number(rss[1]) / 1024 });
    });
  });
}

const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-startup-'));
const file = path.join(dir, `startup-${process.pid}`);
writeFileSync(file, 'x');
const otherRow = other === undefined ? undefined : `tsbpf (${path.basename(other)})`;
const rows: Record<string, Sample[]> = { 'node -e 0': [], 'tsbpf opensnoop': [], ...(otherRow === undefined ? {} : { [otherRow]: [] }), bpftrace: [] };
try {
  for (let r = 0; r < rounds; r++) {
    rows['node -e 0'].push(await measure([process.execPath, '-e', 'console.log(process.argv[1]); setTimeout(() => {}, 1e9)', file], file, {}, false));
    rows['tsbpf opensnoop'].push(await measure([process.execPath, path.join(root, 'bin/tsbpf.js'), 'opensnoop', '--pid', String(process.pid)], file, { TSBPF_LOAD: 'compiled' }));
    if (otherRow !== undefined) rows[otherRow].push(await measure([process.execPath, path.join(other!, 'bin/tsbpf.js'), 'opensnoop', '--pid', String(process.pid)], file, { TSBPF_LOAD: 'compiled' }));
    if (bpftrace !== undefined) rows.bpftrace.push(await measure([bpftrace, '-e', 'tracepoint:syscalls:sys_enter_openat { printf("%s\\n", str(args->filename)); }'], file));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\nstart-up to the first event, ${rounds} alternating rounds; median (min–max)`);
const width = Math.max(18, ...Object.keys(rows).map((n) => n.length + 1));
console.log(`${'command'.padEnd(width)} ${'wall ms'.padEnd(18)} ${'CPU ms'.padEnd(18)} peak RSS MB`);
for (const [name, xs] of Object.entries(rows)) {
  if (xs.length === 0) console.log(`${name.padEnd(width)} not installed`);
  else console.log(`${name.padEnd(width)} ${fmt(xs.map((x) => x.ms)).padEnd(18)} ${fmt(xs.map((x) => x.cpuMs)).padEnd(18)} ${fmt(xs.map((x) => x.rssMb))}`);
}
const med = (name: string, f: (x: Sample) => number) => median(rows[name].map(f));
console.log(`\ntsbpf opensnoop − node: wall ${(med('tsbpf opensnoop', (x) => x.ms) - med('node -e 0', (x) => x.ms)).toFixed(0)} ms, CPU ${(med('tsbpf opensnoop', (x) => x.cpuMs) - med('node -e 0', (x) => x.cpuMs)).toFixed(0)} ms (target <= 25); tsbpf peak RSS ${med('tsbpf opensnoop', (x) => x.rssMb).toFixed(0)} MB (target <= 60)`);
if (otherRow !== undefined) console.log(`${otherRow} − node: wall ${(med(otherRow, (x) => x.ms) - med('node -e 0', (x) => x.ms)).toFixed(0)} ms, CPU ${(med(otherRow, (x) => x.cpuMs) - med('node -e 0', (x) => x.cpuMs)).toFixed(0)} ms`);
